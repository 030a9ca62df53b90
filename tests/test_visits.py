"""Doorstep visits: the volunteer's list and findings sheets, through the core to the 65+
contact person. Both paths; a real worker on the production one."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood, Sector
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from fieldwork.routing.models import RoutingRule
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import Resident, Signal
from fieldwork.visits.models import Visit, VisitAddress, VisitRound
from fieldwork.visits.services import today
from tests.conftest import api_token, bearer, import_areas, login, make_user, post_form

TODAY = today()
TARGETS = [  # name, street, number, birth year, sector
    ("Maria Claes", "Dadizeleplaats", "12", 1941, "36012B001"),
    ("Jozef Vandenbussche", "Dadizeleplaats", "7", 1938, "36012B001"),
    ("Godelieve Vanneste", "Dadizeleplaats", "3", 1944, "36012B001"),
    ("Roger Deprez", "Dadizeleplaats", "8", 1940, "36012B001"),
    ("Irène Lambrecht", "Moorseelsestraat", "31", 1936, "36012B001"),
]


@pytest.fixture
def visit_round(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    an = make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    maria = make_user(app, "volunteer", email="maria@example.be", name="Maria V.")
    make_user(app, "volunteer", email="jef@example.be", name="Jef D.")
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        db.session.add(
            RoutingRule(
                position=1,
                name="65+ Dadizele",
                assign_user_id=an,
                conditions={"neighbourhoods": [dadizele.id], "age_min": 65},
            )
        )
        sectors = {s.code: s for s in db.session.scalars(select(Sector))}
        visit_round = VisitRound(
            municipality_id=dadizele.municipality_id,
            name="Bezoekronde Dadizele",
            starts_on=TODAY - timedelta(days=7),
            ends_on=TODAY + timedelta(days=60),
            max_attempts=2,
            info_material=["Seniorengids"],
            neighbourhoods=[dadizele],
        )
        db.session.add(visit_round)
        db.session.flush()
        for name, street, number, year, sector in TARGETS:
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
                    sector_id=sectors[sector].id,
                    neighbourhood_id=dadizele.id,
                )
            )
        db.session.commit()
        round_id = visit_round.id
    client = app.test_client()
    tokens = {
        "coordinator": api_token(client, "coordinator@example.be"),
        "maria": api_token(client, "maria@example.be"),
        "jef": api_token(client, "jef@example.be"),
        "an": api_token(client, "an@example.be"),
    }
    assigned = client.post(
        f"/api/v1/visit-rounds/{round_id}/assignments",
        json={"volunteer": "maria@example.be", "street": "dadizeleplaats"},
        headers=bearer(tokens["coordinator"]),
    )
    assert assigned.get_json() == {"assigned": 4}
    return client, tokens, round_id, maria


def my_list(client, token):
    return client.get("/api/v1/visits/my", headers=bearer(token)).get_json()["items"]


def sheet(assignment_id, outcome="spoken", **extra):
    return {"assignment_id": assignment_id, "outcome": outcome, **extra}


def wait_until(check, seconds=30):
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def test_the_list_is_in_walking_order_and_only_my_own(app, visit_round):
    client, tokens, _, _ = visit_round
    items = my_list(client, tokens["maria"])
    assert [item["house_number"] for item in items] == ["3", "7", "12", "8"]  # odd up, even back
    assert {item["neighbourhood"] for item in items} == {"Dadizele"}
    assert my_list(client, tokens["jef"]) == []


def test_a_volunteer_cannot_submit_for_an_address_not_theirs(app, visit_round):
    client, tokens, _, _ = visit_round
    mine = my_list(client, tokens["maria"])[0]["assignment_id"]
    response = client.post("/api/v1/visits", json=sheet(mine), headers=bearer(tokens["jef"]))
    assert response.status_code == 404
    with app.app_context():
        unassigned = db.session.scalar(
            select(VisitAddress.id).where(VisitAddress.volunteer_id.is_(None))
        )
    response = client.post(
        "/api/v1/visits", json=sheet(unassigned), headers=bearer(tokens["maria"])
    )
    assert response.status_code == 404
    for role in ("coordinator", "an"):
        assert client.get("/api/v1/visits/my", headers=bearer(tokens[role])).status_code == 403


def test_not_home_comes_back_until_the_maximum_attempts(app, visit_round):
    client, tokens, _, _ = visit_round
    first = my_list(client, tokens["maria"])[0]["assignment_id"]
    body = client.post(
        "/api/v1/visits",
        json=sheet(first, "not_home", card_left=True),
        headers=bearer(tokens["maria"]),
    ).get_json()
    assert (body["address_status"], body["attempts"]) == ("not_home", 1)
    again = [i for i in my_list(client, tokens["maria"]) if i["assignment_id"] == first]
    assert again[0]["attempts"] == 1
    client.post("/api/v1/visits", json=sheet(first, "not_home"), headers=bearer(tokens["maria"]))
    assert first not in [i["assignment_id"] for i in my_list(client, tokens["maria"])]
    late = client.post(
        "/api/v1/visits", json=sheet(first, "spoken"), headers=bearer(tokens["maria"])
    )
    assert late.status_code == 404


def test_the_same_sheet_from_a_flaky_phone_is_stored_once(app, visit_round):
    client, tokens, _, _ = visit_round
    first = my_list(client, tokens["maria"])[0]["assignment_id"]
    headers = {**bearer(tokens["maria"]), "Idempotency-Key": "visit-1"}
    one = client.post("/api/v1/visits", json=sheet(first, "not_home"), headers=headers)
    two = client.post("/api/v1/visits", json=sheet(first, "not_home"), headers=headers)
    assert one.status_code == two.status_code == 201
    assert one.get_json() == two.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_consent_brings_the_resident_to_the_65plus_contact_person(app, visit_round):
    client, tokens, _, _ = visit_round
    maria_claes = next(i for i in my_list(client, tokens["maria"]) if i["name"] == "Maria Claes")
    response = client.post(
        "/api/v1/visits",
        json=sheet(
            maria_claes["assignment_id"],
            themes={"eenzaamheid": "concern", "woning": "ok"},
            info_given=["Seniorengids"],
            interests=["dienstencentrum"],
            wants_to_volunteer=True,
            wants_contact=True,
            consent={"given": True, "how": "signed_strip", "reference": "F-17"},
            note="Ziet haar kinderen zelden.",
        ),
        headers=bearer(tokens["maria"]),
    )
    assert response.status_code == 201, response.get_json()

    def queued():
        items = client.get("/api/v1/queue", headers=bearer(tokens["an"])).get_json()["items"]
        return items or None

    items = wait_until(queued)
    assert items is not None
    assert [i["resident"]["name"] for i in items] == ["Maria Claes"]
    with app.app_context():
        signals = db.session.scalars(select(Signal).order_by(Signal.theme)).all()
        assert [(s.theme, s.polarity, s.source) for s in signals] == [
            ("eenzaamheid", "need", "visit"),
            ("vrijwilliger", "strength", "visit"),
        ]
        assert signals[0].consent.reference == "F-17"
        assert "kinderen" in signals[0].note


def test_without_consent_concerns_only_count(app, visit_round):
    client, tokens, _, _ = visit_round
    first = my_list(client, tokens["maria"])[0]["assignment_id"]
    response = client.post(
        "/api/v1/visits",
        json=sheet(
            first,
            themes={"mobiliteit": "concern"},
            wants_buurtgezel=True,
            note="Naam van de dochter: Els",
        ),
        headers=bearer(tokens["maria"]),
    )
    assert response.status_code == 201

    def routed():
        with app.app_context():
            return (
                db.session.scalar(
                    select(func.count()).select_from(Signal).where(Signal.routed_at.is_not(None))
                )
                == 2
            )

    assert wait_until(routed)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 0
        assert all(s.note == "" for s in db.session.scalars(select(Signal)))
        assert {s.neighbourhood.name for s in db.session.scalars(select(Signal))} == {"Dadizele"}


def test_wanting_contact_without_consent_is_refused(app, visit_round):
    client, tokens, _, _ = visit_round
    first = my_list(client, tokens["maria"])[0]["assignment_id"]
    response = client.post(
        "/api/v1/visits", json=sheet(first, wants_contact=True), headers=bearer(tokens["maria"])
    )
    assert response.status_code == 422
    assert "consent" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_an_urgent_concern_notifies_the_contact_person_at_once(app, visit_round, mailbox):
    client, tokens, _, _ = visit_round
    first = my_list(client, tokens["maria"])[0]["assignment_id"]
    response = client.post(
        "/api/v1/visits",
        json=sheet(
            first, themes={"veiligheid": "concern"}, urgent=True, note="Gevallen, ligt in bed."
        ),
        headers=bearer(tokens["maria"]),
    )
    assert response.status_code == 201

    def notified():
        with app.app_context():
            return db.session.scalar(
                select(Notification).where(Notification.kind.in_(("urgent", "assigned")))
            )

    note = wait_until(notified)
    assert note is not None
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        assert case.urgency == "urgent"
        assert case.owner.email == "an@example.be"


def test_round_progress_per_neighbourhood_and_volunteer(app, visit_round):
    client, tokens, round_id, _ = visit_round
    items = my_list(client, tokens["maria"])
    outcomes = ["spoken", "not_home", "refused", "moved"]
    for item, outcome in zip(items, outcomes, strict=True):
        client.post(
            "/api/v1/visits",
            json=sheet(item["assignment_id"], outcome),
            headers=bearer(tokens["maria"]),
        )
    progress = client.get(
        f"/api/v1/visit-rounds/{round_id}", headers=bearer(tokens["coordinator"])
    ).get_json()["progress"]
    assert progress["neighbourhoods"]["Dadizele"] == {
        "total": 5,
        "visited": 1,
        "not_home_again": 1,
        "refused": 1,
        "moved": 1,
        "to_visit": 1,
    }
    assert progress["volunteers"]["Maria V."]["total"] == 4
    assert progress["volunteers"]["—"] == {"total": 1, "to_visit": 1}


def test_a_volunteer_walks_the_list_on_the_pages(app, visit_round):
    client = app.test_client()
    login(client, "maria@example.be")
    home = client.get("/home").get_data(as_text=True)
    assert "4 adressen te bezoeken." in home
    today = client.get("/bezoeken").get_data(as_text=True)
    assert today.index("Dadizeleplaats") < today.index(">3<") < today.index(">8<")
    with app.app_context():
        address_id = db.session.scalar(
            select(VisitAddress.id).where(VisitAddress.house_number == "3")
        )
    page = f"/bezoeken/{address_id}"
    response = post_form(
        client,
        page,
        {
            "attempt": "0",
            "outcome": "spoken",
            "theme_eenzaamheid": "concern",
            "theme_woning": "ok",
            "wants_contact": "y",
            "consent_how": "signed_strip",
            "consent_reference": "F-3",
            "note": "Wil graag een babbel.",
        },
    )
    assert response.status_code == 302
    assert "Bewaard" in client.get("/bezoeken").get_data(as_text=True)
    with app.app_context():
        visit = db.session.scalars(select(Visit)).one()
        assert visit.themes == {"eenzaamheid": "concern", "woning": "ok"}
        assert visit.consent_id is not None
    gone = client.get(page)  # visited: no longer on the list
    assert gone.status_code == 404
    assert "staat niet meer op je lijst" in gone.get_data(as_text=True)
    other = app.test_client()
    login(other, "jef@example.be")
    assert other.get(page).status_code == 404


def test_only_coordinators_manage_rounds(app, visit_round):
    client, tokens, round_id, _ = visit_round
    for who in ("maria", "an"):
        assert (
            client.get(f"/api/v1/visit-rounds/{round_id}", headers=bearer(tokens[who])).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/visit-rounds/{round_id}/assignments",
                json={"volunteer": "maria@example.be", "street": "x"},
                headers=bearer(tokens[who]),
            ).status_code
            == 403
        )
    page = app.test_client()
    login(page, "maria@example.be")
    assert page.get(f"/visit-rounds/{round_id}").status_code == 403
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    html = coordinator.get(f"/visit-rounds/{round_id}").get_data(as_text=True)
    assert "Bezoekronde Dadizele" in html
    assert "Dadizeleplaats" in html


def test_done_when_import_two_volunteers_walk_and_the_contact_person_finds_them(app, request):
    """Import a list for Dadizele, assign two volunteers (one street by hand on the page),
    both record visits, residents who asked for contact are in the 65+ queue."""
    import io

    from fieldwork.areas.streets import load_streets
    from fieldwork.demo.cli import DEMO_STREETS, DEMO_VISIT_LIST
    from tests.conftest import csrf_from

    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    an = make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    make_user(app, "volunteer", email="maria@example.be", name="Maria V.")
    make_user(app, "volunteer", email="jef@example.be", name="Jef D.")
    with app.app_context():
        load_streets(DEMO_STREETS.read_bytes(), skip_invalid=True)
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        db.session.add(
            RoutingRule(
                position=1,
                name="65+ Dadizele",
                assign_user_id=an,
                conditions={"neighbourhoods": [dadizele.id], "age_min": 65},
            )
        )
        db.session.commit()
        dadizele_id = dadizele.id
    client = app.test_client()
    tokens = {
        who: api_token(client, f"{who}@example.be") for who in ("coordinator", "maria", "jef", "an")
    }
    made = client.post(
        "/api/v1/visit-rounds",
        json={
            "gemeente": "36012",
            "name": "80+ Dadizele",
            "neighbourhoods": [dadizele_id],
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + timedelta(days=60)).isoformat(),
            "info_material": ["Seniorengids"],
        },
        headers=bearer(tokens["coordinator"]),
    )
    assert made.status_code == 201, made.get_json()
    round_id = made.get_json()["id"]
    started = client.post(
        f"/api/v1/visit-rounds/{round_id}/imports",
        data={"file": (io.BytesIO(DEMO_VISIT_LIST.read_bytes()), "lijst.csv")},
        headers=bearer(tokens["coordinator"]),
        content_type="multipart/form-data",
    )
    assert wait_until(
        lambda: (
            client.get(
                started.headers["Location"], headers=bearer(tokens["coordinator"])
            ).get_json()["status"]
            == "done"
        )
    )
    client.post(
        f"/api/v1/visit-rounds/{round_id}/assignments",
        json={"volunteer": "maria@example.be", "street": "Dadizeleplaats"},
        headers=bearer(tokens["coordinator"]),
    )
    page = app.test_client()
    login(page, "coordinator@example.be")
    listing = page.get(f"/visit-rounds/{round_id}/addresses").get_data(as_text=True)
    with app.app_context():
        jef_id = str(db.session.scalar(select(User.id).where(User.email == "jef@example.be")))
        klephoek = [
            str(i)
            for i in db.session.scalars(
                select(VisitAddress.id).where(VisitAddress.street == "Klephoekstraat")
            )
        ]
    assigned = page.post(
        f"/visit-rounds/{round_id}/assign-addresses",
        data={
            "csrf_token": csrf_from(listing),
            "volunteer": jef_id,
            "partner": "",
            "address_ids": klephoek,
        },
    )
    assert assigned.status_code == 302
    maria_list, jef_list = my_list(client, tokens["maria"]), my_list(client, tokens["jef"])
    assert {i["street"] for i in maria_list} == {"Dadizeleplaats"}
    assert {i["street"] for i in jef_list} == {"Klephoekstraat"}
    for token, item, reference in (
        (tokens["maria"], maria_list[0], "F-1"),
        (tokens["jef"], jef_list[0], "F-2"),
    ):
        response = client.post(
            "/api/v1/visits",
            json=sheet(
                item["assignment_id"],
                themes={"eenzaamheid": "concern"},
                wants_contact=True,
                consent={"given": True, "how": "signed_strip", "reference": reference},
            ),
            headers=bearer(token),
        )
        assert response.status_code == 201, response.get_json()
    client.post(
        "/api/v1/visits",
        json=sheet(maria_list[1]["assignment_id"], "not_home"),
        headers=bearer(tokens["maria"]),
    )

    def queue_names():
        items = client.get("/api/v1/queue", headers=bearer(tokens["an"])).get_json()["items"]
        return sorted(i["resident"]["name"] for i in items) if len(items) == 2 else None

    assert wait_until(queue_names) == sorted([maria_list[0]["name"], jef_list[0]["name"]])
    progress = client.get(
        f"/api/v1/visit-rounds/{round_id}", headers=bearer(tokens["coordinator"])
    ).get_json()["progress"]
    assert progress["neighbourhoods"]["Dadizele"]["visited"] == 2
    assert progress["neighbourhoods"]["Dadizele"]["not_home_again"] == 1
    assert progress["volunteers"]["Jef D."] == {"total": 2, "visited": 1, "to_visit": 1}


def test_openapi_describes_the_visit_endpoints(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in (
        "/api/v1/visits/my",
        "/api/v1/visits",
        "/api/v1/visit-rounds",
        "/api/v1/visit-rounds/{round_id}",
        "/api/v1/visit-rounds/{round_id}/imports",
        "/api/v1/visit-imports/{import_id}",
        "/api/v1/visit-rounds/{round_id}/assignments",
    ):
        assert path in spec["paths"], path


def test_review_fixes_contact_without_concern_double_send_and_privacy(app, visit_round):
    client, tokens, _, _ = visit_round
    items = my_list(client, tokens["maria"])
    asked = client.post(
        "/api/v1/visits",
        json=sheet(
            items[0]["assignment_id"],
            themes={"woning": "ok"},
            wants_contact=True,
            consent={"given": True, "how": "signed_strip", "reference": "F-9"},
            attempt=0,
        ),
        headers=bearer(tokens["maria"]),
    )
    assert asked.status_code == 201
    again = client.post(
        "/api/v1/visits",
        json=sheet(items[1]["assignment_id"], "not_home", attempt=0),
        headers=bearer(tokens["maria"]),
    )
    assert again.status_code == 201
    resend = client.post(
        "/api/v1/visits",
        json=sheet(items[1]["assignment_id"], "not_home", attempt=0),
        headers=bearer(tokens["maria"]),
    )
    assert resend.status_code == 409
    refused = client.post(
        "/api/v1/visits",
        json=sheet(items[2]["assignment_id"], "refused", note="Dochter Els, 0475 12 34 56"),
        headers=bearer(tokens["maria"]),
    )
    assert refused.status_code == 201
    huge = client.post("/api/v1/visits", json=sheet(2**40), headers=bearer(tokens["maria"]))
    assert huge.status_code == 422
    with app.app_context():
        signal = db.session.scalars(select(Signal)).one()
        assert (signal.theme, signal.consent.reference) == ("informatie", "F-9")
        assert (
            db.session.scalar(
                select(VisitAddress.attempts).where(VisitAddress.id == items[1]["assignment_id"])
            )
            == 1
        )
        assert all("Els" not in v.note for v in db.session.scalars(select(Visit)))


def test_a_finished_round_leaves_the_volunteers_list(app, visit_round):
    client, tokens, round_id, _ = visit_round
    with app.app_context():
        db.session.get(VisitRound, round_id).ends_on = TODAY - timedelta(days=1)
        db.session.commit()
    assert my_list(client, tokens["maria"]) == []


def test_the_coordinator_lists_addresses_and_takes_them_back(app, visit_round):
    client, tokens, round_id, _ = visit_round
    listing = client.get(
        f"/api/v1/visit-rounds/{round_id}/addresses?street=Dadizeleplaats",
        headers=bearer(tokens["coordinator"]),
    ).get_json()
    assert len(listing["items"]) == 4
    assert {i["volunteer"] for i in listing["items"]} == {"maria@example.be"}
    ids = [i["assignment_id"] for i in listing["items"][:2]]
    back = client.post(
        f"/api/v1/visit-rounds/{round_id}/assignments",
        json={"volunteer": None, "address_ids": ids},
        headers=bearer(tokens["coordinator"]),
    )
    assert back.get_json() == {"unassigned": 2}
    assert len(my_list(client, tokens["maria"])) == 2
    assert (
        client.get(
            f"/api/v1/visit-rounds/{round_id}/addresses?page=0",
            headers=bearer(tokens["coordinator"]),
        ).status_code
        == 422
    )


def test_one_tap_not_at_home_from_the_list(app, visit_round):
    from tests.conftest import csrf_from

    client = app.test_client()
    login(client, "maria@example.be")
    today_page = client.get("/bezoeken").get_data(as_text=True)
    with app.app_context():
        address_id = db.session.scalar(
            select(VisitAddress.id).where(VisitAddress.house_number == "3")
        )
    data = {
        "csrf_token": csrf_from(today_page),
        "attempt": "0",
        "outcome": "not_home",
        "card_left": "y",
    }
    assert client.post(f"/bezoeken/{address_id}", data=data).status_code == 302
    assert client.post(f"/bezoeken/{address_id}", data=data).status_code == 302  # double tap
    with app.app_context():
        address = db.session.get(VisitAddress, address_id)
        assert (address.status, address.attempts) == ("not_home", 1)
        assert db.session.scalars(select(Visit)).one().card_left


def test_a_street_name_in_two_villages_is_assigned_apart(app, visit_round):
    from fieldwork.visits.services import addresses_in_street, streets_of

    round_id = visit_round[2]
    with app.app_context():
        visit_round_row = db.session.get(VisitRound, round_id)
        moorslede = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one()
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        visit_round_row.neighbourhoods.append(moorslede)
        for name, hood in (("Piet Kerk", moorslede), ("Lies Kerk", dadizele)):
            db.session.add(
                VisitAddress(
                    round_id=round_id,
                    name=name,
                    name_key=name_key(name),
                    street="Kerkstraat",
                    street_key=street_key("Kerkstraat"),
                    house_number="1",
                    postcode="8890",
                    address_key=address_key("Kerkstraat", "1", f"889{hood.id}"),
                    neighbourhood_id=hood.id,
                )
            )
        db.session.commit()
        kerk = [row for row in streets_of(visit_round_row) if row["street"].startswith("Kerk")]
        assert sorted(row["street"] for row in kerk) == [
            "Kerkstraat (Dadizele)",
            "Kerkstraat (Moorslede)",
        ]
        only = next(row for row in kerk if "Moorslede" in row["street"])
        assert [a.name for a in addresses_in_street(visit_round_row, only["key"])] == ["Piet Kerk"]
        assert len(addresses_in_street(visit_round_row, "Kerkstraat")) == 2
