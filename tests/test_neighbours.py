"""Caring neighbours (issue 22): joining from the public page or with the coordinator's code,
filing a signal that is routed like any other (a real worker on PostgreSQL), seeing only its
status, "gecontacteerd" after the contact person's attempt, being paused, a resend that
never doubles, the coordinator's overview, messages and trainings, and the role checks."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.streets import load_streets
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.config import ROOT
from fieldwork.extensions import db
from fieldwork.neighbours.models import CaringNeighbour, NeighbourSignal, NeighbourTraining
from fieldwork.notifications.models import Notification
from fieldwork.signals.models import Consent, ConsentText, Resident, Signal
from fieldwork.volunteers.models import Training
from tests.conftest import ROLES, api_token, bearer, csrf_from, import_areas, login, make_user
from tests.test_notifications import wait_for_mail
from tests.test_signals import setup, wait_for_status  # noqa: F401

STREETS = ROOT / "data" / "demo" / "streets_moorslede_hamont-achel.csv"
JOIN = "/zorgzame-buur/word/36012"
FORM_TOKEN_RE = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')
STEP_RE = re.compile(r'data-signal-id="(\d+)" data-step="(\w+)"')
CASE_NOTE = "Dochter komt elke zondag; wil liever niet naar het dienstencentrum."
COORDINATOR_PAGES = (
    "/zorgzame-buren",
    "/zorgzame-buren/nieuw",
    "/zorgzame-buren/bericht",
    "/zorgzame-buren/vorming",
)


def load_street_table(app) -> None:
    with app.app_context():
        load_streets(STREETS.read_bytes(), skip_invalid=True)
        db.session.commit()


@pytest.fixture
def moorslede_streets(app):
    import_areas(app, "36012")
    load_street_table(app)
    app.config["HELP_FORM_MIN_SECONDS"] = 0
    return app


def answers(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Griet Desmet",
        "phone": "0470/12.34.56",
        "email": "Griet@Example.be",
        "streets": "kerkstr., Marktplaats",
        "neighbourhood_id": "",
        "can_do": ["keep_an_eye", "visit"],
        "can_do_note": "Ik ben thuis overdag.",
        "data_consent": "y",
        **changes,
    }


def join_publicly(client, **changes: Any):
    html = client.get(JOIN).get_data(as_text=True)
    tokens = {"csrf_token": csrf_from(html), "form_token": FORM_TOKEN_RE.search(html).group(1)}
    return client.post(JOIN, data={**tokens, **answers(**changes)})


def coordinator(app, email: str = "coordinator@example.be"):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def add_neighbour(client, **changes: Any) -> str:
    """The coordinator adds a neighbour; the code shown once."""
    html = client.get("/zorgzame-buren/nieuw").get_data(as_text=True)
    page = client.post(
        "/zorgzame-buren/nieuw", data={"csrf_token": csrf_from(html), **answers(**changes)}
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    return re.search(r"data-code>([A-Z0-9-]+)<", page.get_data(as_text=True)).group(1)


def confirm(app, neighbour_id: int) -> None:
    """The coordinator confirms a neighbour who joined on the public page."""
    if not count(app, User):
        make_user(app, "coordinator")
    client = coordinator(app)
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    done = client.post(
        f"/zorgzame-buren/{neighbour_id}/status",
        data={"csrf_token": csrf_from(html), "status": "active"},
    )
    assert done.status_code == 302


def sign_in(client, code: str):
    html = client.get("/zorgzame-buur/aanmelden").get_data(as_text=True)
    return client.post(
        "/zorgzame-buur/aanmelden", data={"csrf_token": csrf_from(html), "code": code}
    )


def signal_answers(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Maria Claes",
        "street": "Dadizeleplaats",
        "house_number": "12",
        "phone": "056 12 34 56",
        "birth_year": "1941",
        "themes": ["eenzaamheid"],
        "note": "Komt weinig buiten sinds haar man overleed.",
        "urgency": "normal",
        "consent": "verbal",
        **changes,
    }


def file(client, headers: dict[str, str] | None = None, **changes: Any):
    html = client.get("/zorgzame-buur/signaal").get_data(as_text=True)
    return client.post(
        "/zorgzame-buur/signaal",
        data={"csrf_token": csrf_from(html), **signal_answers(**changes)},
        headers=headers or {},
    )


def neighbours(app) -> list[CaringNeighbour]:
    with app.app_context():
        found = db.session.scalars(select(CaringNeighbour).order_by(CaringNeighbour.id)).all()
        for n in found:
            _ = n.street_names, n.consent_text.text, n.neighbourhood.name
        db.session.expunge_all()
        return list(found)


def count(app, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def steps(html: str) -> dict[int, str]:
    return {int(i): step for i, step in STEP_RE.findall(html)}


# --- joining ---------------------------------------------------------------------------------


def test_a_neighbour_joins_from_the_public_page_with_a_consent_and_a_sign_in_link(
    moorslede_streets, mailbox, request
):
    app = moorslede_streets
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")  # the worker sends the e-mail
    client = app.test_client()
    page = client.get(JOIN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Word zorgzame buur" in html
    assert "Ik geef de gemeente de toestemming" in html  # the consent text is shown
    joined = join_publicly(client)
    assert joined.status_code == 200, joined.get_data(as_text=True)
    assert "Welkom, zorgzame buur" in joined.get_data(as_text=True)
    (griet,) = neighbours(app)
    assert griet.status == "pending"  # the coordinator confirms first
    assert griet.joined_via == "public_form"
    assert griet.phone == "0470 12 34 56"  # validated and stored as a contact person dials it
    assert griet.email == "griet@example.be"
    assert griet.street_names == ["Kerkstraat", "Marktplaats"]  # the street table's names
    assert griet.neighbourhood.name == "Moorslede"  # from the streets
    assert griet.can_do == ["keep_an_eye", "visit"]
    assert griet.consent_text.text.startswith("Ik geef de gemeente de toestemming")
    assert griet.data_consent_at is not None
    assert count(app, Notification) == 0  # no sign-in link before the confirmation
    confirm(app, griet.id)
    assert neighbours(app)[0].status == "active"
    (mail,) = wait_for_mail(mailbox, 1)
    assert mail["To"] == "griet@example.be"
    text = mail.get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/zorgzame-buur/aanmelden/\S+", text).group(0)
    deadline = time.monotonic() + 10  # e-mailed: the database keeps no working link
    while True:
        with app.app_context():
            (stored,) = db.session.scalars(select(Notification)).all()
            if stored.emailed_at is not None or time.monotonic() > deadline:
                break
        time.sleep(0.1)
    assert stored.emailed_at is not None
    assert "aanmelden" not in stored.body  # nor do its backups
    # the link signs in, without a password
    signed = client.get(urlsplit(link).path)
    assert signed.status_code == 302
    assert urlsplit(signed.headers["Location"]).path == "/zorgzame-buur/mijn"
    mine = client.get("/zorgzame-buur/mijn").get_data(as_text=True)
    assert "Dag Griet Desmet" in mine
    assert "Kerkstraat, Marktplaats" in mine  # their own intake


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "abc"}, "Dit is geen telefoonnummer"),
        ({"phone": "", "email": ""}, "Laat een e-mailadres of telefoonnummer achter"),
        ({"streets": ""}, "Noem minstens één straat"),
        ({"streets": "Nergensstraat"}, "Kies je buurt."),
        ({"data_consent": ""}, "met je toestemming"),
        ({"email": "griet@"}, "Dit is geen e-mailadres"),
    ],
)
def test_bad_answers_are_refused_in_dutch_with_the_answers_kept(
    moorslede_streets, changes, message
):
    app = moorslede_streets
    refused = join_publicly(app.test_client(), **changes)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert message in html
    assert "Ik ben thuis overdag." in html
    assert neighbours(app) == []


def test_refused_joins_do_not_count_against_the_limit_and_the_trap_catches_bots(
    moorslede_streets,
):
    app = moorslede_streets
    app.config["HELP_FORM_RATE_LIMIT"] = "2 per hour"
    client = app.test_client()
    for _ in range(5):
        assert join_publicly(client, phone="abc").status_code == 422
    assert join_publicly(client, website="http://spam.example").status_code == 422  # trap
    assert join_publicly(client).status_code == 200
    assert join_publicly(client, name="Marc Vanneste", email="marc@example.be").status_code == 200
    busy = join_publicly(client, name="Rita Claeys", email="rita@example.be")
    assert busy.status_code == 429
    assert [n.name for n in neighbours(app)] == ["Griet Desmet", "Marc Vanneste"]


def test_the_coordinator_adds_a_neighbour_who_signs_in_with_the_code_on_paper(moorslede_streets):
    app = moorslede_streets
    make_user(app, "coordinator")
    code = add_neighbour(coordinator(app), email="", streets="Iepersestraat")
    (marc,) = neighbours(app)
    assert marc.joined_via == "coordinator"
    assert marc.code_hash is not None
    assert code.replace("-", "") not in marc.code_hash
    phone = app.test_client()
    assert sign_in(phone, "WRONG-CODE").status_code == 422
    signed = sign_in(phone, code.lower().replace("-", " "))  # typed as people do
    assert signed.status_code == 302
    assert phone.get("/zorgzame-buur/mijn").status_code == 200
    # a new code replaces the former one, and ends the session of before
    client = coordinator(app)
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    page = client.post(f"/zorgzame-buren/{marc.id}/code", data={"csrf_token": csrf_from(html)})
    fresh = re.search(r"data-code>([A-Z0-9-]+)<", page.get_data(as_text=True)).group(1)
    assert fresh != code
    assert urlsplit(phone.get("/zorgzame-buur/mijn").headers["Location"]).path == (
        "/zorgzame-buur/aanmelden"
    )
    assert sign_in(phone, code).status_code == 422
    assert sign_in(phone, fresh).status_code == 302


# --- filing, status, pausing ------------------------------------------------------------------


@pytest.fixture
def dadizele(app, setup):  # noqa: F811
    """The routing of tests.test_signals (loneliness in Dadizele → An), the street table, and
    a caring neighbour in Dadizele signed in on a phone."""
    api, coordinator_token = setup
    load_street_table(app)
    code = add_neighbour(coordinator(app), name="Hilde Verstraete", streets="Dadizeleplaats")
    phone = app.test_client()
    assert sign_in(phone, code).status_code == 302
    return api, coordinator_token, phone, code


def test_a_neighbour_files_a_signal_that_reaches_an_and_sees_only_its_status(app, dadizele):
    api, coordinator_token, phone, _code = dadizele
    form = phone.get("/zorgzame-buur/signaal").get_data(as_text=True)
    assert "data-outbox" in form  # the capture forms' offline queue
    sent = file(phone)
    assert sent.status_code == 302
    assert urlsplit(sent.headers["Location"]).path == "/zorgzame-buur/mijn"
    with app.app_context():
        (signal,) = db.session.scalars(select(Signal)).all()
        assert signal.source == "neighbour"
        assert signal.filed_by_id is None
        assert db.session.get(NeighbourSignal, signal.id) is not None
        signal_id = signal.id
    status = wait_for_status(api, coordinator_token, signal_id)
    assert status["status"] == "routed"
    with app.app_context():
        case = db.session.get(Case, status["case_id"])
        assert case.owner.email == "an@example.be"  # routed like any other capture
    an = api_token(api, "an@example.be")
    queue = api.get("/api/v1/queue", headers=bearer(an)).get_json()
    assert status["case_id"] in [c["case_id"] for c in queue["items"]]  # An's queue
    assert steps(phone.get("/zorgzame-buur/mijn").get_data(as_text=True)) == {signal_id: "received"}
    # An calls: the neighbour sees "gecontacteerd", never what was said
    event = api.post(
        f"/api/v1/cases/{status['case_id']}/events",
        json={"type": "contact_attempt", "result": "reached", "note": CASE_NOTE},
        headers=bearer(an),
    )
    assert event.status_code == 201, event.get_json()
    html = phone.get("/zorgzame-buur/mijn").get_data(as_text=True)
    assert steps(html) == {signal_id: "contacted"}
    assert "Gecontacteerd" in html
    for case_content in ("Maria Claes", "056 12 34 56", "Komt weinig buiten", CASE_NOTE, "An"):
        assert not re.search(rf"\b{re.escape(case_content)}\b", html), case_content
    # the contact person sees only that it came through a caring neighbour
    page = coordinator(app, "an@example.be").get(f"/cases/{status['case_id']}")
    assert page.status_code == 200
    assert "Zorgzame buur" in page.get_data(as_text=True)
    assert "Hilde Verstraete" not in page.get_data(as_text=True)


def test_a_signal_without_consent_is_only_counted(app, dadizele):
    _api, _token, phone, _code = dadizele
    assert file(phone, consent="none", name="").status_code == 302
    with app.app_context():
        (signal,) = db.session.scalars(select(Signal)).all()
        assert signal.resident_id is None
        assert signal.note == ""
    html = phone.get("/zorgzame-buur/mijn").get_data(as_text=True)
    assert steps(html) == {signal.id: "counted_only"}


def test_a_signal_form_with_mistakes_is_refused_and_files_nothing(app, dadizele):
    _api, _token, phone, _code = dadizele
    for changes, message in (
        ({"themes": []}, "Kies minstens één bezorgdheid."),
        ({"consent": ""}, "Kies of de bewoner akkoord gaat"),
        ({"phone": "abc"}, "Dit is geen telefoonnummer"),
        ({"name": ""}, "Vul de naam in"),
    ):
        refused = file(phone, **changes)
        assert refused.status_code == 400, changes
        assert message in refused.get_data(as_text=True)
    assert count(app, Signal) == 0


def test_a_resend_of_the_same_signal_files_it_once(app, dadizele):
    _api, _token, phone, _code = dadizele
    key = str(uuid.uuid4())
    headers = {"X-Fieldwork-Outbox": "1", "Idempotency-Key": key}
    first = file(phone, headers=headers)
    again = file(phone, headers=headers)  # the answer was lost: the phone sends it again
    assert first.status_code == 200
    assert first.get_json()["status"] == "received"
    assert again.status_code == 200
    assert again.get_json()["again"] is True
    assert urlsplit(again.get_json()["next"]).path == "/zorgzame-buur/mijn"
    assert count(app, Signal) == 1
    assert count(app, NeighbourSignal) == 1


def test_a_paused_neighbour_is_refused_with_a_clear_message_and_files_nothing(app, dadizele):
    _api, _token, phone, code = dadizele
    form = phone.get("/zorgzame-buur/signaal").get_data(as_text=True)  # opened before the pause
    (hilde,) = neighbours(app)
    client = coordinator(app)
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    paused = client.post(
        f"/zorgzame-buren/{hilde.id}/status",
        data={"csrf_token": csrf_from(html), "status": "paused"},
    )
    assert paused.status_code == 302
    assert neighbours(app)[0].status == "paused"
    refused = phone.post(
        "/zorgzame-buur/signaal", data={"csrf_token": csrf_from(form), **signal_answers()}
    )
    assert refused.status_code == 403
    assert "gepauzeerd" in refused.get_data(as_text=True)
    assert count(app, Signal) == 0
    again = sign_in(app.test_client(), code)
    assert again.status_code == 403
    assert "gepauzeerd" in again.get_data(as_text=True)
    # the e-mailed link is refused too
    with app.app_context():
        from fieldwork.neighbours.services import sign_in_link

        with app.test_request_context():
            link = urlsplit(sign_in_link(db.session.get(CaringNeighbour, hilde.id))).path
    refused_link = app.test_client().get(link)
    assert refused_link.status_code == 403
    assert "gepauzeerd" in refused_link.get_data(as_text=True)
    # taken up again: the code works again; ended: nothing works any more
    api = app.test_client()
    token = api_token(api, "coordinator@example.be")
    resumed = api.patch(
        f"/api/v1/neighbours/{hilde.id}", json={"status": "active"}, headers=bearer(token)
    )
    assert resumed.status_code == 200
    assert resumed.get_json()["status"] == "active"
    assert sign_in(app.test_client(), code).status_code == 302
    ended = api.patch(
        f"/api/v1/neighbours/{hilde.id}", json={"status": "ended"}, headers=bearer(token)
    )
    assert ended.get_json()["status"] == "ended"
    refused = sign_in(app.test_client(), code)
    assert refused.status_code == 422  # the code itself is gone
    back = api.patch(
        f"/api/v1/neighbours/{hilde.id}", json={"status": "active"}, headers=bearer(token)
    )
    assert back.status_code == 409  # an ended role is not taken up again
    assert "status" in back.get_json()["error"]["fields"]
    gone = app.test_client().get(link)
    assert gone.status_code == 403
    assert "stopgezet" in gone.get_data(as_text=True)


# --- the coordinator's pages, messages, trainings -------------------------------------------


def test_the_overview_shows_streets_without_a_neighbour_and_the_figures(moorslede_streets):
    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    add_neighbour(client, streets="Kerkstraat, Marktplaats")
    add_neighbour(client, name="Rita Claeys", email="rita@example.be", streets="Beitemstraat")
    rita = neighbours(app)[1]
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    client.post(
        f"/zorgzame-buren/{rita.id}/status",
        data={"csrf_token": csrf_from(html), "status": "paused"},
    )
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    covered = dict(re.findall(r'data-street="([^"]+)" class="(covered|uncovered)"', html))
    assert covered["Kerkstraat"] == "covered"
    assert covered["Marktplaats"] == "covered"
    assert covered["Beitemstraat"] == "uncovered"  # paused: nobody keeps an eye there now
    assert covered["Iepersestraat"] == "uncovered"
    assert covered["Dadizeleplaats"] == "uncovered"
    row = re.search(r'<tr data-hood="Moorslede">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r"data-active>1<", row)
    # the map: white where no neighbour is active, darker as more of the streets have one
    shades = dict(re.findall(r'data-hood="([^"]+)" data-shade="(\d)"', html))
    assert shades["Dadizele"] == "0"
    assert 0 < int(shades["Moorslede"]) < 5
    assert "Moorslede: 1 actieve zorgzame buur" in html


def test_a_message_goes_to_the_active_neighbours_of_the_neighbourhood_only(moorslede_streets):
    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    add_neighbour(client, streets="Kerkstraat")
    add_neighbour(client, name="Marc Vanneste", email="marc@example.be", streets="Iepersestraat")
    add_neighbour(client, name="Hilde", email="hilde@example.be", streets="Dadizeleplaats")
    add_neighbour(client, name="Zonder Mail", email="", streets="Kerkstraat")
    marc = neighbours(app)[1]
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    client.post(
        f"/zorgzame-buren/{marc.id}/status",
        data={"csrf_token": csrf_from(html), "status": "paused"},
    )
    with app.app_context():
        db.session.execute(Notification.__table__.delete())
        db.session.commit()
        moorslede = neighbours(app)[0].neighbourhood_id
    page = client.get("/zorgzame-buren/bericht").get_data(as_text=True)
    empty = client.post(
        "/zorgzame-buren/bericht",
        data={
            "csrf_token": csrf_from(page),
            "neighbourhood_id": moorslede,
            "subject": "",
            "body": "",
        },
    )
    assert empty.status_code == 422
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)
    message = {
        "csrf_token": csrf_from(page),
        "neighbourhood_id": moorslede,
        "subject": "Buurtoverleg",
        "body": "Donderdag om 19 uur in het dienstencentrum.",
        "once": once,
    }
    sent = client.post("/zorgzame-buren/bericht", data=message)
    assert sent.status_code == 302
    again = client.post("/zorgzame-buren/bericht", data=message)  # a double tap
    assert again.status_code == 302
    assert "Dit was al verstuurd." in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        to = sorted(db.session.scalars(select(Notification.to_address)))
    assert to == ["griet@example.be"]  # once


def test_a_training_reuses_the_volunteers_trainings_and_shows_on_the_neighbours_page(
    moorslede_streets,
):
    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    code = add_neighbour(client)
    griet = neighbours(app)[0]
    page = client.get("/zorgzame-buren/vorming").get_data(as_text=True)
    saved = client.post(
        "/zorgzame-buren/vorming",
        data={
            "csrf_token": csrf_from(page),
            "title": "Signalen herkennen",
            "held_on": "2026-11-20",
            "attendees": [str(griet.id)],
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        (training,) = db.session.scalars(select(Training)).all()
        assert training.title == "Signalen herkennen"
        assert count(app, NeighbourTraining) == 1
    phone = app.test_client()
    sign_in(phone, code)
    assert "Signalen herkennen" in phone.get("/zorgzame-buur/mijn").get_data(as_text=True)
    assert "Signalen herkennen" in client.get("/zorgzame-buren").get_data(as_text=True)
    bad = client.post(
        "/zorgzame-buren/vorming",
        data={"csrf_token": csrf_from(page), "title": "", "held_on": "gisteren"},
    )
    assert bad.status_code == 422


# --- roles and the API -----------------------------------------------------------------------


def test_only_the_coordinator_reaches_the_coordinators_pages_and_api(moorslede_streets):
    app = moorslede_streets
    for role in ROLES:
        make_user(app, role)
    anonymous = app.test_client()
    for path in COORDINATOR_PAGES:
        assert urlsplit(anonymous.get(path).headers["Location"]).path == "/login"
    assert anonymous.get("/api/v1/neighbours").status_code == 401
    for role in ROLES:
        client = coordinator(app, f"{role}@example.be")
        token = api_token(app.test_client(), f"{role}@example.be")
        expected = 200 if role == "coordinator" else 403
        for path in COORDINATOR_PAGES:
            assert client.get(path).status_code == expected, (role, path)
        listed = app.test_client().get("/api/v1/neighbours", headers=bearer(token))
        assert listed.status_code == expected, role
        patched = app.test_client().patch(
            "/api/v1/neighbours/1", json={"status": "paused"}, headers=bearer(token)
        )
        assert patched.status_code == (404 if role == "coordinator" else 403), role


def test_a_neighbour_sees_no_staff_page_and_no_other_neighbours_data(moorslede_streets):
    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    code = add_neighbour(client)
    add_neighbour(client, name="Marc Vanneste", email="marc@example.be", phone="051 77 12 34")
    phone = app.test_client()
    assert phone.get("/zorgzame-buur/mijn").status_code == 302  # not signed in: sign-in page
    sign_in(phone, code)
    mine = phone.get("/zorgzame-buur/mijn").get_data(as_text=True)
    assert "Marc Vanneste" not in mine
    assert "051 77 12 34" not in mine
    for path in (*COORDINATOR_PAGES, "/queue", "/mijn-signalen", "/home"):
        assert urlsplit(phone.get(path).headers["Location"]).path == "/login", path
    assert phone.get("/api/v1/neighbours").status_code == 401


def test_the_api_lists_neighbours_and_refuses_bad_input_with_field_details(moorslede_streets):
    app = moorslede_streets
    make_user(app, "coordinator")
    add_neighbour(coordinator(app))
    api = app.test_client()
    token = api_token(api, "coordinator@example.be")
    body = api.get("/api/v1/neighbours?gemeente=36012", headers=bearer(token)).get_json()
    assert body["total"] == 1
    (griet,) = body["neighbours"]
    assert griet["streets"] == ["Kerkstraat", "Marktplaats"]
    assert griet["status"] == "active"
    assert griet["signals_filed"] == 0
    assert griet["consent_text_version"] == 1
    unknown = api.get("/api/v1/neighbours?gemeente=99999", headers=bearer(token))
    assert unknown.status_code == 422
    assert "gemeente" in unknown.get_json()["error"]["fields"]
    bad = api.patch(
        f"/api/v1/neighbours/{griet['id']}", json={"status": "gone"}, headers=bearer(token)
    )
    assert bad.status_code == 422
    assert "status" in bad.get_json()["error"]["fields"]
    paused = api.patch(
        f"/api/v1/neighbours/{griet['id']}", json={"status": "paused"}, headers=bearer(token)
    )
    assert paused.get_json()["status"] == "paused"
    listed = api.get("/api/v1/neighbours?status=paused", headers=bearer(token)).get_json()
    assert listed["total"] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentText)) == 1


def test_joining_again_with_the_same_address_sends_a_link_and_makes_no_second_record(
    moorslede_streets,
):
    app = moorslede_streets
    client = app.test_client()
    assert join_publicly(client).status_code == 200
    again = join_publicly(client, name="Griet D.")  # still waiting: nothing is sent
    assert again.status_code == 200
    assert "Welkom, zorgzame buur" in again.get_data(as_text=True)
    assert [n.name for n in neighbours(app)] == ["Griet Desmet"]
    assert count(app, Notification) == 0
    confirm(app, neighbours(app)[0].id)
    assert join_publicly(client, name="Griet D.").status_code == 200
    assert [n.name for n in neighbours(app)] == ["Griet Desmet"]
    assert count(app, Notification) == 2  # the confirmation's link, then a fresh one


def test_a_sign_in_link_is_asked_without_telling_whether_the_address_is_known(
    moorslede_streets,
):
    app = moorslede_streets
    client = app.test_client()
    assert join_publicly(client).status_code == 200
    confirm(app, neighbours(app)[0].id)
    answers_given = []
    for email in ("griet@example.be", "nobody@example.be"):
        page = client.get("/zorgzame-buur/link").get_data(as_text=True)
        sent = client.post(
            "/zorgzame-buur/link", data={"csrf_token": csrf_from(page), "email": email}
        )
        assert sent.status_code == 200
        answers_given.append(
            re.search(r"data-link-sent>(.*?)<", sent.get_data(as_text=True)).group(1)
        )
    assert answers_given[0] == answers_given[1]
    with app.app_context():
        to = list(db.session.scalars(select(Notification.to_address)))
    assert to == ["griet@example.be", "griet@example.be"]  # confirmed, then asked
    empty = client.post("/zorgzame-buur/link", data={"csrf_token": csrf_from(page), "email": ""})
    assert empty.status_code == 422
    assert app.test_client().get("/zorgzame-buur/aanmelden/forged").status_code == 404


def test_erasing_the_resident_leaves_the_neighbour_and_their_status_list(app, dadizele):
    """The neighbour is another person: a resident's erasure blanks the resident, never the
    caring neighbour who filed about them (here a namesake living on the same street)."""
    from fieldwork.privacy.erasure import erase_resident

    _api, _token, phone, _code = dadizele
    assert file(phone, name="Hilde Verstraete").status_code == 302
    with app.app_context():
        (signal,) = db.session.scalars(select(Signal)).all()
        signal_id = signal.id
        erase_resident(signal.resident_id, None, "op vraag van de bewoner")
        db.session.commit()
    (hilde,) = neighbours(app)
    assert hilde.name == "Hilde Verstraete"
    assert hilde.street_names == ["Dadizeleplaats"]
    html = phone.get("/zorgzame-buur/mijn").get_data(as_text=True)
    assert list(steps(html)) == [signal_id]


def test_the_register_of_processing_names_the_caring_neighbours():
    from fieldwork.privacy.register import build_register

    (activity,) = [a for a in build_register({}).activities if a.name == "Zorgzame buren"]
    assert "zorgzame buren" in activity.people


def test_a_street_the_table_does_not_know_is_placed_in_the_neighbours_village(app, dadizele):
    _api, _token, phone, _code = dadizele
    assert file(phone, street="Onbekende Dreef").status_code == 302
    with app.app_context():
        (signal,) = db.session.scalars(select(Signal)).all()
        assert signal.neighbourhood.name == "Dadizele"


def test_signing_out_ends_the_session_and_clears_the_phone(app, dadizele):
    _api, _token, phone, _code = dadizele
    html = phone.get("/zorgzame-buur/mijn").get_data(as_text=True)
    out = phone.post("/zorgzame-buur/afmelden", data={"csrf_token": csrf_from(html)})
    assert urlsplit(out.headers["Location"]).path == "/zorgzame-buur"
    assert 'data-drafts-clear="*"' in phone.get("/zorgzame-buur").get_data(as_text=True)
    assert urlsplit(phone.get("/zorgzame-buur/mijn").headers["Location"]).path == (
        "/zorgzame-buur/aanmelden"
    )


def test_the_neighbours_pages_stay_light_and_load_nothing_from_another_site(embedded_app):
    """The demo's Griet (code BUUR-2026): the signal form, the public join page and her own
    page, each with all it loads, within the capture pages' budget (tests.test_page_weight)."""
    from fieldwork.demo.neighbours import DEMO_CODE
    from tests.test_page_weight import BUDGET, weigh

    app = embedded_app
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    phone = app.test_client()
    assert sign_in(phone, DEMO_CODE).status_code == 302
    for path in ("/zorgzame-buur/signaal", "/zorgzame-buur/mijn", JOIN):
        page = phone.get(path)
        assert page.status_code == 200, path
        weight = weigh(phone, path, page.get_data(as_text=True))
        assert not weight.external, (path, weight.external)
        assert weight.total <= BUDGET, f"{path}\n{weight.report()}"


