"""API retries with an Idempotency-Key: the same key from the same user on the same method and path replays the
first answer (status, body, `Idempotent-Replayed: true`) and acts once; the key with another body is refused;
an answer refused with errors does not use the key up; answers are kept 24 hours."""
from datetime import timedelta

from sqlalchemy import func, select

from app.common import idempotency
from app.common.models import IdempotencyRecord
from app.customers.models import Activity
from app.service.models import ServiceRequest
from processes import clock
from processes.models import HumanTask
from test_customers_support import make_customer
from test_service_helpers import clients, create_via_api, service_data  # noqa: F401  (fixtures)


def _activity(summary, **kw):
    return {"date": "2025-01-20", "place": "上海", "summary": summary, **kw}


def _records_url(db):
    customer = make_customer(db)
    db.commit()  # a keyed request runs on its own (nested) transaction: it sees committed data only
    return f"/api/v1/customers/{customer.no}/activities"


def _count(db, model, **where):
    return db.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_a_retried_create_with_the_same_key_creates_one_record_and_answers_the_same(db, api):
    c, h = api("manager1")
    url = _records_url(db)
    keyed = {**h, "Idempotency-Key": "cust-create-0001"}
    first = c.post(url, json=_activity("幂等科技有限公司"), headers=keyed)
    again = c.post(url, json=_activity("幂等科技有限公司"), headers=keyed)
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(db, Activity, summary="幂等科技有限公司") == 1
    # Without a key (or with another one) a client asks for a second record on purpose.
    assert c.post(url, json=_activity("幂等科技有限公司"),
                  headers={**h, "Idempotency-Key": "cust-create-0002"}).status_code in (201, 422)


def test_the_key_with_another_body_is_refused(db, api):
    c, h = api("manager1")
    url = _records_url(db)
    keyed = {**h, "Idempotency-Key": "reused-key"}
    assert c.post(url, json=_activity("第一家公司"), headers=keyed).status_code == 201
    resp = c.post(url, json=_activity("第二家公司"), headers=keyed)
    assert resp.status_code == 422 and resp.get_json()["code"] == "idempotency_key_reused"
    assert _count(db, Activity, summary="第二家公司") == 0


def test_the_key_belongs_to_its_user_and_path(db, api, service_data):
    m1, h1 = api("manager1")
    url = _records_url(db)
    s1, h2 = api("service1")
    key = "shared-key-1"
    a = m1.post(url, json=_activity("甲用户公司"), headers={**h1, "Idempotency-Key": key})
    b = s1.post("/api/v1/service-requests", headers={**h2, "Idempotency-Key": key},
                json={"type": "投诉", "summary": "同键不同人", "customer_no": "KHT0001", "request": "另一个用户"})
    assert a.status_code == b.status_code == 201 and "Idempotent-Replayed" not in b.headers
    assert _count(db, ServiceRequest, summary="同键不同人") == 1


def test_a_refused_request_leaves_the_key_free_for_the_corrected_one(db, api):
    c, h = api("manager1")
    url = _records_url(db)
    keyed = {**h, "Idempotency-Key": "fix-and-retry"}
    refused = c.post(url, json=_activity("改正后的记录", date="2999-01-01"), headers=keyed)
    assert refused.status_code == 422 and refused.get_json()["code"] == "validation_error"
    corrected = c.post(url, json=_activity("改正后的记录"), headers=keyed)
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert _count(db, Activity, summary="改正后的记录") == 1


def test_a_retried_domain_step_answers_the_first_result_not_wrong_step(db, clients, user, service_data):
    sr = create_via_api(clients)
    c, h = clients("supervisor")
    keyed = {**h, "Idempotency-Key": f"dispatch-{sr['id']}"}
    body = {"assignee": user("manager1").id}
    first = c.post(f"/api/v1/service-requests/{sr['id']}/dispatch", headers=keyed, json=body)
    retry = c.post(f"/api/v1/service-requests/{sr['id']}/dispatch", headers=keyed, json=body)
    assert first.status_code == retry.status_code == 200, first.get_json()
    assert retry.get_json() == first.get_json() and retry.get_json()["current_steps"] == ["handle"]
    # The same step without the key is what a client cannot tell from a refusal: 409 wrong_step.
    unkeyed = c.post(f"/api/v1/service-requests/{sr['id']}/dispatch", headers=h, json=body)
    assert unkeyed.status_code == 409 and unkeyed.get_json()["code"] == "wrong_step"


