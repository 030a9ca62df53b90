"""Call campaigns (belactie): the coordinator's campaign and call list, two callers working
their own lists, attempt rules, and needs with verbal consent into the contact person's queue.
Both paths; a real worker on the production one."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood, Sector
from fieldwork.areas.streets import street_key
from fieldwork.calls.models import CallAttempt, CallTarget
from fieldwork.calls.rules import (
    AttemptRules,
    TargetState,
    after_attempt,
    at_local,
    local,
    may_call,
)
from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.routing.models import RoutingRule
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.visits.models import VisitAddress, VisitRound
from fieldwork.visits.services import today
from tests.conftest import api_token, bearer, csrf_from, import_areas, login, make_user

TODAY = today()
YEAR = TODAY.year
PEOPLE = [  # name, street, number, age, phone — the population-register list of Hamont
    ("Jozefa Hendrikx", "Stad", "12", 88, "011 44 20 12"),
    ("Louis Vanderhoydonck", "Stad", "27", 85, "0476 12 34 27"),
    ("Maria Geboers", "Zuid-Willemsvaart", "4", 90, "011 44 21 04"),
    ("Jan Bex", "Zuid-Willemsvaart", "18", 82, "011 44 21 18"),
    ("Rosa Wouters", "Loverstraat", "7", 86, "0479 55 07 07"),
    ("Frans Raets", "Loverstraat", "15", 83, None),  # no phone: counted, not listed
    ("Willy Claessens", "Beverbeekstraat", "40", 68, "011 44 24 40"),  # too young
]
ALWAYS = {"hours_from": "00:00:00", "hours_until": "23:59:00"}


def wait_until(check, seconds=30):
    deadline = clock.monotonic() + seconds
    while not (result := check()) and clock.monotonic() < deadline:
        clock.sleep(0.2)
    return result


@pytest.fixture
def hamont(app, request):
    """Hamont-Achel with its 80+ list imported for a visit round, a 65+ routing rule to An,
    a coordinator and two callers; returns (client, tokens, hamont neighbourhood id)."""
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "72037")
    make_user(app, "coordinator")
    an = make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    make_user(app, "volunteer", email="maria@example.be", name="Maria V.")
    make_user(app, "volunteer", email="jef@example.be", name="Jef D.")
    make_user(app, "referrer", email="gp@example.be")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Hamont")).one()
        sector = db.session.scalars(select(Sector).filter_by(code="72037A001")).one()
        db.session.add(
            RoutingRule(
                position=1,
                name="65+ Hamont",
                assign_user_id=an,
                conditions={"neighbourhoods": [hood.id], "age_min": 65},
            )
        )
        visit_round = VisitRound(
            municipality_id=hood.municipality_id,
            name="80+ Hamont",
            starts_on=TODAY,
            ends_on=TODAY + timedelta(days=60),
            neighbourhoods=[hood],
        )
        db.session.add(visit_round)
        db.session.flush()
        for name, street, number, age, phone in PEOPLE:
            db.session.add(
                VisitAddress(
                    round_id=visit_round.id,
                    name=name,
                    name_key=name_key(name),
                    street=street,
                    street_key=street_key(street),
                    house_number=number,
                    postcode="3930",
                    address_key=address_key(street, number, "3930"),
                    birth_year=YEAR - age,
                    phone=phone,
                    sector_id=sector.id,
                    neighbourhood_id=hood.id,
                )
            )
        db.session.commit()
        hood_id = hood.id
    client = app.test_client()
    tokens = {
        who: api_token(client, f"{who}@example.be")
        for who in ("coordinator", "maria", "jef", "an", "gp")
    }
    return client, tokens, hood_id


def make_campaign(client, tokens, hood_id, **changes):
    body = {
        "gemeente": "72037",
        "name": "Belactie 80+ Hamont",
        "neighbourhoods": [hood_id],
        "guide": [
            {"text": "Hoe gaat het met u?"},
            {"text": "Ziet u geregeld familie?", "options": ["vaak", "soms", "nooit"]},
        ],
        "callers": ["maria@example.be", "jef@example.be"],
        "max_attempts": 2,
        "min_gap_minutes": 60,
        **ALWAYS,
        **changes,
    }
    made = client.post("/api/v1/call-campaigns", json=body, headers=bearer(tokens["coordinator"]))
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def campaign_with_list(client, tokens, hood_id, **changes):
    campaign = make_campaign(client, tokens, hood_id, **changes)
    selected = client.post(
        f"/api/v1/call-campaigns/{campaign['id']}/selection",
        json={"min_age": 80},
        headers=bearer(tokens["coordinator"]),
    )
    assert selected.get_json() == {
        "added": 5,
        "already_listed": 0,
        "without_phone": 1,
        "moved_or_deceased": 0,
    }
    shared = client.post(
        f"/api/v1/call-campaigns/{campaign['id']}/assignments",
        json={"callers": ["maria@example.be", "jef@example.be"]},
        headers=bearer(tokens["coordinator"]),
    )
    assert shared.get_json() == {"assigned": 5}
    return campaign


def my_list(client, token):
    response = client.get("/api/v1/calls/my", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["campaign"]


def call(client, token, target_id, outcome="reached", key=None, **extra):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(
        "/api/v1/calls",
        json={"kind": "campaign", "id": target_id, "outcome": outcome, **extra},
        headers=headers,
    )


def test_a_campaign_for_hamont_reaches_the_contact_persons_queue(app, hamont):
    """Done when: a call campaign for the 80+ of Hamont; two callers work their lists; needs
    with consent reach the contact person's queue, needs without consent only count."""
    client, tokens, hood_id = hamont
    campaign = campaign_with_list(client, tokens, hood_id)
    maria, jef = my_list(client, tokens["maria"]), my_list(client, tokens["jef"])
    assert maria
    assert jef
    assert {t["id"] for t in maria}.isdisjoint({t["id"] for t in jef})
    names = {t["name"] for t in maria + jef}
    assert names == {p[0] for p in PEOPLE if p[3] >= 80 and p[4]}
    first = maria[0]
    assert first["tel"].startswith("tel:")
    assert " " not in first["tel"]
    assert first["may_call_now"] is True
    assert [q["kind"] for q in first["guide"]] == ["text", "choice"]
    assert "aanspreekpersoon" in first["consent_text"]

    reached = call(
        client,
        tokens["maria"],
        first["id"],
        answers={"q1": "Het gaat, maar de dagen zijn lang.", "q2": "soms"},
        themes={"eenzaamheid": "concern", "mobiliteit": "concern", "woning": "ok"},
        wants_contact=True,
        consent_given=True,
        note="Heeft geen vervoer naar de markt.",
    )
    assert reached.status_code == 201, reached.get_json()
    assert reached.get_json()["status"] == "reached"
    assert reached.get_json()["signals"] == 2
    without = call(
        client,
        tokens["jef"],
        jef[0]["id"],
        themes={"financien_rechten": "concern"},
        note="noemt zijn buurman",
    )
    assert without.get_json()["signals"] == 1

    def routed():
        with app.app_context():
            return (
                db.session.scalar(
                    select(func.count())
                    .select_from(Signal)
                    .where(Signal.source == "call", Signal.routed_at.is_not(None))
                )
                == 3
            )

    assert wait_until(routed)
    with app.app_context():
        case = db.session.scalars(select(Case)).one()  # only the consented concerns
        assert case.owner.email == "an@example.be"
        assert case.resident.name == first["name"]
        assert case.resident.phone == first["phone"]
        consent = db.session.scalars(select(Consent)).one()
        assert consent.method == "verbal"
        assert consent.recorded_by_id is not None
        assert "aanspreekpersoon" in consent.consent_text.text
        anonymous = db.session.scalars(
            select(Signal).where(Signal.theme == "financien_rechten")
        ).one()
        assert anonymous.resident_id is None
        assert anonymous.note == ""
        assert anonymous.case_id is None
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 1
        attempt = db.session.scalars(
            select(CallAttempt).where(CallAttempt.consent_id.is_not(None))
        ).one()
        assert attempt.answers == {"q1": "Het gaat, maar de dagen zijn lang.", "q2": "soms"}
    queue = client.get("/api/v1/queue", headers=bearer(tokens["an"])).get_json()
    assert [c["case_id"] for c in queue["items"]] == [case.id]
    progress = client.get(
        f"/api/v1/call-campaigns/{campaign['id']}", headers=bearer(tokens["coordinator"])
    ).get_json()["progress"]
    assert progress["neighbourhoods"]["Hamont"] == {"total": 5, "to_call": 3, "reached": 2}
    assert sum(c["total"] for c in progress["callers"].values()) == 5
    # done people leave the caller's list
    assert first["id"] not in {t["id"] for t in my_list(client, tokens["maria"])}


