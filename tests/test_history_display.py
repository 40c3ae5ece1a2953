"""How the instance history shows task data: words and local times, not Python's repr of the stored JSON."""
import pytest

from app.common.ui import history_value


@pytest.mark.parametrize("value, shown", [
    (None, "—"),
    ("", "—"),
    (True, "是"),
    (False, "否"),
    # stored in UTC by the processes, shown in the company time zone (Asia/Shanghai, +8)
    ("2026-12-02T20:12:35.455630+00:00", "2026-12-03 04:12"),
    ("2026-12-02T20:12:35", "2026-12-03 04:12"),
    ({"status": "assigned", "人": "李"}, '{"status": "assigned", "人": "李"}'),
    ([1, 2], "[1, 2]"),
    ("2026-12-02", "2026-12-02"),
    ("2026-12-02Tnot a time", "2026-12-02Tnot a time"),
    (3, 3),
])
def test_history_values_read_like_the_rest_of_the_ui(app, value, shown):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert history_value(value) == shown


def test_english_ui_says_yes(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        from flask import session
        session["lang"] = "en"
        assert history_value(True) == "Yes"


# --- histories in words on the task, record and instance pages ---------------------------------------------------

import re  # noqa: E402

from sqlalchemy import select  # noqa: E402

from processes.models import HumanTask, ProcessInstance  # noqa: E402
from fixtures.sales_support import sales_deployed  # noqa: E402,F401
from test_churn_data import churn_model, clock_at  # noqa: E402,F401
from test_service_helpers import clients, create_via_api, service_data  # noqa: E402,F401

ENGINE_INTERNALS = ("company_tz", "dispatch_limit", "dispatch_days", "request_id", "assignee_id", "+00:00",
                    "分配汇合", "处理汇合", "assign_result", "status:")


def _history_table(html):
    return re.search(r'<table class="list[^"]*" id="history[^"]*">.*?</table>', html, re.S).group(0)


def _handled_request(db, clients, user):
    sr = create_via_api(clients, summary="历史显示测试")
    c, h = clients("supervisor")
    assert c.post(f"/api/v1/service-requests/{sr['id']}/dispatch", headers=h,
                  json={"assignee": user("manager1").id}).status_code == 200
    m, mh = clients("manager1")
    assert m.post(f"/api/v1/service-requests/{sr['id']}/handle", headers=mh,
                  json={"handling": "上门更换网卡"}).status_code == 200
    return sr["id"]


def test_task_record_and_instance_histories_read_in_words(db, login, clients, user, service_data):
    request_id = _handled_request(db, clients, user)
    feedback = db.scalar(select(HumanTask).where(HumanTask.business_key == str(request_id),
                                                 HumanTask.completed_at.is_(None)))
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.business_key == str(request_id),
                                                       ProcessInstance.definition_key == "customer_service"))
    pages = {"task": login("service1").get(f"/inbox/tasks/{feedback.id}"),
             "record": login("supervisor").get(f"/service/{request_id}"),
             "instance": login("admin").get(f"/processes/instances/{instance.id}")}
    for where, resp in pages.items():
        assert resp.status_code == 200, where
        table = _history_table(resp.get_data(as_text=True))
        for internal in ENGINE_INTERNALS:
            assert internal not in table, (where, internal)
        assert re.search(r"处理人（客户经理）:</span> 李经理", table), where  # a name, under the form's label
        assert "上门更换网卡" in table and "处理期限" in table, where
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", table), where


def test_choices_read_as_their_labels_in_the_churn_history(db, login, user, clock_at, churn_model):
    from datetime import date
    from app.churn.scan_service import run_scan
    from test_churn_data import SCAN_AT_UTC, make_customer
    clock_at(SCAN_AT_UTC)
    make_customer(db, name="历史流失客户", manager=user("manager1"), orders=[date(2029, 1, 1)])
    [case_id] = run_scan(db, months=6, tz="Asia/Shanghai").case_ids
    c = login("manager1")
    assert c.post(f"/churn/{case_id}/postpone", data={"measure": "电话回访"}).status_code == 302
    task = db.scalar(select(HumanTask).where(HumanTask.business_key == str(case_id),
                                             HumanTask.completed_at.is_(None)))
    table = _history_table(c.get(f"/inbox/tasks/{task.id}").get_data(as_text=True))
    assert "暂缓（已采取挽回措施）" in table and "挽回措施:</span> 电话回访" in table
    assert "postpone" not in table and "case_id" not in table and "recheck_after" not in table
    assert "客户经理:</span> 李经理" in table  # the start data: whose case it is, by name


def test_the_opportunity_history_reads_in_words(db, login, user, sales_deployed):
    from fixtures.sales_support import OPP
    sup = login("supervisor")
    opp_id = int(sup.post("/sales/opportunities/new", data=OPP).headers["Location"].rsplit("/", 1)[1])
    assert sup.post(f"/sales/opportunities/{opp_id}/assign",
                    data={"assignee_id": user("manager1").id}).status_code == 302
    m1 = login("manager1")
    assert m1.post(f"/sales/opportunities/{opp_id}/close", data={"outcome": "failure"}).status_code == 302
    table = _history_table(m1.get(f"/sales/opportunities/{opp_id}").get_data(as_text=True))
    assert "指派给:</span> 李经理" in table and "开发结果:</span> 开发失败" in table
    assert "assignee_id" not in table and "failure" not in table and "+00:00" not in table