@given(total=st.integers(1, 60), covered=st.integers(0, 60))
def test_the_map_shade_darkens_with_the_share_of_streets_covered(total, covered):
    from types import SimpleNamespace

    from fieldwork.neighbours.services import HoodOverview

    covered = min(covered, total)
    active = SimpleNamespace(status="active")

    def hood(streets_covered: int) -> HoodOverview:
        streets = [(f"straat {i}", [active] if i < streets_covered else []) for i in range(total)]
        return HoodOverview(None, [active] if streets_covered else [], streets, [], 0)  # type: ignore[arg-type]

    shade = hood(covered).shade
    assert (shade == 0) == (covered == 0)
    assert 0 <= shade <= 5
    assert (shade == 5) == (covered * 5 >= total * 4)  # 80 % or more
    if covered < total:
        assert hood(covered + 1).shade >= shade


def test_an_urgent_concern_without_consent_keeps_no_name_and_opens_no_case(app, dadizele):
    """A neighbour is not staff: without the resident's consent the concern is only counted,
    urgent or not — no resident, no address, no note, no case (as with referral cards)."""
    _api, _token, phone, _code = dadizele
    sent = file(phone, consent="none", urgency="urgent", name="Jules Geheim")
    assert sent.status_code == 302
    with app.app_context():
        (signal,) = db.session.scalars(select(Signal)).all()
        assert (signal.resident_id, signal.note, signal.urgency) == (None, "", "urgent")
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 0
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_paused_neighbour_cannot_join_again_to_lift_the_pause(moorslede_streets):
    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    add_neighbour(client)  # griet@example.be, active
    (griet,) = neighbours(app)
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    client.post(
        f"/zorgzame-buren/{griet.id}/status",
        data={"csrf_token": csrf_from(html), "status": "paused"},
    )
    mails = count(app, Notification)
    again = join_publicly(app.test_client())
    assert again.status_code == 200
    assert "Welkom, zorgzame buur" in again.get_data(as_text=True)  # the same thanks
    assert [(n.name, n.status) for n in neighbours(app)] == [("Griet Desmet", "paused")]
    assert count(app, Notification) == mails  # no link, no second record


