"""Erasure of one resident (issue 20): a unique name, phone and address written through every
capture tool, then erased through the API; afterwards no text, JSON or binary column of any
table (found by introspection) and no stored file holds them, while every row and count stays.
Coordinator only; the page asks for a confirmation; the CLI does the same. Both paths.

Photos sent in for an assignment cannot concern a resident: they are anonymous, and a signal
made from one has no resident (fieldwork.photos.moderation); a photo linked to an erased
resident's signal would lose its files (fieldwork.privacy.erasure)."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, inspect, select, text

from fieldwork.areas.models import Neighbourhood, Sector
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.extensions import db
from fieldwork.privacy.ledger import ErasureEntry, ledger_path
from fieldwork.routing.models import RoutingRule
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.visits.models import Visit, VisitAddress, VisitImport, VisitRound
from fieldwork.visits.services import today
from fieldwork.volunteers.models import Volunteer
from tests.conftest import (
    STORAGE_DIR,
    api_token,
    bearer,
    csrf_from,
    login,
    make_user,
    post_form,
)
from tests.test_audit_trail_glass import give_reason
from tests.test_cases import event as case_event
from tests.test_cases import routed  # noqa: F401 - fixture
from tests.test_referral_pages import series  # noqa: F401 - fixture
from tests.test_signals import setup  # noqa: F401 - fixture (routed's)

NAME = "Zoltan Wyckaert"
PHONE = "0470 98 76 54"
STREET, NUMBER, POSTCODE = "Dadizeleplaats", "77", "8890"
BORN = 1938
# what must be found nowhere after the erasure (lower case; the name key is "zoltan wyckaert")
NEEDLES = ("wyckaert", "98 76 54", "987654", "dadizeleplaats 77", "dadizeleplaats|77")
ALWAYS = {"hours_from": "00:00:00", "hours_until": "23:59:00"}


def signature() -> str:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (255, 255, 255)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def wait_until(check: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def person(**extra: Any) -> dict[str, Any]:
    return {
        "name": NAME,
        "street": STREET,
        "house_number": NUMBER,
        "postcode": POSTCODE,
        "statsec": "36012B001",
        "birth_year": BORN,
        "phone": PHONE,
        **extra,
    }


@pytest.fixture(autouse=True)
def ledger_file(app, tmp_path):
    """Each test its own ledger file (not the instance folder's)."""
    app.config["ERASURE_LEDGER_PATH"] = str(tmp_path / "erasure-ledger.jsonl")


@pytest.fixture
def world(app, series):  # noqa: F811
    """Moorslede with its streets, a card series (series fixture), a volunteer, an analyst,
    a rule sending everything to the contact person, and a visit round whose target list
    holds the person and a neighbour."""
    make_user(app, "volunteer", email="maria@example.be", name="Maria V.")
    make_user(app, "analyst")
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        sector = db.session.scalars(select(Sector).filter_by(code="36012B001")).one()
        contact = db.session.scalar(text("SELECT id FROM users WHERE role = 'contact_person'"))
        db.session.add(RoutingRule(position=1, name="Alles", assign_user_id=contact, conditions={}))
        visit_round = VisitRound(
            municipality_id=dadizele.municipality_id,
            name="Bezoekronde Dadizele",
            starts_on=today(),
            ends_on=today(),
            neighbourhoods=[dadizele],
        )
        db.session.add(visit_round)
        db.session.flush()
        for name, number, phone in ((NAME, NUMBER, PHONE), ("Roger Deprez", "8", "051 11 22 33")):
            db.session.add(
                VisitAddress(
                    round_id=visit_round.id,
                    name=name,
                    name_key=name_key(name),
                    street=STREET,
                    street_key=STREET.lower(),
                    house_number=number,
                    postcode=POSTCODE,
                    address_key=address_key(STREET, number, POSTCODE),
                    birth_year=BORN,
                    phone=phone,
                    sector_id=sector.id,
                    neighbourhood_id=dadizele.id,
                )
            )
        # an uploaded target list the worker has not read yet: the person in a stored file
        db.session.add(
            VisitImport(
                round_id=visit_round.id,
                filename="lijst.csv",
                data=f"naam;straat;nummer\n{NAME};{STREET};{NUMBER}\n".encode(),
                status="done",
            )
        )
        db.session.commit()
        round_id, hood_id = visit_round.id, dadizele.id
    client = app.test_client()
    tokens = {
        who: api_token(client, f"{who}@example.be")
        for who in ("coordinator", "referrer", "contact_person", "maria", "analyst", "volunteer")
        if who != "volunteer"
    }
    return {"client": client, "tokens": tokens, "round": round_id, "hood": hood_id, "codes": series}


def capture_everywhere(world: dict[str, Any]) -> int:
    """The person through every capture tool that can concern a resident; their id."""
    client, tokens = world["client"], world["tokens"]
    # the signal API, with an idempotency key (its stored answer is kept)
    signal = client.post(
        "/api/v1/signals",
        json={
            "resident": person(),
            "theme": "eenzaamheid",
            "domain": "welzijn",
            "note": f"{NAME} ({PHONE}) komt weinig buiten.",
            "consent": {"given": True, "how": "verbal"},
        },
        headers={**bearer(tokens["coordinator"]), "Idempotency-Key": "erase-me-1"},
    )
    assert signal.status_code == 201, signal.get_json()
    # the referral card, signed on the screen
    card = client.post(
        f"/api/v1/referral-cards/{world['codes'][0]}/submission",
        json={
            "resident": person(),
            "themes": ["mobiliteit"],
            "description": f"{NAME} raakt niet meer tot in {STREET} {NUMBER}.",
            "best_time": f"voormiddag, bel {PHONE}",
            "consent": {"given": True, "how": "signature", "signature": signature()},
        },
        headers=bearer(tokens["referrer"]),
    )
    assert card.status_code == 201, card.get_json()
    # the doorstep findings sheet
    assigned = client.post(
        f"/api/v1/visit-rounds/{world['round']}/assignments",
        json={"volunteer": "maria@example.be", "street": STREET.lower()},
        headers=bearer(tokens["coordinator"]),
    )
    assert assigned.status_code in (200, 201), assigned.get_json()
    mine = client.get("/api/v1/visits/my", headers=bearer(tokens["maria"])).get_json()["items"]
    assignment = next(i["assignment_id"] for i in mine if i["name"] == NAME)
    visit = client.post(
        "/api/v1/visits",
        json={
            "assignment_id": assignment,
            "outcome": "spoken",
            "themes": {"eenzaamheid": "concern"},
            "wants_contact": True,
            "wants_to_volunteer": True,
            "wants_buurtgezel": True,
            "consent": {"given": True, "how": "signature", "signature": signature()},
            "note": f"{NAME} vraagt of iemand op {PHONE} belt.",
        },
        headers=bearer(tokens["maria"]),
    )
    assert visit.status_code == 201, visit.get_json()
    # the call sheet: a campaign whose list comes from the visit round's addresses
    campaign = client.post(
        "/api/v1/call-campaigns",
        json={
            "gemeente": "36012",
            "name": "Belactie Dadizele",
            "neighbourhoods": [world["hood"]],
            "guide": [
                {"text": "Hoe gaat het met u?"},
                {"text": "Ziet u geregeld familie?", "options": ["vaak", "soms", "nooit"]},
            ],
            "callers": ["maria@example.be"],
            **ALWAYS,
        },
        headers=bearer(tokens["coordinator"]),
    )
    assert campaign.status_code == 201, campaign.get_json()
    campaign_id = campaign.get_json()["id"]
    client.post(
        f"/api/v1/call-campaigns/{campaign_id}/selection",
        json={"min_age": 80},
        headers=bearer(tokens["coordinator"]),
    )
    client.post(
        f"/api/v1/call-campaigns/{campaign_id}/assignments",
        json={"callers": ["maria@example.be"]},
        headers=bearer(tokens["coordinator"]),
    )
    targets = client.get("/api/v1/calls/my", headers=bearer(tokens["maria"])).get_json()
    target = next(t["id"] for t in targets["campaign"] if t["name"] == NAME)
    called = client.post(
        "/api/v1/calls",
        json={
            "kind": "campaign",
            "id": target,
            "outcome": "reached",
            "answers": {"q1": f"Ik ben {NAME}, het gaat.", "q2": "soms"},
            "themes": {"mobiliteit": "concern"},
            "wants_contact": True,
            "consent_given": True,
            "note": f"{NAME} wil teruggebeld worden op {PHONE}.",
        },
        headers=bearer(tokens["maria"]),
    )
    assert called.status_code == 201, called.get_json()
    with_case = wait_until(lambda: _open_case(world))
    assert with_case, "the signals were not routed into a case"
    case_id, resident_id = with_case
    # the case: a note and a contact attempt, typed by the contact person
    for event in (
        {"type": "note", "note": f"{NAME} woont alleen op {STREET} {NUMBER}."},
        {"type": "contact_attempt", "result": "reached", "note": f"Gebeld op {PHONE}"},
    ):
        posted = client.post(
            f"/api/v1/cases/{case_id}/events", json=event, headers=bearer(tokens["contact_person"])
        )
        assert posted.status_code == 201, posted.get_json()
    # the visit sheet's "wants to volunteer" taken into the volunteer pool as a candidate
    app = client.application
    with app.app_context():
        lead = db.session.scalar(
            select(Signal.id)
            .join(Resident)
            .where(Resident.name == NAME, Signal.theme == "vrijwilliger")
        )
    assert lead is not None
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    taken = post_form(coordinator, "/vrijwilligers/kandidaten", {"signal_id": str(lead)})
    assert taken.status_code == 302, taken.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Volunteer.id).where(Volunteer.name == NAME))
    # a buurtgezel request for them
    request = client.post(
        "/api/v1/buurtgezel/requests",
        json={
            "resident_id": resident_id,
            "help_kinds": ["companionship"],
            "availability": ["mon_morning"],
            "note": f"{NAME} zoekt iemand om mee te wandelen.",
        },
        headers=bearer(tokens["contact_person"]),
    )
    assert request.status_code in (201, 409), request.get_json()
    return resident_id


