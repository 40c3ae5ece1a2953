"""Deployed definitions: parse and validate BPMN + forms, store versioned rows, cache the parsed specs.

A definition row is immutable: key, version, content hash, BPMN XML and the forms it references. New instances
start on the latest version; running ones stay on theirs. Parsing costs ~1 ms per file, so each version is parsed
once per process and its spec objects are shared by every instance load.
"""
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from sqlalchemy import func, select
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from processes import clock
from processes.errors import DefinitionInvalid, DefinitionNotFound
from processes.models import ProcessDefinition, ProcessEvent
from processes.scripting import ScriptRejected, check_source

# SpiffWorkflow names its own start/end task specs like this; a BPMN element with such an id breaks the spec.
RESERVED_IDS = {"Start", "End", "Root"}
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")


@dataclass(frozen=True)
class ParsedModel:
    key: str
    name: str
    spec: object
    subprocess_specs: dict
    forms: dict  # file name -> parsed JSON (schemas and UI schemas the model references)


def _properties(task_spec):
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def _code_sources(spec):
    """(bpmn_id, what, source, is_expression) for everything the model will evaluate at run time."""
    for ts in spec.task_specs.values():
        bid = ts.bpmn_id or ts.name
        if getattr(ts, "script", None):
            yield bid, "script", ts.script, False
        for attr in ("prescript", "postscript"):
            if getattr(ts, attr, None):
                yield bid, attr, getattr(ts, attr), False
        for cond, _target in getattr(ts, "cond_task_specs", []) or []:
            if cond is not None and getattr(cond, "args", None):
                yield bid, "condition", cond.args[0], True
        event = getattr(ts, "event_definition", None)
        if isinstance(event, TimerEventDefinition):
            yield bid, "timer", event.expression, True
        for name, param in (getattr(ts, "operation_params", None) or {}).items():
            yield bid, f"parameter {name}", param["value"], True
        if _properties(ts).get("assignee"):
            yield bid, "assignee", _properties(ts)["assignee"], True


def _load_forms(spec, subprocess_specs, forms_dir, forms):
    found, errors = {}, []
    for s in [spec, *subprocess_specs.values()]:
        for ts in s.task_specs.values():
            for prop in FORM_PROPERTIES:
                fname = _properties(ts).get(prop)
                if not fname or fname in found:
                    continue
                if forms is not None and fname in forms:
                    content = forms[fname]
                elif forms_dir is not None and (Path(forms_dir) / fname).is_file():
                    content = (Path(forms_dir) / fname).read_text(encoding="utf-8")
                else:
                    errors.append(f"{ts.bpmn_id}: form '{fname}' not found")
                    continue
                try:
                    doc = json.loads(content) if isinstance(content, (str, bytes)) else content
                    if prop == "formJsonSchemaFilename":
                        Draft202012Validator.check_schema(doc)
                        if doc.get("type", "object") != "object":
                            raise SchemaError("a task form must be an object schema")
                except (ValueError, SchemaError) as err:
                    errors.append(f"{ts.bpmn_id}: form '{fname}' is invalid: {getattr(err, 'message', err)}")
                    continue
                found[fname] = doc
    return found, errors