def test_a_pause_signs_out_every_phone_and_link_and_an_end_forgets_the_person(
    moorslede_streets,
):
    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    code = add_neighbour(client)
    (griet,) = neighbours(app)
    phone = app.test_client()
    assert sign_in(phone, code).status_code == 302
    with app.test_request_context():
        from fieldwork.neighbours.services import sign_in_link

        link = urlsplit(sign_in_link(db.session.get_one(CaringNeighbour, griet.id))).path

    def set_status(status: str) -> None:
        html = client.get("/zorgzame-buren").get_data(as_text=True)
        done = client.post(
            f"/zorgzame-buren/{griet.id}/status",
            data={"csrf_token": csrf_from(html), "status": status},
        )
        assert done.status_code == 302

    set_status("paused")
    set_status("active")
    # the phone that was signed in before the pause (a lost phone) and the old link are out
    assert phone.get("/zorgzame-buur/mijn").status_code == 302
    assert app.test_client().get(link).status_code == 410
    assert sign_in(app.test_client(), code).status_code == 302  # the paper code still works
    set_status("ended")
    (ended,) = neighbours(app)
    assert (ended.email, ended.phone, ended.can_do_note) == (None, None, "")
    assert "Griet" not in ended.name
    assert ended.street_names == ["Kerkstraat", "Marktplaats"]  # kept for the counts


