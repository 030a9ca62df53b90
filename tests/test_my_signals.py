"""Mijn signalen: a volunteer or referrer sees what they filed and how far it got
(ontvangen → gecontacteerd → afgesloten), never the resident nor the case; on both paths."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import event, func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.core.models import AuditEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Resident, Signal
from fieldwork.signals.services import create_signals
from tests.conftest import api_token, bearer, import_areas, login, make_user
from tests.test_drafts_browser import demo_phone, log_in  # noqa: F401 - fixture
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture

CASE_NOTE = "Bezoek gepland, dochter doet de boodschappen"
PARTNER = "OCMW Moorslede"


def file_signal(app, email: str, source: str, consent: bool = True, **changes) -> int:
    """One signal filed by the account ``email`` (as a visit or a call files it)."""
    payload = intake(consent=consent, **changes)
    payload = {**payload, "themes": [payload["theme"]], "domains": {payload["theme"]: "welzijn"}}
    with app.app_context():
        filer = db.session.scalars(select(User).filter_by(email=email)).one()
        [signal] = create_signals(payload, filer, source=source)
        db.session.commit()
        return signal.id


def steps_on_page(html: str) -> dict[int, str]:
    return {
        int(signal_id): step
        for signal_id, step in re.findall(r'data-signal-id="(\d+)" data-step="(\w+)"', html)
    }


def logged_in(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def case_event(client, token: str, case_id: int, **body) -> None:
    response = client.post(f"/api/v1/cases/{case_id}/events", json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_json()


def test_a_visit_goes_received_contacted_closed_without_case_content(app, setup):  # noqa: F811
    api, coordinator = setup
    make_user(app, "volunteer")
    make_user(app, "volunteer", email="jef@example.be")
    visit = file_signal(app, "volunteer@example.be", "visit")
    call = file_signal(
        app, "volunteer@example.be", "call", name="Jozef Declercq", number="14", theme="mobiliteit"
    )
    uncounted = file_signal(app, "volunteer@example.be", "visit", consent=False, number="16")
    others = file_signal(app, "jef@example.be", "visit", name="Paula Hoornaert", number="3")
    case_id = wait_for_status(api, coordinator, visit)["case_id"]
    wait_for_status(api, coordinator, call)
    volunteer = logged_in(app, "volunteer@example.be")

    page = volunteer.get("/mijn-signalen")
    assert page.status_code == 200
    assert steps_on_page(page.get_data(as_text=True)) == {
        uncounted: "counted_only",
        call: "received",
        visit: "received",
    }, "newest first, another volunteer's signal never"

    an = api_token(api, "an@example.be")
    case_event(api, an, case_id, type="contact_attempt", result="reached", note=CASE_NOTE)
    assert steps_on_page(volunteer.get("/mijn-signalen").get_data(as_text=True))[visit] == (
        "contacted"
    )

    case_event(api, an, case_id, type="close", outcome="referred_onward", partner=PARTNER)
    with app.app_context():
        audited = db.session.scalar(select(func.count()).select_from(AuditEvent))
    html = volunteer.get("/mijn-signalen").get_data(as_text=True)
    assert steps_on_page(html)[visit] == "closed"
    assert others not in steps_on_page(html)
    for case_content in (
        "Maria Claes",
        "Dadizeleplaats",
        "056 12 34 56",
        "Komt weinig buiten",  # the signal's note
        CASE_NOTE,
        PARTNER,
        "Doorverwezen",  # the outcome
        "An Peeters",  # the owner
    ):
        assert case_content not in html
    for shown in ("Huisbezoek", "Belactie", "Eenzaamheid", "Dadizele", "Enkel geteld"):
        assert shown in html
    assert 'aria-current="step">Afgesloten' in html
    with app.app_context():  # no personal data shown: nothing to audit
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_a_signal_joining_a_case_contacted_before_shows_received(app):
    import_areas(app, "36012")
    filer = make_user(app, "referrer")
    with app.app_context():
        [joined, fresh] = _signals_with_cases(filer, 2, status="contacted")
        case = db.session.get(Case, joined.case_id)
        case.first_contact_at = joined.created_at - timedelta(days=3)
        db.session.commit()
        joined_id, fresh_id = joined.id, fresh.id
    html = logged_in(app, "referrer@example.be").get("/mijn-signalen").get_data(as_text=True)
    assert steps_on_page(html) == {joined_id: "received", fresh_id: "contacted"}
    token = api_token(app.test_client(), "referrer@example.be")
    status = app.test_client().get(f"/api/v1/signals/{joined_id}/status", headers=bearer(token))
    assert status.get_json()["status"] == "routed"  # the API says the same, not "contacted"
    fresh = app.test_client().get(f"/api/v1/signals/{fresh_id}/status", headers=bearer(token))
    assert fresh.get_json()["status"] == "contacted"


def test_the_page_takes_a_bounded_number_of_statements_for_60_signals(app):
    import_areas(app, "36012")
    filer = make_user(app, "volunteer")
    with app.app_context():
        _signals_with_cases(filer, 60)
    volunteer = logged_in(app, "volunteer@example.be")
    volunteer.get("/mijn-signalen")  # warm: the first request compiles and caches

    counts = []
    for page_number, expected in ((1, 50), (2, 10)):
        statements, html = _statements_of(
            app, lambda n=page_number: volunteer.get(f"/mijn-signalen?page={n}")
        )
        assert len(steps_on_page(html)) == expected
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # the account, the count, the page with its neighbourhoods, the page's cases
    assert counts[0] <= 5, counts


@pytest.mark.parametrize("path", ["/mijn-signalen", "/mijn-signalen?page=99999999999"])
def test_anonymous_goes_to_login_and_a_huge_page_is_fine(app, path):
    import_areas(app, "36012")
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    make_user(app, "volunteer")
    page = logged_in(app, "volunteer@example.be").get(path)
    assert page.status_code == 200
    assert "Je hebt nog geen signalen doorgegeven." in page.get_data(as_text=True)


@pytest.mark.browser
def test_on_a_phone_the_volunteer_opens_her_signals_from_home(demo_phone):  # noqa: F811
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.get_by_role("link", name="Bekijk mijn signalen").click()
    page.wait_for_url(f"{base}/mijn-signalen")
    expect(page.get_by_role("heading", name="Mijn signalen")).to_be_visible()
    expect(page.locator("li.my-signal", has_text="Huisbezoek").first).to_be_visible()
    steps = page.locator("ol.steps").first
    for step in ("Ontvangen", "Gecontacteerd", "Afgesloten"):
        expect(steps.locator("li", has_text=step)).to_be_visible()
    assert steps.locator('li[aria-current="step"]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _statements_of(app, request) -> tuple[list[str], str]:
    """The SQL statements one request runs, and the page it returned."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(*args) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        html = request().get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements, html