def parse_model(xml, *, key=None, forms_dir=None, forms=None, filename=None, strict=True) -> ParsedModel:
    """Parse, XSD-validate and check a model; raises DefinitionInvalid listing every problem found.

    Stored rows are re-parsed with strict=False: they were checked when deployed, and a rule made stricter
    later must stop the offending step at run time (error state), not make running instances unloadable."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        reserved = sorted(set(etree.fromstring(data).xpath("//@id")) & RESERVED_IDS)
        if reserved:
            raise DefinitionInvalid(f"element id {', '.join(reserved)} is reserved by the engine; rename it",
                                    errors=[f"element id '{r}' is reserved" for r in reserved])
        parser.add_bpmn_str(data, filename=filename)
        ids = parser.get_process_ids()
        if key is None:
            stem = Path(filename).stem if filename else None
            key = stem if stem in ids else (ids[0] if len(ids) == 1 else None)
        if key not in ids:
            raise DefinitionInvalid(f"the model must hold one executable process (found {ids or 'none'}"
                                    f"{'; expected ' + key if key else ''})", errors=[])
        spec = parser.get_spec(key)
        subs = parser.get_subprocess_specs(key)
    except (ValidationException, etree.XMLSyntaxError) as err:
        raise DefinitionInvalid(f"invalid BPMN: {err}", errors=[str(err)]) from None
    except DefinitionInvalid:
        raise
    except Exception as err:  # the parser raises assorted errors on odd models; report them, never crash
        raise DefinitionInvalid(f"invalid BPMN: {err}", errors=[str(err)]) from None
    errors = []
    for s in [spec, *subs.values()]:
        for ts in s.task_specs.values():
            if isinstance(ts, UserTask) and not getattr(ts, "lane", None):
                errors.append(f"{ts.bpmn_id}: a user task must sit in a lane named by a role code")
        for bid, what, source, is_expr in (_code_sources(s) if strict else ()):
            try:
                check_source(source, expression=is_expr)
            except ScriptRejected as err:
                errors.append(f"{bid} ({what}): {err}")
    found, form_errors = _load_forms(spec, subs, forms_dir, forms)
    if strict:
        errors += form_errors
    if errors:
        raise DefinitionInvalid("; ".join(errors), errors=errors)
    return ParsedModel(key=key, name=spec.description or key, spec=spec, subprocess_specs=subs, forms=found)


def content_hash(xml, forms) -> str:
    h = hashlib.sha256(xml.encode("utf-8") if isinstance(xml, str) else xml)
    h.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def latest_definition(db, key):
    return db.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                     .order_by(ProcessDefinition.version.desc()).limit(1))


def deploy_model(db, xml, *, key=None, forms_dir=None, forms=None, filename=None, user_id=None):
    """Deploy one model; returns (definition, created). Unchanged content is a no-op returning the latest row."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    parsed = parse_model(text, key=key, forms_dir=forms_dir, forms=forms, filename=filename)
    digest = content_hash(text, parsed.forms)
    latest = latest_definition(db, parsed.key)
    if latest is not None and latest.content_hash == digest:
        return latest, False
    version = (db.scalar(select(func.max(ProcessDefinition.version))
                         .where(ProcessDefinition.key == parsed.key)) or 0) + 1
    now = clock.utcnow()
    row = ProcessDefinition(key=parsed.key, version=version, content_hash=digest, bpmn_xml=text,
                            forms=parsed.forms, deployed_by=user_id, deployed_at=now)
    db.add(row)
    db.flush()
    db.add(ProcessEvent(instance_id=None, event="deployed", user_id=user_id, at=now,
                        data={"key": parsed.key, "version": version, "definition_id": row.id}))
    _remember(row, parsed)
    return row, True


def deploy_directory(db, models_dir, forms_dir, user_id=None):
    """Deploy every *.bpmn under models_dir whose content changed; returns [(definition, created)]."""
    results = []
    models = Path(models_dir)
    if not models.is_dir():
        return results
    for path in sorted(models.glob("*.bpmn")):
        results.append(deploy_model(db, path.read_text(encoding="utf-8"), forms_dir=forms_dir,
                                    filename=path.name, user_id=user_id))
    return results


def get_definition(db, definition_id):
    row = db.get(ProcessDefinition, definition_id)
    if row is None:
        raise DefinitionNotFound(f"process definition {definition_id} not found")
    return row


def latest_or_fail(db, key):
    row = latest_definition(db, key)
    if row is None:
        raise DefinitionNotFound(f"no process '{key}' is deployed", key=key)
    return row


# Per-version spec cache. Keyed by id and content hash: ids can be reused after a rolled-back transaction.
_CACHE: "OrderedDict[tuple, ParsedModel]" = OrderedDict()
_CACHE_SIZE = 256
_CACHE_LOCK = Lock()


def _remember(row, parsed):
    with _CACHE_LOCK:
        _CACHE[(row.id, row.content_hash)] = parsed
        _CACHE.move_to_end((row.id, row.content_hash))
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def parsed_for(row) -> ParsedModel:
    """The parsed spec of a stored definition, parsed at most once per process."""
    cache_key = (row.id, row.content_hash)
    with _CACHE_LOCK:
        hit = _CACHE.get(cache_key)
        if hit is not None:
            _CACHE.move_to_end(cache_key)
            return hit
    parsed = parse_model(row.bpmn_xml, key=row.key, forms=row.forms or {}, strict=False)
    _remember(row, parsed)
    return parsed
