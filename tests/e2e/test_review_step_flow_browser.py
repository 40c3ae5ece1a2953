"""In a real browser, issue 12's promise end to end: the analyst saves a review form, adds a supervisor review
(主管复核) between the handling and the feedback of customer_service in the editor, sees it in the deploy
confirmation and deploys with a note. A new request then goes create -> dispatch -> handle -> review (generic task
page) -> feedback -> archived, each step done by its role's user in their own browser, and at every step the
dispatch, handling and feedback lists, their menu badges and the inboxes agree. A request started before the
change finishes on its version, without the review."""
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fixtures.step_variants import FORMS, REVIEW_FORM  # noqa: E402
from test_service_helpers import ensure_service_data  # noqa: E402
from test_service_variant import _record  # noqa: E402

from app.service.models import ServiceRequest  # noqa: E402
from processes import api as engine  # noqa: E402
from processes.models import ProcessDefinition  # noqa: E402

NOTE = "处理后由主管复核"
SUMMARY = "复核流程的新请求"
# user -> (their worklist, the inbox task names that list stands for)
WORKLISTS = {
    "supervisor": ("/service/dispatch", ("服务分配", "超时升级：重新分配")),
    "manager1": ("/service/handle", ("服务处理",)),
    "service1": ("/service/feedback", ("服务反馈",)),
}
# Through bpmn-js's modelling API (what the palette and context pad call): a user task in the supervisors' lane,
# on the flow from recording the handling up to the feedback's deadline, which it now leads to.
ADD_REVIEW = """() => {
  const m = document.getElementById('modeler').crmModeler;
  const reg = m.get('elementRegistry'), modeling = m.get('modeling'), factory = m.get('elementFactory');
  const task = modeling.createShape(factory.createShape({ type: 'bpmn:UserTask' }), { x: 1200, y: 380 },
                                    reg.get('Participant_customer_service'));
  modeling.updateLabel(task, '主管复核');
  modeling.reconnectEnd(reg.get('Flow_record_feedback'), task, { x: task.x + task.width / 2, y: task.y + task.height });
  modeling.connect(task, reg.get('feedback_deadline'));
  return task.id;
}"""
ROWS = "rs => rs.map(r => r.dataset.request)"
INBOX_ROWS = """rs => rs.map(r => [r.querySelector('a.task-link').textContent.trim(),
                              (r.cells[3].querySelector('a') || {}).pathname || ''])"""


@pytest.fixture
def desks(browser, live_server, sign_in):
    """desks('supervisor') -> a page signed in as that user, in a browser context of its own (so each role keeps
    its session); like the shared `page`, a test fails on any script error or unexpected failed load."""
    contexts, errors = {}, []

    def get(username):
        if username not in contexts:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
            p = context.new_page()
            p.set_default_timeout(10_000)
            p.on("console", lambda m: errors.append(m.text[:300]) if m.type == "error" else None)
            p.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"[:300]))
            sign_in(p, username)
            contexts[username] = (context, p)
        return contexts[username][1]
    yield get
    for context, _p in contexts.values():
        context.close()
    unexpected = [e for e in errors if not any(f"status of {code}" in e for code in (401, 409, 422))]
    assert unexpected == [], unexpected


def _agree(live_server, desks):
    """Each user's worklist, its menu badge and their inbox list the same requests. Returns ({user: listed},
    {user: {request id: [task names in their inbox]}})."""
    listed_by, inboxes = {}, {}
    for name, (path, steps) in WORKLISTS.items():
        p = desks(name)
        p.goto(live_server + path)
        p.wait_for_selector("h1")
        listed = {int(i) for i in p.locator("table.list tbody tr[data-request]").evaluate_all(ROWS)}
        badge = p.locator(f"nav.menu a[href='{path}'] .badge")
        assert (int(badge.inner_text()) if badge.count() else 0) == len(listed), name
        p.goto(f"{live_server}/inbox/?process=customer_service")
        p.wait_for_selector("#inbox-tabs")
        in_inbox, inboxes[name] = set(), {}
        for task, record in p.locator("#inbox-tasks tbody tr").evaluate_all(INBOX_ROWS):
            rid = int(re.fullmatch(r"/service/(\d+)", record).group(1))
            inboxes[name].setdefault(rid, []).append(task)
            if task in steps:
                in_inbox.add(rid)
        assert listed == in_inbox, name
        listed_by[name] = listed
    return listed_by, inboxes


def _only_on(lists, rid, name):
    """The request is on `name`'s list and on no other."""
    assert [n for n, ids in lists.items() if rid in ids] == ([name] if name else [])


def _save_review_form(page, live_server):
    page.goto(f"{live_server}/processes/forms")
    page.fill("#new-form input[name=name]", REVIEW_FORM)
    page.click("#new-form button")
    page.wait_for_selector("#form-preview[data-rendered]")
    page.fill("#form-content", (FORMS / REVIEW_FORM).read_text("utf-8"))
    page.wait_for_selector("#preview-comment")
    page.click("#save-form")
    page.wait_for_selector(".flash.success")


def _add_review_and_deploy(page, live_server):
    page.goto(f"{live_server}/processes/editor?key=customer_service")
    page.wait_for_selector("#modeler[data-rendered='1']")
    review = page.evaluate(ADD_REVIEW)
    page.click(f".djs-element[data-element-id='{review}']")
    page.select_option("#properties select[name='prop:formJsonSchemaFilename']", REVIEW_FORM)
    page.click("#validate-model")
    page.wait_for_selector("#editor-result.success")
    page.click("#deploy-model")
    page.wait_for_selector("#deploy-dialog[data-open='1']")
    assert "主管复核" in page.locator(f"#diff-added li[data-element-id='{review}']").inner_text()
    assert page.locator("#diff-changed li[data-element-id='Flow_record_feedback']").count() == 1
    page.fill("#deploy-note", NOTE)
    page.click("#deploy-confirm")
    page.wait_for_selector("#editor-result.success")
    assert "已部署为第" in page.locator("#editor-result").inner_text()
    return review


