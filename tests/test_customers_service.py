"""Customer services: numbering, creation for the sales process, validation rules, search, record-level scope."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import or_, select, text

from app.common.errors import NotFound, ValidationFailed
from app.common.listing import paginate
from app.customers import search, service
from app.customers.models import Contact, Customer
from test_customers_support import add_contact, ensure_dictionary, make_customer, uid


def test_numbers_are_kh_date_and_a_daily_sequence(db):
    day = date(2031, 7, 9)
    assert service.next_customer_no(db, day) == "KH310709001"
    first = make_customer(db, on_date=day)
    second = make_customer(db, name="第二家", on_date=day)
    other_day = make_customer(db, name="次日客户", on_date=date(2031, 7, 10))
    assert (first.no, second.no, other_day.no) == ("KH310709001", "KH310709002", "KH310710001")
    assert service.next_customer_no(db, day) == "KH310709003"


def test_sequence_goes_past_999_without_reusing_numbers(db):
    ensure_dictionary(db)
    db.add(Customer(no="KH310711999", name="x", level=1, status="normal", created_at=service.utcnow()))
    db.flush()
    assert service.next_customer_no(db, date(2031, 7, 11)) == "KH3107111000"
    db.add(Customer(no="KH3107111000", name="y", level=1, status="normal", created_at=service.utcnow()))
    db.flush()
    assert service.next_customer_no(db, date(2031, 7, 11)) == "KH3107111001"


def test_a_taken_number_is_skipped_on_retry(db, monkeypatch):
    """Two requests numbering the same day: the loser's insert fails on the unique number and it takes the next."""
    day = date(2031, 7, 12)
    make_customer(db, on_date=day)
    calls = []
    real = service.next_customer_no

    def stale_then_real(db_, on_date):
        calls.append(on_date)
        return "KH310712001" if len(calls) == 1 else real(db_, on_date)
    monkeypatch.setattr(service, "next_customer_no", stale_then_real)
    second = make_customer(db, name="并发客户", on_date=day)
    assert second.no == "KH310712002" and len(calls) == 2


def test_create_customer_from_a_won_opportunity(db):
    """SPEC §4: name, contact and phone from the opportunity, manager = assignee, level 1, status normal."""
    customer = make_customer(db, name="华北重工集团", contact_name="周敏", contact_phone="13912345678")
    assert customer.manager_id == uid(db, "manager1")
    assert (customer.level, customer.status) == (1, "normal")
    contact = db.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert (contact.name, contact.mobile, contact.office_phone) == ("周敏", "13912345678", None)
    landline = make_customer(db, name="另一家", contact_name="吴刚", contact_phone="010-66668888")
    contact = db.scalar(select(Contact).where(Contact.customer_id == landline.id))
    assert (contact.mobile, contact.office_phone) == (None, "010-66668888")


def test_create_customer_rejects_bad_input(db):
    ensure_dictionary(db)
    with pytest.raises(ValidationFailed) as err:
        service.create_customer(db, name=" ", manager_id=uid(db, "supervisor"), contact_name="周敏",
                                contact_phone="abc")
    assert set(err.value.errors) == {"name", "manager_id", "contact_phone"}
    with pytest.raises(TypeError):
        service.create_customer(db, name="x", manager_id=None, status="deleted")


def _errors(db, customer, **data):
    with pytest.raises(ValidationFailed) as err:
        service.update_customer(db, customer, data={"name": customer.name, "level": "1", **data},
                                user=None)
    return err.value.errors


@pytest.mark.parametrize("field,value", [
    ("phone", "12ab"), ("phone", "123"), ("fax", "++86 10"), ("postcode", "10000"), ("postcode", "1000001"),
    ("postcode", "10000a"), ("website", "not a url"), ("website", "http://localhost"), ("registered_capital", "-1"),
    ("registered_capital", "abc"), ("turnover", "1.234"), ("turnover", "1e20"), ("satisfaction", "0"),
    ("satisfaction", "6"), ("credit", "x"), ("level", "9"), ("level", ""), ("region", "火星"), ("name", ""),
    ("name", "长" * 101), ("address", "路" * 201),
])
def test_each_rule_names_its_field(db, field, value):
    customer = make_customer(db)
    assert list(_errors(db, customer, **{field: value})) == [field]


def test_valid_edit_is_applied_and_normalised(db):
    customer = make_customer(db)
    service.update_customer(db, customer, user=None, data={
        "name": "远望科技", "level": "3", "region": "华北", "satisfaction": "4", "credit": "5",
        "phone": "+86 (010) 6666-8888", "postcode": "100080", "website": "www.yuanwang.cn",
        "registered_capital": "1,200.50", "turnover": "0", "address": "海淀区中关村大街1号"})
    assert (customer.level, customer.region, customer.satisfaction, customer.credit) == (3, "华北", 4, 5)
    assert customer.website == "http://www.yuanwang.cn"
    assert customer.registered_capital == Decimal("1200.50") and customer.turnover == Decimal("0")
    service.update_customer(db, customer, user=None, data={"name": "远望科技", "level": 3})
    assert customer.region is None and customer.phone is None, "a full update clears what is left empty"