def _open_case(world: dict[str, Any]) -> tuple[int, int] | None:
    app = world["client"].application
    with app.app_context():
        row = db.session.execute(
            select(Case.id, Case.resident_id).join(Resident).where(Resident.name == NAME)
        ).first()
        if row is None:
            return None
        waiting = db.session.scalar(
            select(func.count()).select_from(Signal).where(Signal.routed_at.is_(None))
        )
        return (row[0], row[1]) if not waiting else None


def scan_database(app) -> dict[str, list[str]]:
    """Every table and column the database has (introspected), every row: where a needle is."""
    found: dict[str, list[str]] = {}
    with app.app_context():
        inspector = inspect(db.engine)
        for table in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(table)]
            quoted = ", ".join(f'"{c}"' for c in columns)
            for row in db.session.execute(text(f'SELECT {quoted} FROM "{table}"')):  # noqa: S608
                for column, value in zip(columns, row, strict=True):
                    if _holds_needle(value):
                        found.setdefault(table, []).append(column)
    return found


def _holds_needle(value: Any) -> bool:
    if value is None or isinstance(value, int | float | bool):
        return False
    if isinstance(value, bytes | memoryview):
        data = bytes(value).lower()
        return any(n.encode() in data for n in NEEDLES)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    lowered = str(value).lower()
    return any(n in lowered for n in NEEDLES)


