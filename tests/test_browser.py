"""A real browser (Debian's chromium via Playwright) on a 360 px phone screen."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import CI, PASSWORD, ROOT, import_areas, make_user

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.browser


@contextmanager
def serve(app) -> Iterator[str]:
    """The app on a free localhost port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def phone_page() -> Iterator[Any]:
    """Debian's chromium as a 360 px touch phone."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def phone(embedded_app):
    import_areas(embedded_app, "36012")
    make_user(embedded_app, "volunteer", name="Maria")
    make_user(embedded_app, "coordinator", name="Sofie")
    with serve(embedded_app) as base, phone_page() as page:
        yield page, base


def fits_the_screen(page) -> bool:
    page.wait_for_load_state()  # not while a click's navigation is still swapping the document
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign(page: Any) -> None:
    """Draw a signature on the page's signature canvas with the mouse, as a finger would."""
    canvas = page.locator("[data-signature] canvas")
    canvas.scroll_into_view_if_needed()
    area = canvas.bounding_box()
    assert area
    page.mouse.move(area["x"] + 20, area["y"] + 30)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(area["x"] + 20 + step * 20, area["y"] + 30 + (step % 3) * 15)
    page.mouse.up()


def test_volunteer_logs_in_on_a_phone_and_switches_language(phone):
    page, base = phone
    page.goto(f"{base}/home")
    assert page.url.endswith("/login?next=%2Fhome")
    page.get_by_label("E-mailadres").fill("volunteer@example.be")
    page.get_by_label("Wachtwoord").fill("wrong-password")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_text("E-mailadres of wachtwoord is niet juist.")).to_be_visible()
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/home")
    expect(page.get_by_role("heading", name="Dag Maria")).to_be_visible()
    assert fits_the_screen(page)
    box = page.get_by_role("button", name="Afmelden").bounding_box()
    assert box
    assert box["height"] >= 44
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-volunteer-360.png"), full_page=True)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_coordinator_regroups_sectors_with_checkboxes(phone):
    page, base = phone
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill("coordinator@example.be")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Buurten beheren").click()
    page.get_by_role("link", name="Dadizele").click()
    expect(page.get_by_label("Moorslede-Centrum")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_label("Moorslede-Centrum").check()
    page.get_by_role("button", name="Sectoren bewaren").click()
    page.get_by_text("6 sectoren horen nu bij Dadizele.").wait_for()  # after the reload
    expect(page.get_by_text("6 sectoren horen nu bij Dadizele.")).to_be_visible()
    assert page.get_by_label("Moorslede-Centrum").is_checked()
    page.screenshot(path=str(ARTIFACTS / "regroup-360.png"), full_page=True)


@pytest.fixture
def demo_phone(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with serve(embedded_app) as base, phone_page() as page:
        yield page, base


def test_contact_person_works_a_demo_case_to_closed(demo_phone):
    from fieldwork.demo.cli import DEMO_PASSWORD

    page, base = demo_phone
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill("aanspreekpersoon@demo.fieldwork.be")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Open mijn wachtrij").click()
    first = page.locator("a.case-row").first
    assert "Georges Lambrecht" in first.inner_text()  # the urgent one comes first
    assert fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "queue-360.png"), full_page=True)
    page.get_by_role("link", name="Maria Claes").click()
    assert page.get_by_text(
        "regel 1: thema=eenzaamheid, buurt=Dadizele → An Peeters", exact=True
    ).first.is_visible()
    page.get_by_label("Bereikt").check()
    page.get_by_role("button", name="Poging bewaren").click()
    expect(page.get_by_text("Bewaard.")).to_be_visible()
    page.get_by_label("Resultaat", exact=True).select_option("helped")
    page.get_by_role("button", name="Afsluiten").click()
    expect(page.get_by_text("Afgesloten").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "case-closed-360.png"), full_page=True)


