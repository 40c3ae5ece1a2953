"""What the bpmn-js diagrams show as element names in the user's language.

Lanes are named by role codes (the engine routes tasks by them), which no user should read: the diagram shows the
role's name instead. The models are written in Chinese; the English UI shows their translations
(app/translations/en, as the task pages do)."""
from lxml import etree

from app.common.ui import model_text

# The names in a deployed version's XML never change: read them once per content hash, not per page view.
_NAMES: dict[str, tuple] = {}


def _model_names(definition):
    """((name, is_lane), ...) of the definition's elements, each name once."""
    found = _NAMES.get(definition.content_hash)
    if found is None:
        try:
            root = etree.fromstring(definition.bpmn_xml.encode("utf-8"),
                                    parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            root = None
        names = {}
        for element in root.iter() if root is not None else ():
            name = element.get("name") if isinstance(element.tag, str) else None
            if name and name not in names:
                names[name] = etree.QName(element).localname == "lane"
        found = _NAMES[definition.content_hash] = tuple(names.items())
    return found


def diagram_labels(definition, role_names) -> dict:
    """{name as written in the model: name to show}, only for the names that change."""
    labels = {}
    for name, is_lane in _model_names(definition):
        shown = (role_names.get(name) if is_lane else None) or model_text(name)
        if shown and shown != name:
            labels[name] = shown
    return labels