def scan_storage() -> list[str]:
    if not STORAGE_DIR.exists():
        return []
    return [
        str(path)
        for path in Path(STORAGE_DIR).rglob("*")
        if path.is_file() and any(n.encode() in path.read_bytes().lower() for n in NEEDLES)
    ]


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        return {
            t: db.session.scalar(text(f'SELECT count(*) FROM "{t}"'))  # noqa: S608
            for t in names
            if t not in ("audit_events", "erasure_ledger")
        }


def test_after_erasure_the_person_is_in_no_column_and_no_file(app, world):
    resident_id = capture_everywhere(world)
    before = scan_database(app)
    assert {"residents", "signals", "visit_addresses", "visits", "call_targets"} <= set(before)
    counts = row_counts(app)
    client, tokens = world["client"], world["tokens"]

    erased = client.post(
        f"/api/v1/residents/{resident_id}/erasure",
        json={"reason": "request"},
        headers=bearer(tokens["coordinator"]),
    )

    assert erased.status_code == 201, erased.get_json()
    assert erased.get_json()["counts"]["residents"] == 1
    found = scan_database(app)
    audit = found.pop("audit_events", None)
    assert found == {}, f"personal data left after erasure: {found}"
    assert audit is None, f"the audit log holds personal data: {audit}"
    assert scan_storage() == []
    # every row kept, and one more: the event that closed the open case
    assert row_counts(app) == {**counts, "case_events": counts["case_events"] + 1}
    with app.app_context():
        entry = db.session.scalars(select(ErasureEntry)).one()
        assert (entry.resident_id, entry.reason) == (resident_id, "request")
        coordinator = db.session.scalar(text("SELECT id FROM users WHERE role = 'coordinator'"))
        assert entry.by_user_id == coordinator
        assert db.session.scalar(
            text("SELECT count(*) FROM audit_events WHERE action = 'resident_erased'")
        )
        ledger = ledger_path().read_text()
        assert str(resident_id) in ledger
        assert "wyckaert" not in ledger.lower()
        # the neighbour on the same list keeps their data
        assert db.session.scalar(select(func.count()).where(VisitAddress.name == "Roger Deprez"))
        assert db.session.scalars(select(Consent)).all()  # consent records stay, as counts
        assert all(v.signature_png is None for v in db.session.scalars(select(Visit)))
        assert db.session.scalar(select(func.count()).select_from(CaseEvent)) > 0


