"""/api/v1/customers: query, read, update, logical delete, sub-resources, rights and record-level rules."""
from datetime import date, timedelta

from app.customers.models import Customer
from test_customers_support import add_activity, add_contact, add_order, make_customer, uid


def test_query_with_filters_q_and_pagination(db, api):
    a = make_customer(db, name="接口测试甲", region="北京", level=2)
    b = make_customer(db, name="接口测试乙", region="西部")
    add_contact(db, b, name="诸葛亮", mobile="13811112222")
    c, h = api("supervisor")
    body = c.get("/api/v1/customers?name=接口测试&per_page=1", headers=h).get_json()
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (2, 1, 1, 1)
    assert body["items"][0]["no"] == b.no, "newest first"
    body = c.get("/api/v1/customers?q=诸葛", headers=h).get_json()
    assert [i["no"] for i in body["items"]] == [b.no]
    body = c.get("/api/v1/customers?name=接口测试&region=北京&level=2", headers=h).get_json()
    assert [i["no"] for i in body["items"]] == [a.no]
    item = body["items"][0]
    assert item["manager_id"] == uid(db, "manager1") and item["status"] == "normal" and item["level"] == 2
    assert set(item) >= {"no", "name", "region", "manager_id", "level", "satisfaction", "credit", "address",
                         "postcode", "phone", "fax", "website", "licence_no", "legal_rep", "registered_capital",
                         "turnover", "bank", "bank_account", "local_tax_no", "national_tax_no", "status"}


def test_read_update_and_field_errors(db, api):
    customer = make_customer(db)
    c, h = api("manager1")
    url = f"/api/v1/customers/{customer.no}"
    assert c.get(url, headers=h).get_json()["name"] == "北京远望科技有限公司"
    resp = c.patch(url, headers=h, json={"postcode": "12", "credit": 9, "registered_capital": -1})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["code"] == "validation_error"
    assert set(problem["errors"]) == {"postcode", "credit", "registered_capital"}
    resp = c.patch(url, headers=h, json={"credit": "abc"})
    assert resp.status_code == 422 and "credit" in resp.get_json()["errors"], "type errors use the same shape"
    resp = c.patch(url, headers=h, json={"status": "deleted"})
    assert resp.status_code == 422, "status is not editable"
    resp = c.patch(url, headers=h, json={"phone": "021-66668888", "registered_capital": "300.5", "region": "中南"})
    assert resp.status_code == 200
    assert (resp.get_json()["phone"], resp.get_json()["registered_capital"]) == ("021-66668888", "300.50")
    resp = c.put(url, headers=h, json={"name": "远望", "level": 4})
    assert resp.status_code == 200
    assert (resp.get_json()["level"], resp.get_json()["phone"], resp.get_json()["region"]) == (4, None, None)


def test_logical_delete_needs_the_right_and_hides_the_customer(db, api):
    customer = make_customer(db)
    c, h = api("manager1")
    assert c.delete(f"/api/v1/customers/{customer.no}", headers=h).status_code == 403
    c, h = api("admin")
    assert c.delete(f"/api/v1/customers/{customer.no}", headers=h).status_code == 204
    assert c.get(f"/api/v1/customers/{customer.no}", headers=h).status_code == 404
    db.expire_all()
    assert db.get(Customer, customer.id).status == "deleted"


def test_other_managers_customer_is_not_found(db, api):
    theirs = make_customer(db, manager="manager2")
    add_contact(db, theirs)
    c, h = api("manager1")
    base = f"/api/v1/customers/{theirs.no}"
    for method, path, body in [("get", "", None), ("patch", "", {"credit": 1}), ("get", "/contacts", None),
                               ("post", "/contacts", {"name": "x"}), ("get", "/activities", None),
                               ("get", "/orders", None)]:
        resp = getattr(c, method)(base + path, headers=h, json=body)
        assert resp.status_code == 404, (method, path)
        assert resp.get_json()["code"] == "not_found"
    assert theirs.no not in [i["no"] for i in c.get("/api/v1/customers?per_page=200", headers=h).get_json()["items"]]


