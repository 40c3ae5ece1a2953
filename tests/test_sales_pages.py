"""Opportunity pages: record with field errors that keep the input, edit/delete while unassigned, assign,
the development page (plan, results, close), the read-only closed page, list filters and Excel export."""
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.common.models import AuditRecord
from app.sales.models import Opportunity, PlanItem
from fixtures.sales_support import OPP, open_tasks, sales_deployed  # noqa: F401 (fixture)

BASE = "/sales/opportunities"


def _record(c, **over):
    resp = c.post(f"{BASE}/new", data={**OPP, **over})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def _assign(login, user, opp_id, to="manager1"):
    resp = login("supervisor").post(f"{BASE}/{opp_id}/assign", data={"assignee_id": user(to).id})
    assert resp.status_code == 302


def test_list_and_forms_are_in_chinese(login, sales_deployed):
    c = login("manager1")
    html = c.get(BASE).get_data(as_text=True)
    assert "销售机会管理" in html and "创建日期从" in html and "导出" in html
    html = c.get(f"{BASE}/new").get_data(as_text=True)
    assert "客户名称" in html and "成功机率" in html and "指派给" not in html  # managers cannot assign
    assert "指派给" in login("supervisor").get(f"{BASE}/new").get_data(as_text=True)


def test_bad_input_is_reported_beside_the_fields_and_the_input_is_kept(login, db, sales_deployed):
    before = db.scalar(select(func.count()).select_from(Opportunity))
    resp = login("manager1").post(f"{BASE}/new", data={**OPP, "probability": "150", "customer_name": "",
                                                       "description": "长" * 5000})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert html.count('class="field-error"') == 3
    assert "请输入 0 到 100 之间的整数" in html and "最多 2000 个字符" in html
    assert 'value="150"' in html and OPP["summary"] in html and "长" * 5000 in html
    assert db.scalar(select(func.count()).select_from(Opportunity)) == before


