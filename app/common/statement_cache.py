"""Statements built once per user and kept for the process: building a SQLAlchemy select with its subqueries costs
more than running it, and every page builds the same few ones (the menu badges, the inbox tab counts).

Kept per app, under a name and the user's id, role and rights, so a user whose role or rights change gets a new
one on the next request. Only for statements that depend on nothing else (no clock, no request arguments)."""
from flask import current_app, has_app_context

# Users kept per name before starting over (a bound, not an eviction policy: the set is rebuilt as users come).
MAX_USERS = 1024
# Services may run outside a request and app (a script, a test calling a service): their statements are kept here.
_WITHOUT_APP = {}


def for_user(name, user, build):
    """build(user) once per (name, user id, role, rights) and app; the kept statement afterwards."""
    store = current_app.extensions if has_app_context() else _WITHOUT_APP
    cache = store.setdefault("statements_for_user", {}).setdefault(name, {})
    key = (user.id, user.role_code, user.right_codes)
    found = cache.get(key)
    if found is None:
        found = build(user)
        if len(cache) >= MAX_USERS:
            cache.clear()
        cache[key] = found
    return found
