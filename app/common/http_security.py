"""HTTP hardening in one place: the start-up refusal of the default secret key, trust in a TLS proxy's headers,
security headers on every response (pages, API, static files) and the answer to an oversized request.

The Content-Security-Policy allows scripts only from this site plus the inline ones a template marks with this
request's nonce (`<script nonce="{{ csp_nonce() }}">`, or `|with_csp_nonce` on the script markup bokeh
generates); inline event handlers and `javascript:` URLs are refused, so the pages use none. Styles keep
'unsafe-inline': bpmn-js and bokeh set style attributes from script, and a style cannot run code.
"""
import re
import secrets

from flask import g, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import DEFAULT_SECRET_KEY

_SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\bnonce=)", re.IGNORECASE)


def csp_nonce() -> str:
    """This request's nonce (one per request, unguessable)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def with_csp_nonce(markup) -> Markup:
    """Trusted, server-generated script markup (bokeh's `components()`) with this request's nonce on each tag."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(markup or "")))


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _too_large(_exc):
    from flask_babel import gettext as _
    from app.common.responses import problem

    limit_mb = max(1, (request.max_content_length or 0) // (1024 * 1024))
    message = _("The request is too large (at most %(mb)s MB).", mb=limit_mb)
    if request.path.startswith("/api/"):
        return problem(413, "too_large", message)
    return render_template("error.html", status=413, message=message), 413


def refuse_default_secret(app):
    """Outside the demo and the tests, anyone knowing the published default key could forge sessions."""
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (
            app.config.get("DEMO") or app.config.get("TESTING") or app.debug):
        raise RuntimeError(
            "SECRET_KEY is the published default: set SECRET_KEY to a long random value "
            "(python3 -c 'import secrets; print(secrets.token_hex(32))'), or run the demo with CRM_DEMO=1 "
            "(scripts/run-demo.sh does).")


def init_app(app):
    refuse_default_secret(app)
    hops = int(app.config.get("BEHIND_PROXY") or 0)
    if hops:
        # Client address, scheme and host from the proxy's X-Forwarded-* headers: only when a proxy sets them,
        # otherwise a client could claim any address (and dodge the per-address login throttle).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(_set_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_csp_nonce"] = with_csp_nonce
