"""CRM on executable BPMN: the Flask application factory."""
import importlib
import importlib.util
import logging

from flask import Flask, g, request

from app.config import Config
from app.db import db_session, make_engine

# Domain packages; each may have views.py (bp), api.py (blp), cli.py (register(app)), seed.py (seed_demo(db)),
# operations.py (service-task operations registered with processes.services at import).
DOMAINS = ["health", "auth", "admin", "catalog", "customers", "sales", "churn", "service", "reports", "inbox",
           "processes_ui", "api"]

log = logging.getLogger(__name__)


def domain_module(domain, name):
    modname = f"app.{domain}.{name}"
    if importlib.util.find_spec(modname) is None:
        return None
    return importlib.import_module(modname)


def load_process_bindings():
    """Import every domain's process binding and service-task operations: what deploy validation checks a model
    against. create_app does it; a script that deploys without the app (the benchmarks) calls this first."""
    for domain in DOMAINS:
        domain_module(domain, "process")
        domain_module(domain, "operations")


def create_app(config=None):
    from app.models import load_all_models
    load_all_models()
    from app.config import INSTANCE
    app = Flask(__name__, instance_path=str(INSTANCE))
    from app.common.ints import DbIntConverter
    app.url_map.converters["int"] = DbIntConverter  # before any route is added: they bind converters then
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    from app.common import http_security
    http_security.init_app(app)  # first: it refuses to start on the default SECRET_KEY outside demo/tests
    _init_db(app)
    _configure_script_sandbox(app)
    from app.common import input_guard
    input_guard.init_app(app)  # first of the before_request hooks: nothing reads the request before it
    _init_extensions(app)
    _register_domains(app)
    from app.common import idempotency
    idempotency.init_app(app)  # after the extensions' hooks: it places its own around them
    from app import cli
    cli.register(app)
    _register_errors(app)
    from app.common import db_errors; db_errors.init_app(app)  # noqa: E702  outage 503 / SQLite lock 409
    from app.common import request_log; request_log.init_app(app)  # noqa: E702  X-Request-Id, access log line
    _register_template_helpers(app)
    from app.common import messages
    messages.install(app)  # one wording per rule in page forms and API schemas
    if app.config.get("DEPLOY_MODELS_AT_START") and not app.config.get("TESTING"):
        _deploy_models(app)
    return app


def _configure_script_sandbox(app):
    """The Flask config governs the script bounds (processes/ cannot read it: it never imports app/)."""
    from processes import sandbox
    sandbox.configure(cpu_seconds=app.config["SCRIPT_CPU_SECONDS"], memory_mb=app.config["SCRIPT_MEMORY_MB"],
                      wall_seconds=app.config["SCRIPT_WALL_SECONDS"],
                      processes=app.config["SCRIPT_SANDBOX_PROCESSES"])


def _init_db(app):
    engine = app.extensions.get("db_engine") or make_engine(app.config["DATABASE_URL"])
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        from pathlib import Path
        Path(app.config["DATABASE_URL"][len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    app.extensions["db_engine"] = engine
    db_session.configure(bind=app.config.get("DB_BIND") or engine)

    @app.teardown_appcontext
    def _remove_session(_exc=None):
        from sqlalchemy.exc import DBAPIError
        try:
            db_session.remove()
        except DBAPIError as err:
            # The answer is decided by now (what it saved is committed): a database that went away just after must
            # not turn it into a 500. Ending the session is all that failed; SQLAlchemy dropped the dead connection.
            db_session.registry.clear()
            log.warning("ending the request's database session failed: %s",
                        str(getattr(err, "orig", err)).strip().splitlines()[0])


def _init_extensions(app):
    from app import i18n
    from app.api import api
    from app.auth.guard import enforce_access, load_user_from_request
    from app.extensions import babel, csrf, login_manager

    i18n.compile_catalogs()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(i18n.translation_dirs())
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    app.before_request(i18n.use_package_domain)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.request_loader(load_user_from_request)
    app.before_request(enforce_access)
    api.init_app(app)


def _register_domains(app):
    from app.api import api
    from app.extensions import csrf
    for domain in DOMAINS:
        views = domain_module(domain, "views")
        if views is not None and hasattr(views, "bp"):
            app.register_blueprint(views.bp)
        api_mod = domain_module(domain, "api")
        if api_mod is not None and hasattr(api_mod, "blp"):
            csrf.exempt(api_mod.blp)  # bearer-token API: no cookies, no CSRF
            api.register_blueprint(api_mod.blp)
        domain_module(domain, "operations")
        cli = domain_module(domain, "cli")
        if cli is not None:
            cli.register(app)


def _register_errors(app):
    from flask import render_template
    from flask_babel import gettext as _
    from app.common.errors import ServiceError
    from app.common.responses import problem
    from processes.errors import EngineError

    def _is_api():
        return request.path.startswith("/api/")

    @app.errorhandler(ServiceError)
    @app.errorhandler(EngineError)
    def _service_error(exc):
        db_session.rollback()
        if _is_api():
            return problem(exc.status, exc.code, exc.detail, **exc.extra)
        return render_template("error.html", status=exc.status, message=exc.detail), exc.status

    @app.errorhandler(404)
    def _not_found(exc):
        if _is_api():
            return problem(404, "not_found", "Not found")
        return render_template("error.html", status=404, message=_("Page not found.")), 404

    @app.errorhandler(500)
    def _server_error(exc):
        db_session.rollback()
        log.exception("unhandled error", exc_info=getattr(exc, "original_exception", exc))
        if _is_api():
            return problem(500, "internal_error", "Internal error")
        return render_template("error.html", status=500, message=_("Something went wrong; nothing was saved.")), 500

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return render_template("error.html", status=400,
                               message=_("The form expired; go back, reload and try again.")), 400


def _register_template_helpers(app):
    from app.common import ui
    ui.init_app(app)


def _deploy_models(app):
    """Deploy changed BPMN models at start (a no-op when nothing changed)."""
    try:
        deploy = importlib.import_module("processes.definitions").deploy_directory
    except (ImportError, AttributeError):
        return
    from app.config import ROOT
    from sqlalchemy import inspect
    with app.app_context():
        if not inspect(db_session.get_bind()).has_table("process_definition"):
            return
        try:
            deploy(db_session, ROOT / "bpmn-models", ROOT / "forms")
            db_session.commit()
        except Exception:  # a broken model must not keep the app down; it is reported and fixed in the editor
            db_session.rollback()
            log.exception("deploying the repository's BPMN models failed")
