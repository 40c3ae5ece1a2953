"""Write or extend a domain's catalog from a {msgid: translation} JSON file:
scripts/po_from_dict.py DOMAIN FILE [LOCALE] (LOCALE zh by default).

Keeps existing entries; new ones are added, changed ones updated."""
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

domain, source = sys.argv[1], sys.argv[2]
locale = sys.argv[3] if len(sys.argv) > 3 else "zh"  # "en": the English of the Chinese texts in bpmn-models/, forms/
po = Path(__file__).resolve().parent.parent / "app" / domain / "translations" / locale / "LC_MESSAGES" / "messages.po"
if domain == ".":
    po = Path(__file__).resolve().parent.parent / "app" / "translations" / locale / "LC_MESSAGES" / "messages.po"
po.parent.mkdir(parents=True, exist_ok=True)
catalog = Catalog(locale=locale, project="crm")
if po.exists():
    with po.open("rb") as f:
        catalog = read_po(f)
for msgid, text in json.loads(Path(source).read_text(encoding="utf-8")).items():
    if msgid in catalog:
        catalog[msgid].string = text
    else:
        catalog.add(msgid, text)
with po.open("wb") as f:
    write_po(f, catalog, width=0, sort_output=True)
print(f"{po}: {len(catalog)} entries")
