"""Task forms kept in the browser: the form editor saves a JSON Schema (or UI schema) as a new version of its file
name; the next deployment of a model naming it takes the newest saved version (over the repository folder
forms/). Export gives the file back for git; import saves uploaded files as new versions.
"""
import hashlib
import json
import re

from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select

from app.auth.models import User
from app.common.errors import NotFound, ValidationFailed
from processes import clock
from processes.models import ProcessForm

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,150}\.json$")
MAX_CHARS = 200_000
NOTE_MAX = 2000


def is_ui_schema(doc):
    """A UI schema holds `ui:` hints only; anything else is read as a JSON Schema."""
    return isinstance(doc, dict) and bool(doc) and all(str(k).startswith("ui:") or isinstance(v, dict)
                                                       and all(str(kk).startswith("ui:") for kk in v)
                                                       for k, v in doc.items())


def parse(text, field="content"):
    """The form document of a text; ValidationFailed({field: [why]}) when it is not a usable form."""
    if not text or not text.strip():
        raise ValidationFailed({field: [_("Enter the form as JSON.")]})
    if len(text) > MAX_CHARS:
        raise ValidationFailed({field: [_("The form is too long (at most %(n)s characters).", n=MAX_CHARS)]})
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise ValidationFailed({field: [_("Not valid JSON: %(error)s", error=str(err))]}) from None
    if not isinstance(doc, dict):
        raise ValidationFailed({field: [_("A form is a JSON object.")]})
    if not is_ui_schema(doc):
        try:
            Draft202012Validator.check_schema(doc)
        except SchemaError as err:
            raise ValidationFailed({field: [_("Not a valid JSON Schema: %(error)s", error=err.message)]}) from None
        if doc.get("type", "object") != "object":
            raise ValidationFailed({field: [_("A task form must be an object schema (\"type\": \"object\").")]})
    return doc


def check_name(name, field="name"):
    if not name or not NAME.match(name):
        raise ValidationFailed({field: [_("A form file name is letters, digits, _ . - and ends with .json.")]})
    return name


def _hash(doc):
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def latest(db, name):
    return db.scalar(select(ProcessForm).where(ProcessForm.name == name).order_by(ProcessForm.version.desc())
                     .limit(1))


def save(db, *, name, text, user_id=None, note=None):
    """Save a form as its next version: (row, created); unchanged content is a no-op returning the latest."""
    check_name(name)
    doc = parse(text)
    if note is not None and len(note) > NOTE_MAX:
        raise ValidationFailed({"note": [_("Enter at most %(n)s characters.", n=NOTE_MAX)]})
    current = latest(db, name)
    digest = _hash(doc)
    if current is not None and current.content_hash == digest:
        return current, False
    row = ProcessForm(name=name, version=(current.version + 1) if current else 1, content=doc, content_hash=digest,
                      note=(note or "").strip() or None, saved_by=user_id, saved_at=clock.utcnow())
    db.add(row)
    db.flush()
    return row, True


def saved_forms(db):
    """{name: newest saved content} (what a deployment takes over the repository folder)."""
    newest = select(ProcessForm.name, func.max(ProcessForm.version).label("v")).group_by(ProcessForm.name).subquery()
    rows = db.scalars(select(ProcessForm).join(newest, (ProcessForm.name == newest.c.name)
                                               & (ProcessForm.version == newest.c.v))).all()
    return {r.name: r.content for r in rows}


def versions(db, name):
    return db.execute(select(ProcessForm, User.name).outerjoin(User, User.id == ProcessForm.saved_by)
                      .where(ProcessForm.name == name).order_by(ProcessForm.version.desc())).all()


def document(db, name, folder, version=None):
    """(content, version or None for the repository file): the saved version asked for, else the newest saved one,
    else the repository file; NotFound when there is none."""
    if version is not None:
        row = db.scalar(select(ProcessForm).where(ProcessForm.name == name, ProcessForm.version == version))
        if row is None:
            raise NotFound(_("Form not found"))
        return row.content, row.version
    row = latest(db, name)
    if row is not None:
        return row.content, row.version
    path = folder / name
    if NAME.match(name) and path.is_file():
        return json.loads(path.read_text(encoding="utf-8")), None
    raise NotFound(_("Form not found"))


def catalogue(db, folder):
    """Every form name (repository folder and saved), with its newest saved version if any."""
    names = {p.name for p in folder.glob("*.json")} if folder.is_dir() else set()
    newest = dict(db.execute(select(ProcessForm.name, func.max(ProcessForm.version)).group_by(ProcessForm.name)).all())
    return [{"name": n, "version": newest.get(n), "in_folder": (folder / n).is_file()}
            for n in sorted(names | set(newest))]
