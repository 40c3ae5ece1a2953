"""Service-task operations of the customer_churn process: the only way the process changes churn cases.

They run inside the completing transaction; a ValidationFailed (status < 500) rejects the completion. Each checks
that the case is its instance's own (business key), so a forged case_id in a form cannot touch another case."""
from app.catalog.hooks import on_order_created
from app.churn import service
from app.common.errors import Conflict
from app.customers.hooks import on_customer_transferred
from processes.api import operation

# A new order closes the customer's open churn case as retained and ends its process (same transaction).
on_order_created(service.close_cases_on_order)
# A customer handed to another manager: their open cases follow (the tasks moved through the engine).
on_customer_transferred(service.move_open_cases)


def _own(ctx, case_id):
    if ctx.instance is not None and ctx.instance.business_key != str(case_id):
        raise Conflict("The churn case does not belong to this process instance.")
    return case_id


@operation("churn.postpone")
def postpone(ctx, *, case_id, measure):
    case = service.record_measure(ctx.db, case_id=_own(ctx, case_id), text=measure, by_id=ctx.user_id)
    return {"status": case.status}


@operation("churn.confirm")
def confirm(ctx, *, case_id, reason):
    case = service.confirm_lost(ctx.db, case_id=_own(ctx, case_id), reason=reason)
    return {"status": case.status}


@operation("churn.recheck")
def recheck(ctx, *, case_id):
    """After the postponement timer: has the customer ordered since the warning?"""
    case = service.open_case(ctx.db, _own(ctx, case_id))
    return {"ordered": service.has_ordered_since(ctx.db, case)}


@operation("churn.retain")
def retain(ctx, *, case_id):
    case = service.mark_retained(ctx.db, case_id=_own(ctx, case_id))
    return {"status": case.status}


@operation("churn.manager")
def current_manager(ctx, *, case_id):
    """Who handles the case now (a customer may have been handed to another manager since the warning)."""
    return service.open_case(ctx.db, _own(ctx, case_id)).manager_id
