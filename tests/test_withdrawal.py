"""After a consent withdrawal the resident's personal data is hidden from everyone but the
coordinator (case page, queue, API, timeline, buurtgezel), and still held for retention
(embedded and production)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Consent, Resident
from tests.conftest import api_token, bearer, login, make_user, post_form
from tests.test_audit_trail_glass import give_reason
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture

HIDDEN = "(gegevens afgeschermd na intrekking toestemming)"
NOTE = "Komt weinig buiten sinds haar man overleed."
CASE_NOTE = "Zoon woont in Gent"
REASON = "Wil niet meer gebeld worden"


def event(client, token, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/events", json=body, headers=bearer(token))


@pytest.fixture
def withdrawn(app, setup):  # noqa: F811 - the imported fixture
    """Maria Claes's case, owned by An, with a note; An records the withdrawal."""
    client, coordinator = setup
    signal_id = client.post(
        "/api/v1/signals", json=intake(), headers=bearer(coordinator)
    ).get_json()["id"]
    case_id = wait_for_status(client, coordinator, signal_id)["case_id"]
    an = api_token(client, "an@example.be")
    assert event(client, an, case_id, type="note", note=CASE_NOTE).status_code == 201
    before = client.get(f"/api/v1/cases/{case_id}", headers=bearer(an)).get_json()
    assert before["resident"]["name"] == "Maria Claes"  # visible until the withdrawal
    closed = event(client, an, case_id, type="withdraw_consent", reason=REASON)
    assert closed.status_code == 201
    return client, coordinator, an, case_id


def test_the_contact_person_no_longer_sees_the_resident_in_the_api(app, withdrawn):
    client, _, an, case_id = withdrawn
    body = client.get(f"/api/v1/cases/{case_id}", headers=bearer(an)).get_json()
    resident = body["resident"]
    assert resident["name"] == HIDDEN
    assert resident["street"] == HIDDEN
    assert (resident["house_number"], resident["postcode"], resident["phone"]) == (None,) * 3
    assert [s["note"] for s in body["signals"]] == [HIDDEN]
    text = str(body)
    for secret in ("Maria", "Dadizeleplaats", "056 12 34 56", NOTE, CASE_NOTE, REASON):
        assert secret not in text, secret


def test_the_contact_person_sees_the_placeholder_on_the_case_page(app, withdrawn):
    client, _, _, case_id = withdrawn
    login(client, "an@example.be")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert HIDDEN in html
    for secret in ("Maria Claes", "Dadizeleplaats", "056 12 34 56", NOTE, CASE_NOTE, REASON):
        assert secret not in html, secret
    # a page post (a note) works on the hidden case and writes nothing hidden back
    added = post_form(client, f"/cases/{case_id}", {"action": "note", "note-text": "Brief"})
    assert added.status_code == 302
    with app.app_context():
        resident = db.session.scalar(select(Resident).where(Resident.name == "Maria Claes"))
        assert resident is not None
        assert resident.phone == "056 12 34 56"


def test_the_coordinator_still_sees_everything_and_the_data_is_kept(app, withdrawn):
    client, coordinator, _, case_id = withdrawn
    why = {"X-Access-Reason": "Verzoek van de bewoner nagaan"}  # An's case: break the glass
    body = client.get(f"/api/v1/cases/{case_id}", headers={**bearer(coordinator), **why}).get_json()
    assert body["resident"]["name"] == "Maria Claes"
    assert body["resident"]["phone"] == "056 12 34 56"
    assert [s["note"] for s in body["signals"]] == [NOTE]
    login(client, "coordinator@example.be")
    give_reason(client, case_id)
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Maria Claes" in html
    assert CASE_NOTE in html
    assert HIDDEN not in html
    with app.app_context():
        resident_id = db.session.scalar(select(Resident.id))
    exported = client.get(f"/bewoners/{resident_id}/inzage.json")
    assert exported.status_code == 200
    assert b"Maria Claes" in exported.data


