"""The sales and churn pages follow a step an analyst inserts, with no Python change: the worklists (to assign,
to develop, churn cases to handle), their menu badges and the inbox agree; the record page shows the new step as
the current one; the domain actions refuse with 409, saying where the process waits, and keep what was typed; the
new step is worked through the generic task page; instances started before the change run on their version."""
import re
from datetime import date
from pathlib import Path

from app.churn.models import ChurnCase
from app.churn.scan_service import run_scan
from app.inbox.service import inbox_tasks
from app.sales.models import Opportunity
from fixtures.sales_support import OPP, sales_deployed  # noqa: F401
from fixtures.step_variants import deploy_variant
from processes.definitions import deploy_model
from test_churn_data import SCAN_AT_UTC, churn_model, clock_at, make_customer  # noqa: F401


def _rows(html, kind):
    return {int(i) for i in re.findall(rf'<tr data-{kind}="(\d+)"', html)}


def _badge(html, path):
    link = re.search(rf'<a href="{re.escape(path)}"[^>]*>[^<]*(?: <span class="badge">(\d+)</span>)?</a>', html)
    assert link, f"no menu entry {path}"
    return int(link.group(1) or 0)


def _agree(db, user, pages, worklists, key, kind):
    """Each user's worklist, its badge and their inbox list the same records; returns them per user."""
    found = {}
    for name, (path, steps) in worklists.items():
        html = pages[name].get(path).get_data(as_text=True)
        listed = _rows(html, kind)
        inbox = {int(t.business_key) for t in inbox_tasks(db, user(name), 1000)
                 if t.process_key == key and t.bpmn_id in steps}
        assert listed == inbox, name
        assert _badge(html, path) == len(listed), name
        found[name] = listed
    return found


def _task(db, user, username, business_key, bpmn_id):
    [task] = [t for t in inbox_tasks(db, user(username), 1000)
              if t.business_key == str(business_key) and t.bpmn_id == bpmn_id]
    return task


SALES_LISTS = {"supervisor": ("/sales/to-assign", ("assign",)), "manager1": ("/sales/to-develop", ("develop",))}


