"""Buurtgezellen: requests, suggested matches (ranking, the model 2 gate), the match and its
follow-up ("loopt het goed?"), other solutions, waiting days, and what a volunteer sees.
Both paths; the end-to-end from a doorstep visit runs a real worker on the production one."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood, Sector
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.core.models import AuditEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from fieldwork.routing.models import RoutingRule
from fieldwork.routing.services import route_signal_once
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import Resident, Signal
from fieldwork.signals.services import create_signals
from fieldwork.visits.models import VisitAddress, VisitRound
from fieldwork.volunteers import matching
from fieldwork.volunteers.gate import VolunteerError
from fieldwork.volunteers.models import BuurtgezelMatch, BuurtgezelRequest, Volunteer
from fieldwork.volunteers.vocabulary import HELP_KINDS, SLOTS, slot_label
from tests.conftest import api_token, bearer, csrf_from, login, make_user, post_form
from tests.test_audit_trail_glass import give_reason

TODAY = matching.local_today()


def wait_until(check, seconds=30):
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def hood_id(name: str) -> int:
    return db.session.scalars(select(Neighbourhood.id).filter_by(name=name)).one()


def add_volunteer(name: str, hood: str, user_id: int | None = None, **changes) -> int:
    neighbourhood = db.session.get_one(Neighbourhood, hood_id(hood))
    volunteer = Volunteer(
        municipality_id=neighbourhood.municipality_id,
        neighbourhood_id=neighbourhood.id,
        name=name,
        status="active",
        model2_checked_on=TODAY - timedelta(days=30),
        roles=["buurtgezel"],
        availability=[],
        help_kinds=[],
        languages=["nederlands"],
        user_id=user_id,
        phone="0470 00 00 00",
    )
    for key, value in changes.items():
        setattr(volunteer, key, value)
    db.session.add(volunteer)
    db.session.flush()
    return volunteer.id


def add_resident(
    name: str, street: str, number: str, statsec: str, phone: str = "051 77 00 00"
) -> int:
    """A resident who asked for a buurtgezel, with consent (a signal like a visit's)."""
    signals = create_signals(
        {
            "resident": {
                "name": name,
                "street": street,
                "house_number": number,
                "postcode": "8890",
                "birth_year": 1940,
                "phone": phone,
                "lat": None,
                "lon": None,
                "statsec": statsec,
                "gemeente": "36012",
                "deelgemeente": None,
            },
            "themes": ["buurtgezel"],
            "urgency": "normal",
            "note": "Wil graag een babbel.",
            "consent": {"given": True, "how": "signed_strip", "reference": f"F-{number}"},
        },
        None,
        source="visit",
    )
    return signals[0].resident_id


@pytest.fixture
def world(moorslede):
    """Moorslede with staff, buurtgezellen (two with an account), volunteers who may not be
    suggested, and two residents who asked for a buurtgezel."""
    app = moorslede
    ids = SimpleNamespace()
    ids.coordinator = make_user(app, "coordinator")
    ids.an = make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    ids.jan = make_user(app, "contact_person", email="jan@example.be", name="Jan Vermeulen")
    ids.griet_user = make_user(
        app, "volunteer", email="griet@example.be", name="Griet", model2=False
    )
    ids.jef_user = make_user(app, "volunteer", email="jef@example.be", name="Jef", model2=False)
    make_user(app, "analyst")
    make_user(app, "referrer")
    with app.app_context():
        ids.dadizele, ids.moorslede = hood_id("Dadizele"), hood_id("Moorslede")
        ids.griet = add_volunteer(
            "Griet Vandamme",
            "Dadizele",
            ids.griet_user,
            availability=["mon_morning", "tue_afternoon", "wed_morning"],
            help_kinds=["companionship", "chat", "walk"],
            languages=["nederlands"],
        )
        ids.karel = add_volunteer(
            "Karel Desmet",
            "Moorslede",
            availability=["mon_morning"],
            help_kinds=["shopping", "lift"],
            languages=["nederlands", "frans"],
        )
        ids.jef = add_volunteer(
            "Jef Deprez",
            "Dadizele",
            ids.jef_user,
            availability=["sat_morning"],
            help_kinds=["shopping"],
        )
        ids.ilse = add_volunteer(
            "Ilse Onbekend",
            "Dadizele",
            model2_checked_on=None,
            availability=["mon_morning"],
            help_kinds=["companionship"],
        )
        ids.paul = add_volunteer(
            "Paul Gepauzeerd", "Dadizele", status="paused", help_kinds=["companionship"]
        )
        ids.vera = add_volunteer(
            "Vera Bezoeker", "Dadizele", roles=["visitor"], help_kinds=["companionship"]
        )
        # An is the contact person for these residents (their cases are hers); Jan is not
        db.session.add(
            RoutingRule(
                position=1, name="Buurtgezel Moorslede", conditions={}, assign_user_id=ids.an
            )
        )
        db.session.flush()
        ids.rosa = add_resident(
            "Rosa Vanneste", "Dadizeleplaats", "3", "36012B001", phone="051 77 03 03"
        )
        ids.marcel = add_resident("Marcel Lambrecht", "Marktplaats", "9", "36012A001")
        db.session.commit()
        for signal_id in db.session.scalars(select(Signal.id)).all():
            route_signal_once(signal_id)  # at once, on both paths (a second run is a no-op)
    client = app.test_client()
    ids.tokens = {
        who: api_token(client, f"{who}@example.be")
        for who in ("an", "jan", "griet", "jef", "coordinator", "analyst", "referrer")
    }
    return app, client, ids


def post_request(client, token, **payload):
    body = {
        "help_kinds": ["companionship", "chat"],
        "availability": ["mon_morning"],
        "languages": ["Nederlands"],
        **payload,
    }
    return client.post("/api/v1/buurtgezel/requests", json=body, headers=bearer(token))


def post_match(client, token, request_id, volunteer_id, headers=None, **extra):
    return client.post(
        "/api/v1/buurtgezel/matches",
        json={"request_id": request_id, "volunteer_id": volunteer_id, **extra},
        headers={**bearer(token), **(headers or {})},
    )


def t(app, message: str, **values) -> str:
    """A UI text as the app shows it (Dutch by default, once translated)."""
    from flask_babel import gettext

    with app.test_request_context():
        return str(gettext(message, **values))


# --------------------------------------------------------------------- ranking, table-driven

REQUEST = {
    "municipality_id": 1,
    "neighbourhood_id": 1,
    "help_kinds": ["companionship", "shopping"],
    "availability": ["mon_morning", "tue_morning"],
    "languages": ["nederlands"],
}
PLAIN = {
    "municipality_id": 1,
    "neighbourhood_id": 1,
    "help_kinds": [],
    "availability": [],
    "languages": [],
}


def v(**changes):
    return {**PLAIN, **changes}


RANKING = [
    pytest.param(
        {"Anna": v(), "Bert": v(neighbourhood_id=2, help_kinds=["shopping"])},
        {},
        ["Anna", "Bert"],
        id="same neighbourhood beats same municipality",
    ),
    pytest.param(
        {
            "Anna": v(availability=["mon_morning"]),
            "Bert": v(availability=["mon_morning", "tue_morning"]),
        },
        {},
        ["Bert", "Anna"],
        id="more shared moments first",
    ),
    pytest.param(
        {"Anna": v(), "Bert": v(help_kinds=["shopping", "lift"])},
        {},
        ["Bert", "Anna"],
        id="the help asked",
    ),
    pytest.param(
        {"Anna": v(languages=["frans"]), "Bert": v(languages=["Nederlands"])},
        {},
        ["Bert", "Anna"],
        id="a shared language",
    ),
    pytest.param(
        {"Anna": v(), "Bert": v()}, {"Anna": 2}, ["Bert", "Anna"], id="fewer current matches first"
    ),
    pytest.param(
        {"Bert": v(), "Anna": v()}, {}, ["Anna", "Bert"], id="equal fit and load: by name"
    ),
    pytest.param(
        {"Anna": v(neighbourhood_id=2), "Bert": v()},
        {"Bert": 3},
        ["Bert", "Anna"],
        id="the neighbourhood outweighs some load",
    ),
    pytest.param(
        {"Anna": v(neighbourhood_id=2, municipality_id=2), "Bert": v(neighbourhood_id=2)},
        {},
        ["Bert", "Anna"],
        id="another municipality last",
    ),
    pytest.param(
        {
            "Anna": v(help_kinds=["companionship"], availability=["mon_morning"]),
            "Bert": v(
                help_kinds=["companionship", "shopping"],
                availability=SLOTS,
                languages=["nederlands"],
            ),
            "Cis": v(
                neighbourhood_id=2,
                help_kinds=["companionship", "shopping"],
                availability=SLOTS,
                languages=["nederlands"],
            ),
        },
        {"Bert": 1},
        ["Bert", "Anna", "Cis"],
        id="all rules together",
    ),
]


@pytest.mark.parametrize(("volunteers", "counts", "expected"), RANKING)
def test_suggestion_ranking(embedded_app, volunteers, counts, expected):
    request = SimpleNamespace(**REQUEST)
    pool = [
        SimpleNamespace(id=i, name=name, **attrs)
        for i, (name, attrs) in enumerate(volunteers.items(), start=1)
    ]
    by_name = {p.name: p.id for p in pool}
    with embedded_app.test_request_context():
        ranked = matching.rank(request, pool, {by_name[n]: c for n, c in counts.items()})
    assert [s.volunteer.name for s in ranked] == expected
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert all(s.reasons for s in ranked)


def test_reasons_say_why(embedded_app):
    request = SimpleNamespace(**REQUEST)
    volunteer = SimpleNamespace(
        id=1,
        name="Anna",
        **v(help_kinds=["shopping"], availability=["mon_morning"], languages=["nederlands"]),
    )
    with embedded_app.test_request_context():
        [suggestion] = matching.rank(request, [volunteer], {})
        expected = [
            t(embedded_app, "Lives in the same neighbourhood"),
            str(HELP_KINDS["shopping"]).lower(),
            slot_label("mon_morning"),
            "nederlands",
        ]
    assert suggestion.score == (
        matching.POINTS_SAME_NEIGHBOURHOOD
        + matching.POINTS_PER_HELP_KIND
        + matching.POINTS_PER_SLOT
        + matching.POINTS_LANGUAGE
    )
    text = " | ".join(suggestion.reasons)
    for words in expected:
        assert words in text
    assert suggestion.details()["shared_slots"] == ["mon_morning"]


codes = st.lists(
    st.sampled_from(["companionship", "chat", "shopping", "lift", "walk"]), unique=True, max_size=5
)
slots = st.lists(st.sampled_from(SLOTS), unique=True, max_size=8)
langs = st.lists(
    st.sampled_from(["nederlands", "frans", "engels", "arabisch"]), unique=True, max_size=3
)
people = st.fixed_dictionaries(
    {
        "municipality_id": st.sampled_from([1, 2]),
        "neighbourhood_id": st.sampled_from([1, 2, 3]),
        "help_kinds": codes,
        "availability": slots,
        "languages": langs,
    }
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=people, volunteer=people, extra=st.sampled_from(SLOTS), load=st.integers(0, 4))
def test_more_in_common_never_lowers_the_score(embedded_app, request, volunteer, extra, load):
    with embedded_app.test_request_context():
        base = matching.score(SimpleNamespace(**request), SimpleNamespace(**volunteer), load)
        wider = {**volunteer, "availability": [*volunteer["availability"], extra]}
        more = matching.score(
            SimpleNamespace(**{**request, "availability": [*request["availability"], extra]}),
            SimpleNamespace(**wider),
            load,
        )
        busier = matching.score(SimpleNamespace(**request), SimpleNamespace(**volunteer), load + 1)
    assert more.points >= base.points
    assert busier.points < base.points


pool_member = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["candidate", "intake_done", "active", "paused", "stopped"]),
        "checked": st.booleans(),
        "roles": st.lists(
            st.sampled_from(["buurtgezel", "visitor", "driver"]), unique=True, max_size=3
        ),
        "hood": st.sampled_from(["Dadizele", "Moorslede"]),
        "help_kinds": codes,
        "availability": slots,
    }
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(members=st.lists(pool_member, min_size=1, max_size=6))
def test_an_ineligible_volunteer_is_never_suggested(world, members):
    app, _client, ids = world
    with app.test_request_context():
        user = db.session.get_one(User, ids.an)
        request = matching.request_for_resident(
            db.session.get_one(Resident, ids.rosa), user, ["companionship"], ["mon_morning"], []
        )
        made = {}
        for i, member in enumerate(members):
            made[
                add_volunteer(
                    f"P{i}",
                    member["hood"],
                    status=member["status"],
                    model2_checked_on=TODAY if member["checked"] else None,
                    roles=member["roles"],
                    help_kinds=member["help_kinds"],
                    availability=member["availability"],
                )
            ] = member
        suggested = [(s.volunteer.id, s.score) for s in matching.suggestions(request, limit=50)]
        db.session.rollback()
    suggested_new = [vid for vid, _score in suggested if vid in made]
    for vid in suggested_new:
        member = made[vid]
        assert member["status"] == "active"
        assert member["checked"]
        assert "buurtgezel" in member["roles"]
    eligible = {
        vid
        for vid, m in made.items()
        if m["status"] == "active" and m["checked"] and "buurtgezel" in m["roles"]
    }
    assert set(suggested_new) == eligible
    assert {ids.ilse, ids.paul, ids.vera}.isdisjoint(vid for vid, _score in suggested)
    scores = [score for _vid, score in suggested]
    assert scores == sorted(scores, reverse=True)