def test_the_queue_hides_a_withdrawn_resident_with_a_new_open_case(app, withdrawn):
    """An urgent case may open again after a withdrawal: the queue still hides the data."""
    client, _, an, _ = withdrawn
    with app.app_context():
        resident_id = db.session.scalar(select(Resident.id))
        owner = db.session.scalar(select(User.id).where(User.email == "an@example.be"))
        db.session.add(Case(resident_id=resident_id, owner_id=owner, urgency="urgent"))
        db.session.commit()
    items = client.get("/api/v1/queue", headers=bearer(an)).get_json()["items"]
    assert [item["resident"]["name"] for item in items] == [HIDDEN]
    login(client, "an@example.be")
    html = client.get("/queue").get_data(as_text=True)
    assert HIDDEN in html
    assert "Maria Claes" not in html


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(withdrawn_flags=st.lists(st.booleans(), max_size=4))
def test_hidden_exactly_when_every_consent_was_withdrawn(app, setup, withdrawn_flags):  # noqa: F811
    """The database rule (on SQLite and PostgreSQL) against the plain rule: hidden when the
    resident gave consent at least once and withdrew all of it; never without consents."""
    with app.app_context():
        neighbourhood = db.session.scalar(select(Neighbourhood))
        resident = Resident(
            municipality_id=neighbourhood.municipality_id,
            neighbourhood_id=neighbourhood.id,
            name="Property Case",
            name_key="property case",
            address_key="x",
        )
        db.session.add(resident)
        db.session.flush()
        for withdrawn_flag in withdrawn_flags:
            db.session.add(
                Consent(
                    resident_id=resident.id,
                    method="verbal",
                    withdrawn_at=utcnow() if withdrawn_flag else None,
                )
            )
        db.session.commit()
        resident_id = resident.id
    with app.app_context():
        hidden = db.session.get_one(Resident, resident_id).personal_data_hidden
        assert hidden == (bool(withdrawn_flags) and all(withdrawn_flags))


@pytest.mark.parametrize("role", ["volunteer", "referrer", "analyst"])
def test_other_roles_see_nothing_of_the_withdrawn_resident(app, withdrawn, role):
    client, _, _, case_id = withdrawn
    email = f"{role}-w@example.be"
    make_user(app, role, email=email)
    token = api_token(client, email)
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(token)).status_code == 403
    login(client, email)
    assert client.get(f"/cases/{case_id}").status_code == 403
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Maria Claes" not in home


def test_a_withdrawal_stops_the_good_morning_calls(app, setup):  # noqa: F811
    client, coordinator = setup
    make_user(app, "volunteer")
    signal_id = client.post(
        "/api/v1/signals", json=intake(), headers=bearer(coordinator)
    ).get_json()["id"]
    case_id = wait_for_status(client, coordinator, signal_id)["case_id"]
    with app.app_context():
        resident_id = db.session.scalar(select(Resident.id))
    made = client.post(
        "/api/v1/goodmorning-schedules",
        json={
            "resident_id": resident_id,
            "weekdays": [0, 1, 2, 3, 4],
            "window_from": "09:00",
            "window_until": "10:00",
            "callers": ["volunteer@example.be"],
            "handler": "an@example.be",
            "resident_consent": True,
            "escalation": {
                "name": "Rita Buur",
                "phone": "0470 11 22 33",
                "relation": "neighbour",
                "consent_given": True,
            },
        },
        headers=bearer(coordinator),
    )
    assert made.status_code == 201, made.get_json()
    schedule = f"/api/v1/goodmorning-schedules/{made.get_json()['id']}"
    assert client.get(schedule, headers=bearer(coordinator)).get_json()["state"] == "active"
    an = api_token(client, "an@example.be")
    assert event(client, an, case_id, type="withdraw_consent").status_code == 201
    assert client.get(schedule, headers=bearer(coordinator)).get_json()["state"] == "stopped"


