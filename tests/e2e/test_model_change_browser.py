"""In a real browser, as the analyst: model a review step into a deployed process with bpmn-js, see what the
validation finds on the diagram, see the change summary in the deploy confirmation, deploy with a note and find
the note in the version list."""
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from engine_helpers import DEMO_XML, FIXTURES  # noqa: E402

from processes.definitions import deploy_model  # noqa: E402
from processes.models import ProcessDefinition  # noqa: E402

# Through bpmn-js's own modelling API (what the palette and context pad call): make room after 'Handle request',
# put a user task there, and lead the handling's flow through it.
ADD_REVIEW = """() => {
  const m = document.getElementById('modeler').crmModeler;
  const reg = m.get('elementRegistry'), modeling = m.get('modeling'), factory = m.get('elementFactory');
  modeling.moveElements(['Count', 'Again', 'EndDone'].map(id => reg.get(id)), { x: 160, y: 0 });
  const task = modeling.createShape(factory.createShape({ type: 'bpmn:UserTask' }), { x: 900, y: 340 },
                                    reg.get('Participant_demo'));
  modeling.updateLabel(task, '主管复核');
  modeling.reconnectEnd(reg.get('Flow_handled'), task, { x: task.x, y: task.y + task.height / 2 });
  return task.id;
}"""
CONNECT = """(id) => {
  const m = document.getElementById('modeler').crmModeler;
  const reg = m.get('elementRegistry');
  return m.get('modeling').connect(reg.get(id), reg.get('Count')).id;
}"""


def test_analyst_adds_a_review_step_sees_the_diff_and_deploys_with_a_note(db, live_server, page, sign_in):
    deploy_model(db, DEMO_XML, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
    sign_in(page, "analyst")
    page.goto(f"{live_server}/processes/editor?key=engine_demo")
    page.wait_for_selector("#modeler[data-rendered='1']")
    # the editor speaks Chinese and shows role names on the lanes (the model keeps the role codes)
    assert page.locator(".djs-palette .entry[aria-label='创建开始事件']").count() == 1
    assert page.locator(".djs-element[data-element-id='Lane_supervisor'] text").text_content() == "销售主管"
    # a timer's expression shows when it would fire
    page.click(".djs-element[data-element-id='HandleTimer']")
    timer = page.locator("#properties [name=timerValue]")
    assert timer.input_value() == "escalate_after"
    assert page.locator("#properties datalist#suggest-timerValue option[value='\"P1D\"']").count() == 1
    page.wait_for_selector("#properties .timer-preview:has-text('取决于流程数据')")
    timer.fill('"P2D"')
    page.wait_for_selector("#properties .timer-preview:has-text('如果现在启动，将于')")
    timer.fill('"P2X"')
    page.wait_for_selector("#properties .timer-preview.field-error:has-text('不是有效的 ISO 8601 时长')")
    timer.fill("escalate_after")
    timer.dispatch_event("change")
    review = page.evaluate(ADD_REVIEW)
    # the new step leads nowhere yet: the validation marks it on the diagram
    page.click("#validate-model")
    page.wait_for_selector("#editor-result.warning")
    assert page.locator(f".djs-element.has-finding[data-element-id='{review}']").count() == 1
    assert page.locator(".finding-badge").count() >= 1
    assert "没有出去的连线" in page.locator("#editor-result").inner_text()
    flow = page.evaluate(CONNECT, review)
    # its form is picked in the properties panel, from the forms there are
    page.click(f".djs-element[data-element-id='{review}']")
    page.select_option("#properties select[name='prop:formJsonSchemaFilename']", "engine_escalated.json")
    page.click("#validate-model")
    page.wait_for_selector("#editor-result.success")
    assert page.locator(".djs-element.has-finding").count() == 0

    page.click("#deploy-model")
    page.wait_for_selector("#deploy-dialog[data-open='1']")
    dialog = page.locator("#deploy-dialog")
    assert "第 1 版" in dialog.inner_text()
    added = page.locator(f"#diff-added li[data-element-id='{review}']").inner_text()
    assert "主管复核" in added and "用户任务" in added
    assert page.locator(f"#diff-added li[data-element-id='{flow}']").count() == 1
    assert page.locator("#diff-changed li[data-element-id='Flow_handled']").count() == 1
    assert page.locator(f".djs-element.diff-added[data-element-id='{review}']").count() == 1
    assert page.locator(".djs-element.diff-changed[data-element-id='Flow_handled']").count() == 1
    page.screenshot(path="/tmp/crm-deploy-confirmation.png")
    page.fill("#deploy-note", "每次处理后由主管复核")
    page.click("#deploy-confirm")
    page.wait_for_selector("#editor-result.success")
    assert "已部署为第 2 版" in page.locator("#editor-result").inner_text()
    assert page.locator(".djs-element.diff-added").count() == 0

    page.click("#versions-link")
    row = page.locator("#definitions tbody tr", has_text="v2")
    assert "每次处理后由主管复核" in row.inner_text()
    assert "新增 2，修改 1，删除 0" in row.inner_text()
    # the version's page shows the note and marks what it added and changed
    row.locator("a").first.click()
    page.wait_for_selector("#diagram[data-rendered='1']")
    assert page.locator("#definition-note").inner_text() == "每次处理后由主管复核"
    assert page.locator(f".djs-element.diff-added[data-element-id='{review}']").count() == 1
    assert page.locator(".djs-element.diff-changed[data-element-id='Flow_handled']").count() == 1
    v2 = db.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert v2.note == "每次处理后由主管复核" and "主管复核" in v2.bpmn_xml
    assert [e["id"] for e in v2.change_summary["added"]] == sorted([review, flow])


def test_form_editor_previews_the_task_page_while_typing_and_saves_a_version(db, live_server, page, sign_in):
    import json
    sign_in(page, "analyst")
    page.goto(f"{live_server}/processes/definitions")
    page.click("#forms-link")
    page.fill("#new-form input[name=name]", "review_step.json")
    page.click("#new-form button")
    page.wait_for_selector("#form-preview[data-rendered]")
    assert "该表单没有字段" in page.locator("#form-preview").inner_text()
    form = {"type": "object", "title": "主管复核", "required": ["verdict"],
            "properties": {"verdict": {"type": "string", "title": "复核结论", "enum": ["通过", "退回"]},
                           "remark": {"type": "string", "title": "备注", "maxLength": 500}}}
    page.fill("#form-content", json.dumps(form, ensure_ascii=False))
    page.wait_for_selector("#preview-verdict select")
    assert "复核结论" in page.locator("#preview-verdict").inner_text()
    assert page.locator("#preview-remark textarea").count() == 1
    page.fill("#form-content", '{"type": "object", "properties": ')
    page.wait_for_selector("#form-preview .field-error")
    page.fill("#form-content", json.dumps(form, ensure_ascii=False))
    page.wait_for_selector("#preview-verdict select")
    page.fill("#form-note", "复核步骤的表单")
    page.click("#save-form")
    page.wait_for_selector(".flash.success")
    assert "review_step.json 已保存为第 1 版" in page.locator(".flash.success").inner_text()
    assert "复核步骤的表单" in page.locator("#form-versions").inner_text()
    page.wait_for_selector("#preview-verdict select")  # the saved version's preview has loaded
