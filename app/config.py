"""Configuration read from the environment; every setting has a working embedded default."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # refused at start outside the demo and the tests


def _int(name, default):
    return int(os.environ.get(name, default))


def _flag(name, default="0"):
    return os.environ.get(name, default) == "1"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    DEMO = _flag("CRM_DEMO")  # the demo (scripts/run-demo.sh) may run on the default SECRET_KEY
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'crm.sqlite'}")
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{INSTANCE / 'broker.sqlite'}")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", f"db+sqlite:///{INSTANCE / 'results.sqlite'}")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
    # Answers to repeated page forms and API Idempotency-Keys are kept this long (app/common/idempotency.py).
    IDEMPOTENCY_KEEP_HOURS = _int("IDEMPOTENCY_KEEP_HOURS", 24)
    REMEMBER_DAYS = _int("REMEMBER_DAYS", 14)
    LOCKOUT_THRESHOLD = _int("LOCKOUT_THRESHOLD", 5)
    LOCKOUT_MINUTES = _int("LOCKOUT_MINUTES", 15)  # LOCKOUT_THRESHOLD failures of one user name from one address
    # Flask-Limiter (app/auth/throttle.py): failed sign-ins per client address and per user name; a cluster
    # shares the counts through RATELIMIT_STORAGE_URI (e.g. redis://127.0.0.1:6379/2).
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    LOGIN_LIMIT_PER_USER = os.environ.get("LOGIN_LIMIT_PER_USER", "100 per 15 minutes")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    CHURN_MONTHS = _int("CHURN_MONTHS", 6)
    CHURN_RECHECK_AFTER = os.environ.get("CHURN_RECHECK_AFTER", "P30D")  # ISO-8601 duration after a postponement
    # Service time limits in working days; an ISO-8601 duration in *_LIMIT (e.g. "PT2M") overrides them.
    SERVICE_DISPATCH_DAYS = _int("SERVICE_DISPATCH_DAYS", 1)
    SERVICE_HANDLE_DAYS = _int("SERVICE_HANDLE_DAYS", 3)
    SERVICE_DISPATCH_LIMIT = os.environ.get("SERVICE_DISPATCH_LIMIT") or None
    SERVICE_HANDLE_LIMIT = os.environ.get("SERVICE_HANDLE_LIMIT") or None
    SERVICE_FEEDBACK_DAYS = _int("SERVICE_FEEDBACK_DAYS", 2)  # the call-back after handling
    SERVICE_FEEDBACK_LIMIT = os.environ.get("SERVICE_FEEDBACK_LIMIT") or None
    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ("zh", "en")
    SESSION_COOKIE_HTTPONLY = True
    # Behind TLS: COOKIE_SECURE=1 sends the session and remember-me cookies over HTTPS only; BEHIND_PROXY=<n>
    # trusts the X-Forwarded-For/-Proto/-Host headers of the n proxies in front (client address, https).
    SESSION_COOKIE_SECURE = REMEMBER_COOKIE_SECURE = _flag("COOKIE_SECURE")
    SESSION_COOKIE_SAMESITE = os.environ.get("COOKIE_SAMESITE", "Lax")
    BEHIND_PROXY = _int("BEHIND_PROXY", 0)
    MAX_CONTENT_LENGTH = _int("MAX_REQUEST_MB", 16) * 1024 * 1024  # larger requests answer 413
    WTF_CSRF_TIME_LIMIT = None
    DEPLOY_MODELS_AT_START = os.environ.get("DEPLOY_MODELS_AT_START", "1") == "1"
    # Bounds of every BPMN script and expression, run in child processes (processes.sandbox reads the same
    # environment variables itself: processes/ never imports app/; processes.sandbox.configure() changes them).
    SCRIPT_CPU_SECONDS = float(os.environ.get("SCRIPT_CPU_SECONDS", "1"))
    SCRIPT_MEMORY_MB = _int("SCRIPT_MEMORY_MB", 64)
    SCRIPT_WALL_SECONDS = float(os.environ.get("SCRIPT_WALL_SECONDS", "30"))  # only when the CPU is starved
    SCRIPT_SANDBOX_PROCESSES = _int("SCRIPT_SANDBOX_PROCESSES", 4)  # children per app process, started lazily
    # flask-smorest / OpenAPI
    API_TITLE = "CRM API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
        "info": {"description": "CRM on executable BPMN. Errors are RFC 9457 problem details with a `code`."},
    }
    TESTING = False
