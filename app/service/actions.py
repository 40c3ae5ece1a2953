"""The domain actions of a service request: each completes the matching user task of its `customer_service`
process. The process decides what may happen next: an action the process is not at answers 409 (WrongStep)
naming the current step; the status change itself runs as a service-task operation in the same transaction."""
from flask_babel import gettext as _
from sqlalchemy import select

from app.common.errors import ValidationFailed
from app.service.service import PROCESS_KEY, check_handler, get_request
from processes.actor import Actor
from processes.models import HumanTask

# A dispatch completes either the normal dispatch task or the escalated one an overdue timer put in its place.
DISPATCH_STEPS = ("dispatch", "escalate")
HANDLING_MAX, RESULT_MAX = 4000, 2000


def actor_for(user) -> Actor:
    try:
        from app.inbox import actor_for as inbox_actor_for
    except ImportError:  # the inbox helper is the single place once it exists; same fields until then
        return Actor(id=user.id, role=user.role_code, rights=frozenset(user.right_codes))
    return inbox_actor_for(user)


def open_steps(db, request_id) -> list[HumanTask]:
    return list(db.scalars(select(HumanTask).where(HumanTask.process_key == PROCESS_KEY,
                                                   HumanTask.business_key == str(request_id),
                                                   HumanTask.completed_at.is_(None)).order_by(HumanTask.id)))


def dispatch(db, *, user, request_id, assignee_id):
    from processes import runtime
    get_request(db, user=user, request_id=request_id)
    check_handler(db, assignee_id)
    open_ids = {t.bpmn_id for t in open_steps(db, request_id)}
    step = next((s for s in DISPATCH_STEPS if s in open_ids), "dispatch")
    return runtime.complete_step(db, key=PROCESS_KEY, business_key=str(request_id), bpmn_id=step,
                                 actor=actor_for(user), data={"assignee_id": assignee_id})


def handle(db, *, user, request_id, handling):
    from processes import runtime
    get_request(db, user=user, request_id=request_id)
    handling = (handling or "").strip()
    if not handling:
        raise ValidationFailed({"handling": [_("Describe what was done.")]})
    if len(handling) > HANDLING_MAX:
        raise ValidationFailed({"handling": [_("At most %(n)s characters.", n=HANDLING_MAX)]})
    return runtime.complete_step(db, key=PROCESS_KEY, business_key=str(request_id), bpmn_id="handle",
                                 actor=actor_for(user), data={"handling": handling})


def feedback(db, *, user, request_id, result, satisfaction):
    from processes import runtime
    get_request(db, user=user, request_id=request_id)
    errors = {}
    result = (result or "").strip()
    if not result:
        errors["result"] = [_("Record what the customer said.")]
    elif len(result) > RESULT_MAX:
        errors["result"] = [_("At most %(n)s characters.", n=RESULT_MAX)]
    if not isinstance(satisfaction, int) or isinstance(satisfaction, bool) or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("Satisfaction is a whole number from 1 to 5.")]
    if errors:
        raise ValidationFailed(errors)
    return runtime.complete_step(db, key=PROCESS_KEY, business_key=str(request_id), bpmn_id="feedback",
                                 actor=actor_for(user), data={"result": result, "satisfaction": satisfaction})
