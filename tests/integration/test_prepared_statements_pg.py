"""On PostgreSQL the statements every request sends run as prepared statements (app.db_prepared), planned once per
connection: the sign-in, the menu badges, the inbox's counts, rows and process names, and a completion's lock,
form choices and engine write, and the ORM's loads by primary key. A change that drops the mark on one of them makes every request pay its planning
again (bench/README.md: the inbox page's statements 3.0 ms planned each time, 1.5 ms prepared)."""
import pytest
from sqlalchemy import text

from fixtures.sales_support import OPP, open_tasks, sales_api, sales_deployed  # noqa: F401 (fixtures)

pytestmark = pytest.mark.postgresql


def _prepared(db):
    """The statements prepared on the connection the test's requests share."""
    return db.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()


def _one_of(prepared, *words):
    return [s for s in prepared if all(w in s for w in words)]


def test_a_page_and_a_task_completion_run_their_hot_statements_prepared(login, sales_api, db, user,
                                                                        sales_deployed):
    c, h = sales_api("manager1")
    opp = c.post("/api/v1/opportunities", json=OPP, headers=h).get_json()
    page = login("supervisor")
    for _ in range(2):  # the second time runs what the first prepared
        assert OPP["customer_name"] in page.get("/inbox/").get_data(as_text=True)
    prepared = _prepared(db)
    assert _one_of(prepared, "FROM user_session", "token_hash = $1")  # the sign-in
    assert _one_of(prepared, "FROM opportunity", "count(*)")  # the menu's badges (to assign, ...)
    assert _one_of(prepared, "AS mine", "AS role", "AS \"all\"")  # the tab counts
    assert _one_of(prepared, "FROM human_task JOIN", "LIMIT $")  # the page's rows
    assert _one_of(prepared, "FROM process_definition")  # the process names

    [task] = open_tasks(db, opp["id"])
    s, hs = sales_api("supervisor")
    resp = s.post(f"/api/v1/tasks/{task.id}/complete", headers=hs, json={"data": {"assignee_id": user("manager1").id}})
    assert resp.status_code == 200, resp.get_json()
    prepared = _prepared(db)
    assert _one_of(prepared, "FROM process_instance", "FOR UPDATE OF process_instance")  # the lock
    assert _one_of(prepared, "FROM user_account JOIN role")  # the form's x-users choices
    assert _one_of(prepared, "json_populate_recordset")  # the engine's write
    assert _one_of(prepared, "UPDATE opportunity", "RETURNING")  # the operation's one statement (record_update)
    # The ORM's loads by primary key need no mark: the assignee.
    assert _one_of(prepared, "FROM user_account", "WHERE user_account.id = $1")


def test_an_inbox_search_is_not_prepared(login, db, sales_api, sales_deployed):
    """A text pattern's best plan depends on the text: a generic plan must not be chosen for it."""
    c, h = sales_api("manager1")
    c.post("/api/v1/opportunities", json=OPP, headers=h)
    page = login("supervisor")
    for _ in range(2):
        assert OPP["customer_name"] in page.get("/inbox/?q=远景").get_data(as_text=True)
    assert not _one_of(_prepared(db), "LIKE")