def test_a_caller_sees_and_calls_only_their_own_list(app, hamont):
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id)
    jefs = my_list(client, tokens["jef"])[0]["id"]
    assert call(client, tokens["maria"], jefs).status_code == 404
    for who in ("gp",):
        assert client.get("/api/v1/calls/my", headers=bearer(tokens[who])).status_code == 403
        assert call(client, tokens[who], jefs).status_code == 403
    assert client.get("/api/v1/calls/my").status_code == 401
    for who in ("maria", "an", "gp"):
        forbidden = client.post("/api/v1/call-campaigns", json={}, headers=bearer(tokens[who]))
        assert forbidden.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 0


def test_no_answer_comes_back_after_the_gap_and_stops_at_max_attempts(app, hamont):
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id)
    target = my_list(client, tokens["maria"])[0]["id"]
    first = call(client, tokens["maria"], target, "no_answer").get_json()
    assert (first["status"], first["attempts"]) == ("to_call", 1)
    again = next(t for t in my_list(client, tokens["maria"]) if t["id"] == target)
    assert again["may_call_now"] is False  # the hour between attempts has not passed
    assert [p["outcome"] for p in again["previous"]] == ["no_answer"]
    with app.app_context():  # an hour later
        row = db.session.get(CallTarget, target)
        row.last_attempt_at -= timedelta(minutes=61)
        db.session.commit()
    again = next(t for t in my_list(client, tokens["maria"]) if t["id"] == target)
    assert again["may_call_now"] is True
    second = call(client, tokens["maria"], target, "voicemail").get_json()
    assert (second["status"], second["attempts"]) == ("unreachable", 2)
    assert target not in {t["id"] for t in my_list(client, tokens["maria"])}
    assert call(client, tokens["maria"], target, "no_answer").status_code == 404


