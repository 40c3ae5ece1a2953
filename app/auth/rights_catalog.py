"""Every function right, its place in the menu tree, and the rights each seeded role starts with.

A right code names what a user may do; menu entries link to an endpoint and show only with their right.
Add a right here when a new function appears; the admin grants it to roles in the UI.
"""
from flask_babel import lazy_gettext as _l

# menu code -> label, in display order
MENUS = [
    ("inbox", _l("My tasks")),
    ("sales", _l("Marketing")),
    ("customers", _l("Customers")),
    ("service", _l("Service")),
    ("reports", _l("Reports")),
    ("basic", _l("Basic data")),
    ("security", _l("Access control")),
    ("processes", _l("Processes")),
]

# (code, menu, label, endpoint shown in the menu or None for an action right)
RIGHTS = [
    ("task.view", "inbox", _l("Task inbox"), "inbox.index"),
    ("opportunity.view", "sales", _l("Sales opportunities"), "sales.list_opportunities"),
    ("opportunity.create", "sales", _l("Record opportunity"), None),
    ("opportunity.edit", "sales", _l("Edit or delete unassigned opportunity"), None),
    # Action rights whose menu entry is the worklist of their process step (app/sales/process.py).
    ("opportunity.assign", "sales", _l("Assign opportunity"), "sales.to_assign"),
    ("opportunity.develop", "sales", _l("Develop opportunity (plan, execute, close)"), "sales.to_develop"),
    ("customer.view", "customers", _l("Customer information"), "customers.list_customers"),
    ("customer.edit", "customers", _l("Edit customer, contacts, interactions"), None),
    ("customer.delete", "customers", _l("Delete customer"), None),
    ("customer.transfer", "customers", _l("Hand customer to another manager"), None),
    ("churn.view", "customers", _l("Customer churn"), "churn.list_cases"),
    ("churn.handle", "customers", _l("Postpone or confirm churn"), "churn.to_handle"),
    ("churn.scan", "customers", _l("Run churn scan"), None),
    ("service.create", "service", _l("Create service request"), "service.create_request"),
    ("service.dispatch", "service", _l("Dispatch service requests"), "service.dispatch_list"),
    ("service.handle", "service", _l("Handle service requests"), "service.handle_list"),
    ("service.feedback", "service", _l("Service feedback"), "service.feedback_list"),
    ("service.view", "service", _l("Service archive"), "service.archive"),
    ("report.view", "reports", _l("Reports"), "reports.index"),
    ("dashboard.view", "reports", _l("Process dashboards"), "reports.dashboards"),
    ("dictionary.view", "basic", _l("Data dictionary"), "catalog.list_dictionary"),
    ("dictionary.edit", "basic", _l("Edit data dictionary"), None),
    ("product.view", "basic", _l("Products"), "catalog.list_products"),
    ("inventory.view", "basic", _l("Inventory"), "catalog.list_inventory"),
    ("order.view", "basic", _l("Orders"), "catalog.list_orders"),
    ("order.import", "basic", _l("Import orders"), None),
    ("user.manage", "security", _l("Users"), "admin.list_users"),
    ("role.manage", "security", _l("Roles and rights"), "admin.list_roles"),
    ("process.view", "processes", _l("Process instances"), "processes_ui.list_instances"),
    ("process.deploy", "processes", _l("Models and deployment"), "processes_ui.list_definitions"),
    ("process.admin", "processes", _l("Retry failed instances, timers"), None),
    # Record-level scope: without it a user sees only the records assigned to them.
    ("data.all", "security", _l("See every team member's records"), None),
]

ALL = [r[0] for r in RIGHTS]

ROLES = {
    "admin": (_l("System administrator"), ALL),
    "sales_supervisor": (_l("Sales supervisor"), [
        "task.view", "opportunity.view", "opportunity.create", "opportunity.edit", "opportunity.assign",
        "customer.view", "customer.edit", "customer.transfer", "churn.view", "service.dispatch", "service.view",
        "report.view", "dashboard.view", "dictionary.view", "product.view", "inventory.view", "order.view",
        "process.view", "data.all"]),
    "customer_manager": (_l("Customer manager"), [
        "task.view", "opportunity.view", "opportunity.create", "opportunity.edit", "opportunity.develop",
        "customer.view", "customer.edit", "churn.view", "churn.handle", "service.create", "service.handle",
        "service.view", "dashboard.view", "dictionary.view", "product.view", "inventory.view", "order.view"]),
    "service_rep": (_l("Service representative"), [
        "task.view", "service.create", "service.feedback", "service.view", "customer.view",
        "dictionary.view", "product.view"]),
    "executive": (_l("Executive"), ["report.view", "dashboard.view", "customer.view", "opportunity.view",
                                    "churn.view", "service.view", "order.view", "data.all"]),
    "process_analyst": (_l("Process analyst"), ["task.view", "process.view", "process.deploy", "dashboard.view",
                                                     "data.all"]),
}


def msgid(lazy) -> str:
    """The untranslated text of a lazy_gettext string: rows store it, pages translate it on display."""
    return lazy._args[0] if hasattr(lazy, "_args") else str(lazy)


def role_label(code, stored_name) -> str:
    """The name pages show for a role, always a plain str that templates escape like any other text.

    A built-in role still carrying its seeded English label shows that label's translation (looked up by the role
    code, never by the stored text); any name an administrator typed shows exactly as typed. Database text never goes
    through gettext or the template `_()`: the latter returns Markup, so a typed name would run as HTML."""
    builtin = ROLES.get(code)
    if builtin is not None and stored_name == msgid(builtin[0]):
        return str(builtin[0])
    return str(stored_name if stored_name is not None else (code or ""))


def right_label(code, stored_name) -> str:
    """The label of a right: the catalog's translated label by code, else the stored name as plain text."""
    label = RIGHT_LABELS.get(code)
    return str(label) if label is not None else str(stored_name if stored_name is not None else code)


RIGHT_LABELS = {code: label for code, _menu, label, _endpoint in RIGHTS}
