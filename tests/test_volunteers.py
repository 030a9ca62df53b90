"""Volunteer intake and pool: the public 'Ik wil helpen' form (spam guard, rate limit,
double taps), the staff intake, the pool search filters (table-driven and a property), the
model-2 gate on activation and on visit rounds and call lists, the invitation with which a
visitor sets a password, leads from doorstep visits, trainings, and that volunteers never
see other volunteers' data. Both paths (SQLite eager and PostgreSQL + Redis)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.services import create_signals
from fieldwork.visits.models import VisitAddress, VisitRound
from fieldwork.volunteers.models import Invitation, Volunteer
from fieldwork.volunteers.vocabulary import MOBILITY, ROLES, SLOTS
from tests.conftest import (
    PASSWORD,
    api_token,
    bearer,
    csrf_from,
    import_areas,
    login,
    make_user,
    post_form,
)

TODAY = date.today()  # noqa: DTZ011 - the model-2 date a coordinator types is a local date


@pytest.fixture
def pool(app):
    """Moorslede imported; a coordinator, a contact person and a volunteer (Maria, with
    her own place in the pool); the form's minimum fill time off (one test puts it back)."""
    import_areas(app, "36012")
    app.config["HELP_FORM_MIN_SECONDS"] = 0
    ids = {
        "coordinator": make_user(app, "coordinator"),
        "an": make_user(app, "contact_person", email="an@example.be"),
        "maria": make_user(app, "volunteer", email="maria@example.be", name="Maria"),
    }
    client = app.test_client()
    tokens = {
        "coordinator": api_token(client, "coordinator@example.be"),
        "an": api_token(client, "an@example.be"),
        "maria": api_token(client, "maria@example.be"),
    }
    with app.app_context():
        hoods = {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}
    return {"client": client, "tokens": tokens, "ids": ids, "hoods": hoods}


def form_token(client) -> str:
    body = client.get("/api/v1/volunteers/intake", query_string={"gemeente": "36012"})
    assert body.status_code == 200
    return body.get_json()["form_token"]


def candidate_id(app, name: str = "Karim Haddad") -> int:
    with app.app_context():
        return db.session.scalars(select(Volunteer.id).filter_by(name=name)).one()


def public_intake(client, **fields: Any):
    payload = {
        "gemeente": "36012",
        "name": "Karim Haddad",
        "phone": "0470 12 34 56",
        "talents": "Elektricien in mijn thuisland; ik herstel graag dingen.",
        "languages": ["arabisch", "frans"],
        "availability": ["sat_morning"],
        "roles": ["event_helper"],
        "data_consent": True,
        "form_token": form_token(client),
        **fields,
    }
    return client.post("/api/v1/volunteers/intake", json=payload)


def full_intake(**fields: Any) -> dict[str, Any]:
    return {
        "gemeente": "36012",
        "name": "Rita Claeys",
        "email": "rita@example.be",
        "phone": "051 77 88 99",
        "talents": "Luisteren, koken",
        "tags": ["koken"],
        "energy": "Mensen samenbrengen",
        "motivation": "Ik ben net met pensioen",
        "experience": "30 jaar verpleegkundige",
        "languages": ["nederlands"],
        "availability": ["tue_morning", "thu_afternoon"],
        "mobility": ["car"],
        "support": ["buddy"],
        "roles": ["visitor"],
        "data_consent": True,
        **fields,
    }


def volunteer(app, volunteer_id: int) -> Volunteer:
    with app.app_context():
        found = db.session.get_one(Volunteer, volunteer_id)
        db.session.expunge(found)
        return found


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- the public form ------------------------------------------------------------------------


def test_a_candidate_signs_up_without_an_account_and_a_double_tap_adds_nobody(app, pool):
    client = pool["client"]
    first = public_intake(client)
    assert first.status_code == 201, first.get_json()
    again = public_intake(client)
    assert again.status_code == 201
    assert again.get_json() == first.get_json() == {"status": "received"}
    candidate = volunteer(app, candidate_id(app))
    assert candidate.status == "candidate"
    assert candidate.source == "public_form"
    assert candidate.languages == ["arabisch", "frans"]
    assert candidate.data_consent_at is not None
    assert count(app, Volunteer) == 2  # Maria and Karim


def test_the_public_form_keeps_only_what_it_asks(app, pool):
    """Fields of the staff intake sent to the public endpoint are ignored, not stored."""
    public_intake(
        pool["client"], energy="x", experience="y", tags=["z"], support=["buddy"], mobility=["car"]
    )
    candidate = volunteer(app, candidate_id(app))
    assert (
        candidate.energy,
        candidate.experience,
        candidate.tags,
        candidate.support,
        candidate.mobility,
    ) == ("", "", [], [], [])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"data_consent": False}, "data_consent"),
        ({"phone": "", "email": ""}, "phone"),
        ({"email": "niet-een-adres"}, "email"),
        ({"phone": "bel me"}, "phone"),
        ({"name": "   "}, "name"),
        ({"availability": ["someday"]}, "availability"),
        ({"roles": ["astronaut"]}, "roles"),
        ({"form_token": "forged"}, "form_token"),
        ({"form_token": None}, "form_token"),
        ({"website": "http://spam.example"}, "form_token"),
        ({"gemeente": "99999"}, "gemeente"),
    ],
)
def test_bad_public_intakes_are_refused_with_the_field_and_store_nothing(app, pool, changes, field):
    response = public_intake(pool["client"], **changes)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count(app, Volunteer) == 1