def test_call_back_at_puts_the_person_back_at_the_chosen_time(app, hamont):
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id)
    target = my_list(client, tokens["jef"])[0]["id"]
    past = call(
        client,
        tokens["jef"],
        target,
        "call_back_at",
        call_back_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    )
    assert past.status_code == 422
    assert "call_back_at" in past.get_json()["error"]["fields"]
    when = datetime.now(UTC) + timedelta(hours=2)
    body = call(
        client, tokens["jef"], target, "call_back_at", call_back_at=when.isoformat()
    ).get_json()
    assert (body["status"], body["attempts"]) == ("to_call", 0)
    listed = next(t for t in my_list(client, tokens["jef"]) if t["id"] == target)
    assert listed["may_call_now"] is False
    assert datetime.fromisoformat(listed["call_back_at"]) == when  # the moment given, unrounded
    with app.app_context():
        from fieldwork.auth.models import User
        from fieldwork.calls.campaigns import my_targets

        jef = db.session.scalars(select(User).filter_by(email="jef@example.be")).one()
        later = dict((t.id, may) for t, may in my_targets(jef, when + timedelta(minutes=1)))
        assert later[target] is True
        assert my_targets(jef, when + timedelta(minutes=1))[0][0].id == target


def test_calling_hours_keep_the_list_quiet_at_night(app, hamont):
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id, hours_from="10:00:00", hours_until="19:00:00")
    with app.app_context():
        from fieldwork.auth.models import User
        from fieldwork.calls.campaigns import my_targets

        maria = db.session.scalars(select(User).filter_by(email="maria@example.be")).one()
        night = at_local(TODAY, time(21, 30))
        morning = at_local(TODAY, time(10, 0))
        assert not any(may for _t, may in my_targets(maria, night))
        assert all(may for _t, may in my_targets(maria, morning))


