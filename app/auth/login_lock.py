"""The lock after repeated failed sign-ins, per (user name, client address).

An attacker's failures lock the account for the attacker's address only: its owner signs in from anywhere
else, and from the same address once the lock time has passed. Unknown user names are counted like known ones
(same work, same answer). An administrator can lift every lock of a user name (`unlock`)."""
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import LoginFailure


def _key(username, address):
    return (username or "")[:60], (address or "?")[:64]


def _row(db, username, address, *, for_update=False):
    query = select(LoginFailure).where(LoginFailure.username == username, LoginFailure.address == address)
    return db.scalar(query.with_for_update() if for_update else query)


def is_locked(db, *, username, address, now) -> bool:
    username, address = _key(username, address)
    row = _row(db, username, address)
    return bool(row and row.locked_until and row.locked_until > now)


def count_failure(db, *, username, address, now, threshold, minutes):
    """One more failure; the threshold-th within `minutes` locks the pair for `minutes`."""
    username, address = _key(username, address)
    row = _row(db, username, address, for_update=True)
    if row is None:
        try:
            with db.begin_nested():  # a concurrent failure may insert the same pair first
                db.add(LoginFailure(username=username, address=address, failures=0, first_failed_at=now))
        except IntegrityError:
            pass
        row = _row(db, username, address, for_update=True)
    window = timedelta(minutes=minutes)
    if now - row.first_failed_at > window:
        row.failures, row.first_failed_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= threshold:
        row.locked_until = now + window
        row.failures, row.first_failed_at = 0, now


def clear(db, *, username, address):
    username, address = _key(username, address)
    db.execute(delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.address == address))


def unlock(db, *, username) -> int:
    """Lift every lock and failure count of a user name (all addresses); the number of addresses cleared."""
    return db.execute(delete(LoginFailure).where(LoginFailure.username == username)).rowcount or 0


def locked_addresses(db, *, username, now) -> list[str]:
    return list(db.scalars(select(LoginFailure.address).where(LoginFailure.username == username,
                                                              LoginFailure.locked_until > now)))
