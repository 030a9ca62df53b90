"""Routing under races and other edge cases found in review."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from fieldwork.cases.models import Case
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.routing import services as routing
from fieldwork.signals.models import Consent, Resident, Signal
from tests.conftest import api_token, bearer, make_user
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


def _unrouted_signal(app) -> int:
    """A resident with consent and a signal that was stored but not routed yet."""
    with app.app_context():
        resident = db.session.scalars(select(Resident)).first()
        consent = Consent(resident_id=resident.id, method="verbal")
        db.session.add(consent)
        db.session.flush()
        signal = Signal(
            resident_id=resident.id,
            neighbourhood_id=resident.neighbourhood_id,
            theme="eenzaamheid",
            domain="welzijn",
            source="manual",
            consent_id=consent.id,
        )
        db.session.add(signal)
        db.session.commit()
        return signal.id


def test_a_signal_that_loses_the_race_for_the_first_case_joins_it(app, setup, monkeypatch):  # noqa: F811
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    first_case = wait_for_status(client, token, first)["case_id"]
    with app.app_context():  # close it, so that the next signal needs a new case
        db.session.get(Case, first_case).closed_at = utcnow()
        db.session.commit()
    signal_id = _unrouted_signal(app)
    real_decide = routing.decide
    calls = []

    def decide_while_another_worker_opens_the_case(signal, run):
        calls.append(signal.id)
        if len(calls) == 1:  # the concurrent signal commits its new case right now
            with db.engine.begin() as conn:
                conn.execute(
                    insert(Case).values(
                        resident_id=signal.resident_id,
                        status="new",
                        urgency="normal",
                        opened_at=utcnow(),
                    )
                )
        return real_decide(signal, run)

    monkeypatch.setattr(routing, "decide", decide_while_another_worker_opens_the_case)
    with app.app_context():
        routing.route_signal_once(signal_id)
        signal = db.session.get(Signal, signal_id)
        assert signal.routed_at is not None
        assert signal.routing_reason.startswith("bij open dossier")
        open_cases = db.session.scalars(select(Case).where(Case.closed_at.is_(None))).all()
        assert [c.id for c in open_cases] == [signal.case_id]


def test_a_second_signal_keeps_the_open_cases_owner_and_says_so(app, setup):  # noqa: F811
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    case_id = wait_for_status(client, token, first)["case_id"]
    second = client.post(
        "/api/v1/signals", json=intake(theme="mobiliteit"), headers=bearer(token)
    ).get_json()["id"]
    assert (
        wait_for_status(client, token, second)["routing_reason"]
        == f"bij open dossier {case_id} → An Peeters"
    )


def test_residents_without_a_street_are_never_matched_silently(app, setup):  # noqa: F811
    client, token = setup
    for lat in (50.8485, 50.8490):
        payload = intake(
            name="Rita Desmet",
            street="",
            number="",
            resident={
                "street": None,
                "statsec": None,
                "lat": lat,
                "lon": 3.0985,
                "house_number": None,
            },
        )
        response = client.post("/api/v1/signals", json=payload, headers=bearer(token))
        assert response.status_code == 201, response.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 2


def test_without_consent_no_address_is_kept_anywhere(app, setup):  # noqa: F811
    client, token = setup
    payload = intake(
        consent=False, street="Veldweg", resident={"statsec": None, "gemeente": "36012"}
    )
    assert client.post("/api/v1/signals", json=payload, headers=bearer(token)).status_code == 201
    with app.app_context():
        tables = ("address_fixups", "residents")
        for table in tables:
            count = db.session.scalar(select(func.count()).select_from(db.metadata.tables[table]))
            assert count == 0, table


def test_reassigning_outside_the_team_ends_the_teams_access(app, setup):  # noqa: F811
    client, token = setup
    payload = intake(
        name="Jef Dewulf",
        street="Kerkstraat",
        theme="mobiliteit",
        resident={"statsec": "36012A001", "birth_year": 1950},
    )
    signal_id = client.post("/api/v1/signals", json=payload, headers=bearer(token)).get_json()["id"]
    case_id = wait_for_status(client, token, signal_id)["case_id"]
    with app.app_context():
        owner = db.session.get(Case, case_id).owner.email
    teammate = "lies@example.be" if owner == "jan@example.be" else "jan@example.be"
    owner_token = api_token(client, owner)
    moved = client.post(
        f"/api/v1/cases/{case_id}/events",
        headers=bearer(owner_token),
        json={"type": "reassigned", "to": "an@example.be", "reason": "buur"},
    )
    assert moved.status_code == 201
    mate = api_token(client, teammate)
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(mate)).status_code == 404
    assert (
        client.get(f"/api/v1/signals/{signal_id}/status", headers=bearer(mate)).status_code == 404
    )


def test_the_referrer_who_filed_sees_only_the_status(app, setup):  # noqa: F811
    from fieldwork.auth.models import User
    from fieldwork.signals.services import create_signal

    client, token = setup
    make_user(app, "referrer")
    with app.app_context():
        referrer = db.session.scalars(select(User).filter_by(role="referrer")).one()
        signal = create_signal(
            {**intake(), "urgency": "normal", "polarity": "need"}, referrer, source="referral_card"
        )
        db.session.commit()
        signal_id = signal.id
    wait_for_status(client, token, signal_id)
    referrer_token = api_token(client, "referrer@example.be")
    body = client.get(
        f"/api/v1/signals/{signal_id}/status", headers=bearer(referrer_token)
    ).get_json()
    assert body == {"status": "routed"}