def test_bad_attempts_are_refused_with_field_details_and_nothing_stored(app, hamont):
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id)
    target = my_list(client, tokens["maria"])[0]["id"]
    cases = [
        ({"wants_contact": True}, "consent"),
        ({"answers": {"q2": "misschien"}}, "answers.q2"),
        ({"answers": {"q9": "?"}}, "answers.q9"),
        ({"themes": {"onbekend": "concern"}}, "themes"),
    ]
    for extra, field in cases:
        refused = call(client, tokens["maria"], target, **extra)
        assert refused.status_code == 422, (extra, refused.get_json())
        assert field in refused.get_json()["error"]["fields"], refused.get_json()
    goodmorning_outcome = client.post(
        "/api/v1/calls",
        json={"kind": "goodmorning", "id": 1, "outcome": "refused"},
        headers=bearer(tokens["maria"]),
    )
    assert goodmorning_outcome.status_code == 422
    assert "outcome" in goodmorning_outcome.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 0
        assert db.session.get(CallTarget, target).status == "to_call"
        assert db.session.scalar(select(func.count()).select_from(Signal)) == 0


def test_the_same_attempt_from_a_flaky_phone_is_stored_once(app, hamont):
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id)
    target = my_list(client, tokens["maria"])[0]["id"]
    first = call(client, tokens["maria"], target, "no_answer", key="tap-1")
    second = call(client, tokens["maria"], target, "no_answer", key="tap-1")
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 1
        assert db.session.get(CallTarget, target).attempts == 1


def test_selection_twice_adds_nobody_twice(app, hamont):
    client, tokens, hood_id = hamont
    campaign = campaign_with_list(client, tokens, hood_id)
    again = client.post(
        f"/api/v1/call-campaigns/{campaign['id']}/selection",
        json={"min_age": 65},
        headers=bearer(tokens["coordinator"]),
    )
    assert again.get_json() == {
        "added": 1,
        "already_listed": 5,
        "without_phone": 1,
        "moved_or_deceased": 0,
    }


def test_bad_campaigns_are_refused(app, hamont):
    client, tokens, hood_id = hamont

    def post(**body):
        return client.post(
            "/api/v1/call-campaigns",
            json={
                "gemeente": "72037",
                "name": "X",
                "neighbourhoods": [hood_id],
                **body,
            },
            headers=bearer(tokens["coordinator"]),
        )

    assert (
        "hours_until"
        in post(hours_from="19:00:00", hours_until="10:00:00").get_json()["error"]["fields"]
    )
    assert "callers" in post(callers=["nobody@example.be"]).get_json()["error"]["fields"]
    assert "callers" in post(callers=["gp@example.be"]).get_json()["error"]["fields"]
    assert "neighbourhoods" in post(neighbourhoods=[999999]).get_json()["error"]["fields"]
    assert post(gemeente="36012").status_code == 422


def test_the_caller_works_the_list_on_the_pages(app, hamont):
    client, tokens, hood_id = hamont
    campaign = campaign_with_list(client, tokens, hood_id)
    page = app.test_client()
    login(page, "maria@example.be")
    listing = page.get("/bellen").get_data(as_text=True)
    mine = my_list(client, tokens["maria"])
    assert all(t["name"] in listing for t in mine)
    assert all(t["name"] not in listing for t in my_list(client, tokens["jef"]))
    target = mine[0]["id"]
    sheet = page.get(f"/bellen/{target}")
    html = sheet.get_data(as_text=True)
    assert sheet.status_code == 200
    assert mine[0]["tel"] in html
    assert campaign["consent_text"] in html
    data = {
        "csrf_token": csrf_from(html),
        "attempts": "0",
        "outcome": "reached",
        "answer_q1": "Goed",
        "answer_q2": "vaak",
        "theme_eenzaamheid": "concern",
        "wants_contact": "y",
    }
    refused = page.post(f"/bellen/{target}", data=data)
    assert refused.status_code == 400
    assert "voorgelezen" in refused.get_data(as_text=True)  # the consent message, in Dutch
    saved = page.post(f"/bellen/{target}", data={**data, "consent_given": "y"})
    assert saved.status_code == 302
    page.post(f"/bellen/{target}", data={**data, "consent_given": "y"})  # a double tap
    # (what the caller is then told: test_a_double_tap_on_the_call_sheet_says_it_was_saved)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 1
        assert db.session.get(CallTarget, target).status == "reached"
    other = my_list(client, tokens["jef"])[0]["id"]
    assert page.get(f"/bellen/{other}").status_code == 404