# --------------------------------------------------------------------- requests over the API


def test_suggestions_over_the_api_rank_and_filter(world):
    app, client, ids = world
    created = post_request(client, ids.tokens["an"], resident_id=ids.rosa)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["languages"] == ["nederlands"]
    assert body["waiting_days"] == 0
    with app.app_context():  # Rosa's consent opens a case once routed
        routed = db.session.scalar(select(Signal.case_id).where(Signal.resident_id == ids.rosa))
    assert (body["source"], body["case_id"]) == ("case" if routed else "manual", routed)
    response = client.get(
        f"/api/v1/buurtgezel/requests/{body['id']}/suggestions", headers=bearer(ids.tokens["an"])
    )
    assert response.status_code == 200
    items = response.get_json()["items"]
    names = [i["volunteer"]["name"] for i in items]
    assert names == ["Griet Vandamme", "Jef Deprez", "Karel Desmet"]
    assert items[0]["same_neighbourhood"]
    assert items[0]["shared_slots"] == ["mon_morning"]
    assert t(app, "Lives in the same neighbourhood") in items[0]["reasons"]
    assert not items[2]["same_neighbourhood"]
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "buurtgezel_suggestions_viewed")
            )
            == 1
        )


def test_a_second_request_for_the_same_resident_is_refused(world):
    _app, client, ids = world
    assert post_request(client, ids.tokens["an"], resident_id=ids.rosa).status_code == 201
    again = post_request(client, ids.tokens["coordinator"], resident_id=ids.rosa)
    assert again.status_code == 409
    assert "resident_id" in again.get_json()["error"]["fields"]


