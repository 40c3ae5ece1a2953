"""Walks every registered route (the Flask URL map, pages and API) as each role and as anonymous: nothing may
answer 2xx without the right it declares, and every endpoint must declare one."""
import re

import pytest

from app.auth.guard import LOGGED_IN, PUBLIC, access_rule
from app.auth.seed import DEMO_USERS

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", lambda m: "999999" if m.group(0).startswith("<int:") else "x", rule.rule)
        url = re.sub(r"<[^>]+>", "x", url)
        for method in METHODS:
            if method in rule.methods:
                yield rule.endpoint, method, url


def test_every_endpoint_declares_who_may_call_it(app):
    with app.test_request_context():
        undeclared = sorted({(e, m) for e, m, _ in _routes(app) if access_rule(e, m) is None})
    assert undeclared == []


def _allowed(rule, rights):
    """`rights`: the user's right codes, None for no user."""
    if rule == PUBLIC:
        return True
    if rights is None:
        return False
    if rule == LOGGED_IN:
        return True
    return rule is not None and any(r in rights for r in rule)


@pytest.mark.parametrize("username", [None] + [u[0] for u in DEMO_USERS])
def test_no_route_answers_2xx_without_the_right(app, login, api, user, username):
    # Read before any request: the requests share the test's session and close it.
    rights = user(username).right_codes if username else None
    routes = list(_routes(app))
    with app.test_request_context():
        rules = {(e, m): access_rule(e, m) for e, m, _ in routes}
    refused = [(e, m, url) for e, m, url in routes if not _allowed(rules[(e, m)], rights)]
    # Pages first, with the web session: an API login ends it (one live session per user), after which every
    # page would only redirect to the login and prove nothing.
    for is_api in (False, True):
        if is_api:
            c, h = api(username) if username else (app.test_client(), {})
        else:
            c, h = (login(username) if username else app.test_client()), {}
        for endpoint, method, url in refused:
            if url.startswith("/api/") != is_api:
                continue
            rule = rules[(endpoint, method)]
            resp = c.open(url, method=method, headers=h, json={} if method != "GET" else None)
            assert not 200 <= resp.status_code < 300, f"{method} {url} ({endpoint}) answered {resp.status_code} " \
                                                      f"to {username or 'anonymous'} without {rule}"
            if is_api:
                assert resp.status_code in (401, 403), f"{method} {url}: {resp.status_code}"
            elif username:  # signed in: refused by the rights check itself, not sent to the login page
                assert resp.status_code == 403, f"{method} {url}: {resp.status_code} for {username}"