@pytest.mark.parametrize(
    "outcome",
    [
        "no_answer",  # the person stays on the list, one attempt further
        "reached",  # the person leaves the list
    ],
)
def test_a_double_tap_on_the_call_sheet_says_it_was_saved(app, hamont, outcome):
    """The sheet's second post (same attempts count) records nothing and sends the caller
    back to the list with 'already saved'."""
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id)
    page = app.test_client()
    login(page, "maria@example.be")
    target = my_list(client, tokens["maria"])[0]["id"]
    html = page.get(f"/bellen/{target}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "attempts": "0", "outcome": outcome}
    data |= {"consent_given": "y"} if outcome == "reached" else {}
    assert page.post(f"/bellen/{target}", data=data).status_code == 302
    twice = page.post(f"/bellen/{target}", data=data)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 1
    assert twice.status_code == 302
    assert urlsplit(twice.headers["Location"]).path == "/bellen"
    assert "Dit telefoontje was al bewaard." in page.get("/bellen").get_data(as_text=True)


def test_the_coordinator_makes_a_campaign_on_the_pages(app, hamont):
    client, tokens, hood_id = hamont
    page = app.test_client()
    login(page, "coordinator@example.be")
    form = page.get("/call-campaigns/new").get_data(as_text=True)
    with app.app_context():
        from fieldwork.auth.models import User

        maria = db.session.scalars(select(User).filter_by(email="maria@example.be")).one().id
    made = page.post(
        "/call-campaigns/new",
        data={
            "csrf_token": csrf_from(form),
            "name": "Belactie Hamont",
            "gemeente": "72037",
            "neighbourhoods": [str(hood_id)],
            "callers": [str(maria)],
            "guide": "Hoe gaat het?\nBuiten geweest? | ja; nee",
            "max_attempts": "3",
            "min_gap_minutes": "120",
            "hours_from": "10:00",
            "hours_until": "19:00",
            "consent_text": "",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    show = page.get(made.headers["Location"]).get_data(as_text=True)
    assert "Buiten geweest? | ja; nee" in show
    selected = page.post(
        made.headers["Location"] + "/selection",
        data={"csrf_token": csrf_from(show), "min_age": "80"},
        follow_redirects=True,
    )
    assert "5" in selected.get_data(as_text=True)
    shared = page.post(
        made.headers["Location"] + "/assignments",
        data={"csrf_token": csrf_from(show), "callers": [str(maria)], "neighbourhood": ""},
        follow_redirects=True,
    )
    assert shared.status_code == 200
    assert len(my_list(client, tokens["maria"])) == 5


RULES = st.builds(
    AttemptRules,
    st.integers(1, 6),
    st.timedeltas(timedelta(0), timedelta(days=2)),
    st.just(time(0)),
    st.just(time(23, 59)),
)
MOMENTS = st.datetimes(
    datetime(2026, 1, 1),  # noqa: DTZ001
    datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
OUTCOMES = st.sampled_from(["reached", "no_answer", "voicemail", "wrong_number", "refused"])


@settings(max_examples=200, deadline=None)
@given(
    RULES,
    st.lists(st.tuples(OUTCOMES, st.timedeltas(timedelta(0), timedelta(days=1))), max_size=12),
    MOMENTS,
)
def test_attempts_never_exceed_the_maximum_and_respect_the_gap(rules, attempts, start):
    state, now = TargetState("to_call", 0, None, None), start
    for outcome, wait in attempts:
        now += wait
        if not may_call(rules, state, now):
            assert (
                state.status != "to_call"
                or state.attempts >= rules.max_attempts
                or (
                    state.last_attempt_at is not None
                    and now < state.last_attempt_at + rules.min_gap
                )
                # 00:00-23:59 leaves out the day's last minute, in Brussels time
                or not rules.in_hours(now)
            )
            continue
        state = after_attempt(rules, state, outcome, now)
        assert state.attempts <= rules.max_attempts
        if outcome in ("no_answer", "voicemail"):
            assert (state.status == "unreachable") == (state.attempts == rules.max_attempts)
            if state.status == "to_call" and rules.min_gap:
                assert not may_call(rules, state, now)
        else:
            assert state.status == outcome
            assert not may_call(rules, state, now + timedelta(days=30))


@settings(max_examples=200, deadline=None)
@given(st.times(), st.times(), MOMENTS)
def test_outside_the_calling_hours_nobody_is_called(start, end, now):
    rules = AttemptRules(3, timedelta(0), start, end)
    fresh = TargetState("to_call", 0, None, None)
    assert may_call(rules, fresh, now) == (start <= local(now).time() < end)


def test_whom_a_visit_round_found_moved_or_deceased_is_never_put_on_a_call_list(app, hamont):
    """The round's sheet said so; the core's resident of the same name and address, and the
    round's own list, do not know it."""
    client, tokens, hood_id = hamont
    with app.app_context():
        for name, status in (("Jozefa Hendrikx", "deceased"), ("Louis Vanderhoydonck", "moved")):
            db.session.scalars(select(VisitAddress).filter_by(name=name)).one().status = status
        db.session.commit()
    campaign = make_campaign(client, tokens, hood_id)
    selected = client.post(
        f"/api/v1/call-campaigns/{campaign['id']}/selection",
        json={"min_age": 80},
        headers=bearer(tokens["coordinator"]),
    )
    assert selected.status_code == 200, selected.get_json()
    assert selected.get_json()["moved_or_deceased"] == 2
    with app.app_context():
        names = set(db.session.scalars(select(CallTarget.name)))
    assert names
    assert not names & {"Jozefa Hendrikx", "Louis Vanderhoydonck"}


def test_a_call_made_offline_before_the_campaign_closed_is_kept_when_it_arrives(app, hamont):
    """Maria called with one bar of signal; her phone sent the sheet after the coordinator
    closed the campaign. The urgent need and the consent in it are not lost; a call made
    after the close, or by someone whose list it was not, still gets the 404."""
    from fieldwork.calls.models import CallCampaign

    client, tokens, hood_id = hamont
    campaign = campaign_with_list(client, tokens, hood_id)
    target = my_list(client, tokens["maria"])[0]
    login(client, "maria@example.be")
    page = client.get(f"/bellen/{target['id']}")
    assert page.status_code == 200
    called_at = datetime.now(UTC)
    with app.app_context():
        db.session.get_one(CallCampaign, campaign["id"]).closed_at = called_at + timedelta(
            minutes=1
        )
        db.session.commit()

    def send(observed: datetime, key: str):
        return client.post(
            f"/bellen/{target['id']}",
            data={
                "csrf_token": csrf_from(page.get_data(as_text=True)),
                "attempts": "0",
                "outcome": "reached",
                "wants_contact": "y",
                "consent_given": "y",
                "urgent": "y",
                "note": "Valt vaak, heeft hulp nodig.",
                "theme_veiligheid": "concern",
                "observed_at": observed.isoformat(),
            },
            headers={"X-Fieldwork-Outbox": "1", "Idempotency-Key": key},
        )

    after_the_close = send(called_at + timedelta(minutes=2), "6f1c2b7e-3c55-4a55-9a7a-1f2b3c4d5e60")
    assert after_the_close.status_code == 404
    kept = send(called_at, "6f1c2b7e-3c55-4a55-9a7a-1f2b3c4d5e6f")
    assert kept.status_code == 200
    assert kept.get_json()["status"] == "received"
    with app.app_context():
        attempts = db.session.scalars(select(CallAttempt)).all()
        assert [(a.outcome, a.urgent) for a in attempts] == [("reached", True)]
        assert db.session.scalar(select(func.count()).select_from(Signal)) >= 1