def test_bad_input_is_a_4xx_with_fields(world):
    _app, client, ids = world
    token = ids.tokens["an"]
    neither = client.post("/api/v1/buurtgezel/requests", json={}, headers=bearer(token))
    assert neither.status_code == 422
    assert "resident_id" in neither.get_json()["error"]["fields"]
    bad_slot = post_request(client, token, resident_id=ids.rosa, availability=["someday"])
    assert bad_slot.status_code == 422
    assert "availability" in bad_slot.get_json()["error"]["fields"]
    unknown = post_request(client, token, resident_id=999999)
    assert unknown.status_code == 422
    assert "resident_id" in unknown.get_json()["error"]["fields"]
    assert (
        client.get("/api/v1/buurtgezel/requests/999999", headers=bearer(token)).status_code == 404
    )
    assert (
        client.get("/api/v1/buurtgezel/requests?status=gone", headers=bearer(token)).status_code
        == 422
    )
    no_match = post_match(client, token, 999999, ids.griet)
    assert no_match.status_code == 422
    assert "request_id" in no_match.get_json()["error"]["fields"]
    weeks = post_match(client, token, 1, ids.griet, follow_up_weeks=0)
    assert weeks.status_code == 422
    assert "follow_up_weeks" in weeks.get_json()["error"]["fields"]


@pytest.mark.parametrize("who", ["ilse", "paul", "vera"])
def test_matching_needs_an_active_checked_buurtgezel(world, who):
    app, client, ids = world
    request_id = post_request(client, ids.tokens["an"], resident_id=ids.rosa).get_json()["id"]
    response = post_match(client, ids.tokens["an"], request_id, getattr(ids, who))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "volunteer_id" in error["fields"]
    if who == "ilse":
        assert "model 2" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BuurtgezelMatch)) == 0
        assert db.session.get_one(BuurtgezelRequest, request_id).status == "open"


