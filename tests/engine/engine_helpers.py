"""Shared by the engine tests: the demo BPMN fixture and its test service operation."""
from pathlib import Path

from app.common.errors import ValidationFailed
from processes.services import operation

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO_XML = (FIXTURES / "engine_demo.bpmn").read_text(encoding="utf-8")

# What test.notify saw, and how it should behave next; tests switch it to fail or reject.
NOTIFY = {"mode": "ok", "calls": []}


@operation("test.notify")
def notify(ctx, record, handler):
    NOTIFY["calls"].append((record, handler, ctx.instance.id, ctx.user_id))
    if NOTIFY["mode"] == "fail":
        raise RuntimeError("notification backend is down")
    if NOTIFY["mode"] == "reject":
        raise ValidationFailed({"record": ["unknown record"]})
    return {"sent_to": handler}
