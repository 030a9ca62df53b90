"""Manual intake → outbox → routing task → case, on both paths (a real worker on
PostgreSQL + Redis)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.core.outbox import OutboxMessage, publish, unsent_ids
from fieldwork.extensions import db
from fieldwork.routing.models import RoutingRule, Team, TeamMember
from fieldwork.routing.services import route_signal_once
from fieldwork.signals.models import Resident, Signal
from tests.conftest import api_token, bearer, import_areas, make_user


def intake(
    name="Maria Claes",
    street="Dadizeleplaats",
    number="12",
    theme="eenzaamheid",
    consent=True,
    **extra,
):
    resident = {
        "name": name,
        "street": street,
        "house_number": number,
        "postcode": "8890",
        "statsec": "36012B001",
        "birth_year": 1941,
        "phone": "056 12 34 56",
    }
    resident.update(extra.pop("resident", {}))
    return {
        "resident": resident,
        "theme": theme,
        "domain": "welzijn",
        "urgency": "normal",
        "note": "Komt weinig buiten sinds haar man overleed.",
        "consent": {"given": consent, "how": "verbal" if consent else None},
        **extra,
    }


@pytest.fixture
def setup(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    an = make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    jan = make_user(app, "contact_person", email="jan@example.be", name="Jan Vermeulen")
    lies = make_user(app, "contact_person", email="lies@example.be", name="Lies Maes")
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        moorslede = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one()
        team = Team(
            name="Moorslede 65+",
            members=[TeamMember(user_id=jan, position=0), TeamMember(user_id=lies, position=1)],
        )
        db.session.add_all(
            [
                RoutingRule(
                    position=1,
                    name="Eenzaamheid Dadizele",
                    assign_user_id=an,
                    conditions={"neighbourhoods": [dadizele.id], "themes": ["eenzaamheid"]},
                ),
                team,
                RoutingRule(
                    position=2,
                    name="Moorslede 65+",
                    assign_team=team,
                    conditions={"neighbourhoods": [moorslede.id], "age_min": 65},
                ),
            ]
        )
        db.session.commit()
    client = app.test_client()
    return client, api_token(client, "coordinator@example.be")


def wait_for_status(client, token, signal_id, wanted=("routed", "contacted", "closed")):
    deadline = time.monotonic() + 30
    while True:
        body = client.get(f"/api/v1/signals/{signal_id}/status", headers=bearer(token)).get_json()
        if body["status"] in wanted or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_signal_lands_with_the_right_contact_person_and_reason(app, setup):
    client, token = setup
    response = client.post("/api/v1/signals", json=intake(), headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    signal_id = response.get_json()["id"]
    assert response.get_json()["status_url"] == f"/api/v1/signals/{signal_id}/status"
    status = wait_for_status(client, token, signal_id)
    assert status["status"] == "routed"
    assert status["routing_reason"] == "regel 1: thema=eenzaamheid, buurt=Dadizele → An Peeters"
    with app.app_context():
        case = db.session.get(Case, status["case_id"])
        assert case.owner.email == "an@example.be"
        assert case.status == "assigned"


def test_team_assignment_least_loaded_then_round_robin(app, setup):
    client, token = setup
    owners = []
    for i, name in enumerate(["Jef Dewulf", "Rita Desmet", "Paul Vandamme"]):
        payload = intake(
            name=name,
            street="Kerkstraat",
            number=str(i + 1),
            theme="mobiliteit",
            resident={"statsec": "36012A001", "birth_year": 1950},
        )
        signal_id = client.post("/api/v1/signals", json=payload, headers=bearer(token)).get_json()[
            "id"
        ]
        case_id = wait_for_status(client, token, signal_id)["case_id"]
        with app.app_context():
            owners.append(db.session.get(Case, case_id).owner.email)
    assert owners == ["jan@example.be", "lies@example.be", "jan@example.be"]


def test_a_second_signal_about_the_same_resident_joins_the_open_case(app, setup):
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    again = intake(name="maria  CLAES", number="12 ", theme="mobiliteit")
    second = client.post("/api/v1/signals", json=again, headers=bearer(token)).get_json()["id"]
    case_ids = {wait_for_status(client, token, s)["case_id"] for s in (first, second)}
    assert len(case_ids) == 1
    typo = intake(name="Maria Claeys")
    third = client.post("/api/v1/signals", json=typo, headers=bearer(token)).get_json()["id"]
    assert wait_for_status(client, token, third)["case_id"] not in case_ids  # never merged silently


def test_without_consent_the_signal_is_only_counted(app, setup):
    client, token = setup
    response = client.post("/api/v1/signals", json=intake(consent=False), headers=bearer(token))
    status = wait_for_status(client, token, response.get_json()["id"])
    assert status == {"status": "routed", "routing_reason": "geen toestemming: enkel geteld"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 0
        signal = db.session.get(Signal, response.get_json()["id"])
        assert signal.note == ""
        assert signal.neighbourhood.name == "Dadizele"


def test_no_matching_rule_goes_to_the_coordinator(app, setup):
    client, token = setup
    payload = intake(theme="woning", resident={"birth_year": 1990})
    signal_id = client.post("/api/v1/signals", json=payload, headers=bearer(token)).get_json()["id"]
    status = wait_for_status(client, token, signal_id)
    assert status["routing_reason"] == "geen regel past → Coordinator (regisseur)"


def test_idempotency_key_replays_the_first_response(app, setup):
    client, token = setup
    headers = {**bearer(token), "Idempotency-Key": "tap-1"}
    first = client.post("/api/v1/signals", json=intake(), headers=headers)
    second = client.post("/api/v1/signals", json=intake(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/signals", json=intake(theme="zorgnood"), headers=headers)
    assert other.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signal)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"theme": "verveling"}, "theme"),
        ({"domain": None}, "domain"),
        ({"resident": {"name": ""}}, "resident"),
        ({"consent": {"how": None}}, "consent"),
        ({"urgency": "asap"}, "urgency"),
    ],
)
def test_invalid_intake_is_422_with_fields_and_stores_nothing(app, setup, change, field):
    client, token = setup
    payload = intake()
    for key, value in change.items():
        if isinstance(value, dict):
            payload[key] = {**payload[key], **value}
        else:
            payload[key] = value
    response = client.post("/api/v1/signals", json=payload, headers=bearer(token))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signal)) == 0


@pytest.mark.parametrize("role", ["volunteer", "referrer", "analyst"])
def test_other_roles_cannot_file_a_manual_intake_or_read_its_status(app, setup, role):
    client, token = setup
    make_user(app, role)
    other = api_token(client, f"{role}@example.be")
    assert client.post("/api/v1/signals", json=intake(), headers=bearer(other)).status_code == 403
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    assert (
        client.get(f"/api/v1/signals/{signal_id}/status", headers=bearer(other)).status_code == 404
    )


def test_routing_twice_makes_one_case_and_one_routed_event(app, setup):
    client, token = setup
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    wait_for_status(client, token, signal_id)
    with app.app_context():
        route_signal_once(signal_id)
        route_signal_once(signal_id)
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1
        assert (
            db.session.scalar(select(func.count()).select_from(CaseEvent).filter_by(type="routed"))
            == 1
        )


@pytest.mark.integration
def test_broker_outage_delays_routing_and_loses_nothing(pg_app, celery_worker, tmp_path):
    from tests.conftest import _make_app, sqlalchemy_url

    good = pg_app
    import_areas(good, "36012")
    make_user(good, "coordinator")
    url = good.config["SQLALCHEMY_DATABASE_URI"]
    broken = _make_app(
        url if "+psycopg" in url else sqlalchemy_url(url),
        REDIS_URL="redis://127.0.0.1:1/0",
        RATELIMIT_STORAGE_URI="memory://",
    )
    client = broken.test_client()
    token = api_token(client, "coordinator@example.be")
    ids = [
        client.post(
            "/api/v1/signals",
            json=intake(name=f"Bewoner {i}", number=str(i)),
            headers=bearer(token),
        ).get_json()["id"]
        for i in range(3)
    ]
    with good.app_context():
        unsent = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        assert unsent == 3
        assert db.session.scalar(select(func.count()).select_from(Signal)) == 3
        # what the periodic fieldwork.core.flush_outbox task does, once the broker is back
        waiting = unsent_ids()
        assert publish(waiting) == 3
        # sent once: a second flush sends none of them again (the running worker may have
        # added rows of its own by now — its notifications — so only these are looked at)
        assert publish(waiting) == 0
        assert not set(waiting) & set(unsent_ids())
    good_client = good.test_client()
    good_token = api_token(good_client, "coordinator@example.be")
    statuses = [wait_for_status(good_client, good_token, i)["status"] for i in ids]
    assert statuses == ["routed"] * 3
    with good.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 3
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
