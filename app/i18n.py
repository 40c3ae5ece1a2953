"""Chinese by default, English on request. Each domain package may ship its own catalog under
<package>/translations; catalogs are compiled at start when the .po is newer than the .mo."""
from pathlib import Path

from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, has_request_context, request, session
from flask_babel import Domain, get_locale

APP_DIR = Path(__file__).resolve().parent


def translation_dirs():
    return sorted(str(p) for p in APP_DIR.glob("**/translations") if p.is_dir())


def compile_catalogs():
    for po in APP_DIR.glob("**/translations/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog)


def select_locale():
    from flask import current_app
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    langs = current_app.config["LANGUAGES"]
    chosen = session.get("lang") or request.cookies.get("lang")
    if chosen in langs:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


class PackageFirstDomain(Domain):
    """Merges every catalog, in an order that fits the page: other packages, then the package serving the request
    (so "Result" reads 执行效果 on sales pages and 处理结果 on service pages), then the shared catalog, which wins
    everywhere (menu and shell texts never change from page to page)."""

    def get_translations(self):
        if not has_request_context():
            return support.NullTranslations()
        # A page translates about 150 strings: resolve the merged catalog once per request (and locale, which
        # flask_babel.refresh() may change mid-request), not once per string. The catalog is held on flask_babel's
        # own request state (g._flask_babel, where get_locale() keeps the locale and refresh() deletes it): one
        # context-local look-up per string instead of the four get_locale() makes.
        state = g.get("_flask_babel")
        held = getattr(state, "crm_translations", None)
        if held is not None and held[0] is getattr(state, "babel_locale", None):
            return held[1]
        locale = get_locale()
        package = _request_package()
        key = (str(locale), package)
        if key not in self.cache:
            shared = str(APP_DIR / "translations")
            own = str(APP_DIR / package / "translations") if package else None
            dirs = translation_dirs()
            ordered = [d for d in dirs if d not in (shared, own)] + [d for d in (own, shared) if d in dirs]
            merged = support.Translations()
            for dirname in ordered:
                merged.merge(support.Translations.load(dirname, [locale], "messages"))
            self.cache[key] = merged
        state = g.get("_flask_babel")  # made by get_locale()
        if state is not None:
            state.crm_translations = (locale, self.cache[key])
        return self.cache[key]


def _request_package():
    from flask import current_app
    bp = current_app.blueprints.get(request.blueprint or "")
    parts = (bp.import_name if bp else "").split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "app" else None


PACKAGE_DOMAIN = PackageFirstDomain()


def use_package_domain():
    """before_request: route gettext through PackageFirstDomain."""
    PACKAGE_DOMAIN.as_default()


def install_template_gettext(app):
    """Templates translate through the request's merged catalog directly. flask_babel's own template callables
    look the domain, the babel context and the locale up again for every string, about a hundred times a page;
    PACKAGE_DOMAIN is the domain they would find (use_package_domain), so the words are the same."""
    catalog = PACKAGE_DOMAIN.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
        newstyle=True)
