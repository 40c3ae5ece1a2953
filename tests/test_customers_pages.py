"""Customer pages as a user meets them: list and search, edit with field errors, logical delete, rights."""
import io
import re

from openpyxl import load_workbook

from app.customers.models import Customer
from test_customers_support import add_contact, make_customer, uid


def test_list_search_box_and_filters(db, login):
    a = make_customer(db, name="杭州湖畔茶业")
    b = make_customer(db, name="成都天府物流", region="西部")
    add_contact(db, b, name="司马光", mobile="13655557777")
    c = login("supervisor")
    html = c.get("/customers/?q=湖畔").get_data(as_text=True)
    assert a.no in html and b.no not in html
    html = c.get("/customers/?q=5555777").get_data(as_text=True)
    assert b.no in html and a.no not in html
    html = c.get("/customers/?region=西部&name=天府").get_data(as_text=True)
    assert b.no in html and a.no not in html
    assert 'value="湖畔"' in c.get("/customers/?q=湖畔").get_data(as_text=True), "the search box keeps the query"


def test_list_is_paginated_and_exports_to_excel(db, login):
    for i in range(3):
        make_customer(db, name=f"分页客户{i}")
    c = login("supervisor")
    html = c.get("/customers/?name=分页客户&per_page=2").get_data(as_text=True)
    assert "分页客户2" in html and "分页客户0" not in html
    html = c.get("/customers/?name=分页客户&per_page=2&page=2").get_data(as_text=True)
    assert "分页客户0" in html
    resp = c.get("/customers/?name=分页客户&export=xlsx")
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.data)).active.values)
    assert rows[0][1] == "客户名称" and sorted(r[1] for r in rows[1:]) == ["分页客户0", "分页客户1", "分页客户2"]


def test_manager_lists_only_own_customers_and_gets_404_on_others(db, login):
    mine = make_customer(db, name="自己的客户")
    theirs = make_customer(db, manager="manager2", name="王经理的客户")
    c = login("manager1")
    html = c.get("/customers/").get_data(as_text=True)
    assert mine.no in html and theirs.no not in html
    html = c.get(f"/customers/?manager_id={uid(db, 'manager2')}").get_data(as_text=True)
    assert theirs.no not in html
    for url in (f"/customers/{theirs.no}", f"/customers/{theirs.no}/edit", f"/customers/{theirs.no}/contacts",
                f"/customers/{theirs.no}/activities", f"/customers/{theirs.no}/orders"):
        assert c.get(url).status_code == 404, url
    resp = c.post(f"/customers/{theirs.no}/edit", data={"name": "改掉", "level": "1"})
    assert resp.status_code == 404
    assert db.get(Customer, theirs.id).name == "王经理的客户"


def test_edit_errors_keep_what_was_entered(db, login):
    customer = make_customer(db)
    c = login("manager1")
    assert "None" not in c.get(f"/customers/{customer.no}/edit").get_data(as_text=True), \
        "empty fields show empty, not the word None"
    form = {"name": "远望科技（新）", "level": "2", "region": "华北", "phone": "电话号码", "postcode": "1234",
            "website": "远望", "registered_capital": "-5", "turnover": "12abc", "satisfaction": "3",
            "address": "朝阳区建国路88号"}
    resp = c.post(f"/customers/{customer.no}/edit", data=form)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    for message in ("邮政编码为6位数字", "金额不能为负数", "请输入网址", "请输入电话号码", "请输入金额"):
        assert message in html, message
    for value in ("远望科技（新）", "电话号码", "1234", "朝阳区建国路88号", "12abc", "-5"):
        assert f'value="{value}"' in html, value
    assert '<option selected value="2">' in html and '<option selected value="华北">' in html
    db.expire_all()
    assert db.get(Customer, customer.id).name == "北京远望科技有限公司", "nothing saved"


def test_edit_saves_every_field(db, login):
    customer = make_customer(db)
    c = login("manager1")
    form = {"name": "远望科技", "level": "5", "region": "东北", "satisfaction": "4", "credit": "3",
            "address": "沈阳市和平区", "postcode": "110000", "phone": "024-12345678", "fax": "024-12345679",
            "website": "https://yw.example.cn/about", "licence_no": "210100000012345", "legal_rep": "赵钱孙",
            "registered_capital": "500", "turnover": "12000000.5", "bank": "中国银行", "bank_account": "6222000011112222",
            "local_tax_no": "DS123", "national_tax_no": "GS456"}
    resp = c.post(f"/customers/{customer.no}/edit", data=form)
    assert resp.status_code == 302
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    for value in ("远望科技", "战略合作伙伴", "东北", "沈阳市和平区", "110000", "https://yw.example.cn/about",
                  "赵钱孙", "12000000.50", "6222000011112222", "GS456"):
        assert value in page, value
    edit_page = c.get(f"/customers/{customer.no}/edit").get_data(as_text=True)
    assert '<option selected value="5">' in edit_page and '<option selected value="4">' in edit_page


def test_logical_delete_asks_naming_the_customer_and_hides_it(db, login):
    customer = make_customer(db, name="待删除客户")
    admin = login("admin")
    page = admin.get(f"/customers/{customer.no}").get_data(as_text=True)
    assert re.search(rf'data-confirm="[^"]*客户 待删除客户（{customer.no}）', page), "the question names the customer"
    resp = admin.post(f"/customers/{customer.no}/delete", follow_redirects=True)
    assert "客户 待删除客户（%s）已删除" % customer.no in resp.get_data(as_text=True)
    assert f'href="/customers/{customer.no}"' not in admin.get("/customers/").get_data(as_text=True)
    assert admin.get(f"/customers/{customer.no}").status_code == 404
    db.expire_all()
    assert db.get(Customer, customer.id).status == "deleted"


def test_rights_are_checked_on_every_action(db, login):
    customer = make_customer(db)
    manager = login("manager1")
    assert manager.post(f"/customers/{customer.no}/delete").status_code == 403, "managers lack customer.delete"
    assert manager.get(f"/customers/{customer.no}/transfer").status_code == 403
    assert "删除" not in manager.get(f"/customers/{customer.no}").get_data(as_text=True).split("客户信息")[0]
    executive = login("executive")
    assert executive.get(f"/customers/{customer.no}").status_code == 200, "executives read"
    assert executive.get(f"/customers/{customer.no}/edit").status_code == 403
    assert executive.post(f"/customers/{customer.no}/contacts/new", data={"name": "x"}).status_code == 403
    analyst = login("analyst")
    assert analyst.get("/customers/").status_code == 403


def test_the_unfiltered_list_pages_newest_first_and_escapes_names(db, login):
    """The list as it opens (no filter) runs its own prepared statements: same pages, same escaping."""
    first, second = make_customer(db, name="翻页客户甲"), make_customer(db, name="翻页客户乙")
    odd = make_customer(db, name='<b>"翻页"</b>')
    c = login("supervisor")
    html = c.get("/customers/?per_page=2").get_data(as_text=True)
    assert odd.no in html and second.no in html and first.no not in html
    assert "<b>" not in html
    assert 'title="&lt;b&gt;&#34;翻页&#34;&lt;/b&gt;">&lt;b&gt;&#34;翻页&#34;&lt;/b&gt;</span>' in html
    html = c.get("/customers/?per_page=2&page=2").get_data(as_text=True)
    assert first.no in html and odd.no not in html and second.no not in html
