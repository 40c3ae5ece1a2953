"""Login rules (SPEC §2): lockout, legacy hash upgrade, one live session per user, idle expiry, remember-me."""
import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.auth import login_lock, passwords
from app.auth.models import RememberToken, Role, User, UserSession, role_right
from app.common import reference_cache
from app.common.models import ReferenceGeneration
from processes.clock import utcnow


class AuthError(Exception):
    """code: invalid_credentials (unknown user, wrong password or locked: one answer) | disabled"""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class SessionEnded(Exception):
    """reason: superseded (signed in elsewhere) | idle | logout | password | disabled | unknown"""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# An argon2 hash of a random secret: an unknown user name costs one verification, like a known one.
_DUMMY_HASH = passwords.hash_password(secrets.token_urlsafe(16))


def authenticate(db, *, username, password, address, lockout_threshold, lockout_minutes):
    """The user, or AuthError. Unknown user, wrong password and a locked (user name, address) pair do the same
    work (one argon2 verification) and raise the same "invalid_credentials"; "disabled" is said only to whoever
    knows the password."""
    user = db.scalar(select(User).where(User.username == username))
    now = utcnow()
    locked = login_lock.is_locked(db, username=username, address=address, now=now)
    stored = user.password_hash if user is not None else _DUMMY_HASH
    matches = passwords.verify(stored, password)
    if passwords.is_legacy(stored):
        passwords.verify(_DUMMY_HASH, password)  # an MD5 check is instant: pay the argon2 cost all the same
    if locked or user is None or not matches:
        if not locked:
            login_lock.count_failure(db, username=username, address=address, now=now,
                                     threshold=lockout_threshold, minutes=lockout_minutes)
        raise AuthError("invalid_credentials")
    if not user.active:
        raise AuthError("disabled")
    login_lock.clear(db, username=username, address=address)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def open_session(db, user, *, kind, remote_addr=None, via_remember=False) -> str:
    """Start the user's only live session: every older one (browser or API) ends as 'superseded'.

    A fresh login also revokes remember-me tokens of other devices; re-entry through a remember-me token
    keeps that token (it is the device the user chose to stay signed in on)."""
    now = utcnow()
    end_sessions(db, user.id, reason="superseded")
    if not via_remember:
        revoke_remember_tokens(db, user.id)
    raw = secrets.token_urlsafe(32)
    db.add(UserSession(token_hash=_digest(raw), user_id=user.id, kind=kind, created_at=now, last_seen_at=now,
                       remote_addr=remote_addr))
    return raw


def end_sessions(db, user_id, *, reason):
    db.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
               .values(ended_at=utcnow(), end_reason=reason))


# Built once: a form's x-users field and an assignment check one user on every submission.
_ACTIVE_MEMBER = (select(User.id).join(Role, User.role_id == Role.id)
                  .where(User.id == bindparam("user_id"), Role.code == bindparam("role_code"), User.active.is_(True))
                  .execution_options(prepare=True))


_ACTIVE_MEMBERS = (select(User.id, User.name).join(Role, User.role_id == Role.id)
                   .where(Role.code == bindparam("role_code"), User.active.is_(True)).order_by(User.name)
                   .execution_options(prepare=True))


def active_members(db, role_code) -> tuple:
    """(id, name) rows of the role's active users by name: what a choice of people offers (a task form's x-users,
    a customer's manager); a page reads them from the process's copy while no user changed
    (app.common.reference_cache)."""
    return reference_cache.kept(("active_members", role_code),
                                lambda: tuple(db.execute(_ACTIVE_MEMBERS, {"role_code": role_code})))


_MEMBERS_SEEN = "auth.active_members_seen"