def test_erasure_is_for_the_coordinator_only_and_refuses_bad_input(app, series):  # noqa: F811
    make_user(app, "volunteer", email="maria@example.be")
    make_user(app, "analyst")
    client = app.test_client()
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood)).first()
        resident = Resident(
            municipality_id=hood.municipality_id,
            name=NAME,
            name_key=name_key(NAME),
            address_key=address_key(STREET, NUMBER, POSTCODE),
            neighbourhood_id=hood.id,
        )
        db.session.add(resident)
        db.session.commit()
        resident_id = resident.id
    url = f"/api/v1/residents/{resident_id}/erasure"
    assert client.post(url, json={"reason": "request"}).status_code == 401
    for email in (
        "referrer@example.be",
        "contact_person@example.be",
        "maria@example.be",
        "analyst@example.be",
    ):
        token = api_token(client, email)
        refused = client.post(url, json={"reason": "request"}, headers=bearer(token))
        assert refused.status_code == 403, email
    token = api_token(client, "coordinator@example.be")
    missing = client.post(url, json={}, headers=bearer(token))
    assert missing.status_code == 422
    assert "reason" in missing.get_json()["error"]["fields"]
    free_text = client.post(url, json={"reason": "Zoltan vroeg het"}, headers=bearer(token))
    assert free_text.status_code == 422
    assert "reason" in free_text.get_json()["error"]["fields"]
    unknown = client.post(
        "/api/v1/residents/999999/erasure", json={"reason": "request"}, headers=bearer(token)
    )
    assert unknown.status_code == 404
    assert client.post(url, json={"reason": "deceased"}, headers=bearer(token)).status_code == 201
    again = client.post(url, json={"reason": "deceased"}, headers=bearer(token))
    assert again.status_code == 409
    with app.app_context():
        assert db.session.get(Resident, resident_id).name != NAME