def test_partial_update_touches_only_given_fields(db):
    customer = make_customer(db, phone="010-12345678")
    service.update_customer(db, customer, user=None, partial=True, data={"credit": 2})
    assert (customer.credit, customer.phone, customer.name) == (2, "010-12345678", "北京远望科技有限公司")


def test_search_finds_number_name_contact_and_phone(db, user):
    admin = user("admin")
    a = make_customer(db, name="深圳星河电子", on_date=date(2031, 1, 2))
    b = make_customer(db, name="上海百川贸易", on_date=date(2031, 1, 3))
    add_contact(db, b, name="欧阳娜娜", mobile="13700001111", office_phone="021-55556666")

    def found(q):
        return [c.no for c in db.scalars(search.query_customers(user=admin, q=q))]
    assert found("KH310102") == [a.no]
    assert found("星河") == [a.no]
    assert found("欧阳") == [b.no]
    assert found("0000111") == [b.no]
    assert found("5555666") == [b.no]
    assert found("100%") == [], "LIKE wildcards in the query are taken literally"


def _short_search_data(db):
    """Customers whose names share characters in other orders, with ASCII and non-ASCII cases and LIKE wildcards."""
    day = date(2031, 2, 3)
    customers = {
        "a": make_customer(db, name="华信Ab科技", on_date=day),
        "b": make_customer(db, name="信达物流", on_date=day),
        "c": make_customer(db, name="ab-Tech 5%_x", on_date=day),
        "d": make_customer(db, name="Äpfel\\贸易", on_date=day),
    }
    add_contact(db, customers["a"], name="欧阳娜", mobile="13700002222")
    add_contact(db, customers["b"], name="李华", office_phone="021-55557777")
    add_contact(db, customers["d"], name="Ülla")
    return customers


def test_searches_of_one_or_two_characters(db, user):
    """Too short for trigrams (PostgreSQL answers them with the characters index): the same customers as ever."""
    admin = user("admin")
    made = _short_search_data(db)
    by_id = {c.id: key for key, c in made.items()}

    def found(**filters):
        return {by_id[c.id] for c in db.scalars(search.query_customers(user=admin, **filters)) if c.id in by_id}
    assert found(q="华信") == {"a"}
    assert found(q="信华") == set(), "both characters occur in a's name, but not in this order"
    assert found(q="信") == {"a", "b"}
    assert found(q="华") == {"a", "b"}, "b through its contact 李华"
    assert found(q="欧阳") == {"a"}
    assert found(q="ab") == found(q="AB") == found(q="aB") == {"a", "c"}
    assert found(q="b科") == found(q="B科") == {"a"}
    assert found(q="%") == found(q="5%") == found(q="%_") == {"c"}, "LIKE wildcards are taken literally"
    assert found(q="_") == {"c"}
    assert found(q="\\") == {"d"}
    assert found(q="kh") == found(q="KH") == found(q="H3") == {"a", "b", "c", "d"}, "every number is KH31..."
    assert found(q="22") == {"a"} and found(q="77") == {"b"}, "phone numbers"
    assert found(q="5") == {"b", "c"}, "b's office phone, c's name"
    assert found(name="信") == {"a", "b"} and found(name="ab") == {"a", "c"} and found(no="kh") == set(made)


def test_short_searches_match_like_ilike_everywhere(db, user):
    """Every 1- and 2-character piece of the data, in both cases, finds exactly the customers the database's own
    ILIKE finds in the searched columns (so the characters index on PostgreSQL never loses a match, e.g. by case)."""
    admin = user("admin")
    made = _short_search_data(db)
    ours = {c.id for c in made.values()}
    texts = [c.name for c in made.values()] + [c.no for c in made.values()] + ["欧阳娜", "李华", "Ülla"]
    pieces = {t[i:i + n] for t in texts for n in (1, 2) for i in range(len(t) - n + 1)}
    terms = {p.strip() for piece in pieces for p in (piece, piece.lower(), piece.upper())} - {""}
    for q in sorted(terms):
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = [Customer.name, Customer.no, Contact.name, Contact.mobile, Contact.office_phone]
        expected = set(db.scalars(select(Customer.id).outerjoin(Contact, Contact.customer_id == Customer.id)
                                  .where(Customer.id.in_(ours),
                                         or_(*(column.ilike(pattern, escape="\\") for column in columns)))))
        got = {c.id for c in db.scalars(search.query_customers(user=admin, q=q))} & ours
        assert got == expected, q


