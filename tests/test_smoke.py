def test_login_lands_on_inbox_and_shows_menu(login):
    c = login("manager1")
    page = c.get("/inbox/", follow_redirects=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "李经理" in html


def test_health_is_public(client):
    assert client.get("/health").get_json()["status"] == "ok"


def test_anonymous_page_redirects_to_login(client):
    resp = client.get("/inbox/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