def test_a_match_informs_the_volunteer_and_is_recorded_once(world):
    app, client, ids = world
    request_id = post_request(client, ids.tokens["an"], resident_id=ids.rosa).get_json()["id"]
    headers = {"Idempotency-Key": "match-rosa"}
    one = post_match(
        client,
        ids.tokens["an"],
        request_id,
        ids.griet,
        resident_informed=True,
        follow_up_weeks=3,
        headers=headers,
    )
    two = post_match(
        client,
        ids.tokens["an"],
        request_id,
        ids.griet,
        resident_informed=True,
        follow_up_weeks=3,
        headers=headers,
    )
    assert one.status_code == two.status_code == 201, one.get_json()
    assert one.get_json() == two.get_json()
    body = one.get_json()
    assert body["volunteer_informed_by"] == "app"
    assert body["resident_informed_at"]
    assert body["follow_up_on"] == (TODAY + timedelta(weeks=3)).isoformat()
    assert body["details"]["same_neighbourhood"] is True
    assert t(app, "Lives in the same neighbourhood") in body["details"]["reasons"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BuurtgezelMatch)) == 1
        [note] = db.session.scalars(
            select(Notification).where(Notification.user_id == ids.griet_user)
        ).all()
        assert note.kind == "buurtgezel_match"
        # it may travel by e-mail: who and where only in the app
        assert "Rosa Vanneste" not in note.subject + note.body
        assert "051 77 03 03" not in note.body
        assert "/mijn-buurtgezellen" in note.body
    # a second match for a matched request: a conflict, not a second buurtgezel
    again = post_match(client, ids.tokens["an"], request_id, ids.jef)
    assert again.status_code == 409
    listed = client.get(
        "/api/v1/buurtgezel/requests?status=matched", headers=bearer(ids.tokens["coordinator"])
    ).get_json()["items"]
    assert [r["match"]["volunteer"]["name"] for r in listed] == ["Griet Vandamme"]
    assert listed[0]["waiting_days"] is None


def test_without_an_account_the_contact_person_informs_the_volunteer(world):
    app, client, ids = world
    request_id = post_request(client, ids.tokens["an"], resident_id=ids.marcel).get_json()["id"]
    body = post_match(client, ids.tokens["an"], request_id, ids.karel).get_json()
    assert body["volunteer_informed_by"] == "contact_person"
    assert body["volunteer_informed_at"] is None
    assert body["resident_informed_at"] is None
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.kind == "buurtgezel_match")
            )
            == 0
        )


def test_other_solution(world):
    _app, client, ids = world
    token = ids.tokens["an"]
    request_id = post_request(client, token, resident_id=ids.rosa).get_json()["id"]
    url = f"/api/v1/buurtgezel/requests/{request_id}/other-solution"
    empty = client.post(url, json={"note": ""}, headers=bearer(token))
    assert empty.status_code == 422
    assert "note" in empty.get_json()["error"]["fields"]
    done = client.post(
        url, json={"note": "Gaat naar het dorpsrestaurant op dinsdag."}, headers=bearer(token)
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "other_solution"
    assert done.get_json()["outcome_note"].startswith("Gaat naar")
    assert client.post(url, json={"note": "nog eens"}, headers=bearer(token)).status_code == 409
    open_ids = [
        r["id"]
        for r in client.get("/api/v1/buurtgezel/requests", headers=bearer(token)).get_json()[
            "items"
        ]
    ]
    assert request_id not in open_ids
    # a new wish later is a new request
    assert post_request(client, token, resident_id=ids.rosa).status_code == 201
    # a matched request cannot get another solution before the match ends
    marcel = post_request(client, token, resident_id=ids.marcel).get_json()["id"]
    post_match(client, token, marcel, ids.karel)
    matched = client.post(
        f"/api/v1/buurtgezel/requests/{marcel}/other-solution",
        json={"note": "x"},
        headers=bearer(token),
    )
    assert matched.status_code == 409


def test_waiting_days_and_the_oldest_first(world):
    app, client, ids = world
    token = ids.tokens["an"]
    rosa = post_request(client, token, resident_id=ids.rosa).get_json()["id"]
    marcel = post_request(client, token, resident_id=ids.marcel).get_json()["id"]
    with app.app_context():
        db.session.get_one(BuurtgezelRequest, rosa).created_at = utcnow() - timedelta(days=5)
        db.session.get_one(BuurtgezelRequest, marcel).created_at = utcnow() - timedelta(days=12)
        db.session.commit()
        assert (
            matching.waiting_days(
                db.session.get_one(BuurtgezelRequest, rosa), TODAY + timedelta(days=2)
            )
            == 7
        )
    items = client.get("/api/v1/buurtgezel/requests", headers=bearer(token)).get_json()["items"]
    assert [(i["id"], i["waiting_days"]) for i in items] == [(marcel, 12), (rosa, 5)]
    # matched, then ended: waiting again, counted from the end of the match
    match = post_match(client, token, rosa, ids.griet).get_json()
    ended = client.post(
        f"/api/v1/buurtgezel/matches/{match['id']}/follow-up",
        json={"result": "ended", "note": "Griet verhuist."},
        headers=bearer(token),
    )
    assert ended.status_code == 200
    assert ended.get_json()["ended_at"]
    again = client.get(f"/api/v1/buurtgezel/requests/{rosa}", headers=bearer(token)).get_json()
    assert (again["status"], again["waiting_days"], again["match"]) == ("open", 0, None)
    # she is not suggested a second time for this request
    names = [
        i["volunteer"]["name"]
        for i in client.get(
            f"/api/v1/buurtgezel/requests/{rosa}/suggestions", headers=bearer(token)
        ).get_json()["items"]
    ]
    assert "Griet Vandamme" not in names
    assert names


# --------------------------------------------------------------------- follow-up reminders


def _match(app, ids, resident_id, volunteer_id, weeks=4, on=TODAY):
    with app.test_request_context():
        user = db.session.get_one(User, ids.an)
        request = matching.request_for_resident(
            db.session.get_one(Resident, resident_id), user, ["companionship"], ["mon_morning"], []
        )
        made = matching.make_match(
            request, db.session.get_one(Volunteer, volunteer_id), user, True, weeks, on=on
        )
        db.session.commit()
        return made.id


def _reminders(app, user_id):
    with app.app_context():
        return db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == "buurtgezel_follow_up")
            .order_by(Notification.id)
        ).all()