def test_what_a_neighbour_keeps_on_the_phone_is_theirs_alone(moorslede_streets):
    """Drafts and the offline queue are keyed by whose they are: each caring neighbour is
    "n<id>" (never the anonymous "0" every public form shares), so on a shared phone one
    neighbour's queued concern is never sent in another's session."""
    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    codes = [
        add_neighbour(client),
        add_neighbour(client, name="Marc Vanneste", email="marc@example.be"),
    ]
    owners = []
    for code in codes:
        phone = app.test_client()
        assert sign_in(phone, code).status_code == 302
        page = phone.get("/zorgzame-buur/signaal").get_data(as_text=True)
        owner = re.search(r'data-drafts-user="([^"]+)"', page).group(1)
        assert phone.get("/wachtrij/sleutel").get_json()["user"] == owner
        owners.append(owner)
    assert owners == [f"n{n.id}" for n in neighbours(app)]
    assert app.test_client().get("/wachtrij/sleutel").get_json()["user"] == "0"


def test_a_neighbours_session_ends_when_a_link_would_and_the_consent_names_who_heard_it(
    app,
    dadizele,
):
    _api, _token, phone, _code = dadizele
    assert file(phone).status_code == 302
    with app.app_context():
        (consent,) = db.session.scalars(select(Consent)).all()
        (hilde,) = db.session.scalars(select(CaringNeighbour)).all()
        assert consent.reference == f"zorgzame buur {hilde.id}"
    assert phone.get("/zorgzame-buur/mijn").status_code == 200
    app.config["NEIGHBOUR_LINK_DAYS"] = 0  # the session is as old as a link may be
    expired = phone.get("/zorgzame-buur/mijn")
    assert expired.status_code == 302
    assert urlsplit(expired.headers["Location"]).path == "/zorgzame-buur/aanmelden"