def test_a_withdrawal_takes_the_resident_off_call_lists_and_hides_buurtgezel_notes(
    app,
    setup,  # noqa: F811
):
    """Nobody calls the resident any more (their place on a campaign's list ends as refused),
    and the notes of their buurtgezel request are hidden as their name is — from the contact
    person, not from the coordinator."""
    from fieldwork.calls.models import CallCampaign, CallTarget

    client, coordinator = setup
    caller = make_user(app, "volunteer")
    signal_id = client.post(
        "/api/v1/signals", json=intake(), headers=bearer(coordinator)
    ).get_json()["id"]
    case_id = wait_for_status(client, coordinator, signal_id)["case_id"]
    an = api_token(client, "an@example.be")
    with app.app_context():
        resident = db.session.scalar(select(Resident))
        campaign = CallCampaign(
            municipality_id=resident.municipality_id, name="Belactie", max_attempts=3
        )
        db.session.add(campaign)
        db.session.flush()
        db.session.add(
            CallTarget(
                campaign_id=campaign.id,
                resident_id=resident.id,
                name="Maria Claes",
                name_key="maria claes",
                address_key="x",
                phone="056 12 34 56",
                neighbourhood_id=resident.neighbourhood_id,
                caller_id=caller,
            )
        )
        db.session.commit()
        resident_id = resident.id
    volunteer = api_token(client, "volunteer@example.be")
    listed = client.get("/api/v1/calls/my", headers=bearer(volunteer)).get_json()["campaign"]
    assert [t["name"] for t in listed] == ["Maria Claes"]
    asked = client.post(
        "/api/v1/buurtgezel/requests",
        json={
            "resident_id": resident_id,
            "help_kinds": ["companionship"],
            "availability": ["mon_morning"],
            "languages": ["Nederlands"],
            "note": NOTE,
        },
        headers=bearer(an),
    )
    assert asked.status_code == 201, asked.get_json()
    request_url = f"/api/v1/buurtgezel/requests/{asked.get_json()['id']}"
    assert client.get(request_url, headers=bearer(an)).get_json()["note"] == NOTE

    assert event(client, an, case_id, type="withdraw_consent", reason=REASON).status_code == 201

    assert client.get("/api/v1/calls/my", headers=bearer(volunteer)).get_json()["campaign"] == []
    with app.app_context():
        assert db.session.scalar(select(CallTarget.status)) == "refused"
    seen_by_an = client.get(request_url, headers=bearer(an)).get_json()
    assert seen_by_an["note"] == HIDDEN
    assert NOTE not in str(seen_by_an)
    assert "Maria" not in str(seen_by_an)
    seen_by_coordinator = client.get(request_url, headers=bearer(coordinator)).get_json()
    assert seen_by_coordinator["note"] == NOTE


def test_a_capture_at_the_moment_of_a_withdrawal_opens_no_new_case(app, setup):  # noqa: F811
    """Maria tells An she wants no contact; at that second another tool saves a signal about
    her with consent heard at the door, committed just after the withdrawal. That consent was
    given before the withdrawal: no new case opens for her (one did, and An was told)."""
    import threading

    from fieldwork.signals.models import Signal
    from fieldwork.signals.services import create_signal

    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    case_id = wait_for_status(client, token, first)["case_id"]
    an = api_token(client, "an@example.be")
    saved, go_on, made = threading.Event(), threading.Event(), []

    def capture() -> None:
        with app.app_context():
            coordinator = db.session.scalar(select(User).filter_by(email="coordinator@example.be"))
            made.append(create_signal(intake(), coordinator, source="manual").id)
            saved.set()
            go_on.wait(10)
            db.session.commit()

    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    other_tool = threading.Thread(target=capture)
    other_tool.start()
    assert saved.wait(10)
    if not postgres:  # SQLite writes one transaction at a time: the capture comes first
        go_on.set()
        other_tool.join(10)
    withdrawal = event(client, an, case_id, type="withdraw_consent", reason="wil geen contact")
    assert withdrawal.status_code == 201, withdrawal.get_json()
    go_on.set()
    other_tool.join(10)
    wait_for_status(client, token, made[0])
    with app.app_context():
        assert db.session.scalars(select(Case).where(Case.closed_at.is_(None))).all() == []
        assert (
            db.session.get(Signal, made[0]).resident_id == db.session.get(Signal, first).resident_id
        )
