"""Break the glass: a coordinator opening a case outside their queue and teams gives a reason
first (page and API); it is audited with the read and holds for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldwork.cases.models import Case
from fieldwork.core.models import AuditEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from tests.conftest import api_token, bearer, csrf_from, login
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


@pytest.fixture
def cases(app, setup):  # noqa: F811
    """An's case (a loneliness signal in Dadizele) and the coordinator's own (no rule)."""
    client, token = setup
    ans = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    own = client.post(
        "/api/v1/signals",
        json=intake(name="Jef Claeys", number="40", theme="mobiliteit"),
        headers=bearer(token),
    ).get_json()["id"]
    return (
        wait_for_status(client, token, ans)["case_id"],
        wait_for_status(client, token, own)["case_id"],
    )


def _events(app, action: str, case_id: int) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).filter_by(
                    action=action, subject_type="case", subject_id=str(case_id)
                )
            )
        )


def test_the_page_asks_a_reason_then_opens_and_audits_it(app, cases):
    ans, _own = cases
    client = app.test_client()
    login(client, "coordinator@example.be")
    asked = client.get(f"/cases/{ans}")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 403
    assert "Waarom open je dit dossier?" in html
    assert "Maria Claes" not in html
    assert _events(app, "case_viewed", ans) == []  # nothing was shown
    too_short = client.post(
        f"/cases/{ans}/reason", data={"csrf_token": csrf_from(html), "reason": "x"}
    )
    assert too_short.status_code == 400
    assert "Tussen 5 en 200 tekens." in too_short.get_data(as_text=True)
    given = client.post(
        f"/cases/{ans}/reason",
        data={"csrf_token": csrf_from(html), "reason": "Vervanging tijdens verlof"},
    )
    assert given.status_code == 302
    assert given.headers["Location"].endswith(f"/cases/{ans}")
    opened = client.get(f"/cases/{ans}")
    assert opened.status_code == 200
    assert "Maria Claes" in opened.get_data(as_text=True)
    assert client.get(f"/cases/{ans}").status_code == 200  # the grant holds: no second reason
    glass = _events(app, "case_glass_broken", ans)
    assert [e.detail["reason"] for e in glass] == ["Vervanging tijdens verlof"]
    assert len(_events(app, "case_viewed", ans)) == 2


def test_the_grant_runs_out(app, cases):
    ans, _own = cases
    client = app.test_client()
    login(client, "coordinator@example.be")
    with app.app_context():
        coordinator_id = db.session.scalar(
            select(AuditEvent.user_id).filter_by(action="login").order_by(AuditEvent.id.desc())
        )
        db.session.add(
            AuditEvent(
                action="case_glass_broken",
                subject_type="case",
                subject_id=str(ans),
                user_id=coordinator_id,
                at=utcnow() - timedelta(minutes=31),
                detail={"reason": "gisteren"},
            )
        )
        db.session.commit()
    assert client.get(f"/cases/{ans}").status_code == 403


def test_own_cases_and_contact_persons_meet_no_glass(app, cases):
    ans, own = cases
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    assert coordinator.get(f"/cases/{own}").status_code == 200
    an = app.test_client()
    login(an, "an@example.be")
    assert an.get(f"/cases/{ans}").status_code == 200
    token = api_token(an, "an@example.be")
    assert an.get(f"/api/v1/cases/{ans}", headers=bearer(token)).status_code == 200
    jan = app.test_client()
    login(jan, "jan@example.be")
    assert jan.get(f"/cases/{ans}").status_code == 404  # not theirs: no glass to break
    assert _events(app, "case_glass_broken", ans) == []


def test_the_api_wants_a_reason_header_or_parameter(app, cases):
    ans, own = cases
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    refused = client.get(f"/api/v1/cases/{ans}", headers=bearer(token))
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert "reason" in error["fields"]
    assert "X-Access-Reason" in error["message"]
    posted = client.post(
        f"/api/v1/cases/{ans}/events", json={"type": "note", "note": "x"}, headers=bearer(token)
    )
    assert posted.status_code == 403
    short = client.get(f"/api/v1/cases/{ans}?reason=kort", headers=bearer(token))
    assert short.status_code == 422
    assert "reason" in short.get_json()["error"]["fields"]
    assert _events(app, "case_glass_broken", ans) == []
    opened = client.get(
        f"/api/v1/cases/{ans}", headers={**bearer(token), "X-Access-Reason": "Klacht nagaan"}
    )
    assert opened.status_code == 200
    assert client.get(f"/api/v1/cases/{ans}", headers=bearer(token)).status_code == 200
    assert [e.detail for e in _events(app, "case_glass_broken", ans)] == [
        {"reason": "Klacht nagaan"}
    ]
    assert client.get(f"/api/v1/cases/{own}", headers=bearer(token)).status_code == 200
    with app.app_context():
        assert db.session.get(Case, own).owner.role == "coordinator"


def give_reason(client, case_id: int, reason: str = "Nagaan voor de test") -> None:
    """Break the glass on the page, for tests where a coordinator opens someone's case."""
    page = client.get(f"/cases/{case_id}")
    if page.status_code == 403:
        token = csrf_from(page.get_data(as_text=True))
        answer = client.post(
            f"/cases/{case_id}/reason", data={"csrf_token": token, "reason": reason}
        )
        assert answer.status_code == 302


def test_the_queue_shows_no_name_behind_the_glass_until_a_reason_was_given(app, cases):
    """The coordinator's queue lists every open case; for one outside their queue and teams
    it shows the case number and neighbourhood, not who lives where (the page and the API),
    until a reason was given for it."""
    ans, own = cases
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get("/queue").get_data(as_text=True)
    assert "Maria Claes" not in page
    assert f"Dossier {ans}" in page
    assert "Jef Claeys" in page  # the coordinator's own case: no reason asked
    token = api_token(app.test_client(), "coordinator@example.be")
    items = {
        item["case_id"]: item
        for item in client.get("/api/v1/queue", headers=bearer(token)).get_json()["items"]
    }
    assert items[ans]["resident"] is None
    assert items[ans]["reason_needed"] is True
    assert items[ans]["neighbourhood"] == "Dadizele"
    assert items[own]["resident"]["name"] == "Jef Claeys"
    assert items[own]["reason_needed"] is False
    opened = client.get(
        f"/api/v1/cases/{ans}", headers={**bearer(token), "X-Access-Reason": "Klacht nagaan"}
    )
    assert opened.status_code == 200
    assert "Maria Claes" in client.get("/queue").get_data(as_text=True)
    an = app.test_client()
    login(an, "an@example.be")
    assert "Maria Claes" in an.get("/queue").get_data(as_text=True)  # her own queue