def test_a_gp_files_a_referral_card_on_a_phone_with_a_signature(demo_phone, embedded_app):
    from sqlalchemy import select

    from fieldwork.demo.cli import DEMO_PASSWORD
    from fieldwork.extensions import db
    from fieldwork.referrals.codes import display
    from fieldwork.referrals.models import ReferralCard, ReferralSubmission

    with embedded_app.app_context():
        code = db.session.scalar(
            select(ReferralCard.code)
            .where(ReferralCard.state == "handed_out")
            .order_by(ReferralCard.id)
        )
    page, base = demo_phone
    page.goto(f"{base}/k/{code}")  # what scanning the QR code opens
    page.get_by_label("E-mailadres").fill("huisarts@demo.fieldwork.be")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/k/{code}")
    expect(page.get_by_role("heading", name=f"Doorverwijskaart {display(code)}")).to_be_visible()
    page.get_by_label("Naam van de bewoner").fill("Godelieve Vanneste")
    page.get_by_label("Straat").fill("Klephoekstraat")
    page.get_by_label("Ik ken het exacte huisnummer niet").check()
    page.get_by_label("Deelgemeente (dorp)").select_option("36012B")
    page.get_by_label("Telefoon").fill("051 12 34 56")  # the contact person will call
    tile = page.locator("label.tile", has_text="Eenzaamheid")
    box = tile.bounding_box()
    assert box
    assert box["height"] >= 44  # a thumb-sized target
    tile.click()
    page.get_by_label("Korte beschrijving").fill("Zit veel alleen sinds de verhuis.")
    expect(page.locator("[data-signature]")).to_be_hidden()
    page.get_by_label("De bewoner tekent hier op het scherm").check()
    expect(page.locator("[data-signature] canvas")).to_be_visible()
    sign(page)
    assert fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "referral-card-form-360.png"), full_page=True)
    page.get_by_role("button", name="Kaart versturen").click()
    thanks = page.get_by_role("heading", name="Bedankt: de kaart is ontvangen")
    thanks.wait_for()  # sent by the page (outbox.js), then the receipt
    page.screenshot(path=str(ARTIFACTS / "referral-after-submit-360.png"), full_page=True)
    expect(thanks).to_be_visible()
    expect(page.get_by_text(display(code)).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "referral-receipt-360.png"), full_page=True)
    with embedded_app.app_context():
        submission = db.session.scalars(
            select(ReferralSubmission).join(ReferralCard).where(ReferralCard.code == code)
        ).one()
        assert submission.signature_png.startswith(b"\x89PNG")
        assert submission.themes == ["eenzaamheid"]
        assert submission.signals[0].resident.neighbourhood.name == "Dadizele"


def test_a_volunteer_walks_the_demo_round_on_a_phone(demo_phone, embedded_app):
    from sqlalchemy import select

    from fieldwork.demo.cli import DEMO_PASSWORD
    from fieldwork.extensions import db
    from fieldwork.visits.models import Visit

    page, base = demo_phone
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill("vrijwilliger@demo.fieldwork.be")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Open mijn lijst").click()
    rows = page.locator("a.visit-row")
    first_numbers = [rows.nth(i).locator("strong").inner_text() for i in range(3)]
    assert first_numbers == ["3", "5", "14"]  # Dadizeleplaats: odd up, even back
    assert fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "visits-today-360.png"), full_page=True)
    before = rows.count()
    rows.first.click()
    expect(page.get_by_role("heading", name="Dadizeleplaats 3")).to_be_visible()
    page.get_by_label("Gesproken").check()
    page.locator("summary", has_text="Welzijn").click()  # the themes fold open on demand
    page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("zorg").check()
    warning = page.locator("[data-note-warning]")
    assert not warning.is_visible()  # no note written: nothing to lose
    page.get_by_label("Korte notitie").fill("Woont alleen.")
    assert warning.is_visible()  # no consent yet: the note would be dropped
    page.get_by_label("Wil contact met de aanspreekpersoon").check()
    expect(warning).to_be_visible()
    page.get_by_label("Ondertekende het papieren formulier").check()
    assert not warning.is_visible()  # with consent the note is kept: the line goes
    page.get_by_label("Nummer van het ondertekende formulier").fill("F-12")
    assert fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "visit-sheet-360.png"), full_page=True)
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")  # sent by the page (outbox.js), then the list
    expect(page.get_by_text("Bewaard. Op naar het volgende adres.")).to_be_visible()
    assert page.locator("a.visit-row").count() == before - 1
    with embedded_app.app_context():
        visit = db.session.scalars(
            select(Visit).where(Visit.outcome == "spoken").order_by(Visit.id.desc())
        ).first()
        assert visit.themes == {"eenzaamheid": "concern"}
        assert visit.consent_id is not None


