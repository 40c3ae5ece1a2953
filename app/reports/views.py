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
from app.reports import churn_chart
from app.reports.charts import bar_chart, funnel_chart, grouped_bar_chart

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
    if report is None:
        script, div = None, None
    elif key == "churn":  # by year and manager, over every matching case (not the page shown)
        script, div = grouped_bar_chart(churn_chart.by_year_and_manager(db_session, current_user, request.args),
                                        report.title)
    else:
        script, div = bar_chart(report.chart, report.title)
    # The churn report's manager filter; (id, name) only: a User row would load its role's rights as well.
    managers = db_session.execute(select(User.id, User.name).join(Role).where(Role.code == "customer_manager")
                                  .order_by(User.name)).all() if key == "churn" else []
    return render_template("reports/show.html", key=key, report=report, errors=errors, chart_script=script,
                           chart_div=div, managers=managers, args=request.args), (422 if errors else 200)


def funnel_stages(by_status):
    """The opportunity funnel's stages from the counts per status: recorded (all), assigned (in development or
    closed), closed (succeeded, failed or terminated), succeeded."""
    closed = sum(by_status.get(s, 0) for s in ("succeeded", "failed", "terminated"))
    assigned = closed + by_status.get("in_development", 0)
    return [(_("Recorded"), assigned + by_status.get("unassigned", 0)), (_("Assigned"), assigned),
            (_("Closed"), closed), (_("Succeeded"), by_status.get("succeeded", 0))]


@bp.route("/dashboards")
@requires("dashboard.view")
def dashboards():
    data = service.dashboards(db_session, current_user)
    labels = {"warning": _("Warning"), "postponed": _("Postponed"), "confirmed": _("Confirmed"),
              "retained": _("Retained")}
    churn_order = ["warning", "postponed", "confirmed", "retained"]
    churn = {"x": [labels[s] for s in churn_order], "y": [data["churn"].get(s, 0) for s in churn_order],
             "y_label": _("Churn cases")}
    charts = [funnel_chart(funnel_stages(data["funnel"]), _("Opportunity funnel")),
              bar_chart(churn, _("Churn cases by status")),
              grouped_bar_chart(churn_chart.by_year_and_manager(db_session, current_user),
                                _("Confirmed churn by year and customer manager"))]
    return render_template("reports/dashboards.html", data=data, charts=charts, role_names=role_labels(db_session))
