"""The contact person's queue and case work, and the filer's status view."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldwork.cases.models import CaseEvent
from fieldwork.core.models import AuditEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Consent
from tests.conftest import api_token, bearer, make_user
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


@pytest.fixture
def routed(app, setup):  # noqa: F811 - the imported fixture
    client, coordinator = setup
    signal_id = client.post(
        "/api/v1/signals", json=intake(), headers=bearer(coordinator)
    ).get_json()["id"]
    case_id = wait_for_status(client, coordinator, signal_id)["case_id"]
    an = api_token(client, "an@example.be")
    return client, coordinator, an, signal_id, case_id


def event(client, token, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/events", json=body, headers=bearer(token))


def test_queue_lists_my_case_with_resident_and_due_date(app, routed):
    client, _, an, _, case_id = routed
    items = client.get("/api/v1/queue", headers=bearer(an)).get_json()["items"]
    assert [i["case_id"] for i in items] == [case_id]
    assert items[0]["resident"]["name"] == "Maria Claes"
    assert items[0]["neighbourhood"] == "Dadizele"
    assert items[0]["overdue"] is False
    assert items[0]["due"]
    jan = api_token(client, "jan@example.be")
    assert client.get("/api/v1/queue", headers=bearer(jan)).get_json()["items"] == []


def test_case_is_worked_to_closed_and_the_filer_sees_only_the_status(app, routed):
    client, coordinator, an, signal_id, case_id = routed
    case = client.get(f"/api/v1/cases/{case_id}", headers=bearer(an)).get_json()
    assert case["owner"]["email"] == "an@example.be"
    assert [s["theme"] for s in case["signals"]] == ["eenzaamheid"]
    assert [e["type"] for e in case["events"]] == ["assigned", "routed"]

    assert event(client, an, case_id, type="contact_attempt", result="no_answer").status_code == 201
    reached = event(
        client, an, case_id, type="contact_attempt", result="reached", note="Bezoek gepland"
    ).get_json()
    assert reached["status"] == "contacted"
    assert wait_for_status(client, coordinator, signal_id)["status"] == "contacted"

    missing_partner = event(client, an, case_id, type="close", outcome="referred_onward")
    assert missing_partner.status_code == 422
    assert "partner" in missing_partner.get_json()["error"]["fields"]
    closed = event(
        client, an, case_id, type="close", outcome="referred_onward", partner="OCMW Moorslede"
    ).get_json()
    assert (closed["status"], closed["outcome"]) == ("closed", "referred_onward")
    again = event(client, an, case_id, type="close", outcome="helped")
    assert again.status_code == 409
    status = client.get(f"/api/v1/signals/{signal_id}/status", headers=bearer(coordinator))
    assert status.get_json()["status"] == "closed"
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "case_viewed" in actions


def test_the_referrer_who_filed_sees_status_but_never_the_case(app, setup):  # noqa: F811
    client, _ = setup
    make_user(app, "referrer")
    # a referrer cannot use manual intake, so file as a contact person and check a referrer
    referrer = api_token(client, "referrer@example.be")
    assert client.get("/api/v1/queue", headers=bearer(referrer)).status_code == 403
    assert client.get("/api/v1/cases/1", headers=bearer(referrer)).status_code == 403


def test_another_contact_person_cannot_open_the_case(app, routed):
    client, _, _, _, case_id = routed
    jan = api_token(client, "jan@example.be")
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(jan)).status_code == 404
    assert event(client, jan, case_id, type="note", note="x").status_code == 404


def test_illegal_moves_change_nothing(app, routed):
    client, _, an, _, case_id = routed
    before = client.get(f"/api/v1/cases/{case_id}", headers=bearer(an)).get_json()
    assert event(client, an, case_id, type="status_change", status="new").status_code == 422
    assert event(client, an, case_id, type="contact_attempt").status_code == 422
    assert event(client, an, case_id, type="note", note="  ").status_code == 422
    assert event(client, an, case_id, type="reassigned", to="jan@example.be").status_code == 422
    assert event(client, an, case_id, type="teleport").status_code == 422
    after = client.get(f"/api/v1/cases/{case_id}", headers=bearer(an)).get_json()
    assert after["events"] == before["events"]


def test_reassign_moves_the_case_to_the_new_queue(app, routed):
    client, _, an, _, case_id = routed
    moved = event(
        client, an, case_id, type="reassigned", to="jan@example.be", reason="Jan kent de familie"
    )
    assert moved.status_code == 201
    assert moved.get_json()["owner"]["email"] == "jan@example.be"
    jan = api_token(client, "jan@example.be")
    assert [
        i["case_id"] for i in client.get("/api/v1/queue", headers=bearer(jan)).get_json()["items"]
    ] == [case_id]


def test_no_contact_after_consent_is_withdrawn(app, routed):
    client, _, an, _, case_id = routed
    with app.app_context():
        for consent in db.session.scalars(select(Consent)):
            consent.withdrawn_at = utcnow()
        db.session.commit()
    refused = event(client, an, case_id, type="contact_attempt", result="reached")
    assert refused.status_code == 409
    assert "toestemming" in refused.get_json()["error"]["message"]


def test_withdrawing_consent_closes_the_case_and_stops_contact(app, routed):
    client, coordinator, an, signal_id, case_id = routed
    closed = event(client, an, case_id, type="withdraw_consent", reason="Wil geen contact")
    assert closed.status_code == 201
    body = closed.get_json()
    assert (body["status"], body["outcome"]) == ("closed", "declined")
    assert event(client, an, case_id, type="contact_attempt", result="reached").status_code == 409
    with app.app_context():
        assert all(c.withdrawn_at for c in db.session.scalars(select(Consent)))
    assert wait_for_status(client, coordinator, signal_id)["status"] == "closed"


def at_once(app, *requests):
    """On PostgreSQL the requests start together (threads behind a barrier); on SQLite, which
    writes one transaction at a time anyway, one after the other. Their statuses."""
    import threading

    with app.app_context():
        together = db.engine.dialect.name == "postgresql"
    if not together:
        return [request() for request in requests]
    start = threading.Barrier(len(requests), timeout=10)
    answers: dict[int, int] = {}

    def run(number: int) -> None:
        start.wait()
        answers[number] = requests[number]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return [answers.get(n) for n in range(len(requests))]


def test_a_close_and_a_withdrawal_at_the_same_moment_close_the_case_once(app, routed):
    """An closes it as unreachable while the coordinator records the resident's withdrawal:
    one of them closes it, the other is told it is closed."""
    client, coordinator, an, _signal_id, case_id = routed
    glass = {**bearer(coordinator), "X-Access-Reason": "Vervanging An"}
    assert client.get(f"/api/v1/cases/{case_id}", headers=glass).status_code == 200
    first, second = app.test_client(), app.test_client()
    url = f"/api/v1/cases/{case_id}/events"
    answers = at_once(
        app,
        lambda: (
            first.post(
                url, json={"type": "close", "outcome": "unreachable"}, headers=bearer(an)
            ).status_code
        ),
        lambda: (
            second.post(
                url, json={"type": "withdraw_consent", "reason": "Wil niet"}, headers=glass
            ).status_code
        ),
    )
    assert sorted(answers) == [201, 409]
    with app.app_context():
        closed = [
            e
            for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))
            if e.type == "status_change" and e.detail.get("new") == "closed"
        ]
    assert len(closed) == 1
