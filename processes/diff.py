"""What changed between two versions of a model: added, removed and changed elements, by BPMN id.

Read from the XML, so it works on an unsaved editor diagram as well as on stored versions. An element "changed"
when its own definition did (type, name, lane, form, script, condition, timer, operation, ...); its flows are
elements of their own, so inserting a step after a task changes the flow that now leads elsewhere, not the task.
That is what instance migration needs too: a task whose successor changed can move to the new version.
"""
from lxml import etree

from processes.validation import BPMN, FLOW_NODES, _local

ELEMENTS = FLOW_NODES | {"sequenceFlow", "lane", "dataObject", "dataObjectReference", "dataStoreReference"}
# Children that describe the graph around an element, not the element itself.
_STRUCTURAL = {"incoming", "outgoing", "flowNodeRef", "laneSet", "childLaneSet"} | ELEMENTS
_IGNORED_ATTRIBUTES = {"id"}


def bpmn_type(local_name):
    return "bpmn:" + local_name[:1].upper() + local_name[1:]


def _canon(el):
    """A comparable form of an element's own definition (ids of inner definitions ignored: editors renumber)."""
    attrs = tuple(sorted((k, v) for k, v in el.attrib.items() if k not in _IGNORED_ATTRIBUTES))
    children = tuple(_canon(c) for c in el if isinstance(c.tag, str) and _local(c) not in _STRUCTURAL)
    return (_local(el), attrs, (el.text or "").strip(), children)


def model_elements(xml):
    """{id: {"id", "name", "type", "sig"}} of the flow elements, flows and lanes of every process in `xml`."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data)
    lanes = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.iter(f"{{{BPMN}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    found = {}
    for process in root.iter(f"{{{BPMN}}}process"):
        for el in process.iter():
            if not isinstance(el.tag, str) or _local(el) not in ELEMENTS or not el.get("id"):
                continue
            eid = el.get("id")
            found[eid] = {"id": eid, "name": el.get("name") or "", "type": bpmn_type(_local(el)),
                          "sig": (_canon(el), lanes.get(eid))}
    return found


def _public(item):
    return {"id": item["id"], "name": item["name"], "type": item["type"]}


def diff_models(old_xml, new_xml):
    """{added, removed, changed}: each a list of {id, name, type}, in id order (names from the new version for
    added and changed elements, from the old one for removed)."""
    old, new = model_elements(old_xml), model_elements(new_xml)
    return {
        "added": [_public(new[i]) for i in sorted(set(new) - set(old))],
        "removed": [_public(old[i]) for i in sorted(set(old) - set(new))],
        "changed": [_public(new[i]) for i in sorted(set(old) & set(new)) if old[i]["sig"] != new[i]["sig"]],
    }


def summary_counts(diff):
    return {k: len(v) for k, v in diff.items()}
