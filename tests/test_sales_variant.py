"""A process analyst changes the flow by editing only BPMN and forms: the variant in tests/fixtures asks the
supervisor to approve a termination and sends a refusal back to the manager. No Python changes; the same API."""
from sqlalchemy import select

from app.inbox import actor_for
from fixtures.sales_support import FIXTURES, OPP, ROOT, open_tasks, sales_api, sales_deployed  # noqa: F401
from processes import runtime
from processes.definitions import deploy_model
from processes.models import ProcessInstance

URL = "/api/v1/opportunities"


def _deploy_variant(db, analyst):
    xml = (FIXTURES / "sales_opportunity_approval.bpmn").read_text("utf-8")
    form = (FIXTURES / "sales_forms" / "sales_approve_termination.json").read_text("utf-8")
    definition, created = deploy_model(db, xml, forms={"sales_approve_termination.json": form},
                                       forms_dir=ROOT / "forms", filename="sales_opportunity.bpmn",
                                       user_id=analyst.id)
    db.commit()
    assert created and definition.key == "sales_opportunity"
    return definition


def _record_and_assign(sales_api, user):
    c, h = sales_api("supervisor")
    resp = c.post(URL, json={**OPP, "assignee_id": user("manager1").id}, headers=h)
    assert resp.status_code == 201 and resp.get_json()["status"] == "in_development"
    return resp.get_json()["id"]


def _version(db, opp_id):
    from processes.models import ProcessDefinition
    return db.scalar(select(ProcessDefinition.version).join(
        ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.business_key == str(opp_id)))


def _decide(db, user, opp_id, approved):
    [task] = open_tasks(db, opp_id)
    assert (task.bpmn_id, task.role) == ("approve_termination", "sales_supervisor")
    runtime.complete_task(db, task.id, actor=actor_for(user("supervisor")), data={"approved": approved})
    db.commit()


def test_a_deployed_variant_needs_supervisor_approval_to_terminate(sales_api, user, db, sales_deployed):
    old = _record_and_assign(sales_api, user)  # started on the repository's version
    v2 = _deploy_variant(db, user("analyst"))
    new = _record_and_assign(sales_api, user)
    assert (_version(db, old), _version(db, new)) == (sales_deployed.version, v2.version)

    c, h = sales_api("manager1")
    # The running instance keeps its version: terminating needs no approval there.
    assert c.post(f"{URL}/{old}/close", json={"outcome": "terminated"}, headers=h).get_json()["status"] \
        == "terminated"

    # On the new version the manager's request waits for the supervisor; the plan is frozen meanwhile.
    resp = c.post(f"{URL}/{new}/close", json={"outcome": "terminated"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["status"] == "in_development"
    frozen = c.post(f"{URL}/{new}/plan-items", json={"date": "2030-03-02", "todo": "x"}, headers=h)
    assert frozen.status_code == 409 and "approve_termination" in str(frozen.get_json()["current_steps"])

    # Refused: back to the manager, who goes on developing.
    _decide(db, user, new, approved=False)
    assert [t.bpmn_id for t in open_tasks(db, new)] == ["develop"]
    assert c.post(f"{URL}/{new}/plan-items", json={"date": "2030-03-02", "todo": "再争取一次"},
                  headers=h).status_code == 201

    # Asked again and approved: terminated.
    assert c.post(f"{URL}/{new}/close", json={"outcome": "terminated"}, headers=h).status_code == 200
    _decide(db, user, new, approved=True)
    assert c.get(f"{URL}/{new}", headers=h).get_json()["status"] == "terminated"
    assert open_tasks(db, new) == []

    # Success is unchanged in the variant.
    other = _record_and_assign(sales_api, user)
    c.post(f"{URL}/{other}/plan-items", json={"date": "2030-03-02", "todo": "拜访", "result": "签约"}, headers=h)
    won = c.post(f"{URL}/{other}/close", json={"outcome": "success"}, headers=h).get_json()
    assert won["status"] == "succeeded" and won["customer_no"]
