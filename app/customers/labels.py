"""Display labels for the status codes shown on customer pages (codes travel in the API, labels on pages)."""
from flask_babel import gettext as _


def customer_statuses():
    return {"normal": _("Normal"), "lost": _("Lost"), "deleted": _("Deleted")}


def sexes():
    """Labels by stored value; 男/女 from imported rows read like the codes."""
    male, female = _("Male"), _("Female")
    return {"M": male, "F": female, "男": male, "女": female}


def process_kinds():
    return {"sales_opportunity": _("Sales opportunity"), "customer_churn": _("Churn case"),
            "customer_service": _("Service request")}


def record_statuses():
    """Statuses of the records behind the processes (opportunity, churn case, service request)."""
    return {
        "unassigned": _("Unassigned"), "in_development": _("In development"), "succeeded": _("Succeeded"),
        "failed": _("Failed"), "terminated": _("Terminated"),
        "warning": _("Churn warning"), "postponed": _("Churn postponed"), "confirmed": _("Churn confirmed"),
        "retained": _("Retained"),
        "new": _("New"), "assigned": _("Assigned"), "handled": _("Handled"), "archived": _("Archived"),
    }


def instance_statuses():
    return {"running": _("In progress"), "completed": _("Done"), "cancelled": _("Cancelled"),
            "error": _("Stopped by an error")}


def order_statuses():
    return {"paid": _("Paid"), "unpaid": _("Unpaid")}


def record_title(kind, record):
    """How a process's business record is named on the customer page."""
    if kind == "customer_churn":
        return _("Churn case #%(id)s", id=record.id)
    return f"#{record.id} {record.summary}"
