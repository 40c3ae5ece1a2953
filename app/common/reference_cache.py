"""Reference data kept per process between requests, good while the database's reference generation stays the same.

Every page reads the same few reference rows: the dictionary's regions and levels, the deployed processes' names,
the customer managers. They change rarely, but when they do, the next request must show the change, whichever
process of whichever node serves it. So the copies here are checked against `reference_generation.generation`,
which triggers (migration 0018) replace by a new random number in every statement that writes one of those tables,
in the writer's own transaction; the sign-in statement reads it on every request (app.auth.service.resolve_session),
so the check costs no round trip.

Only GET and HEAD requests use the copies: they do not write reference data, so what they see is what the
generation they read names. A request that may have written (a form post, an API change) reads the database, as
does work outside a request (the scheduler, a script). A request that read the generation sees later commits too
(PostgreSQL's read committed): a copy it makes is never older than the generation it is kept under."""
from flask import current_app, g, has_request_context, request

_SAFE_METHODS = ("GET", "HEAD")
# Kinds of copies kept per app before starting over (a bound, not an eviction policy).
MAX_KEPT = 256


def note_generation(generation):
    """The sign-in read the generation: copies kept under it serve this request."""
    g.reference_generation = generation


def _usable_generation():
    if not has_request_context() or request.method not in _SAFE_METHODS:
        return None
    return g.get("reference_generation")


def kept(key, read):
    """read() once per generation and app (`key` names what it reads, with its arguments); outside a GET request
    that signed in, read() every time. The value must not hold ORM objects: it outlives the session."""
    generation = _usable_generation()
    if generation is None:
        return read()
    copies = current_app.extensions.setdefault("reference_copies", {})
    found = copies.get(key)
    if found is not None and found[0] == generation:
        return found[1]
    value = read()
    if len(copies) >= MAX_KEPT:
        copies.clear()
    copies[key] = (generation, value)
    return value
