"""A submitted database-backed choice (`x-users`, `x-dictionary`) is checked against the live data: the value
must be one the form page would offer now, refused with the same message as any value outside an enum."""
import pytest

from app.catalog.models import DictionaryEntry
from processes import forms
from processes.errors import FormInvalid

SCHEMA = {"type": "object", "required": ["assignee_id"], "properties": {
    "assignee_id": {"type": "integer", "title": "Handler", "x-users": "customer_manager"},
    "kind": {"type": "string", "title": "Kind", "x-dictionary": "测试服务类型"},
    "note": {"type": "string", "maxLength": 10}}}


@pytest.fixture(autouse=True)
def dictionary(db):
    db.add_all([DictionaryEntry(type="测试服务类型", item="投诉", value="complaint"),
                DictionaryEntry(type="测试服务类型", item="咨询", value="consultation"),
                DictionaryEntry(type="测试客户等级", item="普通客户", value="1")])
    db.flush()


def errors_of(db, data):
    with pytest.raises(FormInvalid) as err:
        forms.validate(db, SCHEMA, data)
    return err.value.extra["errors"]


def offered(db, prop):
    return [value for value, _label in forms.choices_for(db, prop)]


def test_a_value_the_page_offers_is_accepted_and_only_declared_fields_remain(db, user):
    manager = user("manager1").id
    assert manager in offered(db, SCHEMA["properties"]["assignee_id"])
    assert "complaint" in offered(db, SCHEMA["properties"]["kind"])
    clean = forms.validate(db, SCHEMA, {"assignee_id": manager, "kind": "complaint", "extra": 1})
    assert clean == {"assignee_id": manager, "kind": "complaint"}


@pytest.mark.parametrize("who", ["supervisor", "admin", None])
def test_a_user_outside_the_role_or_unknown_is_refused(db, user, who):
    value = user(who).id if who else 987654
    assert value not in offered(db, SCHEMA["properties"]["assignee_id"])
    assert errors_of(db, {"assignee_id": value}) == {"assignee_id": ["Choose one of the offered values."]}


def test_a_deactivated_manager_is_refused_from_the_next_submission_on(db, user):
    manager = user("manager2")
    forms.validate(db, SCHEMA, {"assignee_id": manager.id})
    manager.active = False
    db.flush()
    assert manager.id not in offered(db, SCHEMA["properties"]["assignee_id"])
    assert errors_of(db, {"assignee_id": manager.id}) == {"assignee_id": ["Choose one of the offered values."]}


def test_a_wrong_type_gets_its_own_message_once(db):
    assert errors_of(db, {"assignee_id": "3"}) == {"assignee_id": ["Enter a whole number."]}
    assert errors_of(db, {"assignee_id": True}) == {"assignee_id": ["Enter a whole number."]}
    assert errors_of(db, {}) == {"assignee_id": ["This field is required."]}


def test_a_dictionary_value_must_be_of_that_type(db, user):
    manager = user("manager1").id
    # "1" is a value of another type (customer level), the item text is not the value
    for value in ("1", "投诉", "unknown"):
        assert errors_of(db, {"assignee_id": manager, "kind": value}) == {
            "kind": ["Choose one of the offered values."]}


def test_every_error_of_the_form_is_reported_together(db, user):
    errors = errors_of(db, {"assignee_id": user("supervisor").id, "kind": "nope", "note": "x" * 11})
    assert set(errors) == {"assignee_id", "kind", "note"}


def test_a_remembered_yes_ends_with_any_write_of_the_session(db, user):
    """One step reads the assignee once (the form's check and the operation's); a write in between ends that."""
    from sqlalchemy import update
    from app.auth.models import User
    from app.auth.service import is_active_member
    manager = user("manager1")
    assert is_active_member(db, "customer_manager", manager.id)
    db.execute(update(User).where(User.id == manager.id).values(active=False))
    assert not is_active_member(db, "customer_manager", manager.id)
    db.execute(update(User).where(User.id == manager.id).values(active=True))
    assert is_active_member(db, "customer_manager", manager.id)
    db.commit()
    db.execute(update(User).where(User.id == manager.id).values(active=False).execution_options(
        synchronize_session=False))
    assert not is_active_member(db, "customer_manager", manager.id)