def test_contacts_crud(db, api):
    customer = make_customer(db)
    c, h = api("manager1")
    base = f"/api/v1/customers/{customer.no}/contacts"
    resp = c.post(base, headers=h, json={"name": "", "sex": "X", "mobile": "12"})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"name", "sex", "mobile"}
    resp = c.post(base, headers=h, json={"name": "黄蓉", "sex": "F", "position": "采购经理", "mobile": "13900001234"})
    assert resp.status_code == 201
    contact_id = resp.get_json()["id"]
    assert c.patch(f"{base}/{contact_id}", headers=h, json={"position": "总监"}).get_json()["position"] == "总监"
    assert c.get(base, headers=h).get_json()["items"][0]["name"] == "黄蓉"
    assert c.delete(f"{base}/{contact_id}", headers=h).status_code == 204
    assert c.get(f"{base}/{contact_id}", headers=h).status_code == 404
    other = add_contact(db, make_customer(db, name="另一个客户"))
    assert c.get(f"{base}/{other.id}", headers=h).status_code == 404, "a contact of another customer"


def test_activities_crud(db, api):
    customer = make_customer(db)
    add_activity(db, customer, summary="旧记录", on=date(2024, 5, 1))
    c, h = api("manager1")
    base = f"/api/v1/customers/{customer.no}/activities"
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    resp = c.post(base, headers=h, json={"date": tomorrow, "summary": ""})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"date", "summary"}
    resp = c.post(base, headers=h, json={"date": "2025-02-03", "place": "客户公司", "summary": "洽谈续约",
                                         "details": "讨论价格"})
    assert resp.status_code == 201
    activity_id = resp.get_json()["id"]
    items = c.get(base, headers=h).get_json()["items"]
    assert [i["summary"] for i in items] == ["洽谈续约", "旧记录"]
    resp = c.put(f"{base}/{activity_id}", headers=h, json={"date": "2025-02-04", "summary": "洽谈续约（改）"})
    assert resp.get_json()["date"] == "2025-02-04" and resp.get_json()["place"] is None
    assert c.delete(f"{base}/{activity_id}", headers=h).status_code == 204
    assert c.get(base, headers=h).get_json()["total"] == 1


def test_orders_with_lines_and_totals(db, api):
    customer = make_customer(db)
    add_order(db, customer, "API-SO-1", date(2024, 6, 1), [(2, "100.00"), (1, "50.50")], status="unpaid")
    add_order(db, customer, "API-SO-2", date(2025, 1, 9), [(3, "10.00")])
    c, h = api("manager1")
    body = c.get(f"/api/v1/customers/{customer.no}/orders", headers=h).get_json()
    assert body["total"] == 2
    first, second = body["items"]
    assert (first["order_no"], first["total"], first["status"]) == ("API-SO-2", "30.00", "paid")
    assert second["customer_no"] == customer.no and second["total"] == "250.50"
    assert [(ln["quantity"], ln["unit_price"], ln["amount"]) for ln in second["lines"]] == \
        [(2, "100.00", "200.00"), (1, "50.50", "50.50")]
    assert c.post(f"/api/v1/customers/{customer.no}/orders", headers=h, json={}).status_code == 405


def test_transfer_through_the_api(db, api):
    customer = make_customer(db)
    c, h = api("manager1")
    url = f"/api/v1/customers/{customer.no}/transfer"
    assert c.post(url, headers=h, json={"manager_id": uid(db, "manager2")}).status_code == 403
    c, h = api("supervisor")
    resp = c.post(url, headers=h, json={"manager_id": uid(db, "executive")})
    assert resp.status_code == 422 and "manager_id" in resp.get_json()["errors"]
    resp = c.post(url, headers=h, json={"manager_id": uid(db, "manager2")})
    assert resp.status_code == 200
    assert resp.get_json()["customer"]["manager_id"] == uid(db, "manager2") and resp.get_json()["tasks"] == 0


def test_openapi_documents_the_customer_resources(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/customers", "/api/v1/customers/{no}", "/api/v1/customers/{no}/contacts",
                 "/api/v1/customers/{no}/activities", "/api/v1/customers/{no}/orders"):
        assert path in paths, path
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/customers/{no}"])


def test_contact_sex_travels_as_a_code_whatever_was_imported(db, api, login):
    customer = make_customer(db)
    legacy = add_contact(db, customer, name="导入的联系人", sex="男")
    c, h = api("manager1")
    base = f"/api/v1/customers/{customer.no}/contacts"
    assert c.get(f"{base}/{legacy.id}", headers=h).get_json()["sex"] == "M"
    created = c.post(base, headers=h, json={"name": "新联系人", "sex": "女"}).get_json()
    assert created["sex"] == "F"
    edit = login("manager1").get(f"/customers/{customer.no}/contacts/{legacy.id}/edit").get_data(as_text=True)
    assert '<option selected value="M">' in edit
