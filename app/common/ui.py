"""Template globals: the menu built from the user's rights, time shown in the company time zone, labels."""
import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.common import statement_cache
from app.common.row_urls import row_url
from app.config import Config
from app.i18n import PACKAGE_DOMAIN
from app.db import db_session

# Lists and badges count up to this many (a badge shows "99+" beyond 99), like the inbox.
BADGE_LIMIT = 100
_BADGES = {}


def register_badge(endpoint, right, statement):
    """A menu entry's badge: how many rows `statement(user)` (a select of a worklist) has for a user holding
    `right`. Domains register their worklists, so a list and its badge count the same query. The statement may
    depend on the user's id, role and rights only: it is built once per user and process (see badge_counts)."""
    _BADGES[endpoint] = (right, statement)


def badge_counts(db, user) -> dict:
    """{endpoint: count} for every badge the user's rights show, in one statement: one scalar subquery per badge,
    each counting its worklist up to BADGE_LIMIT rows (so a badge costs what its first rows cost)."""
    # Built once per user (app.common.statement_cache): every page draws the menu.
    endpoints, statement = statement_cache.for_user("badges", user, _badge_statement)
    if not endpoints:
        return {}
    row = db.execute(statement).one()
    return {endpoint: count or 0 for endpoint, count in zip(endpoints, row)}


def _badge_statement(user):
    """(endpoints, the one select counting them) for this user."""
    wanted = [(endpoint, statement) for endpoint, (right, statement) in _BADGES.items()
              if user.can(right) and endpoint in current_app.view_functions]
    columns = [select(func.count()).select_from(statement(user).order_by(None).limit(BADGE_LIMIT).subquery())
               .scalar_subquery().label(f"b{i}") for i, (_endpoint, statement) in enumerate(wanted)]
    # Prepared (app.db_prepared): planning this statement cost more than running it.
    statement = select(*columns).execution_options(prepare=True) if columns else None
    return [endpoint for endpoint, _statement in wanted], statement


def _menu_catalog():
    """[(menu label, [(right, entry label, endpoint, url)])] of the app in the request's language: the same for
    every user, so the url_for and translation work is done once per app, script root and language."""
    from flask import request
    from flask_babel import get_locale
    from app.auth.rights_catalog import MENUS, RIGHTS
    cache = current_app.extensions.setdefault("menu_catalog", {})
    key = (request.script_root, str(get_locale()))
    catalog = cache.get(key)
    if catalog is None:
        catalog = []
        for code, label in MENUS:
            entries = [(r, str(lbl), endpoint, url_for(endpoint)) for r, m, lbl, endpoint in RIGHTS
                       if m == code and endpoint and endpoint in current_app.view_functions]
            if entries:
                catalog.append((code, str(label), entries))
        cache[key] = catalog
    return catalog


def build_menu(user):
    if not getattr(user, "is_authenticated", False):
        return []
    rights = user.right_codes
    menu = []
    for code, label, entries in _menu_catalog():
        mine = [{"label": lbl, "url": url, "endpoint": ep} for r, lbl, ep, url in entries if r in rights]
        if mine:
            menu.append({"code": code, "label": label, "entries": mine})
    return menu


# Where each kind of user starts, judged from rights (not role codes, so a custom role lands sensibly too): the
# first right the user holds wins. Administrators start on the users, analysts on the models, whoever works tasks
# on the inbox, readers such as executives on the dashboards.
LANDING = [
    ("user.manage", "admin.list_users"),
    ("process.deploy", "processes_ui.list_definitions"),
    ("task.view", "inbox.index"),
    ("dashboard.view", "reports.dashboards"),
]


def home_url(user):
    """Where a signed-in user lands (LANDING), else the first page of their menu."""
    if not getattr(user, "is_authenticated", False):
        return url_for("auth.login")
    rights = user.right_codes
    for right, endpoint in LANDING:
        if right in rights and endpoint in current_app.view_functions:
            return url_for(endpoint)
    for group in build_menu(user):
        if group["entries"]:
            return group["entries"][0]["url"]
    return url_for("auth.change_password")


def local_time(value, fmt="%Y-%m-%d %H:%M"):
    if value is None:
        return ""
    if isinstance(value, datetime):
        tz = ZoneInfo(current_app.config["TIMEZONE"])  # ZoneInfo keeps its instances: no file read per call
        return value.replace(tzinfo=timezone.utc).astimezone(tz).strftime(fmt)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def local_day(value):
    """The calendar day of a stored (naive UTC) moment in the company time zone (services also run outside a
    request, e.g. the demo seed: then the configured default)."""
    tz = ZoneInfo(current_app.config["TIMEZONE"] if has_app_context() else Config.TIMEZONE)
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()


def history_value(value):
    """A value of task data as the history shows it: nothing as a dash, yes/no in words, timestamps in the company
    time zone, nested values as compact JSON (not Python's repr)."""
    from flask_babel import gettext
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        return local_time(moment)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def model_text(text):
    """A text written in the models (BPMN names and documentation, form titles), in Chinese: the English UI reads
    it from app/translations/en (scripts/po_from_dict.py . FILE en); tests/test_i18n_csrf.py checks it is there.

    Only texts of the deployed models come here, never names people type (roles, users, dictionary items: those
    show as stored). The result is a plain str, so the page escapes it; the template `_()` must not be used instead,
    as it returns Markup and formats the text with %.

    Straight through the request's merged catalog (app.i18n.PACKAGE_DOMAIN, the domain flask_babel's gettext would
    find): a list shows a step and a process name per row, and flask_babel's look-up of the domain and its wrapper
    cost more than the translation itself."""
    return str(PACKAGE_DOMAIN.get_translations().ugettext(text)) if text else text


def init_app(app):
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["model_text"] = model_text
    app.jinja_env.filters["history_value"] = history_value
    app.jinja_env.globals["row_url"] = row_url

    @app.context_processor
    def _globals():
        from flask import g
        from flask_babel import get_locale
        # Once per request however many templates it renders: the menu and all its badges (one statement).
        menu = g.get("_menu")
        if menu is None:
            counts = badge_counts(db_session, current_user) if current_user.is_authenticated else {}
            menu = g._menu = (build_menu(current_user), counts)
        return {"menu": menu[0], "menu_counts": menu[1], "get_locale": get_locale}
