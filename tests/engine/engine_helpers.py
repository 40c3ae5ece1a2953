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


def with_check_step(xml=DEMO_XML):
    """The demo model with a user task 'Check handling' (customer_manager lane) between Handle and Count."""
    task = ('<bpmn:userTask id="Check" name="Check handling"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="formJsonSchemaFilename" value="engine_escalated.json" />'
            '</spiffworkflow:properties></bpmn:extensionElements>'
            '<bpmn:incoming>Flow_handled</bpmn:incoming><bpmn:outgoing>Flow_checked</bpmn:outgoing>'
            '</bpmn:userTask>\n    <bpmn:scriptTask id="Count"')
    xml = xml.replace('<bpmn:scriptTask id="Count"', task, 1)
    xml = xml.replace('<bpmn:incoming>Flow_handled</bpmn:incoming>\n      <bpmn:outgoing>Flow_counted',
                      '<bpmn:incoming>Flow_checked</bpmn:incoming>\n      <bpmn:outgoing>Flow_counted')
    xml = xml.replace('<bpmn:sequenceFlow id="Flow_handled" sourceRef="Handle" targetRef="Count" />',
                      '<bpmn:sequenceFlow id="Flow_handled" sourceRef="Handle" targetRef="Check" />\n'
                      '    <bpmn:sequenceFlow id="Flow_checked" sourceRef="Check" targetRef="Count" />')
    xml = xml.replace('<bpmn:flowNodeRef>Count</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>Check</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>Count</bpmn:flowNodeRef>')
    xml = xml.replace('<bpmndi:BPMNShape id="Count_di" bpmnElement="Count"><dc:Bounds x="850" y="300"',
                      '<bpmndi:BPMNShape id="Check_di" bpmnElement="Check"><dc:Bounds x="830" y="250" width="80" '
                      'height="40" /></bpmndi:BPMNShape>\n      '
                      '<bpmndi:BPMNShape id="Count_di" bpmnElement="Count"><dc:Bounds x="850" y="300"')
    xml = xml.replace('<bpmndi:BPMNEdge id="Flow_handled_di" bpmnElement="Flow_handled"><di:waypoint x="800" '
                      'y="340" /><di:waypoint x="850" y="340" /></bpmndi:BPMNEdge>',
                      '<bpmndi:BPMNEdge id="Flow_handled_di" bpmnElement="Flow_handled"><di:waypoint x="800" '
                      'y="320" /><di:waypoint x="830" y="270" /></bpmndi:BPMNEdge>\n      '
                      '<bpmndi:BPMNEdge id="Flow_checked_di" bpmnElement="Flow_checked"><di:waypoint x="910" '
                      'y="270" /><di:waypoint x="900" y="300" /></bpmndi:BPMNEdge>')
    assert xml.count('"Check"') == 4 and "Flow_checked_di" in xml
    return xml