def test_a_form_sent_at_once_is_refused(app, pool):
    app.config["HELP_FORM_MIN_SECONDS"] = 3
    response = public_intake(pool["client"])
    assert response.status_code == 422
    assert "form_token" in response.get_json()["error"]["fields"]


def test_the_public_form_is_rate_limited_per_address(app, pool):
    app.config["HELP_FORM_RATE_LIMIT"] = "3 per hour"
    client = pool["client"]
    codes = [public_intake(client, name=f"Kandidaat {n}").status_code for n in range(4)]
    assert codes == [201, 201, 201, 429]
    assert count(app, Volunteer) == 4


def test_a_neighbourhood_of_another_municipality_is_refused(app, pool):
    import_areas(app, "72037")
    with app.app_context():
        achel = db.session.scalars(select(Neighbourhood.id).filter_by(name="Achel")).one()
    response = public_intake(pool["client"], neighbourhood_id=achel)
    assert response.status_code == 422
    assert "neighbourhood_id" in response.get_json()["error"]["fields"]


def test_the_page_form_for_residents(app, pool):
    client = app.test_client()
    start = client.get("/ik-wil-helpen")
    assert start.status_code == 302
    assert start.headers["Location"].endswith("/ik-wil-helpen/36012")
    page = client.get("/ik-wil-helpen/36012")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="trap"' in html
    assert 'name="availability" value="sat_evening"' in html
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)
    data = {
        "csrf_token": csrf_from(html),
        "form_token": token,
        "name": "Nadia",
        "phone": "0499 11 22 33",
        "neighbourhood_id": str(pool["hoods"]["Dadizele"]),
        "talents": "Breien",
        "roles": ["buurtgezel"],
        "availability": ["mon_morning", "wed_afternoon"],
        "data_consent": "y",
    }
    refused = client.post("/ik-wil-helpen/36012", data={**data, "data_consent": ""})
    assert refused.status_code == 422
    assert "toestemming" in refused.get_data(as_text=True)
    trapped = client.post("/ik-wil-helpen/36012", data={**data, "website": "x"})
    assert trapped.status_code == 422
    assert count(app, Volunteer) == 1
    sent = client.post("/ik-wil-helpen/36012", data=data)
    assert sent.status_code == 200
    assert "Bedankt" in sent.get_data(as_text=True)
    with app.app_context():
        nadia = db.session.scalars(select(Volunteer).filter_by(name="Nadia")).one()
        assert nadia.availability == ["mon_morning", "wed_afternoon"]
        assert nadia.neighbourhood_id == pool["hoods"]["Dadizele"]
    assert client.get("/ik-wil-helpen/99999").status_code == 404


# --- the staff intake and the pool ----------------------------------------------------------


def test_a_staff_intake_starts_from_the_person(app, pool):
    client, tokens = pool["client"], pool["tokens"]
    response = client.post(
        "/api/v1/volunteers/intake",
        json=full_intake(),
        headers={**bearer(tokens["an"]), "Idempotency-Key": "rita-1"},
    )
    assert response.status_code == 201, response.get_json()
    replay = client.post(
        "/api/v1/volunteers/intake",
        json=full_intake(),
        headers={**bearer(tokens["an"]), "Idempotency-Key": "rita-1"},
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    body = client.get(
        f"/api/v1/volunteers/{response.get_json()['id']}", headers=bearer(tokens["an"])
    ).get_json()
    assert body["status"] == "intake_done"
    assert body["experience"] == "30 jaar verpleegkundige"
    assert body["support"] == ["buddy"]
    assert body["may_meet_residents"] is False
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "volunteer_viewed")
            )
            == 1
        )