def test_a_neighbours_concern_whose_routing_message_is_lost_still_reaches_an(
    app, dadizele, monkeypatch
):
    """Redis restarted empty after the concern was stored: the reconciliation finds the
    unrouted signal and routes it, once, like any capture."""
    from tests.test_reconcile import lose, tick

    api, coordinator_token, phone, _code = dadizele
    with monkeypatch.context() as broker:
        lose(app, broker, "routing.route_signal")
        assert file(phone).status_code == 302
    with app.app_context():
        (signal,) = db.session.scalars(select(Signal)).all()
        assert signal.case_id is None
        signal_id = signal.id
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    assert "reconcile: 1 re-enqueued (routing 1)" in tick(app)
    status = wait_for_status(api, coordinator_token, signal_id)
    assert status["status"] == "routed"
    with app.app_context():
        assert db.session.get_one(Case, status["case_id"]).owner.email == "an@example.be"
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert "reconcile: 0 re-enqueued" in tick(app)


# --- sent twice, two at once, and what an ended role leaves (found by probing) ----------------

ONCE_RE = re.compile(r'name="once" type="hidden" value="([^"]+)"')


def test_a_join_or_an_add_sent_twice_keeps_one_neighbour(moorslede_streets):
    """Send pressed again after a slow answer: on the public page (a phone number only, so
    no e-mail address to recognise her by) and on the coordinator's page."""
    app = moorslede_streets
    public = app.test_client()
    html = public.get(JOIN).get_data(as_text=True)
    sent = {
        "csrf_token": csrf_from(html),
        "form_token": FORM_TOKEN_RE.search(html).group(1),
        "once": ONCE_RE.search(html).group(1),
        **answers(email=""),
    }
    assert [public.post(JOIN, data=sent).status_code for _ in range(2)] == [200, 200]
    assert [(n.name, n.status) for n in neighbours(app)] == [("Griet Desmet", "pending")]

    make_user(app, "coordinator")
    client = coordinator(app)
    html = client.get("/zorgzame-buren/nieuw").get_data(as_text=True)
    sent = {
        "csrf_token": csrf_from(html),
        "once": ONCE_RE.search(html).group(1),
        **answers(name="Jan Vermeulen", email="jan@example.be", phone=""),
    }
    first, second = (client.post("/zorgzame-buren/nieuw", data=sent) for _ in range(2))
    assert first.status_code == 200
    assert "data-code>" in first.get_data(as_text=True)
    assert second.status_code == 302
    assert [n.name for n in neighbours(app)] == ["Griet Desmet", "Jan Vermeulen"]
    assert count(app, Notification) == 1  # one invitation