def _done(p):
    p.wait_for_selector(".flash.success")


def _dispatch(desks, live_server, rid, assignee_id):
    p = desks("supervisor")
    p.goto(f"{live_server}/service/dispatch")
    row = p.locator(f"#dispatch-list tr[data-request='{rid}']")
    row.locator("select[name=assignee_id]").select_option(str(assignee_id))
    row.locator("button.primary").click()
    _done(p)


def _handle(desks, live_server, rid, text):
    p = desks("manager1")
    p.goto(f"{live_server}/service/handle")
    p.locator(f"#handle-list tr[data-request='{rid}'] a.button").click()
    p.fill("#handling", text)
    p.click("form.form button.primary")
    _done(p)


def _feedback(desks, live_server, rid, text, stars):
    p = desks("service1")
    p.goto(f"{live_server}/service/feedback")
    row = p.locator(f"#feedback-list tr[data-request='{rid}']")
    row.locator("textarea[name=result]").fill(text)
    row.locator(f"label[for='r{rid}-{stars}']").click()
    row.locator("button.primary").click()
    _done(p)


def test_a_request_goes_through_a_review_added_in_the_editor(app, db, user, live_server, page, sign_in, desks):
    customers = ensure_service_data(db, user)
    old = _record(app, db, user, customers["KHT0001"], "变更前的请求")
    m1 = user("manager1").id

    # The analyst saves the review's form, models the step and deploys it with a note.
    sign_in(page, "analyst")
    _save_review_form(page, live_server)
    _add_review_and_deploy(page, live_server)
    db.expire_all()
    current = db.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "customer_service")
                        .order_by(ProcessDefinition.version.desc()).limit(1))
    assert current.note == NOTE and "主管复核" in current.bpmn_xml

    # The service desk records a new request from its page: it runs on the new version.
    p = desks("service1")
    p.goto(f"{live_server}/service/new")
    p.select_option("#type", "投诉")
    p.fill("#customer_no", customers["KHT0001"].no)
    p.fill("#summary", SUMMARY)
    p.fill("#request", "客户来电：打印机无法联网。")
    p.click("button.primary:has-text('保存')")
    _done(p)
    db.expire_all()
    new = db.scalar(select(ServiceRequest.id).where(ServiceRequest.summary == SUMMARY))
    assert [i.definition_id for i in engine.instances_of(db, "customer_service", new)] == [current.id]
    assert engine.instances_of(db, "customer_service", old)[0].definition_id != current.id
    lists, _ = _agree(live_server, desks)
    _only_on(lists, new, "supervisor")
    _only_on(lists, old, "supervisor")

    _dispatch(desks, live_server, new, m1)
    lists, _ = _agree(live_server, desks)
    _only_on(lists, new, "manager1")

    _handle(desks, live_server, new, "已远程重置网络")
    lists, inboxes = _agree(live_server, desks)
    # At the review: on none of the service lists, in the supervisors' inbox as the new step, shown on the record.
    _only_on(lists, new, None)
    assert {name: tasks[new] for name, tasks in inboxes.items() if new in tasks} == {"supervisor": ["主管复核"]}
    p = desks("supervisor")
    p.goto(f"{live_server}/service/{new}")
    assert p.locator("#current-step").inner_text().startswith("主管复核, 销售主管")

    # The supervisor works it on the generic task page, through its form.
    p.goto(f"{live_server}/inbox/?process=customer_service")
    p.locator("#inbox-tasks tbody tr", has=p.locator(f"a[href='/service/{new}']")) \
        .locator("a.task-link", has_text="主管复核").click()
    p.wait_for_selector("form.task-form")
    assert re.search(r"/inbox/tasks/\d+$", p.url)
    assert p.locator("h1").inner_text() == "主管复核"
    p.fill("#in-comment", "处理得当")
    p.click("form.task-form button.primary")
    _done(p)
    lists, _ = _agree(live_server, desks)
    _only_on(lists, new, "service1")

    _feedback(desks, live_server, new, "客户说已经恢复", 5)
    db.expire_all()
    assert db.get(ServiceRequest, new).status == "archived"
    lists, inboxes = _agree(live_server, desks)
    _only_on(lists, new, None)
    assert not [name for name, tasks in inboxes.items() if new in tasks]

    # The older request finishes on its version: from the handling straight to the feedback, no review.
    _dispatch(desks, live_server, old, m1)
    _only_on(_agree(live_server, desks)[0], old, "manager1")
    _handle(desks, live_server, old, "上门处理")
    lists, inboxes = _agree(live_server, desks)
    _only_on(lists, old, "service1")
    assert inboxes["service1"][old] == ["服务反馈"]
    _feedback(desks, live_server, old, "满意", 4)
    db.expire_all()
    assert db.get(ServiceRequest, old).status == "archived"
    instances = [i.id for i in engine.instances_of(db, "customer_service", old)]
    assert not [t for t in engine.tasks_of(db, instances) if t.name == "主管复核"]
    lists, inboxes = _agree(live_server, desks)
    _only_on(lists, old, None)
    assert not [name for name, tasks in inboxes.items() if old in tasks]
