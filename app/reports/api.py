from flask import request
from flask_login import current_user
from flask_smorest import Blueprint, abort

from app.auth.guard import requires
from app.common.listing import page_args, xlsx_response
from app.db import db_session
from app.reports import service

blp = Blueprint("api_reports", __name__, url_prefix="/api/v1/reports", description="Reports")


@blp.route("/<key>")
@requires("report.view")
def report(key):
    """Report rows as JSON (contribution, composition, service, churn); `?format=xlsx` for Excel.

    Filters: contribution `customer_name`, `year`; composition `mode` (level|credit|satisfaction); service `year`
    or `date_from`/`date_to`; churn `customer_name`, `manager_id`, `page`, `per_page`."""
    if key not in service.BUILDERS:
        abort(404, message="No such report")
    xlsx = request.args.get("format") == "xlsx"
    rep = service.BUILDERS[key](db_session, current_user, request.args, page=None if xlsx else page_args())
    if xlsx:
        return xlsx_response(f"{key}.xlsx", [str(label) for _f, label in rep.columns],
                             ([r[f] for f, _l in rep.columns] for r in rep.rows))
    if rep.page is not None:
        return {"items": rep.rows, "total": rep.page.total, "page": rep.page.page, "per_page": rep.page.per_page}
    return {"items": rep.rows, "total": len(rep.rows), "page": 1, "per_page": len(rep.rows)}
