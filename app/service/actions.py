"""The domain actions of a service request: each completes the open user task of its step in the request's
`customer_service` process (processes.api.complete_step). The process decides what may happen next: an action the
process is not at answers 409 (WrongStep) with the steps it waits at; the status change itself runs as a
service-task operation in the same transaction. Each returns (request, instance): the request as the step left it
and the instance with its open steps, so the caller answers without reading either back."""
from flask_babel import gettext as _

from app.common.errors import ValidationFailed
from app.inbox import actor_for
from app.service.process import DISPATCH_STEPS, FEEDBACK_STEP, HANDLE_STEP, KEY, get_request
from app.service.service import check_handler
from processes import api as engine

HANDLING_MAX, RESULT_MAX = 4000, 2000


def dispatch(db, *, user, request_id, assignee_id):
    sr = get_request(db, user=user, request_id=request_id)
    check_handler(db, assignee_id)  # here for the field's name; the operation checks again under the lock
    # The dispatch or, once it ran late, its escalated copy: whichever is open, decided under the lock.
    return sr, engine.complete_step(db, key=KEY, business_key=str(request_id), bpmn_id=DISPATCH_STEPS,
                                    actor=actor_for(user), data={"assignee_id": assignee_id})


def handle(db, *, user, request_id, handling):
    sr = get_request(db, user=user, request_id=request_id)
    handling = (handling or "").strip()
    if not handling:
        raise ValidationFailed({"handling": [_("Describe what was done.")]})
    if len(handling) > HANDLING_MAX:
        raise ValidationFailed({"handling": [_("At most %(n)s characters.", n=HANDLING_MAX)]})
    return sr, engine.complete_step(db, key=KEY, business_key=str(request_id), bpmn_id=HANDLE_STEP,
                                    actor=actor_for(user), data={"handling": handling})


def feedback(db, *, user, request_id, result, satisfaction):
    sr = get_request(db, user=user, request_id=request_id)
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
    return sr, engine.complete_step(db, key=KEY, business_key=str(request_id), bpmn_id=FEEDBACK_STEP,
                                    actor=actor_for(user), data={"result": result, "satisfaction": satisfaction})
