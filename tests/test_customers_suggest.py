"""Finding a customer by typing: every word must match, the type-ahead answers at most 10 visible customers."""
from test_customers_support import add_contact, make_customer


def test_every_word_of_a_search_must_match(db, api):
    both = make_customer(db, name="沪上华信多词测试有限公司")
    only_first = make_customer(db, name="沪上远望多词测试有限公司")
    add_contact(db, only_first, name="华罗庚", mobile="13900001111")
    c, h = api("supervisor")
    nos = lambda q: {i["no"] for i in c.get(f"/api/v1/customers?q={q}&per_page=50", headers=h).get_json()["items"]}
    assert nos("沪上 华信") == {both.no}
    assert nos("华信 沪上") == {both.no}, "word order does not matter"
    # a word may match another column than the others: 华罗 is only a contact's name
    assert nos("多词测试 华罗") == {only_first.no}
    assert nos("沪上\u3000远望") == {only_first.no}, "the full-width space separates words too"
    assert nos("沪上 不存在的词") == set()


def test_the_list_page_searches_every_word(db, login):
    both = make_customer(db, name="页面多词华信测试公司")
    other = make_customer(db, name="页面多词远望测试公司")
    page = login("supervisor").get("/customers/?q=页面多词+华信").get_data(as_text=True)
    assert both.no in page and other.no not in page


def test_suggest_answers_ten_visible_customers_as_number_and_name(db, api):
    mine = [make_customer(db, manager="manager1", name=f"联想输入测试{i:02d}号公司") for i in range(12)]
    theirs = make_customer(db, manager="manager2", name="联想输入测试他人公司")
    c, h = api("manager1")
    body = c.get("/api/v1/customers/suggest?q=联想输入 测试", headers=h).get_json()
    assert len(body) == 10
    assert body[0] == {"no": mine[-1].no, "name": mine[-1].name}, "newest first, number and name only"
    assert theirs.no not in {i["no"] for i in body}, "another manager's customer is not suggested"
    sup, sh = api("supervisor")
    assert theirs.no in {i["no"] for i in sup.get("/api/v1/customers/suggest?q=他人公司", headers=sh).get_json()}
    assert c.get("/api/v1/customers/suggest?q=", headers=h).get_json() == []
    assert c.get("/api/v1/customers/suggest", headers=h).status_code == 422


def test_suggest_for_pages_needs_a_right_to_pick_customers(db, login):
    make_customer(db, name="页面联想测试公司")
    assert login("service1").get("/customers/suggest.json?q=页面联想").get_json()[0]["name"] == "页面联想测试公司"
    assert login("analyst").get("/customers/suggest.json?q=页面联想").status_code == 403