def test_a_retried_task_completion_answers_the_first_result(db, clients, user, service_data):
    sr = create_via_api(clients)
    task = db.scalar(select(HumanTask).where(HumanTask.business_key == str(sr["id"]),
                                             HumanTask.process_key == "customer_service"))
    c, h = clients("supervisor")
    keyed = {**h, "Idempotency-Key": "complete-dispatch"}
    body = {"data": {"assignee_id": user("manager1").id}}
    first = c.post(f"/api/v1/tasks/{task.id}/complete", headers=keyed, json=body)
    retry = c.post(f"/api/v1/tasks/{task.id}/complete", headers=keyed, json=body)
    assert first.status_code == retry.status_code == 200, first.get_json()
    assert retry.get_json() == first.get_json() and retry.headers["Idempotent-Replayed"] == "true"
    assert c.post(f"/api/v1/tasks/{task.id}/complete", headers=h, json=body).status_code == 409


def test_a_malformed_key_is_a_field_error(db, api):
    c, h = api("manager1")
    url = _records_url(db)
    resp = c.post(url, json=_activity("坏键公司"), headers={**h, "Idempotency-Key": "x" * 256})
    assert resp.status_code == 422 and "Idempotency-Key" in resp.get_json()["errors"]
    assert _count(db, Activity, summary="坏键公司") == 0


def test_answers_are_kept_a_day_then_purged(app, db, api):
    c, h = api("manager1")
    url = _records_url(db)
    keyed = {**h, "Idempotency-Key": "kept-a-day"}
    assert c.post(url, json=_activity("保留一天"), headers=keyed).status_code == 201
    with app.app_context():
        assert idempotency.purge_expired(db, now=clock.utcnow() + timedelta(hours=23)) == 0
        db.commit()
    assert c.post(url, json=_activity("保留一天"), headers=keyed).headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert idempotency.purge_expired(db, now=clock.utcnow() + timedelta(hours=25)) == 1
        db.commit()
    assert _count(db, IdempotencyRecord) == 0
    # After the purge the key is a new request again.
    again = c.post(url, json=_activity("保留一天"), headers=keyed)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert _count(db, Activity, summary="保留一天") == 2


def test_the_header_is_documented_on_every_state_changing_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "IdempotencyKey" in spec["components"]["parameters"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in ("post", "put", "patch", "delete") and not path.startswith("/api/v1/auth/"):
                refs = [p.get("$ref", "") for p in op.get("parameters", [])]
                assert "#/components/parameters/IdempotencyKey" in refs, (method, path)


def test_beat_purges_the_kept_answers_every_hour():
    from scheduler.celery_app import celery
    from scheduler.tasks import BEAT_SCHEDULE
    entry = BEAT_SCHEDULE["purge-idempotency"]
    assert entry["task"] == "crm.purge_idempotency" and entry["task"] in celery.tasks
    assert entry["schedule"].minute == {17} and len(entry["schedule"].hour) == 24


def test_after_commit_waits_for_a_keyed_requests_outer_commit(app, db, api, monkeypatch):
    """A Celery task enqueued from a keyed request must not start before the data it reads is committed."""
    from app.customers import records_service
    seen = []
    original = records_service.add_activity

    def add_and_enqueue(*args, **kwargs):
        activity = original(*args, **kwargs)
        idempotency.after_commit(lambda: seen.append("enqueued"))
        seen.append("view returns")
        return activity
    monkeypatch.setattr(records_service, "add_activity", add_and_enqueue)
    c, h = api("manager1")
    url = _records_url(db)
    assert c.post(url, json=_activity("提交后入队"), headers={**h, "Idempotency-Key": "enqueue-1"}).status_code == 201
    assert seen == ["view returns", "enqueued"]  # after the outer commit, not at the view's commit()
    seen.clear()
    assert c.post(url, json=_activity("无键立即入队"), headers=h).status_code == 201
    assert seen == ["enqueued", "view returns"]  # without a key at once (callers call it after their commit())


def test_a_server_error_after_the_views_commit_saves_nothing_and_the_retry_acts(app, db, api, monkeypatch):
    from app.customers import api_schemas
    c, h = api("manager1")
    url = _records_url(db)
    keyed = {**h, "Idempotency-Key": "crash-after-commit"}

    def broken_dump(self, *args, **kwargs):  # the answer fails after the view committed its work
        raise RuntimeError("serializer broke")
    monkeypatch.setattr(api_schemas.ActivityOut, "dump", broken_dump)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer the 500 as in production
    assert c.post(url, json=_activity("崩溃后重试"), headers=keyed).status_code == 500
    assert _count(db, Activity, summary="崩溃后重试") == 0
    monkeypatch.undo()
    retry = c.post(url, json=_activity("崩溃后重试"), headers=keyed)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert _count(db, Activity, summary="崩溃后重试") == 1