def test_short_searches_reach_the_characters_index(db, user):
    """PostgreSQL: each part of a 2-character search can be answered by a characters index (the query's expression
    is the index's). SQLite has no such index and keeps the plain LIKE."""
    statement = search.query_customers(user=user("admin"), q="华信")
    if db.get_bind().dialect.name != "postgresql":
        assert "string_to_array" not in str(statement.compile(db.get_bind()))
        return
    db.execute(text("SET LOCAL enable_seqscan = off"))  # the test tables are small enough to be read whole
    compiled = statement.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(db.scalars(text(f"EXPLAIN {compiled}")))
    assert "ix_customer_name_chars" in plan and "ix_customer_contact_text_chars" in plan, plan


def test_filters_and_logical_delete(db, user):
    admin = user("admin")
    a = make_customer(db, name="甲公司", region="北京", level=3)
    b = make_customer(db, manager="manager2", name="乙公司", region="西部")

    def nos(**kw):
        return {c.no for c in db.scalars(search.query_customers(user=admin, **kw))} & {a.no, b.no}
    assert nos(region="北京") == {a.no}
    assert nos(level=3) == {a.no}
    assert nos(manager_id=uid(db, "manager2")) == {b.no}
    assert nos(no=b.no[-5:], name="乙") == {b.no}
    service.delete_customer(db, b, user=admin)
    assert nos() == {a.no}
    assert db.get(Customer, b.id).status == "deleted", "the row stays for history and reports"
    with pytest.raises(NotFound):
        service.get_customer(db, b.no, user=admin)


def test_managers_see_only_their_customers(db, user):
    mine = make_customer(db, name="我的客户")
    theirs = make_customer(db, manager="manager2", name="别人的客户")
    m1 = user("manager1")
    listed = {c.no for c in db.scalars(search.query_customers(user=m1))}
    assert mine.no in listed and theirs.no not in listed
    assert service.get_customer(db, mine.no, user=m1) is mine
    with pytest.raises(NotFound):
        service.get_customer(db, theirs.no, user=m1)
    assert service.get_customer(db, theirs.no, user=user("supervisor")) is theirs
    page = paginate(db, search.query_customers(user=m1, manager_id=uid(db, "manager2")))
    assert page.total == 0, "a manager filter cannot widen a manager's scope"
    add_contact(db, theirs, name="别人的联系人")
    for q in ("别人", "别人的客户", "别人的联系人"):
        assert list(db.scalars(search.query_customers(user=m1, q=q))) == [], q
        assert list(db.scalars(search.query_customers(user=user("supervisor"), q=q))) == [theirs], q


def test_search_pages_count_and_clamp(db, user):
    admin = user("admin")
    made = [make_customer(db, name=f"翻页检索{i}") for i in range(5)]
    page = search.find_customers(db, user=admin, q="翻页检索", page=2, per_page=2)
    assert (page.total, page.page, [c.name for c in page.items]) == (5, 2, ["翻页检索2", "翻页检索1"])
    last = search.find_customers(db, user=admin, q="翻页检索", page=9, per_page=2)
    assert (last.total, last.page, [c.no for c in last.items]) == (5, 3, [made[0].no])
    none = search.find_customers(db, user=admin, q="无此客户", page=1, per_page=2)
    assert (none.total, none.items) == (0, [])
    plain = search.find_customers(db, user=user("manager2"), page=1, per_page=2)
    assert all(c.manager_id == uid(db, "manager2") for c in plain.items)


def test_search_with_many_matches_gives_the_same_page(db, user, monkeypatch):
    """A search of several words: past MATCHED_IDS_MAX matches of its key word the search stays a subquery; the
    page must not change."""
    admin = user("admin")
    for i in range(4):
        make_customer(db, name=f"多匹配客户{i}")
    few = search.find_customers(db, user=admin, q="多匹配客 户", page=1, per_page=3)
    monkeypatch.setattr(search, "MATCHED_IDS_MAX", 2)
    many = search.find_customers(db, user=admin, q="多匹配客 户", page=1, per_page=3)
    assert (many.total, [c.id for c in many.items]) == (few.total, [c.id for c in few.items]) == \
        (4, [c.id for c in few.items])
    assert [c.name for c in many.items] == ["多匹配客户3", "多匹配客户2", "多匹配客户1"]


def _pages(db, user, q, per_page=2, n=5, **filters):
    return [search.find_customers(db, user=user, q=q, page=p, per_page=per_page, **filters) for p in range(1, n + 1)]