def test_the_follow_up_reminder_comes_once_on_its_day(world):
    app, client, ids = world
    match_id = _match(app, ids, ids.rosa, ids.griet, weeks=4)
    ended_id = _match(app, ids, ids.marcel, ids.karel, weeks=4)
    with app.test_request_context():
        ended = db.session.get_one(BuurtgezelMatch, ended_id)
        matching.record_follow_up(ended, "ended", "", db.session.get_one(User, ids.an))
        db.session.commit()
    due = TODAY + timedelta(weeks=4)
    with app.app_context():
        assert matching.send_follow_up_reminders(due - timedelta(days=1)) == 0
        db.session.commit()
    assert _reminders(app, ids.an) == []
    with app.app_context():
        assert matching.send_follow_up_reminders(due) == 1
        db.session.commit()
        assert matching.send_follow_up_reminders(due + timedelta(days=3)) == 0
        db.session.commit()
        assert db.session.get_one(BuurtgezelMatch, match_id).follow_up_sent_at is not None
    [reminder] = _reminders(app, ids.an)
    assert reminder.subject == f"Loopt het goed? Buurtgezel-koppeling {match_id}"
    assert "Griet Vandamme" not in reminder.subject + reminder.body
    # going well: the next one four weeks after the follow-up, a new reminder then
    answered = client.post(
        f"/api/v1/buurtgezel/matches/{match_id}/follow-up",
        json={"result": "going_well", "note": "Ze wandelen elke maandag."},
        headers=bearer(ids.tokens["coordinator"]),
    )
    assert answered.status_code == 200
    assert answered.get_json()["follow_up_on"] == (TODAY + timedelta(weeks=4)).isoformat()
    with app.app_context():
        assert matching.send_follow_up_reminders(TODAY + timedelta(weeks=8)) == 1
        db.session.commit()
    assert len(_reminders(app, ids.an)) == 2  # the one who matched is reminded
    assert _reminders(app, ids.jan) == []


def test_needs_attention_comes_back_after_a_week(world):
    app, client, ids = world
    match_id = _match(app, ids, ids.rosa, ids.griet)
    response = client.post(
        f"/api/v1/buurtgezel/matches/{match_id}/follow-up",
        json={"result": "needs_attention"},
        headers=bearer(ids.tokens["an"]),
    )
    assert response.get_json()["follow_up_on"] == (TODAY + timedelta(weeks=1)).isoformat()
    bad = client.post(
        f"/api/v1/buurtgezel/matches/{match_id}/follow-up",
        json={"result": "fine"},
        headers=bearer(ids.tokens["an"]),
    )
    assert bad.status_code == 422
    assert "result" in bad.get_json()["error"]["fields"]


def test_the_tick_command_sends_due_follow_ups_once(world):
    app, _client, ids = world
    match_id = _match(app, ids, ids.rosa, ids.griet, on=TODAY - timedelta(weeks=4))
    _match(app, ids, ids.marcel, ids.karel)  # not due yet
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tasks", "tick"])
    assert first.exit_code == 0, first.output
    assert "buurtgezel follow-ups: 1" in first.output
    second = runner.invoke(args=["tasks", "tick"])
    assert "buurtgezel follow-ups: 0" in second.output
    assert len(_reminders(app, ids.an)) == 1
    with app.app_context():
        assert db.session.get_one(BuurtgezelMatch, match_id).follow_up_sent_at is not None


def test_the_beat_task_sends_due_follow_ups(world):
    app, _client, ids = world
    _match(app, ids, ids.rosa, ids.griet, on=TODAY - timedelta(weeks=5))
    from fieldwork.volunteers.tasks import match_follow_ups

    with app.app_context():
        assert match_follow_ups.run() == 1
        assert match_follow_ups.run() == 0


# --------------------------------------------------------------------- what volunteers see