def test_the_page_asks_for_a_confirmation_and_only_a_coordinator_sees_it(app, series):  # noqa: F811
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood)).first()
        resident = Resident(
            municipality_id=hood.municipality_id,
            name=NAME,
            name_key=name_key(NAME),
            street=STREET,
            house_number=NUMBER,
            address_key=address_key(STREET, NUMBER, POSTCODE),
            neighbourhood_id=hood.id,
        )
        db.session.add(resident)
        db.session.commit()
        resident_id = resident.id
    page = f"/privacy/residents/{resident_id}/erase"
    contact = app.test_client()
    login(contact, "contact_person@example.be")
    assert contact.get(page).status_code == 403
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    html = coordinator.get(page).get_data(as_text=True)
    assert NAME in html
    assert "Definitief wissen" in html
    unconfirmed = coordinator.post(page, data={"csrf_token": csrf_from(html), "reason": "request"})
    assert unconfirmed.status_code == 400
    assert "Vink dit vakje aan" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Resident, resident_id).name == NAME
    done = coordinator.post(
        page, data={"csrf_token": csrf_from(html), "reason": "request", "confirm": "y"}
    )
    assert done.status_code == 302
    after = coordinator.get(page).get_data(as_text=True)
    assert NAME not in after
    with app.app_context():
        assert db.session.get(Resident, resident_id).name.startswith("Gewiste bewoner")
        assert db.session.scalar(
            text("SELECT count(*) FROM audit_events WHERE action = 'erasure_page_viewed'")
        )


def test_the_cli_erases_too(app, series):  # noqa: F811
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood)).first()
        resident = Resident(
            municipality_id=hood.municipality_id,
            name=NAME,
            name_key=name_key(NAME),
            phone=PHONE,
            address_key=address_key(STREET, NUMBER, POSTCODE),
            neighbourhood_id=hood.id,
        )
        db.session.add(resident)
        db.session.commit()
        resident_id = resident.id
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["privacy", "erase", "--resident", str(resident_id), "--reason", "x"])
    assert bad.exit_code != 0
    done = runner.invoke(
        args=["privacy", "erase", "--resident", str(resident_id), "--reason", "request"]
    )
    assert done.exit_code == 0, done.output
    assert f"Resident {resident_id} erased" in done.output
    again = runner.invoke(
        args=["privacy", "erase", "--resident", str(resident_id), "--reason", "request"]
    )
    assert again.exit_code != 0
    assert scan_database(app).get("residents") is None


def test_the_case_page_links_to_the_erasure_for_the_coordinator_only(app, world):
    resident_id = capture_everywhere(world)
    with app.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.resident_id == resident_id))
    link = f"/privacy/residents/{resident_id}/erase"
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    give_reason(coordinator, case_id)  # someone else's case: the coordinator says why first
    assert link in coordinator.get(f"/cases/{case_id}").get_data(as_text=True)
    contact = app.test_client()
    login(contact, "contact_person@example.be")
    page = contact.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert link not in page.get_data(as_text=True)


def test_a_photo_linked_to_the_person_loses_its_files_but_keeps_its_count(app, series):  # noqa: F811
    from fieldwork.core.storage import StorageError, storage
    from fieldwork.photos.models import Photo, PhotoAssignment

    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood)).first()
        resident = Resident(
            municipality_id=hood.municipality_id,
            name=NAME,
            name_key=name_key(NAME),
            address_key=address_key(STREET, NUMBER, POSTCODE),
            neighbourhood_id=hood.id,
        )
        db.session.add(resident)
        db.session.flush()
        signal = Signal(
            resident_id=resident.id,
            neighbourhood_id=hood.id,
            theme="woning",
            domain="wonen",
            source="photo",
        )
        assignment = PhotoAssignment(
            municipality_id=hood.municipality_id,
            title="Mijn straat",
            starts_on=today(),
            ends_on=today(),
            token="erasure-test-token",
        )
        db.session.add_all([signal, assignment])
        db.session.flush()
        photo = Photo(
            assignment_id=assignment.id,
            prompt="Wat is niet fijn?",
            neighbourhood_id=hood.id,
            caption=f"De voordeur van {NAME}",
            street=STREET,
            sha256="0" * 64,
            status="approved",
            original_key=f"erasure-test/{resident.id}.jpg",
            thumb_key=f"erasure-test/{resident.id}-thumb.jpg",
            signal_id=signal.id,
        )
        db.session.add(photo)
        db.session.commit()
        for key in (photo.original_key, photo.thumb_key):
            storage().put(key, b"jpeg bytes", "image/jpeg")
        resident_id, photo_id, keys = resident.id, photo.id, (photo.original_key, photo.thumb_key)
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    erased = client.post(
        f"/api/v1/residents/{resident_id}/erasure",
        json={"reason": "request"},
        headers=bearer(token),
    )
    assert erased.status_code == 201
    assert erased.get_json()["counts"]["photos"] == 1
    with app.app_context():
        photo = db.session.get(Photo, photo_id)
        assert (photo.original_key, photo.thumb_key, photo.caption) == (None, None, "")
        assert photo.status == "approved"  # still counted
        for key in keys:
            with pytest.raises((StorageError, FileNotFoundError)):
                storage().get(key)


