"""Deployed definitions: parse and validate BPMN + forms, store versioned rows, cache the parsed specs.

A definition row is immutable: key, version, content hash, BPMN XML and the forms it references. New instances
start on the latest version; running ones stay on theirs. Parsing costs ~1 ms per file, so each version is parsed
once per process and its spec objects are shared by every instance load.
"""
import copy
import functools
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defer
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from processes import clock
from processes.diff import diff_models
from processes.errors import DefinitionInvalid, DefinitionNotFound
from processes.models import ProcessDefinition, ProcessEvent
from processes.validation import finding, spec_findings, structure_findings

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
                    errors.append(finding(ts.bpmn_id, "form '%(form)s' not found", form=fname))
                    continue
                try:
                    doc = json.loads(content) if isinstance(content, (str, bytes)) else content
                    if prop == "formJsonSchemaFilename":
                        Draft202012Validator.check_schema(doc)
                        if doc.get("type", "object") != "object":
                            raise SchemaError("a task form must be an object schema")
                except (ValueError, SchemaError) as err:
                    errors.append(finding(ts.bpmn_id, "form '%(form)s' is invalid: %(error)s", form=fname,
                                          error=str(getattr(err, "message", err))))
                    continue
                found[fname] = doc
    return found, errors


def _invalid(findings):
    texts = [f.text() for f in findings]
    err = DefinitionInvalid("; ".join(texts), errors=texts, findings=[f.as_dict() for f in findings])
    err.finding_objects = findings  # templates and params, for a page that translates them
    return err


def parse_model(xml, *, key=None, forms_dir=None, forms=None, filename=None, strict=True) -> ParsedModel:
    """Parse, XSD-validate and check a model (processes.validation); raises DefinitionInvalid listing every
    finding (extra: errors as texts, findings as {element_id, message}).

    Stored rows are re-parsed with strict=False: they were checked when deployed, and a rule made stricter
    later must stop the offending step at run time (error state), not make running instances unloadable."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = SpiffBpmnParser(validator=VALIDATOR)
    findings = []
    try:
        root = etree.fromstring(data)
        reserved = sorted(set(root.xpath("//@id")) & RESERVED_IDS)
        if reserved:
            raise DefinitionInvalid(f"element id {', '.join(reserved)} is reserved by the engine; rename it",
                                    errors=[f"element id '{r}' is reserved" for r in reserved],
                                    findings=[{"element_id": r, "message": "this id is reserved by the engine"}
                                              for r in reserved])
        if strict:
            findings += structure_findings(root)
        parser.add_bpmn_str(data, filename=filename)
        ids = parser.get_process_ids()
        if key is None:
            stem = Path(filename).stem if filename else None
            key = stem if stem in ids else (ids[0] if len(ids) == 1 else None)
        if key not in ids:
            raise DefinitionInvalid(f"the model must hold one executable process (found {ids or 'none'}"
                                    f"{'; expected ' + key if key else ''})", errors=[], findings=[])
        spec = parser.get_spec(key)
        subs = parser.get_subprocess_specs(key)
    except (ValidationException, etree.XMLSyntaxError) as err:
        if findings:  # the structure findings name the elements; the parser's complaint is usually the same
            raise _invalid(findings + [finding(None, "invalid BPMN: %(error)s", error=str(err))]) from None
        raise DefinitionInvalid(f"invalid BPMN: {err}", errors=[str(err)], findings=[]) from None
    except DefinitionInvalid:
        raise
    except Exception as err:  # the parser raises assorted errors on odd models; report them, never crash
        if findings:
            raise _invalid(findings + [finding(None, "invalid BPMN: %(error)s", error=str(err))]) from None
        raise DefinitionInvalid(f"invalid BPMN: {err}", errors=[str(err)], findings=[]) from None
    if strict:
        findings += spec_findings(key, spec, subs)
    found, form_findings = _load_forms(spec, subs, forms_dir, forms)
    if strict:
        findings += form_findings
    if findings:
        raise _invalid(findings)
    return ParsedModel(key=key, name=spec.description or key, spec=spec, subprocess_specs=subs, forms=found)


def content_hash(xml, forms) -> str:
    h = hashlib.sha256(xml.encode("utf-8") if isinstance(xml, str) else xml)
    h.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


@functools.cache
def _latest_statement(with_diagram):
    """Built once: every process start reads it."""
    stmt = select(ProcessDefinition).where(ProcessDefinition.key == bindparam("key")) \
        .order_by(ProcessDefinition.version.desc()).limit(1).execution_options(prepare=True)  # one plan: the key index
    return stmt if with_diagram else stmt.options(defer(ProcessDefinition.bpmn_xml))


def latest_definition(db, key, *, with_diagram=True):
    """The latest version of `key`; with_diagram=False leaves the diagram's text to be read only if asked for."""
    return db.scalar(_latest_statement(with_diagram), {"key": key})