def _tile_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (230, 240, 230)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("tiles", [False, True])
def test_the_coordinator_zooms_the_analysis_map_and_clicks_through(demo_phone, embedded_app, tiles):
    """The vendored map library draws the neighbourhoods in their shades — over the tiles
    the site configured, or on a plain background without any — and a click on one opens
    its page. The SVG map stays in the page for printing. Nothing breaks the page's CSP."""
    from fieldwork.demo.cli import DEMO_PASSWORD

    page, base = demo_phone
    embedded_app.config["MAP_TILES_URL"] = (
        f"{base}/test-tiles/{{z}}/{{x}}/{{y}}.png" if tiles else ""
    )
    embedded_app.config["MAP_TILES_ATTRIBUTION"] = "Testkaart" if tiles else ""
    fetched: list[str] = []

    def tile(route) -> None:
        fetched.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=_tile_png())

    page.route("**/test-tiles/**", tile)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill("regisseur@demo.fieldwork.be")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    from sqlalchemy import select

    from fieldwork.areas.models import Neighbourhood
    from fieldwork.extensions import db

    with embedded_app.app_context():  # a name is typed in: the tooltip shows it as text
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        hood.name = "Dadizele <b>centrum</b>"
        db.session.commit()
    page.goto(f"{base}/buurtanalyse/?gemeente=36012")
    page.wait_for_selector(".leaflet-container path.leaflet-interactive")
    areas = page.locator(".leaflet-container path.leaflet-interactive")
    assert areas.count() == 2  # Moorslede and Dadizele
    assert page.locator("svg.analysis-map").is_hidden()  # printed, not shown twice
    fills = {areas.nth(i).get_attribute("fill") for i in range(2)}
    assert fills <= {"#ffffff", "#e0e0e0", "#bdbdbd", "#969696", "#636363", "#252525"}
    if tiles:
        page.wait_for_selector("img.leaflet-tile-loaded")
        assert fetched
        assert all("/test-tiles/" in url for url in fetched)
        assert "Testkaart" in page.locator(".leaflet-control-attribution").inner_text()
    else:
        assert page.locator("img.leaflet-tile").count() == 0
        assert not fetched
    page.locator("#zoom-map").screenshot(
        path=str(ARTIFACTS / f"analysis-map-{'tiles' if tiles else 'plain'}.png")
    )
    tooltips = []
    for index in range(2):
        areas.nth(index).dispatch_event("mouseover")
        tooltips.append(page.locator(".leaflet-tooltip").last.inner_text())
    assert any("Dadizele <b>centrum</b>:" in text for text in tooltips), tooltips
    assert page.locator(".leaflet-tooltip b").count() == 0
    page.locator(".leaflet-container path.leaflet-interactive").first.click(force=True)
    page.wait_for_url(re.compile(r"/buurtanalyse/\d+$"))
    assert page.locator("h1").inner_text().split(" · ")[0] in (
        "Moorslede",
        "Dadizele <b>centrum</b>",
    )
    assert not problems, problems
