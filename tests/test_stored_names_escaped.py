"""Names people typed (roles, users) show as text on every page: never translated, never marked safe."""
import pathlib
import re

from jinja2 import Environment, nodes
from sqlalchemy import select

from app.auth.models import Role
from test_customers_support import make_customer, make_instance, make_service_request, uid

PAYLOAD = '<img src=x onerror=alert(1)>'
ESCAPED = '&lt;img src=x onerror=alert(1)&gt;'
TEMPLATES = pathlib.Path(__file__).resolve().parent.parent / "app" / "templates"
# bokeh's components() output is the one markup the app embeds; bokeh escapes the data inside it.
SAFE_FILTER_ALLOWED = {"reports/show.html", "reports/dashboards.html"}


def _role(db, code):
    return db.scalar(select(Role).where(Role.code == code))


def _rename(db, code, name):
    role = _role(db, code)
    role.name = name  # as stored by an earlier version that did not check names, or by SQL
    db.flush()
    return role


def _assert_text_only(html):
    assert PAYLOAD not in html
    assert ESCAPED in html


def test_a_role_name_with_markup_shows_as_text_in_the_header_of_its_holders(db, login):
    _rename(db, "customer_manager", PAYLOAD)
    html = login("manager1").get("/inbox/").get_data(as_text=True)
    _assert_text_only(html)
    assert re.search(r'<span class="who">李经理 · ' + re.escape(ESCAPED) + "</span>", html)


def test_a_role_name_with_markup_shows_as_text_on_the_admin_pages(db, login):
    role = _rename(db, "customer_manager", PAYLOAD)
    admin = login("admin")
    for url in ("/admin/users", "/admin/roles", f"/admin/roles/{role.id}", f"/admin/users/{uid(db, 'manager1')}",
                "/admin/users/new"):
        resp = admin.get(url)
        assert resp.status_code == 200, url
        _assert_text_only(resp.get_data(as_text=True))


def test_a_role_name_with_markup_shows_as_text_on_the_customer_page(db, login):
    _rename(db, "sales_supervisor", PAYLOAD)
    customer = make_customer(db, name="流程客户")
    request = make_service_request(db, customer, created_by=uid(db, "service1"))
    make_instance(db, "customer_service", request, tasks=[("dispatch", "服务分配", "sales_supervisor", None, True)])
    html = login("manager1").get(f"/customers/{customer.no}").get_data(as_text=True)
    _assert_text_only(html)
    assert "任一" + ESCAPED in html  # the lane's holder, named by the role


def test_a_role_name_with_a_percent_sign_shows_as_typed(db, login):
    role = _rename(db, "customer_manager", "Team 50% {{7*7}}")
    assert "Team 50% {{7*7}}" in login("manager1").get("/inbox/").get_data(as_text=True)
    assert "Team 50% {{7*7}}" in login("admin").get(f"/admin/roles/{role.id}").get_data(as_text=True)


def test_a_role_named_like_a_ui_text_is_not_translated(db, login):
    _rename(db, "customer_manager", "Sign out")  # a msgid of the shared catalog (签退/退出)
    html = login("manager1").get("/inbox/").get_data(as_text=True)
    assert '<span class="who">李经理 · Sign out</span>' in html


def test_built_in_roles_show_their_translated_name_until_renamed(db, login):
    assert "系统管理员" in login("admin").get("/admin/roles").get_data(as_text=True)
    _rename(db, "admin", "Boss")
    html = login("admin").get("/admin/roles").get_data(as_text=True)
    assert ">Boss<" in html and "系统管理员</a>" not in html


