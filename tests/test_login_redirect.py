"""After login (and a language switch) the browser goes only to a path of this site: every spelling a browser
would turn into another host lands on the user's landing page instead (issue 13, item 3)."""
import pytest

# The query strings as they travel (raw), then as the attacker writes them (encoded by the test client).
RAW = ["/%09/host", "/%0a/host", "/%0d%0a/host", "/%5C%5Chost", "/%5Chost", "%5C/host", "https:host",
       "https://evil.example/", "%2F%2Fhost", "%252F%252Fhost", "/%252F/host", "%20//host", "//host",
       "javascript:alert(1)"]
DECODED = ["/\t/host", "/\\host", "\\\\host", "https:host", "//host", "/%2F/host", "/%5Chost", " //host",
           "http:/\\host", "/\x0b/host"]


def _landing(app):
    c = app.test_client()
    return c.post("/login", data={"username": "manager1", "password": "demo"}).headers["Location"]


@pytest.mark.parametrize("raw", RAW)
def test_login_never_redirects_off_site_raw(app, db, raw):
    landing = _landing(app)
    c = app.test_client()
    resp = c.post(f"/login?next={raw}", data={"username": "manager1", "password": "demo"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == landing


@pytest.mark.parametrize("target", DECODED)
def test_login_never_redirects_off_site(app, db, target):
    landing = _landing(app)
    c = app.test_client()
    resp = c.post("/login", query_string={"next": target}, data={"username": "manager1", "password": "demo"})
    assert resp.headers["Location"] == landing


def test_login_keeps_a_path_of_this_site_with_its_query(app, db):
    c = app.test_client()
    target = "/customers/?q=%E5%BC%A0%20san&page=2"
    resp = c.post("/login", query_string={"next": target}, data={"username": "manager1", "password": "demo"})
    assert resp.headers["Location"] == target


@pytest.mark.parametrize("target", ["/\t/host", "/\\host", "https:host", "//host"])
def test_language_switch_never_redirects_off_site(login, target):
    c = login("manager1")
    resp = c.post("/lang/en", data={"next": target})
    assert resp.status_code == 302
    assert "host" not in resp.headers["Location"]
