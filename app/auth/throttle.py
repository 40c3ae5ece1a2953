"""Failed sign-ins are throttled per client address and per user name (Flask-Limiter), page and API alike.

Only failures count (answers 401). The limits share one counter between the login page and the API login.
Defaults: 20 failures per 15 minutes from one address (any user names), 100 per 15 minutes for one user name
(from all addresses). The per-user-name limit stays above what one address may send, so a single attacker is
stopped by the address limit long before the user name is: the account's owner, signing in from anywhere else,
is never held up by one attacker. Storage: memory in one process (demo, tests); a cluster sets
RATELIMIT_STORAGE_URI (e.g. redis://host:6379/2) so every node counts together.
"""
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def _failed(response):
    return response.status_code == 401


def posted_username() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    else:
        name = request.form.get("username")
    return name if isinstance(name, str) else ""


_per_address = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], scope="login-address",
                                    deduct_when=_failed, methods=["POST"])
_per_user = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_PER_USER"], scope="login-user",
                                 key_func=lambda: "user:" + posted_username()[:60], deduct_when=_failed,
                                 methods=["POST"])


def throttled(view):
    """Decorator for a login view (place it right under the route decorator)."""
    return _per_address(_per_user(view))


def init_app(app):
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    # A shared storage that goes down must neither fail every login nor stop throttling: count in memory
    # meanwhile (the per-pair lock in the database holds regardless).
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    # The only limits are the login views' decorators, which check in their own wrappers (and deduct after the
    # response); the extension's before_request check would only look for limits no other route has, on every
    # request (about a tenth of a small API call's time).
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def forget_user(username):
    """Clear the failures counted against a user name (an administrator's unlock)."""
    from limits import parse
    limit = parse(current_app.config["LOGIN_LIMIT_PER_USER"])
    limiter.limiter.clear(limit, "user:" + (username or "")[:60], "login-user")
