"""Remember-me (issue 13, item 5): the token rotates on every use; a rotated token presented again is a stolen
copy and revokes all of the user's tokens and sessions; the owner's logout ends a session a replayed cookie
opened, even though the owner's own session was superseded by it."""
from datetime import timedelta

import pytest

from app.auth.guard import REMEMBER_COOKIE
from processes import clock


@pytest.fixture
def later():
    """later(minutes=...) moves the clock forward by that much more."""
    moved = timedelta()

    def _later(**delta):
        nonlocal moved
        moved += timedelta(**delta)
        clock.set_offset(moved)
    yield _later
    clock.set_offset(None)


def _cookie(client):
    cookie = client.get_cookie(REMEMBER_COOKIE)
    return cookie.value if cookie else None


def _browser_with(app, cookie):
    """A browser holding only a copy of the remember-me cookie (no session)."""
    c = app.test_client()
    c.set_cookie(REMEMBER_COOKIE, cookie)
    return c


def _signed_in(client):
    return client.get("/inbox/").status_code == 200


def test_every_use_of_the_remember_cookie_replaces_it(login, later):
    c = login("manager1", remember=True)
    first = _cookie(c)
    later(hours=1)  # the session went idle: the remember cookie signs in again
    assert _signed_in(c)
    second = _cookie(c)
    assert second and second != first
    later(hours=1)
    assert _signed_in(c)
    assert _cookie(c) not in (first, second)


def test_a_replayed_old_cookie_revokes_every_session_and_token_of_the_user(app, login, later):
    victim = login("manager1", remember=True)
    victim.expect_signed_in = False
    stolen = _cookie(victim)
    later(hours=1)
    assert _signed_in(victim)  # the victim's visit rotated the token
    later(minutes=1)
    thief = _browser_with(app, stolen)
    assert not _signed_in(thief)
    assert not _signed_in(victim)  # the victim's session ended with the alarm ...
    later(hours=1)
    assert not _signed_in(victim)  # ... and their current remember token too


def test_a_thief_who_came_first_is_thrown_out_when_the_owner_comes_back(app, login, later):
    victim = login("manager1", remember=True)
    victim.expect_signed_in = False
    stolen = _cookie(victim)
    later(hours=1)
    thief = _browser_with(app, stolen)
    assert _signed_in(thief)  # the replay worked (the victim's session had gone idle)
    later(minutes=1)
    victim.get("/inbox/")  # the owner's browser presents the same, now rotated, token
    assert not _signed_in(thief)
    later(hours=1)
    assert not _signed_in(thief)  # the thief's rotated token was revoked too


def test_owner_logout_ends_the_session_a_replayed_cookie_opened(app, login, later):
    victim = login("manager1", remember=True)
    victim.expect_signed_in = False
    thief = _browser_with(app, _cookie(victim))
    later(minutes=1)
    assert _signed_in(thief)  # supersedes the victim's session: one live session per user
    resp = victim.post("/logout")  # the victim sees "signed in elsewhere" and signs out
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert not _signed_in(thief)
    later(hours=1)
    assert not _signed_in(thief)  # no remember token of the thief survives either


def test_two_requests_racing_with_the_same_cookie_raise_no_alarm(app, login, later):
    c = login("manager1", remember=True)
    cookie = _cookie(c)
    later(hours=1)
    assert _signed_in(c)
    racing = _browser_with(app, cookie)  # a second tab sent the old cookie a moment later
    assert not _signed_in(racing)
    assert _signed_in(c)