@pytest.mark.parametrize("q", ["常见", "常见词", "ZQ", "139"])
def test_a_search_most_customers_match_is_counted_up_to_a_limit_with_the_same_pages(db, user, monkeypatch, q):
    """A text more than SEARCH_COUNT_LIMIT customers contain (公司, KH) is paged newest first without counting every
    match ("4+", Next open): the pages hold exactly the customers an exact count pages through, those found by a
    contact's name or phone included."""
    admin = user("admin")
    made = [make_customer(db, name=f"常见词公司{i}") for i in range(5)]
    by_contact = make_customer(db, name="别的名字")
    add_contact(db, by_contact, name="常见词先生", mobile="13900001111")
    add_contact(db, made[1], name="常见", mobile="13911112222")
    db.execute(text("UPDATE customer SET no = 'ZQ' || no WHERE name LIKE '常见词公司%' OR name = '别的名字'"))
    db.expire_all()
    exact = _pages(db, admin, q)
    assert all(p.total_exact for p in exact)
    monkeypatch.setattr(search, "SEARCH_COUNT_LIMIT", 1)
    monkeypatch.setattr(search, "MATCHED_IDS_MAX", 1)  # texts of 3+ characters take the trigram ids below that
    capped = _pages(db, admin, q)
    if q == "139":  # held by two customers' contacts only: within the two a page holds, the count stays exact
        assert all(p.total_exact for p in capped)
    else:
        assert not capped[0].total_exact and capped[0].has_next
    assert [[c.id for c in p.items] for p in capped] == [[c.id for c in p.items] for p in exact]


def test_the_limited_count_keeps_the_scope_and_the_other_filters(db, user, monkeypatch):
    m1, m2 = user("manager1"), user("manager2")
    for i in range(4):
        make_customer(db, name=f"常见词公司{i}", manager="manager1")
        make_customer(db, name=f"常见词公司B{i}", manager="manager2")
    monkeypatch.setattr(search, "SEARCH_COUNT_LIMIT", 1)
    monkeypatch.setattr(search, "MATCHED_IDS_MAX", 1)
    own = _pages(db, m1, "常见词", per_page=3, n=2)
    assert not own[0].total_exact
    assert {c.manager_id for p in own for c in p.items} == {m1.id} and sum(len(p.items) for p in own) == 4
    # a name filter beside the text: no probe may stand for the search, the count is exact
    named = search.find_customers(db, user=user("admin"), q="常见词", name="B2", per_page=3)
    assert (named.total, named.total_exact, [c.name for c in named.items]) == (1, True, ["常见词公司B2"])
    assert {c.id for p in _pages(db, m2, "常见词", per_page=10, n=1) for c in p.items} == \
        {c.id for c in db.scalars(select(Customer).where(Customer.manager_id == m2.id,
                                                         Customer.name.like("常见词%")))}


def test_a_number_search_finds_numbers_names_and_contacts_within_the_scope(db, user):
    """The numbers and names the count probes found are reused by the search, not looked up again: what it finds
    must still be every match of every column, within the user's scope and filters."""
    m1, m2 = user("manager1"), user("manager2")
    day = date(2031, 3, 4)
    own = [make_customer(db, name=f"号码客户{i}", on_date=day, manager="manager1") for i in range(3)]
    other = make_customer(db, name="别人的客户", on_date=day, manager="manager2")
    named = make_customer(db, name="kh310304 代理商", on_date=date(2031, 3, 5), manager="manager1")
    by_contact = make_customer(db, name="联系人匹配", on_date=date(2031, 3, 6), manager="manager1")
    add_contact(db, by_contact, name="KH310304-对接人")
    add_contact(db, other, name="KH310304-别人")
    expected = sorted([c.id for c in own] + [named.id, by_contact.id], reverse=True)
    for who in (m1, user("admin")):
        found = search.find_customers(db, user=who, q="KH310304", manager_id=m1.id, per_page=20)
        assert ([c.id for c in found.items], found.total, found.total_exact) == (expected, 5, True)
    assert [c.id for c in search.find_customers(db, user=m2, q="KH310304").items] == [other.id]
    assert search.find_customers(db, user=m1, q="KH310304", name="代理").total == 1


def test_the_unsearched_list_counts_up_to_the_limit_and_pages_on(db, user, monkeypatch):
    """The list without a search text counts at most COUNT_LIMIT customers ("N+", Next open): the first page of a
    million customers costs what it costs at a few thousand, and every page still holds the customers an exact
    count pages through."""
    admin = user("admin")
    for i in range(5):
        make_customer(db, name=f"计数客户{i}")
    exact = [search.find_customers(db, user=admin, page=p, per_page=2) for p in (1, 2, 3)]
    assert exact[0].total_exact and exact[0].total >= 5
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    capped = [search.find_customers(db, user=admin, page=p, per_page=2) for p in (1, 2, 3)]
    assert (capped[0].total, capped[0].total_exact, capped[0].has_next) == (3, False, True)
    # a page past the limit is still reached (the count goes up to the page asked for)
    assert capped[2].page == 3
    assert [[c.id for c in p.items] for p in capped] == [[c.id for c in p.items] for p in exact]