def test_a_role_name_must_be_printable_text_of_bounded_length(db, login, api):
    role = _role(db, "executive")
    role_id, codes = role.id, [r.code for r in role.rights]  # the requests share the test's session and close it
    admin = login("admin")
    for bad in ("高管\x1b[31m", "高管\u202e", "a\nb", "x" * 61):
        resp = admin.post(f"/admin/roles/{role_id}", data={"name": bad, "rights": codes})
        assert resp.status_code == 422, repr(bad)
        assert 'class="field has-error"' in resp.get_data(as_text=True)
    resp = admin.post("/admin/roles/new", data={"code": "night_shift", "name": "夜班\x00"})
    assert resp.status_code in (400, 422)
    client, headers = api("admin")
    resp = client.patch(f"/api/v1/roles/{role_id}", headers=headers, json={"name": "高管\u0007"})
    assert resp.status_code == 422 and "name" in resp.get_json()["errors"]
    resp = client.post("/api/v1/roles", headers=headers, json={"code": "night_shift", "name": "夜\u2028班"})
    assert resp.status_code == 422 and "name" in resp.get_json()["errors"]
    db.expire_all()
    assert _role(db, "executive").name == "Executive"
    # markup characters are text like any other: accepted, and escaped wherever shown
    resp = client.patch(f"/api/v1/roles/{role_id}", headers=headers, json={"name": "<b>高管</b> & 董事"})
    assert resp.status_code == 200 and resp.get_json()["name"] == "<b>高管</b> & 董事"


def test_a_user_name_must_be_printable_text(db, api):
    client, headers = api("admin")
    resp = client.patch(f"/api/v1/users/{uid(db, 'manager2')}", headers=headers, json={"name": "王\u200f经理"})
    assert resp.status_code == 422 and "name" in resp.get_json()["errors"]


def _parsed_templates():
    env = Environment(extensions=["jinja2.ext.i18n"])
    for path in sorted(TEMPLATES.rglob("*.html")):
        yield path.relative_to(TEMPLATES).as_posix(), env.parse(path.read_text(encoding="utf-8"))


def test_templates_translate_only_literal_texts_and_mark_nothing_safe():
    """The template `_()` returns Markup: given a variable, it would put database text on the page as HTML."""
    found = []
    for name, ast in _parsed_templates():
        for call in ast.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name in ("_", "gettext", "ngettext", "pgettext"):
                if not call.args or not isinstance(call.args[0], nodes.Const):
                    found.append(f"{name}:{call.lineno} {call.node.name}() of a variable")
        for f in ast.find_all(nodes.Filter):
            if f.name == "safe" and name not in SAFE_FILTER_ALLOWED:
                found.append(f"{name}:{f.lineno} |safe")
            if f.name == "tojson" and not _tojson_is_guarded(name, f):
                found.append(f"{name}:{f.lineno} |tojson in an attribute without |forceescape")
        for node in ast.find_all(nodes.Name):
            if node.name == "Markup":
                found.append(f"{name}:{node.lineno} Markup")
    assert found == []


def _tojson_is_guarded(name, node):
    """tojson escapes < > & ' but not the double quote: inside an attribute it needs |forceescape as well."""
    line = (TEMPLATES / name).read_text(encoding="utf-8").splitlines()[node.lineno - 1]
    return "|tojson|forceescape" in line or "</script>" in line


# The one module that may build Markup: it adds the CSP nonce to the <script> tags of bokeh's generated embed
# (library output that was marked |safe before; it carries no stored text outside bokeh's own JSON escaping).
# reports/charts.py: the chart's script is bokeh's JSON item with the data put in JSON-encoded, '<', '>' and '&'
# escaped (_script_json), so no stored text can end the script element (tests/test_reports*.py prove it).
MARKUP_ALLOWED = {"common/http_security.py", "reports/charts.py"}


def test_python_code_builds_no_markup_and_translates_no_stored_text():
    root = TEMPLATES.parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if str(path.relative_to(root)) in MARKUP_ALLOWED:
            continue
        text = path.read_text(encoding="utf-8")
        for no, line in enumerate(text.splitlines(), 1):
            if re.search(r"\bMarkup\(|markupsafe|__html__", line):
                found.append(f"{path.relative_to(root)}:{no} {line.strip()}")
            if re.search(r"\b(lazy_gettext|_l)\(\s*[a-z]", line):
                found.append(f"{path.relative_to(root)}:{no} {line.strip()}")
    assert found == []