def test_a_candidate_from_the_form_gets_the_intake_conversation(app, pool):
    client, tokens = pool["client"], pool["tokens"]
    public_intake(client)
    karim = candidate_id(app)
    done = client.put(
        f"/api/v1/volunteers/{karim}/intake",
        json=full_intake(
            name="Karim Haddad",
            email="karim@example.be",
            roles=["event_helper", "other"],
            other_role="repair café",
            tags=["elektriciteit"],
        ),
        headers=bearer(tokens["an"]),
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "intake_done"
    assert done.get_json()["tags"] == ["elektriciteit"]


POOL = [  # name, neighbourhood, roles, tags, languages, availability, mobility, status
    (
        "Ahmed",
        "Moorslede",
        ["buurtgezel", "driver"],
        ["koken"],
        ["arabisch", "nederlands"],
        ["mon_morning", "tue_morning"],
        ["car"],
        "active",
    ),
    (
        "Bea",
        "Dadizele",
        ["visitor"],
        ["breien"],
        ["nederlands"],
        ["tue_morning"],
        ["on_foot"],
        "active",
    ),
    (
        "Chris",
        "Dadizele",
        ["caller", "buurtgezel"],
        ["koken", "muziek"],
        ["nederlands", "engels"],
        ["sat_evening"],
        ["bike"],
        "paused",
    ),
    (
        "Dirk",
        "Moorslede",
        ["photo_walker"],
        ["fotografie"],
        ["français"],
        [],
        ["bike"],
        "candidate",
    ),
    ("Els", None, ["event_helper"], [], ["nederlands"], ["mon_morning"], [], "stopped"),
]


@pytest.fixture
def filled_pool(app, pool):
    with app.app_context():
        moorslede = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one()
        for name, hood, roles, tags, languages, slots, mobility, status in POOL:
            db.session.add(
                Volunteer(
                    municipality_id=moorslede.municipality_id,
                    name=name,
                    neighbourhood_id=pool["hoods"][hood] if hood else None,
                    roles=roles,
                    tags=tags,
                    languages=languages,
                    availability=slots,
                    mobility=mobility,
                    status=status,
                    phone="051 00 00 00",
                    talents=f"{name} kan veel",
                    experience="Elektricien in zijn thuisland" if name == "Ahmed" else "",
                )
            )
        db.session.commit()
    return pool


def names(client, token, **query) -> list[str]:
    response = client.get(
        "/api/v1/volunteers", query_string={"gemeente": "36012", **query}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()
    return [v["name"] for v in response.get_json()["volunteers"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Ahmed", "Bea", "Chris", "Dirk", "Maria"]),  # everyone but stopped
        ({"talent": "koken"}, ["Ahmed", "Chris"]),  # a tag
        ({"talent": "elektricien"}, ["Ahmed"]),  # experience, free text
        ({"role": "buurtgezel"}, ["Ahmed", "Chris"]),
        ({"neighbourhood": "Dadizele"}, ["Bea", "Chris"]),
        ({"slot": "tue_morning"}, ["Ahmed", "Bea"]),
        ({"mobility": "bike"}, ["Chris", "Dirk"]),
        ({"language": "Arabisch"}, ["Ahmed"]),
        ({"language": "français"}, ["Dirk"]),
        ({"status": "stopped"}, ["Els"]),
        ({"role": "buurtgezel", "neighbourhood": "Dadizele", "talent": "muziek"}, ["Chris"]),
        ({"talent": "100%"}, []),
    ],
)
def test_pool_filters(app, filled_pool, query, expected):
    assert names(filled_pool["client"], filled_pool["tokens"]["an"], **query) == expected


def test_pool_neighbourhood_by_id_and_unknown(app, filled_pool):
    client, token = filled_pool["client"], filled_pool["tokens"]["an"]
    assert names(client, token, neighbourhood=str(filled_pool["hoods"]["Dadizele"])) == [
        "Bea",
        "Chris",
    ]
    unknown = client.get(
        "/api/v1/volunteers",
        headers=bearer(token),
        query_string={"gemeente": "36012", "neighbourhood": "Atlantis"},
    )
    assert unknown.status_code == 422
    assert "neighbourhood" in unknown.get_json()["error"]["fields"]
    bad_role = client.get(
        "/api/v1/volunteers", headers=bearer(token), query_string={"role": "astronaut"}
    )
    assert bad_role.status_code == 422


def test_the_pool_page_searches_and_is_audited(app, filled_pool):
    client = app.test_client()
    login(client, "an@example.be")
    page = client.get("/vrijwilligers/", query_string={"role": "buurtgezel"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ahmed" in html
    assert "Chris" in html
    assert "Bea" not in html
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "volunteer_pool_viewed")
        ).one()
        assert len(event.detail["ids"]) == 2


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "role": st.sampled_from(sorted(ROLES)),
        "slot": st.sampled_from(SLOTS),
        "mobility": st.sampled_from(sorted(MOBILITY)),
        "language": st.sampled_from(["nederlands", "arabisch", "engels", "français", "pools"]),
        "neighbourhood": st.sampled_from(["Moorslede", "Dadizele"]),
        "status": st.sampled_from(["active", "paused", "candidate", "stopped"]),
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=FILTERS)
def test_every_filter_result_is_exactly_who_matches(embedded_app, query):
    """Property: the pool search returns exactly the volunteers an independent check over
    the same records picks, for any combination of filters."""
    app = embedded_app
    if not count(app, Volunteer):
        import_areas(app, "36012")
        make_user(app, "contact_person", email="an@example.be")
        with app.app_context():
            hoods = {n.name: n for n in db.session.scalars(select(Neighbourhood))}
            for name, hood, roles, tags, languages, slots, mobility, status in POOL:
                db.session.add(
                    Volunteer(
                        municipality_id=hoods["Moorslede"].municipality_id,
                        name=name,
                        neighbourhood_id=hoods[hood].id if hood else None,
                        roles=roles,
                        tags=tags,
                        languages=languages,
                        availability=slots,
                        mobility=mobility,
                        status=status,
                    )
                )
            db.session.commit()
        app.config["TEST_POOL_TOKEN"] = api_token(app.test_client(), "an@example.be")
    client, token = app.test_client(), app.config["TEST_POOL_TOKEN"]

    def matches(row: tuple) -> bool:
        _name, hood, roles, _tags, languages, slots, mobility, status = row
        return all(
            (
                query.get("role") in (None, *roles),
                query.get("slot") in (None, *slots),
                query.get("mobility") in (None, *mobility),
                query.get("language") in (None, *languages),
                query.get("neighbourhood") in (None, hood),
                status == query["status"] if "status" in query else status != "stopped",
            )
        )

    assert names(client, token, **query) == sorted(r[0] for r in POOL if matches(r))


# --- the model-2 gate, activation and the invitation ----------------------------------------


def make_intake(pool, **fields) -> int:
    response = pool["client"].post(
        "/api/v1/volunteers/intake",
        json=full_intake(**fields),
        headers=bearer(pool["tokens"]["coordinator"]),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def status(pool, volunteer_id: int, new: str):
    return pool["client"].post(
        f"/api/v1/volunteers/{volunteer_id}/status",
        json={"status": new},
        headers=bearer(pool["tokens"]["coordinator"]),
    )


def test_a_visitor_becomes_active_only_after_the_model2_check(app, pool):
    client, coordinator = pool["client"], bearer(pool["tokens"]["coordinator"])
    rita = make_intake(pool)
    refused = status(pool, rita, "active")
    assert refused.status_code == 422
    assert "model2_checked_on" in refused.get_json()["error"]["fields"]
    assert volunteer(app, rita).status == "intake_done"
    assert count(app, User) == 3  # no account was made

    future = client.post(
        f"/api/v1/volunteers/{rita}/model2",
        json={"checked_on": (TODAY + timedelta(days=1)).isoformat()},
        headers=coordinator,
    )
    assert future.status_code == 422
    by_contact_person = client.post(
        f"/api/v1/volunteers/{rita}/model2",
        json={"checked_on": TODAY.isoformat()},
        headers=bearer(pool["tokens"]["an"]),
    )
    assert by_contact_person.status_code == 403
    checked = client.post(
        f"/api/v1/volunteers/{rita}/model2",
        json={"checked_on": (TODAY - timedelta(days=10)).isoformat()},
        headers=coordinator,
    )
    assert checked.status_code == 200
    assert checked.get_json()["may_meet_residents"] is False  # not active yet

    active = status(pool, rita, "active")
    assert active.status_code == 200, active.get_json()
    body = active.get_json()
    assert body["status"] == "active"
    assert body["has_account"] is True
    assert body["invitation_url"].startswith("http://127.0.0.1:5000/uitnodiging/")
    with app.app_context():
        account = db.session.scalars(select(User).filter_by(email="rita@example.be")).one()
        assert account.role == "volunteer"
        stored = db.session.scalars(select(Invitation)).one()
        assert body["invitation_url"].rsplit("/", 1)[1] not in stored.token_hash


def test_a_visitor_without_an_email_cannot_get_an_account(app, pool):
    rita = make_intake(pool, email="")
    pool["client"].post(
        f"/api/v1/volunteers/{rita}/model2",
        json={"checked_on": TODAY.isoformat()},
        headers=bearer(pool["tokens"]["coordinator"]),
    )
    refused = status(pool, rita, "active")
    assert refused.status_code == 422
    assert "email" in refused.get_json()["error"]["fields"]


def test_a_role_without_residents_needs_no_model2_and_no_account(app, pool):
    helper = make_intake(pool, roles=["event_helper"], email="")
    active = status(pool, helper, "active")
    assert active.status_code == 200
    assert active.get_json() == {
        "id": helper,
        "status": "active",
        "has_account": False,
        "invitation_url": None,
    }


def test_status_moves_follow_the_steps(app, pool):
    public_intake(pool["client"])
    karim = candidate_id(app)
    assert status(pool, karim, "active").status_code == 409  # the intake comes first
    assert status(pool, karim, "paused").status_code == 409
    assert status(pool, karim, "stopped").status_code == 200
    assert status(pool, karim, "candidate").status_code == 200


def test_the_invitation_link_sets_a_password_once(app, pool):
    rita = make_intake(pool)
    coordinator = bearer(pool["tokens"]["coordinator"])
    pool["client"].post(
        f"/api/v1/volunteers/{rita}/model2",
        json={"checked_on": TODAY.isoformat()},
        headers=coordinator,
    )
    first_link = status(pool, rita, "active").get_json()["invitation_url"]
    second = pool["client"].post(f"/api/v1/volunteers/{rita}/invitation", headers=coordinator)
    assert second.status_code == 201
    link = second.get_json()["invitation_url"].replace("http://127.0.0.1:5000", "")
    browser = app.test_client()
    assert browser.get(first_link.replace("http://127.0.0.1:5000", "")).status_code == 404
    page = browser.get(link)
    assert page.status_code == 200
    assert "Rita Claeys" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    short = browser.post(link, data={"csrf_token": token, "password": "kort", "confirm": "kort"})
    assert short.status_code == 422
    differ = browser.post(
        link,
        data={"csrf_token": token, "password": "zorgzaam-buurt-1", "confirm": "zorgzaam-buurt-2"},
    )
    assert differ.status_code == 422
    done = browser.post(
        link,
        data={"csrf_token": token, "password": "zorgzaam-buurt-1", "confirm": "zorgzaam-buurt-1"},
    )
    assert done.status_code == 302
    assert browser.get("/home").status_code == 200  # logged in
    assert browser.get(link).status_code == 404  # used
    assert api_token(app.test_client(), "rita@example.be", "zorgzaam-buurt-1")
    assert browser.get("/uitnodiging/" + "x" * 300).status_code == 404


def test_an_expired_invitation_is_gone(app, pool):
    rita = make_intake(pool)
    pool["client"].post(
        f"/api/v1/volunteers/{rita}/model2",
        json={"checked_on": TODAY.isoformat()},
        headers=bearer(pool["tokens"]["coordinator"]),
    )
    link = status(pool, rita, "active").get_json()["invitation_url"]
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        invitation.expires_at = invitation.created_at - timedelta(seconds=1)
        db.session.commit()
    assert app.test_client().get(link.replace("http://127.0.0.1:5000", "")).status_code == 404


def test_stopping_switches_the_account_off(app, pool):
    maria = db_volunteer_id(app, "maria@example.be")
    assert status(pool, maria, "stopped").status_code == 200
    response = app.test_client().post(
        "/api/v1/auth/token", json={"email": "maria@example.be", "password": PASSWORD}
    )
    assert response.status_code == 401


def db_volunteer_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(Volunteer.id).join(User, User.id == Volunteer.user_id).where(User.email == email)
        ).one()


def unchecked_volunteer(app, email: str) -> int:
    """A volunteer account whose model 2 was never checked (e.g. made on the CLI)."""
    return make_user(app, "volunteer", email=email, model2=False, name="Nog Niet")


def test_an_unchecked_volunteer_is_not_given_a_visit_round(app, pool):
    unchecked_volunteer(app, "nieuw@example.be")
    with app.app_context():
        dadizele = db.session.get_one(Neighbourhood, pool["hoods"]["Dadizele"])
        visit_round = VisitRound(
            municipality_id=dadizele.municipality_id,
            name="Ronde",
            starts_on=TODAY,
            ends_on=TODAY + timedelta(days=30),
            neighbourhoods=[dadizele],
        )
        db.session.add(visit_round)
        db.session.flush()
        db.session.add(
            VisitAddress(
                round_id=visit_round.id,
                name="Maria Claes",
                name_key=name_key("Maria Claes"),
                street="Dadizeleplaats",
                street_key=street_key("Dadizeleplaats"),
                house_number="12",
                postcode="8890",
                address_key=address_key("Dadizeleplaats", "12", "8890"),
                birth_year=1941,
                neighbourhood_id=dadizele.id,
            )
        )
        db.session.commit()
        round_id = visit_round.id
    client, coordinator = pool["client"], bearer(pool["tokens"]["coordinator"])
    url = f"/api/v1/visit-rounds/{round_id}/assignments"
    refused = client.post(
        url, headers=coordinator, json={"volunteer": "nieuw@example.be", "street": "Dadizeleplaats"}
    )
    assert refused.status_code == 422
    assert "model 2" in refused.get_json()["error"]["message"]
    assert "volunteer" in refused.get_json()["error"]["fields"]
    as_partner = client.post(
        url,
        headers=coordinator,
        json={
            "volunteer": "maria@example.be",
            "partner": "nieuw@example.be",
            "street": "Dadizeleplaats",
        },
    )
    assert as_partner.status_code == 422
    assert "partner" in as_partner.get_json()["error"]["fields"]
    accepted = client.post(
        url, headers=coordinator, json={"volunteer": "maria@example.be", "street": "Dadizeleplaats"}
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json() == {"assigned": 1}


def test_an_unchecked_volunteer_is_not_given_a_call_list(app, pool):
    unchecked_volunteer(app, "nieuw@example.be")
    client, coordinator = pool["client"], bearer(pool["tokens"]["coordinator"])
    campaign = {
        "gemeente": "36012",
        "name": "Belactie",
        "neighbourhoods": [pool["hoods"]["Dadizele"]],
        "guide": [{"text": "Hoe gaat het?", "options": []}],
    }
    refused = client.post(
        "/api/v1/call-campaigns",
        headers=coordinator,
        json={**campaign, "callers": ["nieuw@example.be"]},
    )
    assert refused.status_code == 422
    assert "callers" in refused.get_json()["error"]["fields"]
    paused = db_volunteer_id(app, "maria@example.be")
    assert status(pool, paused, "paused").status_code == 200
    refused = client.post(
        "/api/v1/call-campaigns",
        headers=coordinator,
        json={**campaign, "callers": ["maria@example.be"]},
    )
    assert refused.status_code == 422
    assert status(pool, paused, "active").status_code == 200
    accepted = client.post(
        "/api/v1/call-campaigns",
        headers=coordinator,
        json={**campaign, "callers": ["maria@example.be"]},
    )
    assert accepted.status_code == 201, accepted.get_json()


# --- the pages: the coordinator's whole path ------------------------------------------------


def test_the_coordinator_does_the_intake_and_activates_on_the_pages(app, pool):
    public_intake(pool["client"], email="karim@example.be")
    karim = candidate_id(app)
    client = app.test_client()
    login(client, "coordinator@example.be")
    waiting = client.get("/vrijwilligers/kandidaten").get_data(as_text=True)
    assert "Karim Haddad" in waiting
    page = f"/vrijwilligers/{karim}"
    saved = post_form(
        client,
        page,
        {
            "name": "Karim Haddad",
            "phone": "0470 12 34 56",
            "email": "karim@example.be",
            "neighbourhood_id": str(pool["hoods"]["Moorslede"]),
            "talents": "Herstellen",
            "tags": "elektriciteit, fietsen",
            "experience": "Elektricien in zijn thuisland",
            "languages": "Arabisch, Frans",
            "availability": ["sat_morning"],
            "mobility": ["bike"],
            "support": ["language_help"],
            "roles": ["visitor"],
            "data_consent": "y",
        },
        action=f"{page}/intake",
    )
    assert saved.status_code == 302
    refused = post_form(client, page, {"status": "active"}, action=f"{page}/status")
    assert refused.status_code == 422
    assert "model 2" in refused.get_data(as_text=True)
    assert "Herstellen</textarea>" in refused.get_data(as_text=True)  # the intake as stored
    checked = post_form(client, page, {"checked_on": TODAY.isoformat()}, action=f"{page}/model2")
    assert checked.status_code == 302
    activated = post_form(client, page, {"status": "active"}, action=f"{page}/status")
    html = activated.get_data(as_text=True)
    assert activated.status_code == 200
    link = re.search(r"http://127\.0\.0\.1:5000(/uitnodiging/[A-Za-z0-9_-]+)", html).group(1)
    found = volunteer(app, karim)
    assert found.status == "active"
    assert found.tags == ["elektriciteit", "fietsen"]
    assert found.support == ["language_help"]
    welcome = app.test_client().get(link)
    assert welcome.status_code == 200
    # the link is not on the page the next time
    assert "/uitnodiging/" not in client.get(page).get_data(as_text=True)


def test_a_contact_person_does_intakes_but_not_the_model2_or_status(app, pool):
    client = app.test_client()
    login(client, "an@example.be")
    made = post_form(
        client,
        "/vrijwilligers/nieuw",
        {
            "name": "Jos",
            "phone": "051 11 11 11",
            "roles": ["buurtgezel"],
            "help_kinds": ["shopping"],
            "data_consent": "y",
        },
    )
    assert made.status_code == 302
    jos = int(made.headers["Location"].rsplit("/", 1)[1])
    html = client.get(f"/vrijwilligers/{jos}").get_data(as_text=True)
    assert f"/vrijwilligers/{jos}/model2" not in html  # no such form for them
    assert (
        client.post(
            f"/vrijwilligers/{jos}/model2",
            data={"csrf_token": csrf_from(html), "checked_on": TODAY.isoformat()},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/vrijwilligers/{jos}/status", data={"csrf_token": csrf_from(html), "status": "active"}
        ).status_code
        == 403
    )


# --- leads from doorstep visits -------------------------------------------------------------


def lead_signal(app, name: str = "Georges Lambert", consent: bool = True) -> int | None:
    with app.app_context():
        filer = db.session.scalars(select(User).filter_by(email="maria@example.be")).one()
        (signal,) = create_signals(
            {
                "resident": {
                    "name": name,
                    "street": "Dadizeleplaats",
                    "house_number": "4",
                    "postcode": "8890",
                    "birth_year": 1950,
                    "phone": "051 22 33 44",
                    "lat": None,
                    "lon": None,
                    "statsec": "36012B001",
                    "gemeente": "36012",
                    "deelgemeente": None,
                },
                "themes": ["vrijwilliger"],
                "urgency": "normal",
                "note": "",
                "consent": {
                    "given": consent,
                    "how": "signed_strip" if consent else None,
                    "reference": "F-1" if consent else None,
                },
            },
            filer,
            source="visit",
        )
        db.session.commit()
        return signal.id if consent else None


def test_a_resident_who_wants_to_help_becomes_a_candidate(app, pool):
    signal_id = lead_signal(app)
    lead_signal(app, "Zonder Toestemming", consent=False)  # only counted: no lead
    client = app.test_client()
    login(client, "an@example.be")
    page = client.get("/vrijwilligers/kandidaten").get_data(as_text=True)
    assert "Georges Lambert" in page
    assert "Zonder Toestemming" not in page
    taken = client.post(
        "/vrijwilligers/kandidaten", data={"csrf_token": csrf_from(page), "signal_id": signal_id}
    )
    assert taken.status_code == 302
    with app.app_context():
        georges = db.session.scalars(select(Volunteer).filter_by(name="Georges Lambert")).one()
        assert (georges.status, georges.source, georges.phone) == (
            "candidate",
            "visit",
            "051 22 33 44",
        )
        assert georges.neighbourhood_id == pool["hoods"]["Dadizele"]
        assert georges.data_consent_at is None  # the intake asks it
    again = client.post(
        "/vrijwilligers/kandidaten", data={"csrf_token": csrf_from(page), "signal_id": signal_id}
    )
    assert again.status_code == 302  # back to the list, with a message; nobody added
    assert count(app, Volunteer) == 2
    assert f'value="{signal_id}"' not in client.get("/vrijwilligers/kandidaten").get_data(
        as_text=True
    )


# --- trainings ------------------------------------------------------------------------------


def test_trainings_with_date_and_attendees(app, pool):
    rita = make_intake(pool)
    coordinator = bearer(pool["tokens"]["coordinator"])
    made = pool["client"].post(
        "/api/v1/trainings",
        headers=coordinator,
        json={
            "gemeente": "36012",
            "title": "Signalen herkennen",
            "held_on": (TODAY - timedelta(days=3)).isoformat(),
            "attendees": [rita],
        },
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["attendees"] == [rita]
    body = pool["client"].get(f"/api/v1/volunteers/{rita}", headers=coordinator).get_json()
    assert [t["title"] for t in body["trainings"]] == ["Signalen herkennen"]
    unknown = pool["client"].post(
        "/api/v1/trainings",
        headers=coordinator,
        json={
            "gemeente": "36012",
            "title": "X",
            "held_on": TODAY.isoformat(),
            "attendees": [99999],
        },
    )
    assert unknown.status_code == 422
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get("/vrijwilligers/vorming").get_data(as_text=True)
    assert "Signalen herkennen" in page
    assert "Rita Claeys" in page


# --- who sees what --------------------------------------------------------------------------


def test_volunteers_never_see_other_volunteers(app, filled_pool):
    client, tokens = filled_pool["client"], filled_pool["tokens"]
    maria = bearer(tokens["maria"])
    other = db_volunteer_id(app, "maria@example.be") + 1
    for url in ("/api/v1/volunteers", f"/api/v1/volunteers/{other}", "/api/v1/trainings"):
        assert client.get(url, headers=maria).status_code == 403, url
    assert (
        client.put(
            f"/api/v1/volunteers/{other}/intake", json=full_intake(), headers=maria
        ).status_code
        == 403
    )
    assert (
        client.post("/api/v1/volunteers/intake", json=full_intake(), headers=maria).status_code
        == 403
    )
    me = client.get("/api/v1/volunteers/me", headers=maria)
    assert me.status_code == 200
    assert me.get_json()["name"] == "Maria"
    browser = app.test_client()
    login(browser, "maria@example.be")
    for url in (
        "/vrijwilligers/",
        "/vrijwilligers/kandidaten",
        f"/vrijwilligers/{other}",
        "/vrijwilligers/vorming",
        "/vrijwilligers/nieuw",
    ):
        assert browser.get(url).status_code == 403, url


def test_an_analyst_sees_no_volunteer(app, filled_pool):
    make_user(app, "analyst")
    token = api_token(filled_pool["client"], "analyst@example.be")
    assert filled_pool["client"].get("/api/v1/volunteers", headers=bearer(token)).status_code == 403


def test_the_public_form_tells_nobody_who_is_in_the_pool(app, pool):
    known = public_intake(pool["client"], name="Maria", email="maria@example.be", phone="")
    assert known.status_code == 201
    assert known.get_json() == {"status": "received"}
    assert count(app, Volunteer) == 1  # Maria, once


@pytest.mark.parametrize("odd", ["²", "10000000000000000000000", "-1", "1e3", "\u0663"])
def test_odd_numbers_are_no_500(app, filled_pool, odd):
    client = app.test_client()
    login(client, "coordinator@example.be")
    assert (
        client.get("/vrijwilligers/", query_string={"page": odd, "neighbourhood": odd}).status_code
        == 200
    )
    api = filled_pool["client"].get(
        "/api/v1/volunteers",
        headers=bearer(filled_pool["tokens"]["an"]),
        query_string={"neighbourhood": odd},
    )
    assert api.status_code == 422
    page = client.get("/vrijwilligers/kandidaten").get_data(as_text=True)
    lead = client.post(
        "/vrijwilligers/kandidaten", data={"csrf_token": csrf_from(page), "signal_id": odd}
    )
    assert lead.status_code == 404
    resident = app.test_client()
    form = resident.get("/ik-wil-helpen/36012").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', form).group(1)
    sent = resident.post(
        "/ik-wil-helpen/36012",
        data={
            "csrf_token": csrf_from(form),
            "form_token": token,
            "name": "Nadia",
            "phone": "0499 11 22 33",
            "neighbourhood_id": odd,
            "data_consent": "y",
        },
    )
    assert sent.status_code == 200  # kept, without a neighbourhood
    with app.app_context():
        assert (
            db.session.scalars(select(Volunteer).filter_by(name="Nadia")).one().neighbourhood_id
            is None
        )


def test_a_withdrawn_consent_is_no_lead(app, pool):
    signal_id = lead_signal(app)
    with app.app_context():
        from fieldwork.signals.models import Consent, Signal

        consent = db.session.get_one(Consent, db.session.get_one(Signal, signal_id).consent_id)
        consent.withdrawn_at = consent.given_at
        db.session.commit()
    client = app.test_client()
    login(client, "an@example.be")
    page = client.get("/vrijwilligers/kandidaten").get_data(as_text=True)
    assert "Georges Lambert" not in page
    taken = client.post(
        "/vrijwilligers/kandidaten", data={"csrf_token": csrf_from(page), "signal_id": signal_id}
    )
    assert taken.status_code == 302
    assert count(app, Volunteer) == 1


def test_pausing_and_stopping_hand_the_lists_back(app, pool):
    """A paused volunteer's open addresses and people to call go back (a pair's other half
    keeps theirs); stopping also switches the account off and revokes unused links."""
    from fieldwork.calls.models import CallCampaign, CallTarget

    jef = make_user(app, "volunteer", email="jef@example.be", name="Jef")
    with app.app_context():
        dadizele = db.session.get_one(Neighbourhood, pool["hoods"]["Dadizele"])
        visit_round = VisitRound(
            municipality_id=dadizele.municipality_id,
            name="Ronde",
            starts_on=TODAY,
            ends_on=TODAY + timedelta(days=30),
            neighbourhoods=[dadizele],
        )
        campaign = CallCampaign(municipality_id=dadizele.municipality_id, name="Belactie")
        db.session.add_all([visit_round, campaign])
        db.session.flush()
        for number, partner in (("1", None), ("3", jef)):
            db.session.add(
                VisitAddress(
                    round_id=visit_round.id,
                    name=f"Bewoner {number}",
                    name_key=f"bewoner {number}",
                    street="Dadizeleplaats",
                    street_key=street_key("Dadizeleplaats"),
                    house_number=number,
                    postcode="8890",
                    address_key=address_key("Dadizeleplaats", number, "8890"),
                    neighbourhood_id=dadizele.id,
                    volunteer_id=pool["ids"]["maria"],
                    partner_id=partner,
                )
            )
        db.session.add(
            CallTarget(
                campaign_id=campaign.id,
                name="Te Bellen",
                name_key="x",
                address_key="y",
                phone="051 00 00 00",
                neighbourhood_id=dadizele.id,
                caller_id=pool["ids"]["maria"],
            )
        )
        db.session.commit()
    maria = db_volunteer_id(app, "maria@example.be")
    assert status(pool, maria, "paused").status_code == 200
    with app.app_context():
        by_number = {a.house_number: a for a in db.session.scalars(select(VisitAddress))}
        assert (by_number["1"].volunteer_id, by_number["1"].partner_id) == (None, None)
        assert (by_number["3"].volunteer_id, by_number["3"].partner_id) == (jef, None)
        assert db.session.scalars(select(CallTarget)).one().caller_id is None
    assert status(pool, maria, "stopped").status_code == 200
    assert (
        app.test_client()
        .post("/api/v1/auth/token", json={"email": "maria@example.be", "password": PASSWORD})
        .status_code
        == 401
    )


def test_accounts_from_before_the_pool_are_adopted_and_then_wait_for_model2(app, pool, runner):
    unchecked_volunteer(app, "oud@example.be")
    result = runner.invoke(args=["volunteers", "adopt", "--gemeente", "36012"])
    assert result.exit_code == 0, result.output
    assert "1 account(s) adopted" in result.output
    again = runner.invoke(args=["volunteers", "adopt", "--gemeente", "36012"])
    assert "0 account(s) adopted" in again.output
    adopted = db_volunteer_id(app, "oud@example.be")
    assert volunteer(app, adopted).status == "intake_done"
    assert status(pool, adopted, "active").status_code == 422  # the model 2 first
    assert runner.invoke(args=["volunteers", "adopt", "--gemeente", "99999"]).exit_code != 0


def test_a_training_sent_twice_is_recorded_once(app, moorslede):
    from fieldwork.volunteers.models import Training
    from tests.conftest import post_form_twice

    make_user(app, "coordinator")
    client = app.test_client()
    login(client, "coordinator@example.be")
    sent = post_form_twice(
        client,
        "/vrijwilligers/vorming?gemeente=36012",
        {"title": "Signalen herkennen", "held_on": "2026-03-02"},
    )
    assert sent == [302, 302]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Training)) == 1


def test_the_same_person_sent_in_a_burst_is_one_candidate_and_a_lead_taken_twice_once(app):
    """Four sends of "Ik wil helpen" at once, and a lead taken by two people at once: on
    PostgreSQL they start together (threads), on SQLite one after the other."""
    from tests.test_cases import at_once

    import_areas(app, "36012")
    app.config["HELP_FORM_MIN_SECONDS"] = 0
    app.config["HELP_FORM_RATE_LIMIT"] = "1000 per hour"
    clients = [app.test_client() for _ in range(4)]
    sends = []
    for client in clients:
        token = client.get("/api/v1/volunteers/intake?gemeente=36012").get_json()["form_token"]
        body = {
            "gemeente": "36012",
            "name": "Karim Haddad",
            "phone": "0470 12 34 56",
            "data_consent": True,
            "form_token": token,
        }
        sends.append(
            lambda c=client, b=body: c.post("/api/v1/volunteers/intake", json=b).status_code
        )
    assert all(status < 300 for status in at_once(app, *sends))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 1

    make_user(app, "coordinator")
    make_user(app, "contact_person", email="an@example.be")
    make_user(app, "volunteer", email="maria@example.be", name="Maria")
    signal_id = lead_signal(app)
    takers = []
    for email in ("an@example.be", "coordinator@example.be"):
        taker = app.test_client()
        login(taker, email)
        token = csrf_from(taker.get("/vrijwilligers/kandidaten").get_data(as_text=True))
        takers.append(
            lambda t=taker, k=token: (
                t.post(
                    "/vrijwilligers/kandidaten", data={"csrf_token": k, "signal_id": signal_id}
                ).status_code
            )
        )
    assert all(status < 500 for status in at_once(app, *takers))
    with app.app_context():
        leads = (
            select(func.count()).select_from(Volunteer).where(Volunteer.lead_signal_id.is_not(None))
        )
        assert db.session.scalar(leads) == 1
