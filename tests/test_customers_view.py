"""The customer page (master data, contacts, interactions, order totals, processes) and its record pages."""
import re
from datetime import date, datetime, timedelta

from app.customers.models import Activity, Contact
from test_customers_support import (T0, add_activity, add_contact, add_order, make_churn_case, make_customer,
                                    make_instance, make_opportunity, make_service_request, uid)


def _process_rows(html):
    return re.findall(r'<tr class="process-row">(.*?)</tr>', html, re.S)


def test_customer_page_lists_every_process_with_step_holder_and_since(app, db, login):
    m1, sup = uid(db, "manager1"), uid(db, "supervisor")
    customer = make_customer(db, name="流程客户")
    opportunity = make_opportunity(db, customer, assignee_id=m1)
    opp_inst = make_instance(db, "sales_opportunity", opportunity, status="completed", ended_at=T0 + timedelta(days=3),
                  tasks=[("close", "关闭机会", "customer_manager", m1, False)])
    case = make_churn_case(db, customer, manager_id=m1)
    churn_inst = make_instance(db, "customer_churn", case,
                               tasks=[("handle_warning", "处理流失预警", "customer_manager", m1, True)])
    request = make_service_request(db, customer, created_by=uid(db, "service1"))
    service_inst = make_instance(db, "customer_service", request,
                                 tasks=[("dispatch", "服务分配", "sales_supervisor", None, True)])
    elsewhere = make_customer(db, name="别的客户")
    make_instance(db, "customer_churn", make_churn_case(db, elsewhere, manager_id=m1),
                  tasks=[("handle_warning", "别人的预警", "customer_manager", sup, True)])

    html = login("manager1").get(f"/customers/{customer.no}").get_data(as_text=True)
    rows = _process_rows(html)
    assert len(rows) == 3, "opportunity, churn case and service request; nothing of other customers"
    churn_row = next(r for r in rows if "客户流失" in r)
    assert "处理流失预警" in churn_row and "李经理" in churn_row and "预警" in churn_row
    assert "2025-03-01 17:00" in churn_row, "since when, in company time (UTC+8)"
    service_row = next(r for r in rows if "服务请求" in r)
    assert "服务分配" in service_row and "任一" in service_row, "a lane task shows the role that holds it"
    opp_row = next(r for r in rows if "销售机会" in r)
    assert "已结束" in opp_row and "已完成" in opp_row and "开发成功" in opp_row
    # started and ended each in their own column
    assert re.search(r'class="started">2025-03-01 \d\d:\d\d<', opp_row)
    assert re.search(r'class="ended">2025-03-04 16:00<', opp_row)
    assert "别人的预警" not in html
    # links only where the manager may follow them (his own tasks here); no link leads to a refusal
    # (the instances of this test are bare rows without a model, so only the access decision is checked)
    mine = re.findall(r'<a href="([^"]+)">查看流程</a>', html)
    assert {f"/processes/instances/{i.id}" for i in (opp_inst, churn_inst)} <= set(mine)
    manager = login("manager1")
    assert [manager.get(url).status_code for url in mine].count(403) == 0
    html = login("supervisor").get(f"/customers/{customer.no}").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)">查看流程</a>', html)
    assert sorted(links) == sorted(f"/processes/instances/{i.id}" for i in (opp_inst, churn_inst, service_inst))


def test_a_process_waiting_for_a_timer_says_so_with_its_due_time(db, login):
    m1 = uid(db, "manager1")
    customer = make_customer(db, name="等待复查客户")
    inst = make_instance(db, "customer_churn", make_churn_case(db, customer, manager_id=m1))
    inst.next_timer_at = T0 + timedelta(days=30)  # e.g. a postponed case on the previous model: only the re-check
    db.flush()
    [row] = _process_rows(login("manager1").get(f"/customers/{customer.no}").get_data(as_text=True))
    assert "等待定时器，到期时间 2025-03-31" in row and "—" not in row
    assert re.search(r'class="started">2025-03-01 \d\d:\d\d<', row) and 'class="ended"><' in row