def test_sales_pages_follow_a_step_inserted_before_development(db, login, user, sales_deployed):
    pages = {name: login(name) for name in SALES_LISTS}
    m1 = user("manager1").id

    def record_and_assign(name):
        resp = pages["supervisor"].post("/sales/opportunities/new", data={**OPP, "customer_name": name})
        opp_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        assert opp_id in _agree(db, user, pages, SALES_LISTS, "sales_opportunity", "opportunity")["supervisor"]
        assert pages["supervisor"].post(f"/sales/opportunities/{opp_id}/assign",
                                        data={"assignee_id": m1}).status_code == 302
        return opp_id

    old = record_and_assign("变更前的机会")
    deploy_variant(db, "sales_opportunity.bpmn", on_flow="f_mark_develop", task_id="confirm_plan",
                   name="确认开发", role="sales_supervisor")
    new = record_and_assign("变更后的机会")

    lists = _agree(db, user, pages, SALES_LISTS, "sales_opportunity", "opportunity")
    assert old in lists["manager1"] and new not in lists["manager1"] and new not in lists["supervisor"]
    db.expire_all()
    assert db.get(Opportunity, new).status == "in_development"  # the status its service task set

    page = pages["manager1"].get(f"/sales/opportunities/{new}").get_data(as_text=True)
    assert re.search(r'id="opp-step">确认开发, 销售主管', page) and 'id="add-plan-item"' not in page
    refused = pages["manager1"].post(f"/sales/opportunities/{new}/plan-items",
                                     data={"new-date": "2030-03-02", "new-todo": "先上门拜访采购部"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "流程现在等待：确认开发, 销售主管" in html
    assert 'value="2030-03-02"' in html and "先上门拜访采购部" in html
    closing = pages["manager1"].post(f"/sales/opportunities/{new}/close", data={"outcome": "failure"})
    assert closing.status_code == 409 and "流程现在等待：确认开发, 销售主管" in closing.get_data(as_text=True)

    task = _task(db, user, "supervisor", new, "confirm_plan")
    assert "复核意见" in pages["supervisor"].get(f"/inbox/tasks/{task.id}").get_data(as_text=True)
    assert pages["supervisor"].post(f"/inbox/tasks/{task.id}", data={"comment": "可以开发"}).status_code == 302
    assert new in _agree(db, user, pages, SALES_LISTS, "sales_opportunity", "opportunity")["manager1"]
    assert pages["manager1"].post(f"/sales/opportunities/{new}/plan-items",
                                  data={"new-date": "2030-03-02", "new-todo": "先上门拜访采购部"}).status_code == 302
    for opp_id in (old, new):
        assert pages["manager1"].post(f"/sales/opportunities/{opp_id}/close",
                                      data={"outcome": "failure"}).status_code == 302
    db.expire_all()
    assert db.get(Opportunity, old).status == db.get(Opportunity, new).status == "failed"
    lists = _agree(db, user, pages, SALES_LISTS, "sales_opportunity", "opportunity")
    assert not {old, new} & (lists["manager1"] | lists["supervisor"])


CHURN_LISTS = {"manager1": ("/churn/to-handle", ("handle_warning",))}


def test_churn_pages_follow_a_step_inserted_before_the_managers_decision(db, login, user, clock_at, churn_model):
    clock_at(SCAN_AT_UTC)
    m1 = user("manager1")
    before = make_customer(db, name="变更前客户", manager=m1, orders=[date(2029, 1, 1)])
    run_scan(db, months=6, tz="Asia/Shanghai")
    deploy_variant(db, "customer_churn.bpmn", on_flow="f_start", task_id="precheck", name="主管预审",
                   role="sales_supervisor")
    after = make_customer(db, name="变更后客户", manager=m1, orders=[date(2029, 1, 1)])
    run_scan(db, months=6, tz="Asia/Shanghai")
    db.commit()
    old = db.query(ChurnCase).filter_by(customer_id=before.id).one().id
    new = db.query(ChurnCase).filter_by(customer_id=after.id).one().id
    pages = {"manager1": login("manager1"), "supervisor": login("supervisor")}

    lists = _agree(db, user, pages, CHURN_LISTS, "customer_churn", "case")
    assert old in lists["manager1"] and new not in lists["manager1"]
    page = pages["manager1"].get(f"/churn/{new}").get_data(as_text=True)
    assert "主管预审, 销售主管" in page and 'id="postpone-form"' not in page
    refused = pages["manager1"].post(f"/churn/{new}/postpone", data={"measure": "赠送试用装并回访"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "流程现在等待：主管预审, 销售主管" in html and "赠送试用装并回访" in html
    db.expire_all()
    assert db.get(ChurnCase, new).status == "warning" and not db.get(ChurnCase, new).measures

    task = _task(db, user, "supervisor", new, "precheck")
    assert pages["supervisor"].post(f"/inbox/tasks/{task.id}", data={"comment": "请跟进"}).status_code == 302
    assert new in _agree(db, user, pages, CHURN_LISTS, "customer_churn", "case")["manager1"]
    for case_id in (old, new):
        assert pages["manager1"].post(f"/churn/{case_id}/confirm", data={"reason": "转投竞争对手"}).status_code == 302
    db.expire_all()
    assert db.get(ChurnCase, old).status == db.get(ChurnCase, new).status == "confirmed"
    assert not _agree(db, user, pages, CHURN_LISTS, "customer_churn", "case")["manager1"] & {old, new}


def test_the_assign_page_is_named_as_the_deployed_diagram_names_its_step(db, login, user, sales_deployed):
    supervisor = login("supervisor")
    opened = supervisor.post("/sales/opportunities/new", data={**OPP, "customer_name": "改名前的机会"})
    before = int(opened.headers["Location"].rsplit("/", 1)[1])
    page = supervisor.get(f"/sales/opportunities/{before}/assign").get_data(as_text=True)
    assert re.search(r"<h1>指派销售机会 <span", page)

    model = Path(__file__).resolve().parents[1] / "bpmn-models" / "sales_opportunity.bpmn"
    xml = model.read_text("utf-8")
    step = re.search(r'<bpmn:userTask id="assign" name="([^"]*)"', xml)
    renamed = xml.replace(step.group(0), '<bpmn:userTask id="assign" name="主管分派&lt;机会&gt;"')
    _definition, created = deploy_model(db, renamed, forms_dir=model.parents[1] / "forms", filename=model.name)
    db.commit()
    assert created
    opened = supervisor.post("/sales/opportunities/new", data={**OPP, "customer_name": "改名后的机会"})
    after = int(opened.headers["Location"].rsplit("/", 1)[1])
    page = supervisor.get(f"/sales/opportunities/{after}/assign").get_data(as_text=True)
    assert "<h1>主管分派&lt;机会&gt; <span" in page and "<title>主管分派&lt;机会&gt;" in page
    refused = supervisor.post(f"/sales/opportunities/{after}/assign", data={"assignee_id": ""})
    assert refused.status_code == 422 and "<h1>主管分派&lt;机会&gt; <span" in refused.get_data(as_text=True)
    # The instance started before the change keeps its version's name.
    assert re.search(r"<h1>指派销售机会 <span", supervisor.get(f"/sales/opportunities/{before}/assign").get_data(as_text=True))
