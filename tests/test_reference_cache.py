"""Reference data kept per process (app.common.reference_cache): a page shows a change of the dictionary, of the
deployed processes or of the users on the very next request, however the change was made, and a kept copy saves the
reads while nothing changed."""
from sqlalchemy import text, update

from app.auth.models import User
from app.catalog.models import DictionaryEntry
from app.common import reference_cache
from processes.definitions import deploy_model
from statement_log import counted
from test_customers_support import ensure_dictionary


def _generation(db):
    return db.execute(text("SELECT generation FROM reference_generation WHERE id = 1")).scalar_one()


def test_every_write_of_reference_data_gives_a_new_generation_and_other_writes_do_not(db):
    ensure_dictionary(db)
    db.flush()
    seen = [_generation(db)]

    def moved():
        seen.append(_generation(db))
        return seen[-1] != seen[-2]

    db.add(DictionaryEntry(type="地区", item="代际测试区", value="代际测试区", editable=True))
    db.flush()
    assert moved(), "an inserted dictionary entry"
    db.execute(update(DictionaryEntry).where(DictionaryEntry.item == "代际测试区").values(value="改"))
    assert moved(), "an updated dictionary entry"
    db.execute(text("DELETE FROM dictionary_entry WHERE item = '代际测试区'"))
    assert moved(), "a deleted dictionary entry, by plain SQL"
    db.execute(update(User).where(User.username == "manager1").values(name="改名经理"))
    assert moved(), "a user's name"
    db.execute(update(User).where(User.username == "manager1").values(active=False))
    assert moved(), "a user's status"
    db.execute(update(User).where(User.username == "manager1").values(failed_logins=3))
    assert not moved(), "a column no kept copy holds"
    db.execute(text("UPDATE role SET name = name WHERE code = 'customer_manager'"))
    assert moved(), "a role"


def test_a_dictionary_entry_shows_on_the_next_page_and_an_unchanged_one_is_not_read_again(db, login, engine):
    ensure_dictionary(db)
    c = login("supervisor")
    assert "新设大区" not in c.get("/customers/").get_data(as_text=True)
    with counted(engine) as kept:
        c.get("/customers/")
    assert not [s for s in kept if "dictionary_entry" in s], kept
    db.add(DictionaryEntry(type="地区", item="新设大区", value="新设大区", editable=True))
    db.flush()
    with counted(engine) as after_change:
        html = c.get("/customers/").get_data(as_text=True)
    assert '<option value="新设大区"' in html
    assert [s for s in after_change if "dictionary_entry" in s], "read again after the change"


def test_a_renamed_or_disabled_manager_shows_so_on_the_next_page(db, login):
    c = login("supervisor")
    assert "李经理" in c.get("/customers/").get_data(as_text=True)
    db.execute(update(User).where(User.username == "manager1").values(name="李新名"))
    db.flush()
    html = c.get("/customers/").get_data(as_text=True)
    assert "李新名" in html and ">李经理<" not in html
    db.execute(update(User).where(User.username == "manager1").values(active=False))
    db.flush()
    assert "李新名" not in c.get("/customers/").get_data(as_text=True)


def test_a_deployed_process_shows_in_the_inbox_filter_on_the_next_page(db, login):
    c = login("supervisor")
    assert "代际测试流程" not in c.get("/inbox/").get_data(as_text=True)
    deploy_model(db, _PROCESS, filename="generation_probe.bpmn")
    db.flush()
    assert '<option value="generation_probe"' in c.get("/inbox/").get_data(as_text=True)


def test_only_safe_requests_with_a_generation_use_a_copy(app):
    reads = []

    def read():
        reads.append(1)
        return len(reads)

    with app.test_request_context("/customers/", method="GET"):
        assert reference_cache.kept(("probe",), read) == 1, "no sign-in read a generation: read"
        reference_cache.note_generation(41)
        assert reference_cache.kept(("probe",), read) == 2
        assert reference_cache.kept(("probe",), read) == 2, "the copy of generation 41"
    with app.test_request_context("/customers/", method="GET"):
        reference_cache.note_generation(42)
        assert reference_cache.kept(("probe",), read) == 3, "another generation: read again"
    with app.test_request_context("/customers/", method="POST"):
        reference_cache.note_generation(42)
        assert reference_cache.kept(("probe",), read) == 4, "a request that may have written reads the database"
    assert reference_cache.kept(("probe",), read) == 5, "outside a request: read"


_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="generation_probe" name="代际测试流程" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
