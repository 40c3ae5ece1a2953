"""Service-task operations of the customer_churn process: the only way the process changes churn cases.

They run inside the completing transaction; a ValidationFailed (status < 500) rejects the completion."""
from app.catalog.hooks import on_order_created
from app.churn import service
from processes.services import operation

# A new order closes the customer's open churn case as retained and ends its process (same transaction).
on_order_created(service.close_cases_on_order)


@operation("churn.postpone")
def postpone(ctx, *, case_id, measure):
    case = service.record_measure(ctx.db, case_id=case_id, text=measure, by_id=ctx.user_id)
    return {"status": case.status}


@operation("churn.confirm")
def confirm(ctx, *, case_id, reason):
    case = service.confirm_lost(ctx.db, case_id=case_id, reason=reason)
    return {"status": case.status}


@operation("churn.recheck")
def recheck(ctx, *, case_id):
    """After the postponement timer: has the customer ordered since the warning?"""
    case = service.open_case(ctx.db, case_id)
    return {"ordered": service.has_ordered_since(ctx.db, case)}


@operation("churn.retain")
def retain(ctx, *, case_id):
    case = service.mark_retained(ctx.db, case_id=case_id)
    return {"status": case.status}


@operation("churn.manager")
def current_manager(ctx, *, case_id):
    """Who handles the case now (a customer may have been handed to another manager since the warning)."""
    return service.open_case(ctx.db, case_id).manager_id
