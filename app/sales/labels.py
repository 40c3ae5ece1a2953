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

# BPMN task names of sales_opportunity.bpmn, listed so the catalog carries their Chinese labels.
TASK_NAMES = {
    "assign": _l("Assign opportunity"),
    "develop": _l("Develop the customer"),
    "approve_termination": _l("Approve termination"),
}


def status_label(code):
    return str(STATUS_LABELS.get(code, code))