def test_the_coordinator_cannot_add_someone_already_in_the_list(moorslede_streets):
    """Griet joined on the public page; the coordinator, not seeing it, adds her: she would
    get every message twice. The page points to the waiting record instead."""
    app = moorslede_streets
    assert join_publicly(app.test_client()).status_code == 200
    make_user(app, "coordinator")
    client = coordinator(app)
    html = client.get("/zorgzame-buren/nieuw").get_data(as_text=True)
    page = client.post(
        "/zorgzame-buren/nieuw", data={"csrf_token": csrf_from(html), **answers(phone="")}
    )
    assert page.status_code == 422
    assert "al in de lijst" in page.get_data(as_text=True)
    assert [n.status for n in neighbours(app)] == ["pending"]


def test_joining_in_a_second_municipality_does_not_duplicate_the_first(app):
    """One person helps in two municipalities; sending the first's form again finds her
    there (the newest record anywhere was in the other one)."""
    import_areas(app, "36012", "72037")
    load_street_table(app)
    app.config["HELP_FORM_MIN_SECONDS"] = 0
    from fieldwork.areas.models import Municipality, Neighbourhood

    client = app.test_client()
    assert join_publicly(client).status_code == 200
    with app.app_context():
        hamont = db.session.scalars(select(Municipality).filter_by(code="72037")).one()
        hood = db.session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.municipality_id == hamont.id, Neighbourhood.is_unlocatable.is_(False)
            )
        ).first()
        hamont_id, hood_id = hamont.id, hood.id
    html = client.get("/zorgzame-buur/word/72037").get_data(as_text=True)
    joined = client.post(
        "/zorgzame-buur/word/72037",
        data={
            "csrf_token": csrf_from(html),
            "form_token": FORM_TOKEN_RE.search(html).group(1),
            **answers(streets="Stationsstraat", neighbourhood_id=str(hood_id)),
        },
    )
    assert joined.status_code == 200
    assert join_publicly(client).status_code == 200
    places = sorted(n.municipality_id == hamont_id for n in neighbours(app))
    assert places == [False, True]


