"""What the bpmn-js diagrams show as element names in the user's language.

Lanes are named by role codes (the engine routes tasks by them), which no user should read: the diagram shows the
role's name instead. The models are written in Chinese; the English UI shows their translations
(app/translations/en, as the task pages do)."""
from lxml import etree

from app.common.ui import model_text


def diagram_labels(xml, role_names) -> dict:
    """{name as written in the model: name to show}, only for the names that change."""
    try:
        root = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml,
                                parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    labels = {}
    for element in root.iter():
        name = element.get("name") if isinstance(element.tag, str) else None
        if not name or name in labels:
            continue
        shown = role_names.get(name) if etree.QName(element).localname == "lane" else None
        shown = shown or model_text(name)
        if shown and shown != name:
            labels[name] = shown
    return labels