def test_volunteers_never_see_other_volunteers_data(world):
    app, client, ids = world
    rosa = post_request(client, ids.tokens["an"], resident_id=ids.rosa).get_json()["id"]
    marcel = post_request(client, ids.tokens["an"], resident_id=ids.marcel).get_json()["id"]
    griets = post_match(client, ids.tokens["an"], rosa, ids.griet).get_json()["id"]
    jefs = post_match(client, ids.tokens["an"], marcel, ids.jef).get_json()["id"]
    for who in ("griet", "jef", "analyst", "referrer"):
        headers = bearer(ids.tokens[who])
        for url in (
            "/api/v1/buurtgezel/requests",
            f"/api/v1/buurtgezel/requests/{rosa}",
            f"/api/v1/buurtgezel/requests/{rosa}/suggestions",
        ):
            assert client.get(url, headers=headers).status_code == 403, (who, url)
        assert post_match(client, ids.tokens[who], rosa, ids.griet).status_code == 403
        assert (
            client.post(
                f"/api/v1/buurtgezel/matches/{jefs}/follow-up",
                json={"result": "ended"},
                headers=headers,
            ).status_code
            == 403
        )
        assert post_request(client, ids.tokens[who], resident_id=ids.rosa).status_code == 403
    mine = client.get("/api/v1/buurtgezel/my-matches", headers=bearer(ids.tokens["griet"]))
    assert mine.status_code == 200
    items = mine.get_json()["items"]
    assert [(i["id"], i["resident"]["name"]) for i in items] == [(griets, "Rosa Vanneste")]
    assert items[0]["resident"]["phone"] == "051 77 03 03"
    assert items[0]["contact_person"]["email"] == "an@example.be"
    text = mine.get_data(as_text=True)
    for other in ("Jef", "Marcel", "Karel", "Wil graag een babbel"):
        assert other not in text
    assert set(items[0]) == {
        "id",
        "resident",
        "help_kinds",
        "availability",
        "languages",
        "matched_at",
        "contact_person",
    }
    for role in ("an", "coordinator"):
        assert (
            client.get(
                "/api/v1/buurtgezel/my-matches", headers=bearer(ids.tokens[role])
            ).status_code
            == 403
        )
    # and on the pages
    page_client = app.test_client()
    login(page_client, "griet@example.be")
    for url in ("/buurtgezellen", f"/buurtgezellen/{rosa}", "/buurtgezellen/nieuw"):
        assert page_client.get(url).status_code == 403, url
    html = page_client.get("/mijn-buurtgezellen").get_data(as_text=True)
    assert "Rosa Vanneste" in html
    assert "Marcel" not in html
    assert "Jef" not in html
    token = csrf_from(html)
    refused = page_client.post(
        f"/buurtgezellen/{rosa}/koppelen", data={"csrf_token": token, "volunteer_id": ids.griet}
    )
    assert refused.status_code == 403


