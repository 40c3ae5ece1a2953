from pathlib import Path

import bokeh
from flask import Blueprint, abort, render_template, request, send_from_directory
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.guard import public, requires
from app.auth.models import Role, User
from app.common.errors import ValidationFailed
from app.common.listing import page_args, wants_export, xlsx_response
from app.db import db_session
from app.reports import service
from app.inbox.service import role_labels
from app.reports.charts import bar_chart

bp = Blueprint("reports", __name__, url_prefix="/reports")
BOKEH_JS = Path(bokeh.__file__).parent / "server" / "static" / "js"


@bp.route("/vendor/bokeh/<path:filename>")
@public
def bokeh_js(filename):
    """BokehJS from the installed bokeh package: same version as the Python side, no CDN needed."""
    return send_from_directory(BOKEH_JS, filename, max_age=86400)


@bp.route("/")
@requires("report.view")
def index():
    return render_template("reports/index.html", reports=service.REPORTS)


@bp.route("/<key>")
@requires("report.view")
def show(key):
    if key not in service.BUILDERS:
        abort(404)
    errors = {}
    report = None
    try:
        report = service.BUILDERS[key](db_session, current_user, request.args,
                                       page=None if wants_export() else page_args())
    except ValidationFailed as exc:
        errors = exc.errors
    if report is not None and wants_export():
        return xlsx_response(f"{key}.xlsx", [str(label) for _f, label in report.columns],
                             ([r[f] for f, _l in report.columns] for r in report.rows))
    script, div = bar_chart(report.chart, report.title) if report else (None, None)
    # The churn report's manager filter; (id, name) only: a User row would load its role's rights as well.
    managers = db_session.execute(select(User.id, User.name).join(Role).where(Role.code == "customer_manager")
                                  .order_by(User.name)).all() if key == "churn" else []
    return render_template("reports/show.html", key=key, report=report, errors=errors, chart_script=script,
                           chart_div=div, managers=managers, args=request.args), (422 if errors else 200)


@bp.route("/dashboards")
@requires("dashboard.view")
def dashboards():
    data = service.dashboards(db_session, current_user)
    funnel_order = ["unassigned", "in_development", "succeeded", "failed", "terminated"]
    labels = {"unassigned": _("Unassigned"), "in_development": _("In development"), "succeeded": _("Succeeded"),
              "failed": _("Failed"), "terminated": _("Terminated"), "warning": _("Warning"),
              "postponed": _("Postponed"), "confirmed": _("Confirmed"), "retained": _("Retained")}
    funnel = {"x": [labels[s] for s in funnel_order], "y": [data["funnel"].get(s, 0) for s in funnel_order],
              "y_label": _("Opportunities")}
    churn_order = ["warning", "postponed", "confirmed", "retained"]
    churn = {"x": [labels[s] for s in churn_order], "y": [data["churn"].get(s, 0) for s in churn_order],
             "y_label": _("Churn cases")}
    charts = [bar_chart(funnel, _("Opportunity funnel")), bar_chart(churn, _("Churn cases by status"))]
    return render_template("reports/dashboards.html", data=data, charts=charts, role_names=role_labels(db_session))
