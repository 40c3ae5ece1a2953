"""In a real browser: 确认流失 asks "are you sure?" only once the reason is entered (an empty reason is said beside
the field, in the rule's wording, without a dialog), and a text area shows how much of its limit is used and says
so at the limit instead of cutting silently."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_churn_data import churn_model, clock_at  # noqa: E402,F401  (fixtures)
from test_churn_pages import cases  # noqa: E402,F401  (fixture)

from app.churn.models import ChurnCase  # noqa: E402
from app.churn.service import TEXT_MAX  # noqa: E402


def test_the_loss_is_confirmed_only_after_the_reason_is_entered(db, page, live_server, sign_in, cases):
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()
    page.on("dialog", answer)
    case_id = cases["乙公司"]
    sign_in(page, "manager1")
    page.goto(f"{live_server}/churn/{case_id}")

    page.click("#confirm-form button[type=submit]")
    assert dialogs == []  # nothing asked, nothing sent
    assert page.locator("#confirm-form .field-error").inner_text() == "此项为必填。"
    assert page.url.endswith(f"/churn/{case_id}")

    reason = page.locator("#confirm-form textarea")
    assert page.locator("#confirm-form .char-count").inner_text() == f"0 / {TEXT_MAX}"
    reason.fill("长" * TEXT_MAX)
    assert page.locator("#confirm-form .char-count").inner_text() == f"{TEXT_MAX} / {TEXT_MAX}"
    assert page.locator("#confirm-form .js-too-long").inner_text() == f"最多 {TEXT_MAX} 个字符。"

    reason.fill("转投竞争对手")
    assert page.locator("#confirm-form .js-too-long").count() == 0
    page.click("#confirm-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert len(dialogs) == 1 and "乙公司" in dialogs[0]
    db.expire_all()
    assert db.get(ChurnCase, case_id).status == "confirmed"