def test_openapi_describes_the_buurtgezel_endpoints(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in (
        "/api/v1/buurtgezel/requests",
        "/api/v1/buurtgezel/matches",
        "/api/v1/buurtgezel/requests/{request_id}/suggestions",
        "/api/v1/buurtgezel/my-matches",
    ):
        assert path in spec["paths"], path
        for method, operation in spec["paths"][path].items():
            if method in ("get", "post"):
                assert operation["security"] == [{"bearerAuth": []}]


# --------------------------------------------------------------------- pages


def test_the_contact_person_works_on_the_pages(world):
    app, _client, ids = world
    client = app.test_client()
    login(client, "an@example.be")
    index = client.get("/buurtgezellen").get_data(as_text=True)
    assert "Rosa Vanneste" in index
    assert "Marcel Lambrecht" in index
    with app.app_context():
        signal_id = db.session.scalar(
            select(Signal.id).where(Signal.resident_id == ids.marcel, Signal.theme == "buurtgezel")
        )
    assert f"/buurtgezellen/nieuw?signal={signal_id}" in index
    url = f"/buurtgezellen/nieuw?signal={signal_id}"
    response = post_form(
        client,
        url,
        {
            "help_kinds": ["shopping"],
            "availability": ["mon_morning"],
            "languages": "Frans, nederlands",
            "note": "Boodschappen",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page_url = response.headers["Location"]
    with app.app_context():
        made = db.session.scalars(select(BuurtgezelRequest)).one()
        assert (made.source, made.signal_id, made.languages) == (
            "visit",
            signal_id,
            ["frans", "nederlands"],
        )
    page = client.get(page_url).get_data(as_text=True)
    assert "Karel Desmet" in page
    assert "Ilse" not in page
    # a match form for each of the three who may be suggested (not Ilse, Paul, ...)
    suggested = {int(v) for v in re.findall(r'name="volunteer_id" value="(\d+)"', page)}
    assert suggested == {ids.karel, ids.jef, ids.griet}
    assert page.count('name="volunteer_id"') == page.count('/koppelen"') == 3
    # the other solution form without a note is refused on the page
    refused = post_form(client, page_url, {"note": ""}, action=f"{page_url}/andere-oplossing")
    assert refused.status_code == 400
    matched = post_form(
        client,
        page_url,
        {"volunteer_id": ids.karel, "follow_up_weeks": "2"},
        action=f"{page_url}/koppelen",
    )
    assert matched.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert "Karel Desmet" in page
    assert t(app, "not yet: tell them yourself") in page
    with app.app_context():
        match = db.session.scalars(select(BuurtgezelMatch)).one()
        assert match.follow_up_on == TODAY + timedelta(weeks=2)
        match_id = match.id
    informed = post_form(
        client,
        page_url,
        {"resident": "y", "volunteer": "y"},
        action=f"/buurtgezellen/koppelingen/{match_id}/geinformeerd",
    )
    assert informed.status_code == 302
    ended = post_form(
        client,
        page_url,
        {"result": "ended", "note": "Klikte niet."},
        action=f"/buurtgezellen/koppelingen/{match_id}/opvolging",
    )
    assert ended.status_code == 302
    with app.app_context():
        match = db.session.get_one(BuurtgezelMatch, match_id)
        assert match.resident_informed_at
        assert match.volunteer_informed_at
        assert match.ended_at
        assert db.session.get_one(BuurtgezelRequest, made.id).status == "open"
    closed = post_form(
        client,
        page_url,
        {"note": "Poetsdienst via het OCMW."},
        action=f"{page_url}/andere-oplossing",
    )
    assert closed.status_code == 302
    assert "Poetsdienst" in client.get(page_url).get_data(as_text=True)
    # Marcel's wish is no longer pending; Rosa's still is
    index = client.get("/buurtgezellen").get_data(as_text=True)
    assert f"signal={signal_id}" not in index
    assert "Rosa Vanneste" in index


def test_from_the_case_page_to_a_request(world):
    app, _client, ids = world
    client = app.test_client()
    login(client, "coordinator@example.be")
    with app.app_context():
        case_id = db.session.scalar(select(Signal.case_id).where(Signal.resident_id == ids.rosa))
    if case_id is not None:  # routed (in-process on the embedded path)
        give_reason(client, case_id)  # not the coordinator's own case
        case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert f"/buurtgezellen/nieuw?resident={ids.rosa}" in case_page
    url = f"/buurtgezellen/nieuw?resident={ids.rosa}"
    response = post_form(client, url, {"help_kinds": ["chat"]})
    assert response.status_code == 302
    again = client.get(url)  # she has a request now: straight to it
    assert again.status_code == 302
    assert again.headers["Location"] == response.headers["Location"]
    assert client.get("/buurtgezellen/nieuw?resident=999999").status_code == 404
    assert client.get("/buurtgezellen/nieuw").status_code == 200


# --------------------------------------------------------------------- end to end

VISIT_TARGETS = [
    ("Maria Claes", "Dadizeleplaats", "12", 1941),
    ("Roger Deprez", "Dadizeleplaats", "8", 1940),
]


@pytest.fixture
def doorstep(world, request):
    """A visit round in Dadizele with Maria (an active, checked visitor) on Dadizeleplaats."""
    app, client, ids = world
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    make_user(app, "volunteer", email="maria@example.be", name="Maria V.")  # a visitor
    with app.app_context():
        dadizele = db.session.get_one(Neighbourhood, ids.dadizele)
        sector = db.session.scalars(select(Sector).filter_by(code="36012B001")).one()
        visit_round = VisitRound(
            municipality_id=dadizele.municipality_id,
            name="Bezoekronde Dadizele",
            starts_on=TODAY - timedelta(days=7),
            ends_on=TODAY + timedelta(days=60),
            max_attempts=2,
            info_material=[],
            neighbourhoods=[dadizele],
        )
        db.session.add(visit_round)
        db.session.flush()
        for name, street, number, year in VISIT_TARGETS:
            db.session.add(
                VisitAddress(
                    round_id=visit_round.id,
                    name=name,
                    name_key=name_key(name),
                    street=street,
                    street_key=street_key(street),
                    house_number=number,
                    postcode="8890",
                    address_key=address_key(street, number, "8890"),
                    birth_year=year,
                    phone="051 77 12 12",
                    sector_id=sector.id,
                    neighbourhood_id=dadizele.id,
                )
            )
        db.session.commit()
        round_id = visit_round.id
    ids.tokens["maria"] = api_token(client, "maria@example.be")
    assigned = client.post(
        f"/api/v1/visit-rounds/{round_id}/assignments",
        json={"volunteer": "maria@example.be", "street": "dadizeleplaats"},
        headers=bearer(ids.tokens["coordinator"]),
    )
    assert assigned.status_code == 200, assigned.get_json()
    return app, client, ids


def test_done_a_doorstep_wish_becomes_a_buurtgezel(doorstep):
    app, client, ids = doorstep
    # 1. Maria visits Maria Claes, who would like a buurtgezel and signs the consent form
    items = client.get("/api/v1/visits/my", headers=bearer(ids.tokens["maria"])).get_json()
    claes = next(i for i in items["items"] if i["name"] == "Maria Claes")
    visit = client.post(
        "/api/v1/visits",
        json={
            "assignment_id": claes["assignment_id"],
            "outcome": "spoken",
            "wants_buurtgezel": True,
            "wants_contact": True,
            "consent": {"given": True, "how": "signed_strip", "reference": "F-21"},
            "note": "Zou graag samen boodschappen doen.",
        },
        headers=bearer(ids.tokens["maria"]),
    )
    assert visit.status_code == 201, visit.get_json()
    with app.app_context():
        signal = db.session.scalars(
            select(Signal)
            .where(Signal.theme == "buurtgezel", Signal.source == "visit")
            .join(Resident)
            .where(Resident.name == "Maria Claes")
        ).one()
        signal_id = signal.id

    def routed():
        with app.app_context():
            return db.session.get_one(Signal, signal_id).case_id

    case_id = wait_until(routed)
    assert case_id is not None

    # 2. An sees the wish on the buurtgezellen page and turns it into a request
    pages = app.test_client()
    login(pages, "an@example.be")
    index = pages.get("/buurtgezellen").get_data(as_text=True)
    assert "Maria Claes" in index
    assert f"nieuw?signal={signal_id}" in index
    created = post_form(
        pages,
        f"/buurtgezellen/nieuw?signal={signal_id}",
        {
            "help_kinds": ["companionship", "shopping"],
            "availability": ["mon_morning", "wed_morning"],
            "languages": "nederlands",
            "note": "Zou graag samen boodschappen doen.",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    request_url = created.headers["Location"]
    with app.app_context():
        made = db.session.scalars(
            select(BuurtgezelRequest).where(BuurtgezelRequest.signal_id == signal_id)
        ).one()
        assert (made.source, made.case_id, made.neighbourhood_id) == (
            "visit",
            case_id,
            ids.dadizele,
        )
        request_id = made.id

    # 3. the suggestions: Griet lives in Dadizele and is free on Monday and Wednesday morning
    suggestions = client.get(
        f"/api/v1/buurtgezel/requests/{request_id}/suggestions", headers=bearer(ids.tokens["an"])
    ).get_json()["items"]
    assert suggestions[0]["volunteer"]["name"] == "Griet Vandamme"
    assert suggestions[0]["shared_slots"] == ["mon_morning", "wed_morning"]
    page = pages.get(request_url).get_data(as_text=True)
    assert "Griet Vandamme" in page
    assert t(app, "Lives in the same neighbourhood") in page

    # 4. An matches them on the page; Griet is told in her inbox
    matched = post_form(
        pages,
        request_url,
        {"volunteer_id": ids.griet, "resident_informed": "y", "follow_up_weeks": "4"},
        action=f"{request_url}/koppelen",
    )
    assert matched.status_code == 302
    griet = app.test_client()
    login(griet, "griet@example.be")
    inbox = griet.get("/inbox").get_data(as_text=True)
    assert "buurtgezel" in inbox
    assert "Maria Claes" not in inbox  # the message may be e-mailed: no names
    mine = griet.get("/mijn-buurtgezellen").get_data(as_text=True)
    assert "Maria Claes" in mine
    assert "051 77 12 12" in mine
    assert "An Peeters" in mine
    assert "Zou graag" not in mine  # the visit's note stays with the staff

    # 5. four weeks later An is asked "loopt het goed?"
    with app.app_context():
        assert matching.send_follow_up_reminders(TODAY + timedelta(weeks=4)) == 1
        db.session.commit()
    [reminder] = _reminders(app, ids.an)
    assert reminder.subject.startswith("Loopt het goed?")
    assert "Maria Claes" not in reminder.subject + reminder.body
    assert reminder.case_id == case_id
    index = pages.get("/buurtgezellen").get_data(as_text=True)
    assert "Maria Claes" in index
    assert f"nieuw?signal={signal_id}" not in index


def test_services_for_the_demo_loader(world):
    app, _client, ids = world
    with app.test_request_context():
        user = db.session.get_one(User, ids.an)
        [pending] = [s for s in matching.pending_signals() if s.resident_id == ids.rosa]
        request = matching.request_from_signal(
            pending, user, ["chat"], ["mon_morning"], ["nederlands"]
        )
        assert request.note == "Wil graag een babbel."
        assert request.source == "visit"
        with pytest.raises(VolunteerError) as twice:
            matching.request_from_signal(pending, user)
        assert twice.value.status == 409
        [best, *_rest] = matching.suggestions(request)
        match = matching.make_match(
            request,
            best.volunteer,
            user,
            resident_informed=False,
            follow_up_weeks=2,
            on=date(2026, 3, 2),
        )
        assert match.follow_up_on == date(2026, 3, 16)
        assert matching.waiting_days(request) is None
        db.session.commit()
        assert all(s.resident_id != ids.rosa for s in matching.pending_signals())


def test_a_contact_person_handles_only_residents_of_their_cases(world):
    """Jan is not on Rosa's case: for him she does not exist (no name, no address)."""
    app, client, ids = world
    jan, an = bearer(ids.tokens["jan"]), bearer(ids.tokens["an"])
    refused = post_request(client, ids.tokens["jan"], resident_id=ids.rosa)
    assert refused.status_code == 422
    assert "Rosa" not in refused.get_data(as_text=True)
    request_id = post_request(client, ids.tokens["an"], resident_id=ids.rosa).get_json()["id"]
    for url in (
        f"/api/v1/buurtgezel/requests/{request_id}",
        f"/api/v1/buurtgezel/requests/{request_id}/suggestions",
    ):
        assert client.get(url, headers=jan).status_code == 404, url
        assert client.get(url, headers=an).status_code == 200, url
    assert client.get("/api/v1/buurtgezel/requests", headers=jan).get_json()["items"] == []
    assert (
        client.post(
            "/api/v1/buurtgezel/matches",
            headers=jan,
            json={"request_id": request_id, "volunteer_id": ids.griet},
        ).status_code
        == 422
    )
    pages = app.test_client()
    login(pages, "jan@example.be")
    assert pages.get(f"/buurtgezellen/{request_id}").status_code == 404
    assert pages.get(f"/buurtgezellen/nieuw?resident={ids.rosa}").status_code == 404
    index = pages.get("/buurtgezellen").get_data(as_text=True)
    assert "Rosa" not in index
    assert "Marcel" not in index
    assert (
        client.get(
            f"/api/v1/buurtgezel/requests/{request_id}", headers=bearer(ids.tokens["coordinator"])
        ).status_code
        == 200
    )


def test_withdrawn_consent_ends_the_match_and_no_new_request(world):
    from fieldwork.cases.models import Case
    from fieldwork.cases.services import withdraw_consent
    from fieldwork.volunteers.models import BuurtgezelRequest

    app, client, ids = world
    request_id = post_request(client, ids.tokens["an"], resident_id=ids.rosa).get_json()["id"]
    assert post_match(client, ids.tokens["an"], request_id, ids.griet).status_code == 201
    griet = bearer(ids.tokens["griet"])
    mine = client.get("/api/v1/buurtgezel/my-matches", headers=griet).get_json()["items"]
    assert [m["resident"]["name"] for m in mine] == ["Rosa Vanneste"]
    with app.app_context():
        case = db.session.scalars(select(Case).filter_by(resident_id=ids.rosa)).one()
        withdraw_consent(case, db.session.get_one(User, ids.an), "wil niet meer")
        db.session.commit()
        assert db.session.get_one(BuurtgezelRequest, request_id).status == "withdrawn"
    assert client.get("/api/v1/buurtgezel/my-matches", headers=griet).get_json()["items"] == []
    again = post_request(client, ids.tokens["coordinator"], resident_id=ids.rosa)
    assert again.status_code == 409
    assert "resident_id" in again.get_json()["error"]["fields"]