def test_a_colleague_or_a_neighbour_with_the_same_words_keeps_them(app, series):  # noqa: F811
    make_user(app, "contact_person", email="zoltan@example.be", name=NAME)
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood)).first()
        resident = Resident(
            municipality_id=hood.municipality_id,
            name=NAME,
            name_key=name_key(NAME),
            address_key=address_key(STREET, NUMBER, POSTCODE),
            neighbourhood_id=hood.id,
        )
        other = Resident(
            municipality_id=hood.municipality_id,
            name="Roger Deprez",
            name_key=name_key("Roger Deprez"),
            address_key=address_key(STREET, "8", POSTCODE),
            neighbourhood_id=hood.id,
        )
        db.session.add_all([resident, other])
        db.session.flush()
        db.session.add(
            Signal(
                resident_id=other.id,
                neighbourhood_id=hood.id,
                theme="eenzaamheid",
                domain="welzijn",
                source="manual",
                note="Buur van de familie Zoltan Wyckaertsen.",
            )
        )
        db.session.commit()
        resident_id, other_id = resident.id, other.id
    result = app.test_cli_runner().invoke(
        args=["privacy", "erase", "--resident", str(resident_id), "--reason", "request"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.scalar(text("SELECT name FROM users WHERE email = 'zoltan@example.be'"))
            == NAME
        )
        assert db.session.get(Resident, other_id).name == "Roger Deprez"
        notes = db.session.scalars(select(Signal.note).where(Signal.resident_id == other_id))
        assert list(notes) == ["Buur van de familie Zoltan Wyckaertsen."]  # a whole word only


def erase_the_cases_resident(app, client, token: str, case_id: int) -> None:
    with app.app_context():
        resident_id = db.session.get_one(Case, case_id).resident_id
    erase_by_api(client, token, resident_id)


def erase_by_api(client, token: str, resident_id: int) -> None:
    """Erase the resident on request, as the coordinator does by the API."""
    erased = client.post(
        f"/api/v1/residents/{resident_id}/erasure",
        json={"reason": "request"},
        headers=bearer(token),
    )
    assert erased.status_code == 201, erased.get_json()


def test_an_erasure_blanks_what_staff_were_told_about_the_case(app, routed):  # noqa: F811
    """A reassignment's reason is copied into the new owner's notification: it goes with the
    case event's copy."""
    from fieldwork.notifications.models import Notification

    client, coordinator, an, _signal_id, case_id = routed
    reason = "mevrouw heeft beginnende dementie, dochter Els belt"
    assert (
        case_event(
            client, an, case_id, type="reassigned", to="jan@example.be", reason=reason
        ).status_code
        == 201
    )
    with app.app_context():
        assert any(reason in n.body for n in db.session.scalars(select(Notification)))
    erase_the_cases_resident(app, client, coordinator, case_id)
    with app.app_context():
        assert not [n.body for n in db.session.scalars(select(Notification)) if reason in n.body]


def test_an_erased_residents_open_case_closes_and_leaves_the_queue(app, routed):  # noqa: F811
    client, coordinator, an, _signal_id, case_id = routed
    assert [
        i["case_id"] for i in client.get("/api/v1/queue", headers=bearer(an)).get_json()["items"]
    ] == [case_id]
    erase_the_cases_resident(app, client, coordinator, case_id)
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        assert (case.status, case.outcome) == ("closed", "declined")
    assert client.get("/api/v1/queue", headers=bearer(an)).get_json()["items"] == []