def test_edit_and_delete_while_unassigned_then_refused_after_assignment(login, user, db, sales_deployed):
    c = login("manager1")
    opp_id = _record(c)
    resp = c.post(f"{BASE}/{opp_id}/edit", data={**OPP, "summary": "修改后的概要"})
    assert resp.status_code == 302 and db.get(Opportunity, opp_id).summary == "修改后的概要"
    doomed = _record(c, customer_name="待删除公司")
    assert c.post(f"{BASE}/{doomed}/delete").status_code == 302
    assert c.get(f"{BASE}/{doomed}").status_code == 404
    assert db.scalar(select(AuditRecord).where(AuditRecord.entity_id == str(doomed),
                                               AuditRecord.action == "deleted")).data["customer_name"] == "待删除公司"
    _assign(login, user, opp_id)
    # Refused where the process is not: the page again (409), saying where it waits and who holds it.
    resp = login("supervisor").post(f"{BASE}/{opp_id}/assign", data={"assignee_id": user("manager2").id})
    assert resp.status_code == 409 and "流程现在等待：制定并执行开发计划, 李经理" in resp.get_data(as_text=True)
    resp = c.post(f"{BASE}/{opp_id}/edit", data={**OPP, "summary": "再改"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "只有未指派的销售机会才能修改或删除" in html and "再改" in html
    assert c.post(f"{BASE}/{opp_id}/delete").status_code == 302
    assert db.get(Opportunity, opp_id).summary == "修改后的概要" and db.get(Opportunity, opp_id).deleted_at is None


def test_assign_page_requires_a_manager(login, user, db, sales_deployed):
    opp_id = _record(login("manager1"))
    s = login("supervisor")
    assert "李经理" in s.get(f"{BASE}/{opp_id}/assign").get_data(as_text=True)
    resp = s.post(f"{BASE}/{opp_id}/assign", data={"assignee_id": "0"})
    assert resp.status_code == 422 and "请选择一位在职的客户经理" in resp.get_data(as_text=True)
    assert db.get(Opportunity, opp_id).status == "unassigned"
    _assign(login, user, opp_id, to="manager2")
    assert db.get(Opportunity, opp_id).assignee_id == user("manager2").id
    assert login("manager2").get(f"{BASE}/{opp_id}").status_code == 200
    assert login("manager1").get(f"{BASE}/{opp_id}").status_code == 404


def test_development_page_plan_results_and_close(login, user, db, sales_deployed):
    c = login("manager1")
    opp_id = _record(c)
    _assign(login, user, opp_id)
    assert "添加计划项" in c.get(f"{BASE}/{opp_id}").get_data(as_text=True)
    bad = c.post(f"{BASE}/{opp_id}/plan-items", data={"new-date": "", "new-todo": "拜访"})
    assert bad.status_code == 422 and "请输入日期" in bad.get_data(as_text=True)
    assert c.post(f"{BASE}/{opp_id}/plan-items", data={"new-date": "2030-03-02", "new-todo": "拜访"}).status_code == 302
    item = db.scalar(select(PlanItem).where(PlanItem.opportunity_id == opp_id))
    assert c.post(f"{BASE}/{opp_id}/plan-items/{item.id}", data={f"i{item.id}-date": "2030-03-03",
                                                                  f"i{item.id}-todo": "上门拜访"}).status_code == 302
    assert c.post(f"{BASE}/{opp_id}/plan-items/{item.id}/result",
                  data={f"r{item.id}-result": "客户同意试用"}).status_code == 302
    item = db.get(PlanItem, item.id)
    assert (item.date.isoformat(), item.todo, item.result) == ("2030-03-03", "上门拜访", "客户同意试用")
    # Another manager's POSTs do nothing.
    assert login("manager2").post(f"{BASE}/{opp_id}/close", data={"outcome": "success"}).status_code == 404
    resp = c.post(f"{BASE}/{opp_id}/close", data={"outcome": "success"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert 'id="opp-status">开发成功' in html
    assert 'id="add-plan-item"' not in html and 'class="plan-result"' not in html  # read-only now
    assert "记录执行效果" in html and "李经理" in html  # the history: who recorded results
    assert "上门拜访" in html and "客户同意试用" in html and OPP["customer_name"] in html
    assert db.get(Opportunity, opp_id).customer_id is not None
    late = c.post(f"{BASE}/{opp_id}/plan-items", data={"new-date": "2030-04-01", "new-todo": "太晚"},
                  follow_redirects=True)
    assert "只有开发中的销售机会才能修改开发计划" in late.get_data(as_text=True)
    again = c.post(f"{BASE}/{opp_id}/close", data={"outcome": "failure"}, follow_redirects=True)
    assert "该销售机会的流程已结束" in again.get_data(as_text=True)
    assert db.get(Opportunity, opp_id).status == "succeeded"
    assert open_tasks(db, opp_id) == []


def test_list_filters_and_excel_export(login, user, sales_deployed):
    c = login("manager1")
    _record(c, customer_name="导出测试甲")
    other = _record(c, customer_name="导出测试乙")
    _assign(login, user, other)
    s = login("supervisor")
    html = s.get(BASE, query_string={"customer_name": "导出测试", "status": "unassigned"}).get_data(as_text=True)
    assert "导出测试甲" in html and "导出测试乙" not in html
    bad = s.get(BASE, query_string={"created_from": "not-a-date"}).get_data(as_text=True)
    assert "请输入日期" in bad
    resp = s.get(BASE, query_string={"customer_name": "导出测试", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0][2] == "客户名称"
    assert sorted((r[2], r[-1]) for r in rows[1:]) == [("导出测试乙", "开发中"), ("导出测试甲", "未指派")]


def test_inbox_rows_open_the_assign_page_and_the_plan(login, user, sales_deployed):
    opp_id = _record(login("manager1"), customer_name="收件箱测试公司")
    s = login("supervisor")
    inbox = s.get("/inbox/").get_data(as_text=True)
    assign_url = f"{BASE}/{opp_id}/assign?next=/inbox/"
    assert "指派销售机会" in inbox and assign_url in inbox and f'href="{BASE}/{opp_id}"' in inbox
    assert s.get(assign_url).status_code == 200
    # The return address is only ever a local path.
    evil = s.get(f"{BASE}/{opp_id}/assign?next=//evil.example/")
    assert evil.status_code == 200 and 'href="//evil.example/"' not in evil.get_data(as_text=True)
    resp = s.post(assign_url, data={"assignee_id": user("manager1").id})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox/")
    assert f"{BASE}/{opp_id}#plan" in login("manager1").get("/inbox/").get_data(as_text=True)


def test_closing_as_succeeded_without_a_plan_result_is_refused_beside_the_buttons(login, user, db, sales_deployed):
    c = login("manager1")
    opp_id = _record(c)
    _assign(login, user, opp_id)
    early = c.post(f"{BASE}/{opp_id}/plan-items", data={"new-date": "1999-01-01", "new-todo": "太早的拜访"})
    assert early.status_code == 422 and "不能早于" in early.get_data(as_text=True)
    assert "太早的拜访" in early.get_data(as_text=True)  # the input stays
    resp = c.post(f"{BASE}/{opp_id}/close", data={"outcome": "success"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="close-error"' in html and "执行效果" in html
    assert db.get(Opportunity, opp_id).status == "in_development"