def test_an_ended_role_leaves_no_address_in_the_e_mails_sent_to_it(moorslede_streets):
    """Her consent held "zolang ik zorgzame buur ben": the invitation and the neighbourhood's
    messages keep neither her address nor their text, and what was not sent yet is not sent."""
    from fieldwork.notifications.services import send_email

    app = moorslede_streets
    make_user(app, "coordinator")
    client = coordinator(app)
    add_neighbour(client)
    add_neighbour(client, name="Jan Vermeulen", email="jan@example.be", phone="")
    griet, _jan = neighbours(app)
    html = client.get("/zorgzame-buren/bericht").get_data(as_text=True)
    assert (
        client.post(
            "/zorgzame-buren/bericht",
            data={
                "csrf_token": csrf_from(html),
                "once": ONCE_RE.search(html).group(1),
                "neighbourhood_id": str(griet.neighbourhood_id),
                "subject": "Buurtoverleg",
                "body": "Donderdag om acht in het OC.",
            },
        ).status_code
        == 302
    )
    with app.app_context():
        hers = [n.id for n in db.session.scalars(select(Notification)) if "griet" in n.recipient]
    assert len(hers) == 2  # the invitation and the message

    html = client.get("/zorgzame-buren").get_data(as_text=True)
    ended = client.post(
        f"/zorgzame-buren/{griet.id}/status",
        data={"csrf_token": csrf_from(html), "status": "ended"},
    )
    assert ended.status_code == 302
    with app.app_context():
        kept = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        assert not [n for n in kept if "griet" in f"{n.to_address} {n.body}".casefold()]
        assert sorted(n.recipient for n in kept) == ["", "", "jan@example.be", "jan@example.be"]
        app.config["MAIL_SERVER"] = "127.0.0.1"  # would send, if anything were left to send
        assert [send_email(i) for i in hers] == [False, False]


