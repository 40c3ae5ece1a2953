"""Chinese by default, English on request. Each domain package may ship its own catalog under
<package>/translations; catalogs are compiled at start when the .po is newer than the .mo."""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request, session

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
    from flask import current_app, has_request_context
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    langs = current_app.config["LANGUAGES"]
    chosen = session.get("lang") or request.cookies.get("lang")
    if chosen in langs:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]
