"""In a real browser: a supervisor completes a task form, and an analyst sees the bpmn-js diagram of the instance
with completed and current steps highlighted, then opens the editor."""
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from engine_helpers import DEMO_XML, FIXTURES  # noqa: E402

from processes.definitions import deploy_model  # noqa: E402
from processes.models import HumanTask, ProcessDefinition  # noqa: E402
from processes.runtime import start_process  # noqa: E402


def test_task_form_then_highlighted_diagram(db, page, live_server, sign_in, user):
    v1, _ = deploy_model(db, DEMO_XML, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
    inst = start_process(db, "engine_demo", business_key="W-1", subject="浏览器里的请求",
                         data={"amount": 3, "record": "W-1", "escalate_after": "PT8H"}, user_id=None)
    sign_in(page, "supervisor")
    page.click("text=Review request")
    page.click("button.primary:has-text('完成任务')")  # nothing filled in: errors beside the fields
    assert page.locator("#field-approved .field-error").count() == 1
    page.select_option("#in-approved", "yes")
    page.select_option("#in-assignee_id", str(user("manager1").id))
    page.check("#in-priority input[value='4']")
    page.fill("#in-comment", "可以处理")
    page.screenshot(path="/tmp/crm-engine-task.png", full_page=True)
    page.click("button.primary:has-text('完成任务')")
    assert "/inbox" in page.url and page.locator(".flash.success").count() == 1
    assert db.scalar(select(HumanTask.bpmn_id).where(HumanTask.instance_id == inst.id,
                                                     HumanTask.completed_at.is_(None))) == "Handle"

    sign_in(page, "analyst")
    page.goto(f"{live_server}/processes/instances/{inst.id}")
    page.wait_for_selector("#diagram[data-rendered='1']")
    assert page.locator(".djs-element.highlight-current[data-element-id='Handle']").count() == 1
    assert page.locator(".djs-element.highlight-done[data-element-id='Review']").count() == 1
    assert page.locator(".djs-element.highlight-done[data-element-id='Notify']").count() == 1
    # lanes are named by role codes in the model; the diagram shows the roles' names
    assert page.locator(".djs-element[data-element-id='Lane_supervisor'] text").text_content() == "销售主管"
    assert page.locator(".djs-element[data-element-id='Lane_manager'] text").text_content() == "客户经理"
    assert "可以处理" in page.locator("table.history").inner_text()
    page.screenshot(path="/tmp/crm-engine-instance.png", full_page=True)

    page.goto(f"{live_server}/processes/editor?key=engine_demo")
    page.wait_for_selector("#modeler[data-rendered='1']")
    page.click("#validate-model")
    page.wait_for_selector("#editor-result.flash")
    assert "模型有效" in page.locator("#editor-result").inner_text()

    # the analyst edits the script in the properties panel: a forbidden import is refused, a good one deploys
    page.click(".djs-element[data-element-id='Prepare']")
    script = page.locator("#properties textarea[name=script]")
    assert "doubled = amount * 2" in script.input_value()
    script.fill("import os")
    script.dispatch_event("change")
    page.click("#validate-model")
    page.wait_for_selector("#editor-result.warning")
    assert "import is not allowed" in page.locator("#editor-result").inner_text()
    script.fill("attempts = 0\ndoubled = amount * 3")
    script.dispatch_event("change")
    page.click(".djs-element[data-element-id='Review']")
    form_field = page.locator("#properties select[name='prop:formJsonSchemaFilename']")
    assert form_field.input_value() == "engine_review.json"
    page.screenshot(path="/tmp/crm-engine-editor.png")
    page.click("#deploy-model")  # asks first: the changed script is listed and marked on the diagram
    page.wait_for_selector("#deploy-dialog[data-open='1']")
    assert page.locator("#diff-changed li[data-element-id='Prepare']").count() == 1
    page.click("#deploy-confirm")
    page.wait_for_selector("#editor-result.success")
    assert "已部署为第 2 版" in page.locator("#editor-result").inner_text()
    v2 = db.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert "doubled = amount * 3" in v2.bpmn_xml and 'value="engine_review.json"' in v2.bpmn_xml
    assert v2.forms == v1.forms
