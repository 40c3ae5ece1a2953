"""An administrator lifts the sign-in locks of a user (every address) and the throttle on their user name."""
from app.admin.audit import audit
from app.admin.service import get_user
from app.auth import login_lock, throttle
from processes.clock import utcnow


def locked_addresses(db, user) -> list[str]:
    return login_lock.locked_addresses(db, username=user.username, now=utcnow())


def unlock_user(db, *, actor, user_id) -> int:
    """Audited; the number of addresses the user name was locked from (0 when there was no lock)."""
    user = get_user(db, user_id)
    locked = len(locked_addresses(db, user))
    login_lock.unlock(db, username=user.username)
    throttle.forget_user(user.username)
    user.failed_logins, user.locked_until = 0, None
    audit(db, "user", user.id, "unlock", actor, {"locked_addresses": locked})
    db.flush()
    return locked
