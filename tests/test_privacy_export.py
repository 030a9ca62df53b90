"""Access request: a coordinator exports everything held about one resident, as JSON (API and
page) and as a readable Dutch PDF; the export is audited, every other role is refused
(embedded and production)."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from fieldwork.areas.models import Municipality
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db
from fieldwork.onward.services import OnwardRequest, refer_onward
from fieldwork.partners.services import (
    OrganisationData,
    ServiceData,
    save_organisation,
    save_service,
)
from fieldwork.signals.models import Resident
from tests.conftest import api_token, bearer, login, make_user, post_form
from tests.test_referral_pages import form_data, pdf_text, series  # noqa: F401 - fixture
from tests.test_signals import intake

NAME = "Godelieve Vanwalleghem"
CARD_NOTE = "Valt soms in de trap"
INTAKE_NOTE = "Zoekt iemand voor boodschappen"
CASE_NOTE = "Dochter belt elke zondag"
ONWARD_SUMMARY = "Mevrouw zoekt poetshulp op dinsdag"
BUURTGEZEL_NOTE = "Graag samen wandelen"
ESCALATION = "Rita Buurvrouw"


def wait_for_case(app, name: str) -> tuple[int, int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            found = db.session.execute(
                select(Resident.id, Case.id)
                .join(Case, Case.resident_id == Resident.id)
                .where(Resident.name == name)
            ).first()
        if found:
            return found[0], found[1]
        time.sleep(0.2)
    raise AssertionError("the signal was never routed to a case")


@pytest.fixture
def everywhere(app, series):  # noqa: F811
    """One resident captured by a referral card, a manual intake, a case note, a buurtgezel
    request and a good-morning schedule; returns (resident id, coordinator token)."""
    make_user(app, "volunteer")
    referrer = app.test_client()
    login(referrer, "referrer@example.be")
    filed = post_form(referrer, f"/k/{series[0]}", form_data(name=NAME, description=CARD_NOTE))
    assert filed.status_code == 302
    resident_id, case_id = wait_for_case(app, NAME)
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    signal = intake(name=NAME, theme="buurtgezel", note=INTAKE_NOTE)
    assert client.post("/api/v1/signals", json=signal, headers=bearer(token)).status_code == 201
    noted = client.post(
        f"/api/v1/cases/{case_id}/events",
        json={"type": "note", "note": CASE_NOTE},
        headers=bearer(token),
    )
    assert noted.status_code == 201, noted.get_json()
    asked = client.post(
        "/api/v1/buurtgezel/requests",
        json={"resident_id": resident_id, "note": BUURTGEZEL_NOTE, "help_kinds": []},
        headers=bearer(token),
    )
    assert asked.status_code == 201, asked.get_json()
    schedule = client.post(
        "/api/v1/goodmorning-schedules",
        json={
            "resident_id": resident_id,
            "weekdays": [0, 3],
            "window_from": "09:00",
            "window_until": "10:00",
            "callers": ["volunteer@example.be"],
            "handler": "contact_person@example.be",
            "resident_consent": True,
            "escalation": {
                "name": ESCALATION,
                "phone": "0470 11 22 33",
                "relation": "neighbour",
                "consent_given": True,
            },
        },
        headers=bearer(token),
    )
    assert schedule.status_code == 201, schedule.get_json()
    with app.app_context():  # referred onward to a partner with consent to share a summary
        case = db.session.get_one(Case, case_id)
        organisation = save_organisation(
            db.session.get_one(Municipality, case.resident.municipality_id),
            OrganisationData(name="Thuiszorg Regio", kind="thuiszorg", email="tz@example.be"),
        )
        service = save_service(organisation, ServiceData(name="Poetshulp", themes=["zorgnood"]))
        coordinator = db.session.scalar(select(User).filter_by(role="coordinator"))
        refer_onward(
            case,
            coordinator,
            OnwardRequest(service.id, "Hulp in huis", ONWARD_SUMMARY, True, "verbal"),
        )
        db.session.commit()
    return resident_id, token


def test_export_complete_in_json_and_pdf(app, everywhere):
    resident_id, token = everywhere
    client = app.test_client()
    response = client.get(f"/api/v1/residents/{resident_id}/export", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["resident"]["name"] == NAME
    assert body["resident"]["phone"] == "056 12 34 56"
    assert {s["source"] for s in body["signals"]} == {"referral_card", "manual"}
    notes = " ".join(s["note"] for s in body["signals"])
    assert CARD_NOTE in notes
    assert INTAKE_NOTE in notes
    assert any(c["consent_text"] == "Ik geef toestemming." for c in body["consents"])
    assert {c["purpose"] for c in body["consents"]} >= {"contact", "goodmorning"}
    timeline = [e for case in body["cases"] for e in case["events"]]
    assert any(e["detail"].get("text") == CASE_NOTE for e in timeline), timeline
    assert body["buurtgezel"][0]["note"] == BUURTGEZEL_NOTE
    assert body["goodmorning"][0]["escalation_name"] == ESCALATION
    assert body["referrals"][0]["card_code"] is not None
    assert set(body) == {
        "resident",
        "consents",
        "signals",
        "cases",
        "visits",
        "calls",
        "goodmorning",
        "buurtgezel",
        "referrals",
        "photos",
        "onward",
    }
    assert body["onward"][0]["summary"] == ONWARD_SUMMARY
    assert body["onward"][0]["partner"] == "Thuiszorg Regio"
    assert "link_nonce" not in body["onward"][0]

    login(client, "coordinator@example.be")
    case_id = body["cases"][0]["id"]
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/bewoners/{resident_id}/inzage.pdf" in page
    pdf = client.get(f"/bewoners/{resident_id}/inzage.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Inzage in je persoonsgegevens" in text
    assert "Doorverwijzingen naar partners" in text
    assert ONWARD_SUMMARY in text
    pieces = (NAME, CARD_NOTE, INTAKE_NOTE, CASE_NOTE, BUURTGEZEL_NOTE, ESCALATION)
    for piece in (*pieces, "Ik geef toestemming."):
        assert piece in text, piece
    for title in ("Toestemmingen en hun tekst", "Dossiers en tijdlijn", "Goeiemorgen-telefoon"):
        assert title in text
    download = client.get(f"/bewoners/{resident_id}/inzage.json")
    assert json.loads(download.data)["resident"]["name"] == NAME
    with app.app_context():
        formats = db.session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "resident_exported",
                AuditEvent.subject_id == str(resident_id),
            )
        ).all()
    assert sorted(d["format"] for d in formats) == ["json", "json", "pdf"]


@pytest.mark.parametrize("role", ["volunteer", "referrer", "contact_person", "analyst"])
def test_only_the_coordinator_may_export(app, everywhere, role):
    resident_id, _ = everywhere
    email = f"other-{role}@example.be"
    make_user(app, role, email=email)
    client = app.test_client()
    token = api_token(client, email)
    refused = client.get(f"/api/v1/residents/{resident_id}/export", headers=bearer(token))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/residents/{resident_id}/export").status_code == 401
    login(client, email)
    assert client.get(f"/bewoners/{resident_id}/inzage.pdf").status_code == 403
    assert client.get(f"/bewoners/{resident_id}/inzage.json").status_code == 403
    with app.app_context():
        exported = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "resident_exported")
        ).all()
    assert exported == []


def test_unknown_resident_is_a_json_404(app, series):  # noqa: F811
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    missing = client.get("/api/v1/residents/999999/export", headers=bearer(token))
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    login(client, "coordinator@example.be")
    assert client.get("/bewoners/999999/inzage.pdf").status_code == 404


def test_every_demo_residents_export_opens_as_a_pdf(embedded_app):
    """A resident on a visit list that was tried at the door (the address counts its
    attempts): the PDF took that count for a list of calls and failed."""
    from fieldwork.demo.cli import DEMO_PASSWORD

    app = embedded_app
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        residents = db.session.scalars(select(Resident.id).order_by(Resident.id)).all()
    client = app.test_client()
    login(client, "regisseur@demo.fieldwork.be", DEMO_PASSWORD)
    for resident_id in residents:
        made = client.get(f"/bewoners/{resident_id}/inzage.pdf")
        assert made.status_code == 200, resident_id
        assert made.mimetype == "application/pdf"