def test_customer_page_shows_master_data_contacts_interactions_and_year_totals(db, login):
    customer = make_customer(db, name="总览客户", address="广州市天河区", postcode="510000", level=3)
    add_contact(db, customer, name="联系人甲", mobile="13500000001")
    add_activity(db, customer, summary="第一次拜访", on=date(2024, 3, 2))
    add_order(db, customer, "VIEW-1", date(2024, 2, 1), [(2, "1000.00")])
    add_order(db, customer, "VIEW-2", date(2024, 8, 1), [(1, "500.25")])
    add_order(db, customer, "VIEW-3", date(2025, 1, 5), [(10, "10.00"), (5, "2.00")])
    html = login("manager1").get(f"/customers/{customer.no}").get_data(as_text=True)
    for text in ("总览客户", "广州市天河区", "510000", "大客户", "李经理", "联系人甲", "13500000001", "第一次拜访"):
        assert text in html, text
    totals = re.sub(r"\s+", " ", html.split("历年订单金额")[1])
    assert re.search(r'2025</td><td class="num">1</td><td class="num">110.00</td>', totals)
    assert re.search(r'2024</td><td class="num">2</td><td class="num">2,500.25</td>', totals)


def test_contact_pages_add_edit_delete_with_errors_kept(db, login):
    customer = make_customer(db)
    c = login("manager1")
    resp = c.post(f"/customers/{customer.no}/contacts/new",
                  data={"name": "", "sex": "F", "position": "财务总监", "mobile": "138abc"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "此项为必填" in html and "请输入电话号码" in html
    assert 'value="财务总监"' in html and 'value="138abc"' in html and '<option selected value="F">' in html
    resp = c.post(f"/customers/{customer.no}/contacts/new",
                  data={"name": "孙丽", "sex": "F", "position": "财务总监", "mobile": "13812345678"})
    assert resp.status_code == 302
    contact = db.query(Contact).filter_by(customer_id=customer.id, name="孙丽").one()
    resp = c.post(f"/customers/{customer.no}/contacts/{contact.id}/edit",
                  data={"name": "孙丽", "sex": "F", "office_phone": "020-88889999"})
    assert resp.status_code == 302
    html = c.get(f"/customers/{customer.no}/contacts").get_data(as_text=True)
    assert "020-88889999" in html and "财务总监" not in html, "an edit saves the whole form"
    assert re.search(r'data-confirm="[^"]*联系人 孙丽', html)
    assert c.post(f"/customers/{customer.no}/contacts/{contact.id}/delete").status_code == 302
    assert db.query(Contact).filter_by(id=contact.id).first() is None


def test_activity_pages_add_edit_delete(db, login):
    customer = make_customer(db)
    c = login("manager1")
    form = c.get(f"/customers/{customer.no}/activities/new").get_data(as_text=True)
    assert 'type="date"' in form
    future = (datetime.now() + timedelta(days=3)).date().isoformat()
    resp = c.post(f"/customers/{customer.no}/activities/new",
                  data={"date": future, "place": "上海", "summary": "年度回访"})
    assert resp.status_code == 422 and "日期不能晚于今天" in resp.get_data(as_text=True)
    assert 'value="年度回访"' in resp.get_data(as_text=True)
    resp = c.post(f"/customers/{customer.no}/activities/new",
                  data={"date": "2025-01-20", "place": "上海", "summary": "年度回访", "details": "满意"})
    assert resp.status_code == 302
    activity = db.query(Activity).filter_by(customer_id=customer.id).one()
    edit = c.get(f"/customers/{customer.no}/activities/{activity.id}/edit").get_data(as_text=True)
    assert 'value="2025-01-20"' in edit
    resp = c.post(f"/customers/{customer.no}/activities/{activity.id}/edit",
                  data={"date": "2025-01-21", "summary": "年度回访（补记）"})
    assert resp.status_code == 302
    assert "年度回访（补记）" in c.get(f"/customers/{customer.no}/activities").get_data(as_text=True)
    assert c.post(f"/customers/{customer.no}/activities/{activity.id}/delete").status_code == 302
    assert db.query(Activity).filter_by(customer_id=customer.id).count() == 0


def test_records_of_another_customer_are_not_found(db, login):
    mine, other = make_customer(db), make_customer(db, name="同一经理的另一客户")
    contact = add_contact(db, other)
    activity = add_activity(db, other)
    c = login("manager1")
    assert c.get(f"/customers/{mine.no}/contacts/{contact.id}/edit").status_code == 404
    assert c.post(f"/customers/{mine.no}/activities/{activity.id}/delete").status_code == 404


def test_order_history_shows_lines_and_exports(db, login):
    customer = make_customer(db)
    add_order(db, customer, "HIST-1", date(2024, 4, 4), [(3, "19.90")], status="unpaid")
    c = login("manager1")
    html = c.get(f"/customers/{customer.no}/orders").get_data(as_text=True)
    for text in ("HIST-1", "测试打印机", "19.90", "59.70", "未回款"):
        assert text in html, text
    resp = c.get(f"/customers/{customer.no}/orders?export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
