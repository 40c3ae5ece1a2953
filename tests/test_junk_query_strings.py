"""Every page and API list answers nonsense filters (wrong types, impossible dates, huge numbers, odd characters)
with its page or a clear error, never a 500 — also when exporting to Excel."""
import pytest

HUGE = "99999999999999999999"
JUNK = [
    "page=-1&per_page=abc&date_from=2025-13-45&date_to=x&created_from=x&year=99999999999&status=zzz&manager_id=abc"
    "&level=x&sort=zzz&due=zz&process=zz&role=zz&type=zz&q=%25%5F%5C&region=%27%22%3C&mode=zz&customer=%27"
    "&satisfaction=9&credit=-5&outcome=zz&key=zz&version=zz&active=zz",
    f"page={HUGE}&per_page={HUGE}&date_from=0001-01-01&date_to=9999-12-31&year=abc&manager_id={HUGE}&level={HUGE}"
    f"&sort=-due&due=overdue&process=%E2%80%8B&role=admin&type={HUGE}&q={'x' * 3000}&mode=credit"
    f"&satisfaction={HUGE}&credit={HUGE}&version={HUGE}&product_id={HUGE}&customer_id={HUGE}",
    "page=0&per_page=0&date_from=2025-02-30&year=-1&manager_id=-1&level=0&q=%20%20&mode=satisfaction",
]


def _list_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static" \
                and "logout" not in rule.rule and not rule.rule.startswith("/reports/vendor"):
            yield rule.rule


@pytest.mark.parametrize("username", ["admin", "manager1"])
def test_lists_answer_nonsense_filters_without_a_server_error(app, login, api, username):
    routes = list(_list_routes(app))
    failures = []

    def walk(paths, c, headers):
        for path in paths:
            for i, junk in enumerate(JUNK):
                for query in ((junk, junk + "&export=xlsx&format=xlsx") if i == 0 else (junk,)):
                    resp = c.get(f"{path}?{query}", headers=headers)
                    assert resp.status_code not in (301, 302) or path in ("/", "/password"), \
                        f"{path}: signed out ({resp.headers.get('Location')})"
                    if resp.status_code >= 500:
                        failures.append((path, i, resp.status_code))
    # pages first: the API login below ends the web session (one live session per user)
    walk([r for r in routes if not r.startswith("/api/")], login(username), {})
    walk([r for r in routes if r.startswith("/api/")], *api(username))
    assert failures == []