def is_active_member(db, role_code, user_id) -> bool:
    """Whether `user_id` names an active user of the role (one row by key; no ORM object is made).

    A yes is remembered until the session next writes, commits or rolls back: a task form's `x-users` check and the
    operation that assigns the same user then read the row once per step, not twice."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return False
    seen = db.info.setdefault(_MEMBERS_SEEN, set())
    if (role_code, user_id) in seen:
        return True
    found = db.execute(_ACTIVE_MEMBER, {"user_id": user_id, "role_code": role_code}).first() is not None
    if found:
        seen.add((role_code, user_id))
    return found


def _forget_members(session, *_args):
    session.info.pop(_MEMBERS_SEEN, None)


def _forget_members_on_write(state):
    if not state.is_select:  # an UPDATE/INSERT/DELETE sent through the session (no flush event for those)
        state.session.info.pop(_MEMBERS_SEEN, None)


for _event in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _event, _forget_members)
event.listen(Session, "do_orm_execute", _forget_members_on_write)


@functools.cache
def _session_query():
    """Built once: every request runs it, and building the statement costs as much as running it."""
    right_codes = (select(func.aggregate_strings(role_right.c.right_code, ","))
                   .where(role_right.c.role_id == User.role_id).scalar_subquery())
    generation = select(ReferenceGeneration.generation).scalar_subquery()  # a one-row table (migration 0018)
    return (select(UserSession, User, right_codes, generation).join(User, User.id == UserSession.user_id)
            .options(joinedload(User.role).lazyload(Role.rights))  # the codes above are the rights
            .where(UserSession.token_hash == bindparam("token_hash"))
            .execution_options(prepare=True))  # planned once per connection (app.db_prepared)


def resolve_session(db, raw, *, idle_minutes, touch_after_seconds=60):
    """(session row, user, reference generation): the live session `raw` names and its user, read in one statement
    with the user's role and right codes and the reference data's generation (app.common.reference_cache): every
    request pays for this, so it is one round trip. Changes the session row only when it ends it or moves its idle
    clock, which happens at most once a minute: the caller commits only then."""
    found = db.execute(_session_query(), {"token_hash": _digest(raw)}).first()
    if found is None:
        raise SessionEnded("unknown")
    row, user, codes, generation = found
    if row.ended_at is not None:
        raise SessionEnded(row.end_reason or "unknown")
    now = utcnow()
    if now - row.last_seen_at > timedelta(minutes=idle_minutes):
        row.ended_at, row.end_reason = now, "idle"
        raise SessionEnded("idle")
    if not user.active:
        row.ended_at, row.end_reason = now, "disabled"
        raise SessionEnded("disabled")
    user.use_right_codes(codes.split(",") if codes else ())
    # Touch at most once a minute: idle expiry needs no write per request.
    if (now - row.last_seen_at).total_seconds() > touch_after_seconds:
        row.last_seen_at = now
    return row, user, generation


def logout(db, raw_session=None, remember_cookie=None):
    """Sign out everywhere the user who holds these cookies: every session and remember-me token ends.

    A session that was superseded still names its user: the owner's logout must end the session that replaced
    it (a replayed remember-me cookie opens exactly such a session). An idle, logged-out or revoked session
    row names nobody any more."""
    user_ids = set()
    if raw_session:
        row = db.scalar(select(UserSession).where(UserSession.token_hash == _digest(raw_session)))
        if row is not None and (row.ended_at is None or row.end_reason == "superseded"):
            user_ids.add(row.user_id)
    token = _remember_row(db, remember_cookie)
    if token is not None:
        user_ids.add(token.user_id)
    for user_id in user_ids:
        end_sessions(db, user_id, reason="logout")
        revoke_remember_tokens(db, user_id)


def issue_remember_token(db, user, *, days=None, expires_at=None) -> str:
    selector, validator = secrets.token_hex(12), secrets.token_urlsafe(32)
    now = utcnow()
    db.add(RememberToken(selector=selector, validator_hash=_digest(validator), user_id=user.id, created_at=now,
                         expires_at=expires_at or now + timedelta(days=days)))
    return f"{selector}:{validator}"


def _remember_row(db, cookie):
    """The token row the cookie names, only when its secret half matches (a guessed selector finds nothing)."""
    selector, _, validator = (cookie or "").partition(":")
    if not selector or not validator:
        return None
    row = db.scalar(select(RememberToken).where(RememberToken.selector == selector))
    if row is None or not secrets.compare_digest(row.validator_hash, _digest(validator)):
        return None
    return row


def use_remember_token(db, cookie, *, reuse_grace_seconds=10, sign_in=True):
    """Sign in again with a remember-me cookie: (user, replacement cookie, its expiry) or None.

    Every use retires the token and issues a new one (same expiry). A retired token presented again means the
    cookie was copied: the thief or the owner, whoever comes second, proves it, and all the user's tokens and
    sessions are revoked. Within a few seconds of the rotation a reuse is a browser sending two requests with
    the old cookie at once: refused without the alarm. With sign_in=False (the browser's session was superseded
    by another login, which it must not undo) the token is only checked for that reuse."""
    row = _remember_row(db, cookie)
    if row is None:
        return None
    now = utcnow()
    if row.rotated_at is not None:
        if (now - row.rotated_at).total_seconds() > reuse_grace_seconds:
            end_sessions(db, row.user_id, reason="stolen_cookie")
            revoke_remember_tokens(db, row.user_id)
        return None
    if not sign_in or row.revoked_at or row.expires_at < now:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.rotated_at = row.revoked_at = now
    return user, issue_remember_token(db, user, expires_at=row.expires_at), row.expires_at


def revoke_remember_tokens(db, user_id):
    db.execute(update(RememberToken).where(RememberToken.user_id == user_id, RememberToken.revoked_at.is_(None))
               .values(revoked_at=utcnow()))


def change_password(db, user, *, new_password):
    """A password change ends every session and remember-me token of the user."""
    user.password_hash = passwords.hash_password(new_password)
    end_sessions(db, user.id, reason="password")
    revoke_remember_tokens(db, user.id)


def create_user(db, *, username, name, password, role_code, active=True):
    role = db.scalar(select(Role).where(Role.code == role_code))
    user = User(username=username, name=name, password_hash=passwords.hash_password(password), role=role,
                active=active, failed_logins=0, created_at=utcnow())
    db.add(user)
    db.flush()
    return user
