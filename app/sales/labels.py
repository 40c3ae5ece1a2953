"""Display labels for sales codes. Codes travel in data and the API; labels are for pages and exports."""
from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "unassigned": _l("Unassigned"),
    "in_development": _l("In development"),
    "succeeded": _l("Development succeeded"),
    "failed": _l("Development failed"),
    "terminated": _l("Development terminated"),
}

OUTCOME_LABELS = {
    "success": _l("Development succeeded"),
    "failure": _l("Development failed"),
    "terminated": _l("Development terminated"),
}

# What the history shows for audit actions written by the sales services.
AUDIT_LABELS = {
    "updated": _l("Opportunity edited"),
    "deleted": _l("Opportunity deleted"),
    "plan_item_added": _l("Plan item added"),
    "plan_item_updated": _l("Plan item changed"),
    "plan_item_removed": _l("Plan item removed"),
    "plan_item_result": _l("Result recorded"),
}

# The steps of sales_opportunity.bpmn (and the approval variant) by BPMN id, for the sales pages in either
# language; the model itself names them in Chinese, as the inbox and the diagram show them.
TASK_NAMES = {
    "assign": _l("Assign opportunity"),
    "mark_assigned": _l("Start development"),
    "develop": _l("Develop the customer"),
    "create_customer": _l("Create customer"),
    "close_failed": _l("Close as failed"),
    "close_terminated": _l("Close as terminated"),
    "approve_termination": _l("Approve termination"),
}


def status_label(code):
    return str(STATUS_LABELS.get(code, code))
