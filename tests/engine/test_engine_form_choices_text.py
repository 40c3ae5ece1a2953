"""The choices a task form takes from the database (user names, dictionary items) show exactly as stored: they are
not model text, so they never go through the translation catalog."""
import re

from sqlalchemy import select

from app.catalog.models import DictionaryEntry
from processes.models import HumanTask
from processes.runtime import start_process


def test_user_and_dictionary_choices_show_as_stored(db, demo, login, user):
    user("manager2").name = "Sign out"  # a text of the shared catalog (注销)
    db.add(DictionaryEntry(type="服务类型", item="Yes", value="yes-channel", editable=True))  # 是
    db.flush()
    start_process(db, "engine_demo", business_key="R-9", subject="选择测试",
                  data={"amount": 5, "record": "R-9", "escalate_after": "PT4H"}, user_id=None)
    review = db.scalar(select(HumanTask).where(HumanTask.bpmn_id == "Review", HumanTask.completed_at.is_(None)))
    html = login("supervisor").get(f"/inbox/tasks/{review.id}").get_data(as_text=True)
    handlers = html.split('name="assignee_id"')[1].split("</select>")[0]
    assert re.search(r">\s*Sign out\s*<", handlers) and "注销" not in handlers
    channels = html.split('name="channel"')[1].split("</select>")[0]
    assert re.search(r'value="yes-channel"[^>]*>\s*Yes\s*<', channels)