def deploy_model(db, xml, *, key=None, forms_dir=None, forms=None, filename=None, user_id=None, note=None):
    """Deploy one model; returns (definition, created). Unchanged content is a no-op returning the latest row.

    The new row keeps the analyst's `note` and what changed against the version that ran until now."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    parsed = parse_model(text, key=key, forms_dir=forms_dir, forms=forms, filename=filename)
    digest = content_hash(text, parsed.forms)
    latest = latest_definition(db, parsed.key)
    if latest is not None and latest.content_hash == digest:
        return latest, False
    version = (db.scalar(select(func.max(ProcessDefinition.version))
                         .where(ProcessDefinition.key == parsed.key)) or 0) + 1
    now = clock.utcnow()
    summary = diff_models(latest.bpmn_xml, text) if latest is not None else None
    row = ProcessDefinition(key=parsed.key, version=version, content_hash=digest, bpmn_xml=text,
                            forms=parsed.forms, deployed_by=user_id, deployed_at=now,
                            note=(note or "").strip() or None, change_summary=summary)
    db.add(row)
    db.flush()
    db.add(ProcessEvent(instance_id=None, event="deployed", user_id=user_id, at=now,
                        data={"key": parsed.key, "version": version, "definition_id": row.id,
                              "note": row.note}))
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
    """The latest version of `key` for a start. Without the diagram's text: a start needs the parsed model, cached
    per process (parsed_for), and the text is read only when this process has not parsed that version yet."""
    row = latest_definition(db, key, with_diagram=False)
    if row is None:
        raise DefinitionNotFound(f"no process '{key}' is deployed", key=key)
    return row


# Per-version spec cache. Keyed by id and content hash: ids can be reused after a rolled-back transaction.
_CACHE: "OrderedDict[tuple, ParsedModel | DefinitionInvalid]" = OrderedDict()
_CACHE_SIZE = 256
_CACHE_LOCK = Lock()


def _remember(row, parsed):
    with _CACHE_LOCK:
        _CACHE[(row.id, row.content_hash)] = parsed
        _CACHE.move_to_end((row.id, row.content_hash))
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def parsed_for(row) -> ParsedModel:
    """The parsed spec of a stored definition, parsed at most once per process. A stored row that does not parse
    (DefinitionInvalid) is remembered too and refused again at once: every inbox page names the processes, and
    re-reading and re-parsing such a row cost each page two statements and a parse."""
    cache_key = (row.id, row.content_hash)
    with _CACHE_LOCK:
        hit = _CACHE.get(cache_key)
        if hit is not None:
            _CACHE.move_to_end(cache_key)
    if isinstance(hit, DefinitionInvalid):
        raise copy.copy(hit).with_traceback(None)  # a copy: re-raising one object would grow its traceback
    if hit is not None:
        return hit
    try:
        parsed = parse_model(row.bpmn_xml, key=row.key, forms=row.forms or {}, strict=False)
    except DefinitionInvalid as err:
        _remember(row, err)
        raise
    _remember(row, parsed)
    return parsed