def _signals_with_cases(filer_id: int, count: int, status: str | None = None) -> list[Signal]:
    """``count`` routed signals ``filer_id`` filed, one an hour, each about its own resident
    with a case (new, contacted and closed in turn, or all ``status``), written directly."""
    hood = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
    start = utcnow() - timedelta(hours=count)
    signals = []
    for number in range(count):
        resident = Resident(
            municipality_id=hood.municipality_id,
            name=f"Bewoner {number}",
            name_key=f"bewoner {number}",
            address_key=f"kerkstraat {number}",
            street="Kerkstraat",
            house_number=str(number),
            postcode="8890",
            neighbourhood_id=hood.id,
        )
        db.session.add(resident)
        db.session.flush()
        case_status = status or ("new", "contacted", "closed")[number % 3]
        case = Case(
            resident_id=resident.id,
            status=case_status,
            outcome="helped" if case_status == "closed" else None,
            closed_at=utcnow() if case_status == "closed" else None,
            first_contact_at=utcnow() if case_status != "new" else None,
        )
        db.session.add(case)
        db.session.flush()
        signal = Signal(
            resident_id=resident.id,
            neighbourhood_id=hood.id,
            theme="eenzaamheid",
            domain="welzijn",
            source="visit",
            filed_by_id=filer_id,
            created_at=start + timedelta(hours=number),
            case_id=case.id,
            routed_at=start + timedelta(hours=number),
        )
        db.session.add(signal)
        signals.append(signal)
    db.session.commit()
    return signals