def test_streets_that_name_nothing_are_refused_on_the_form_and_long_ones_fit(moorslede_streets):
    """Streets of "---" tidy to nothing (a neighbour with no street). 200 times "ß" folds to
    400 characters, longer than the key's column: it was a 400 page that lost the answers;
    the key is cut to fit."""
    streets = "---, ..."
    app = moorslede_streets
    from fieldwork.areas.models import Neighbourhood

    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one().id
    make_user(app, "coordinator")
    client = coordinator(app)
    html = client.get("/zorgzame-buren/nieuw").get_data(as_text=True)
    page = client.post(
        "/zorgzame-buren/nieuw",
        data={"csrf_token": csrf_from(html), **answers(streets=streets, neighbourhood_id=hood)},
    )
    assert page.status_code == 422
    assert "Griet Desmet" in page.get_data(as_text=True)  # the answers are kept
    public = join_publicly(app.test_client(), streets=streets, neighbourhood_id=hood)
    assert public.status_code == 422
    assert neighbours(app) == []
    assert (
        join_publicly(app.test_client(), streets="ß" * 200, neighbourhood_id=hood).status_code
        == 200
    )
    assert [n.street_names for n in neighbours(app)] == [["ß" * 200]]


def test_the_first_two_joins_of_a_municipality_at_once_are_both_kept(moorslede_streets):
    """Both make the first version of the consent wording; the second takes the first's."""
    import threading

    app = moorslede_streets
    both_ready = threading.Barrier(2, timeout=10)
    answered: list[int] = []

    def join(number: int) -> None:
        client = app.test_client()
        html = client.get(JOIN).get_data(as_text=True)
        sent = {
            "csrf_token": csrf_from(html),
            "form_token": FORM_TOKEN_RE.search(html).group(1),
            **answers(name=f"Buur {number}", email=f"buur{number}@example.be"),
        }
        both_ready.wait()
        answered.append(client.post(JOIN, data=sent).status_code)

    threads = [threading.Thread(target=join, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answered == [200, 200]
    assert sorted(n.name for n in neighbours(app)) == ["Buur 0", "Buur 1"]
    assert count(app, ConsentText) == 1


def test_two_confirmations_at_once_send_one_sign_in_link(moorslede_streets):
    """Two coordinators (or a double tap) confirm the same joiner: on PostgreSQL the second
    waits for the first and finds nothing to change; on SQLite they come one after the other."""
    import threading

    app = moorslede_streets
    assert join_publicly(app.test_client()).status_code == 200
    make_user(app, "coordinator")
    client = coordinator(app)
    html = client.get("/zorgzame-buren").get_data(as_text=True)
    (griet,) = neighbours(app)
    url, sent = f"/zorgzame-buren/{griet.id}/status", {"csrf_token": csrf_from(html)}
    answered: list[int] = []

    def confirm_it() -> None:
        answered.append(client.post(url, data={**sent, "status": "active"}).status_code)

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            threads = [threading.Thread(target=confirm_it) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        else:
            confirm_it()
            confirm_it()
    assert answered == [302, 302]
    assert [n.status for n in neighbours(app)] == ["active"]
    assert count(app, Notification) == 1


def test_a_concern_sent_twice_without_the_queue_script_is_filed_once(app, dadizele):
    """An old phone without the page's script (the queue has its own key): Send pressed again
    after a slow answer files the concern once, and the second answer says it was received."""
    _api, _token, phone, _code = dadizele
    html = phone.get("/zorgzame-buur/signaal").get_data(as_text=True)
    sent = {
        "csrf_token": csrf_from(html),
        "once": ONCE_RE.search(html).group(1),
        **signal_answers(),
    }
    first, second = (phone.post("/zorgzame-buur/signaal", data=sent) for _ in range(2))
    assert (first.status_code, second.status_code) == (302, 302)
    assert "al ontvangen" in phone.get(second.location).get_data(as_text=True)
    assert count(app, NeighbourSignal) == 1
    assert count(app, Signal) == 1


def test_two_sign_ups_with_one_address_at_the_same_moment_make_one_neighbour(app):
    """Griet signs up in a second tab, or sends again after a slow answer (a new page, a new
    once key), while the first sign-up is being saved: on PostgreSQL the second waits for it,
    then finds her and adds no second record for the coordinator to confirm."""
    from fieldwork.areas.models import Municipality
    from fieldwork.neighbours import services
    from tests.conftest import while_uncommitted

    import_areas(app, "36012")
    load_street_table(app)
    app.config["HELP_FORM_MIN_SECONDS"] = 0
    second_tab = app.test_client()
    html = second_tab.get(JOIN).get_data(as_text=True)
    tokens = {"csrf_token": csrf_from(html), "form_token": FORM_TOKEN_RE.search(html).group(1)}

    def first_tab() -> None:
        moorslede = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
        intake = services.Intake(
            name="Griet Desmet", email="Griet@Example.be", streets=["Kerkstraat"], data_consent=True
        )
        services.join(moorslede, intake, "public_form")

    (answer,) = while_uncommitted(
        app, first_tab, lambda: second_tab.post(JOIN, data={**tokens, **answers()})
    )
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaringNeighbour)) == 1
