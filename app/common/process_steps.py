"""Where a record's process waits, in words: "主管复核, 销售主管" (the step, then who holds it: the assigned or claiming
user's name, else the lane's role). Domain pages say it when an action is refused because the process is elsewhere
(WrongStep's current_steps) and show it as the record's current step, whatever step an analyst added."""
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Role, User
from app.common.ui import model_text


def role_label(db, code):
    """A built-in role's name in the user's language; a role an administrator made keeps its stored name (plain
    text, never translated)."""
    from app.auth.rights_catalog import ROLES
    if not code:
        return ""
    if code in ROLES:
        return str(ROLES[code][0])
    return db.scalar(select(Role.name).where(Role.code == code)) or code


def _get(step, name):
    return step.get(name) if isinstance(step, dict) else getattr(step, name, None)


def holders(db, steps) -> list[str]:
    """Per step: its name (translated model text) and who holds it."""
    user_ids = {_get(s, "assignee_id") or _get(s, "claimed_by") for s in steps} - {None}
    names = dict(db.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    out = []
    for step in steps:
        holder = names.get(_get(step, "assignee_id") or _get(step, "claimed_by")) or role_label(db, _get(step, "role"))
        name = model_text(_get(step, "name") or _get(step, "bpmn_id") or "")
        out.append(f"{name}, {holder}" if holder else name)
    return out


def where_it_waits(db, steps) -> str:
    """The sentence a refused page action shows: "The process is waiting at 主管复核, 销售主管." """
    if not steps:
        return _("The process is not waiting for anyone: it has ended.")
    return _("The process is waiting at %(steps)s.", steps="; ".join(holders(db, steps)))
