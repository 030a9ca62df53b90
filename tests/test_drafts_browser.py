"""Drafts that survive on the phone: a half-filled sheet comes back after a reload, with
the drawn signature, is saved once, and is gone from the phone after the save or logout."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import import_areas
from tests.test_browser import phone_page, serve, sign

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_phone(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with serve(embedded_app) as base, phone_page() as page:
        yield page, base


def drafts(page) -> dict[str, Any]:
    """Every draft kept in this phone's localStorage."""
    return page.evaluate(
        """() => Object.fromEntries(Object.keys(localStorage)
            .filter((key) => key.startsWith("fieldwork-draft:"))
            .map((key) => [key, JSON.parse(localStorage.getItem(key))]))"""
    )


def log_in(page, base: str, email: str) -> None:
    from fieldwork.demo.cli import DEMO_PASSWORD

    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/home")


def session_runs_out(page, base: str) -> None:
    """The session cookie is gone, as when it expires. The service worker may still be
    fetching its pages with the old cookie, and such an answer sets it again: clear until
    the login page stays."""
    for _ in range(5):
        page.wait_for_load_state("networkidle")
        page.context.clear_cookies()
        page.goto(f"{base}/login")
        if page.url == f"{base}/login":
            return
    raise AssertionError("the session kept coming back")


def card_and_link(app) -> tuple[str, str]:
    """A handed-out card of the demo and a fresh one-time link for a baker."""
    from fieldwork.extensions import db
    from fieldwork.referrals.models import ReferralCard
    from fieldwork.referrals.services import create_link

    with app.app_context():
        card = db.session.scalars(
            select(ReferralCard).where(ReferralCard.state == "handed_out").order_by(ReferralCard.id)
        ).first()
        _, token = create_link(
            card.series.municipality, "Bakkerij Vandamme", "bakker", None, 14, None
        )
        db.session.commit()
        return card.code, token


def only_submission(app, code: str) -> Any:
    """The one filing of this card, signed on the screen (it arrived exactly once)."""
    from fieldwork.extensions import db
    from fieldwork.referrals.models import ReferralCard, ReferralSubmission

    with app.app_context():
        (submission,) = db.session.scalars(
            select(ReferralSubmission).join(ReferralCard).where(ReferralCard.code == code)
        ).all()
        assert submission.signature_png.startswith(b"\x89PNG")
        db.session.expunge(submission)
        return submission


def fill_card(page) -> None:
    """The card for a lonely resident without a house number, signed on the screen."""
    page.get_by_label("Naam van de bewoner").fill("Godelieve Vanneste")
    page.get_by_label("Straat").fill("Klephoekstraat")
    page.get_by_label("Ik ken het exacte huisnummer niet").check()
    page.get_by_label("Deelgemeente (dorp)").select_option("36012B")
    page.get_by_label("Telefoon").fill("051 12 34 56")  # the contact person will call
    page.locator("label.tile", has_text="Eenzaamheid").click()
    page.get_by_label("Korte beschrijving").fill("Zit veel alleen sinds de verhuis.")
    page.get_by_label("De bewoner tekent hier op het scherm").check()
    sign(page)


def open_first_sheet(page, base: str) -> None:
    """The demo volunteer, logged in, opens the first address of today's list."""
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bezoeken")
    page.locator("a.visit-row").first.click()


def signature_value(page) -> str:
    return page.locator("[data-signature] input[type=hidden]").input_value()


def test_a_half_filled_findings_sheet_survives_a_reload_with_its_signature(
    demo_phone, embedded_app
):
    from fieldwork.extensions import db
    from fieldwork.visits.models import Visit

    page, base = demo_phone
    open_first_sheet(page, base)
    expect(page.get_by_role("heading", name="Dadizeleplaats 3")).to_be_visible()
    sheet_url = page.url
    address_id = int(sheet_url.rsplit("/", 1)[1])
    page.get_by_label("Gesproken").check()
    page.locator("summary", has_text="Welzijn").click()  # the themes fold open on demand
    page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("zorg").check()
    page.get_by_label("Wil contact met de aanspreekpersoon").check()
    page.get_by_label("Tekent hier op het scherm").check()
    sign(page)
    page.get_by_label("Korte notitie").fill("Woont alleen sinds de winter.")
    signature = signature_value(page)
    assert signature.startswith("data:image/png;base64,")
    kept = drafts(page)
    assert len(kept) == 1
    (draft,) = kept.values()
    assert "csrf_token" not in draft["values"]
    assert "attempt" not in draft["values"]  # hidden fields other than the signature stay out

    page.reload()  # the tab closed, Back, a reload: the same
    expect(page.get_by_text("Concept hersteld")).to_be_visible()
    assert page.get_by_label("Gesproken").is_checked()
    assert page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("zorg").is_checked()
    assert page.get_by_label("Wil contact met de aanspreekpersoon").is_checked()
    assert page.get_by_label("Tekent hier op het scherm").is_checked()
    expect(page.locator("[data-signature]")).to_be_visible()
    assert page.get_by_label("Korte notitie").input_value() == "Woont alleen sinds de winter."
    assert signature_value(page) == signature
    # redrawn on the canvas: it is no longer blank
    assert page.evaluate(
        """() => { const c = document.querySelector("[data-signature] canvas");
                   const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                   return d.some((v, i) => i % 4 === 3 && v > 0); }"""
    )
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")  # sent by the page (outbox.js), then the list
    expect(page.get_by_text("Bewaard.").first).to_be_visible()
    assert drafts(page) == {}
    with embedded_app.app_context():
        visits = db.session.scalars(select(Visit).where(Visit.address_id == address_id)).all()
        assert len(visits) == 1
        assert visits[0].themes == {"eenzaamheid": "concern"}
        assert visits[0].signature_png.startswith(b"\x89PNG")
    page.go_back()  # the saved sheet is not offered again as a draft
    expect(page.get_by_text("Concept hersteld")).to_be_hidden()


def test_a_referral_card_through_a_one_time_link_survives_a_reload(demo_phone, embedded_app):

    code, token = card_and_link(embedded_app)
    page, base = demo_phone
    page.goto(f"{base}/r/{token}/k/{code}")
    fill_card(page)
    signature = signature_value(page)
    assert signature.startswith("data:image/png;base64,")

    page.reload()
    expect(page.get_by_text("Concept hersteld")).to_be_visible()
    assert page.get_by_label("Naam van de bewoner").input_value() == "Godelieve Vanneste"
    assert page.get_by_label("Straat").input_value() == "Klephoekstraat"
    assert page.get_by_label("Ik ken het exacte huisnummer niet").is_checked()
    assert page.get_by_label("Deelgemeente (dorp)").input_value() == "36012B"
    assert page.locator("label.tile", has_text="Eenzaamheid").locator("input").is_checked()
    assert page.get_by_label("Korte beschrijving").input_value() == (
        "Zit veel alleen sinds de verhuis."
    )
    assert page.get_by_label("De bewoner tekent hier op het scherm").is_checked()
    assert signature_value(page) == signature
    page.get_by_role("button", name="Kaart versturen").click()
    page.wait_for_url(f"{base}/r/{token}")
    assert drafts(page) == {}
    submission = only_submission(embedded_app, code)
    assert submission.via == "link"


def test_discarding_a_draft_empties_the_form_and_the_phone(demo_phone):
    page, base = demo_phone
    open_first_sheet(page, base)
    page.get_by_label("Korte notitie").fill("Een begin.")
    page.reload()
    assert page.get_by_label("Korte notitie").input_value() == "Een begin."
    page.get_by_role("button", name="Wis concept").click()
    assert page.get_by_label("Korte notitie").input_value() == ""
    expect(page.get_by_text("Concept hersteld")).to_be_hidden()
    assert drafts(page) == {}
    page.reload()
    assert page.get_by_label("Korte notitie").input_value() == ""


def test_logging_out_clears_every_draft(demo_phone):
    page, base = demo_phone
    open_first_sheet(page, base)
    page.get_by_label("Korte notitie").fill("Over de bewoner.")
    page.get_by_label("Gesproken").check()
    assert len(drafts(page)) == 1
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", name="Aanmelden")).to_be_visible()
    assert drafts(page) == {}


def test_a_half_filled_call_sheet_survives_a_reload(demo_phone, embedded_app):
    from fieldwork.auth.models import User
    from fieldwork.calls.models import CallAttempt, CallTarget
    from fieldwork.extensions import db

    with embedded_app.app_context():
        maria = db.session.scalars(
            select(User).filter_by(email="vrijwilliger@demo.fieldwork.be")
        ).one()
        target_id = db.session.scalars(
            select(CallTarget.id)
            .where(CallTarget.caller_id == maria.id, CallTarget.status == "to_call")
            .order_by(CallTarget.id)
        ).first()
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bellen/{target_id}")
    page.get_by_label("Geen antwoord").check()
    page.get_by_label("Korte notitie").fill("Morgen opnieuw.")
    page.reload()
    expect(page.get_by_text("Concept hersteld")).to_be_visible()
    assert page.get_by_label("Geen antwoord").is_checked()
    assert page.get_by_label("Korte notitie").input_value() == "Morgen opnieuw."
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bellen")
    assert drafts(page) == {}
    with embedded_app.app_context():
        attempts = db.session.scalars(
            select(CallAttempt).where(CallAttempt.target_id == target_id)
        ).all()
        assert [a.outcome for a in attempts] == ["no_answer"]


def test_a_gps_draft_of_a_card_is_never_shown_to_the_next_person_on_the_phone(
    demo_phone, embedded_app
):
    """Logged in at /k/<code>, the draft is the GP's: when their session ends without
    logging out and someone else signs in on the same phone, the card opens empty."""
    from fieldwork.extensions import db
    from fieldwork.referrals.models import ReferralCard

    with embedded_app.app_context():
        code = db.session.scalar(
            select(ReferralCard.code)
            .where(ReferralCard.state == "handed_out")
            .order_by(ReferralCard.id)
        )
    page, base = demo_phone
    log_in(page, base, "huisarts@demo.fieldwork.be")
    page.goto(f"{base}/k/{code}")
    page.get_by_label("Naam van de bewoner").fill("Godelieve Vanneste")
    page.reload()
    assert page.get_by_label("Naam van de bewoner").input_value() == "Godelieve Vanneste"
    session_runs_out(page, base)  # nobody logged out
    log_in(page, base, "aanspreekpersoon@demo.fieldwork.be")
    page.goto(f"{base}/k/{code}")
    assert page.get_by_label("Naam van de bewoner").input_value() == ""
    expect(page.get_by_text("Concept hersteld")).to_be_hidden()
    assert len(drafts(page)) == 1  # the GP's, kept for them until it expires


def test_a_draft_older_than_seven_days_is_dropped(demo_phone):
    page, base = demo_phone
    open_first_sheet(page, base)
    page.get_by_label("Korte notitie").fill("Van vorige week.")
    sheet_url = page.url
    page.goto(f"{base}/bezoeken")
    assert len(drafts(page)) == 1
    page.evaluate(
        """() => { for (const key of Object.keys(localStorage)) {
                     const draft = JSON.parse(localStorage.getItem(key));
                     draft.savedAt = Date.now() - 8 * 24 * 3600 * 1000;
                     localStorage.setItem(key, JSON.stringify(draft)); } }"""
    )
    page.goto(f"{base}/home")  # any page drops it
    assert drafts(page) == {}
    page.goto(sheet_url)
    assert page.get_by_label("Korte notitie").input_value() == ""
    expect(page.get_by_text("Concept hersteld")).to_be_hidden()


def test_a_half_filled_ik_wil_helpen_form_survives_a_reload_and_goes_once_sent(embedded_app):
    """The public form, no account: what was typed comes back, but never the honeypot nor
    the consent (given afresh when sending); a refused send keeps the draft, a sent one not."""
    from fieldwork.extensions import db
    from fieldwork.volunteers.models import Volunteer

    import_areas(embedded_app, "36012")
    embedded_app.config["HELP_FORM_MIN_SECONDS"] = 0
    with serve(embedded_app) as base, phone_page() as page:
        page.goto(f"{base}/ik-wil-helpen/36012")
        page.get_by_label("Je naam").fill("Nadia Vercruysse")
        page.get_by_label("Telefoonnummer").fill("0499 11 22 33")
        page.get_by_label("Waar woon je?").select_option(label="Dadizele")
        page.get_by_label("Waar ben je goed in, of wat doe je graag?").fill("Breien en koken.")
        page.get_by_label("Buurtgezel").check()
        page.locator("input[name=availability][value=wed_afternoon]").check()
        page.get_by_label("De gemeente mag deze gegevens bijhouden").check()
        (draft,) = drafts(page).values()
        assert draft["values"]["name"] == "Nadia Vercruysse"
        for never in ("csrf_token", "form_token", "website", "data_consent"):
            assert never not in draft["values"], never

        page.reload()
        expect(page.get_by_text("Concept hersteld")).to_be_visible()
        assert page.get_by_label("Je naam").input_value() == "Nadia Vercruysse"
        assert page.get_by_label("Telefoonnummer").input_value() == "0499 11 22 33"
        assert page.get_by_label("Waar woon je?").locator("option:checked").inner_text() == (
            "Dadizele"
        )
        assert page.get_by_label("Waar ben je goed in, of wat doe je graag?").input_value() == (
            "Breien en koken."
        )
        assert page.get_by_label("Buurtgezel").is_checked()
        assert page.locator("input[name=availability][value=wed_afternoon]").is_checked()
        consent = page.get_by_label("De gemeente mag deze gegevens bijhouden")
        assert not consent.is_checked()

        page.get_by_role("button", name="Versturen").click()  # refused: no consent yet
        expect(page.get_by_text("toestemming").first).to_be_visible()
        (draft,) = drafts(page).values()  # the refused form is still kept
        assert draft["values"]["talents"] == "Breien en koken."
        page.get_by_label("De gemeente mag deze gegevens bijhouden").check()
        page.get_by_role("button", name="Versturen").click()
        expect(page.get_by_role("heading", name="Bedankt!")).to_be_visible()
        assert drafts(page) == {}
        page.goto(f"{base}/ik-wil-helpen/36012")  # the sent form opens empty
        expect(page.get_by_text("Concept hersteld")).to_be_hidden()
        assert page.get_by_label("Je naam").input_value() == ""
    with embedded_app.app_context():
        (nadia,) = db.session.scalars(select(Volunteer).filter_by(name="Nadia Vercruysse"))
        assert nadia.availability == ["wed_afternoon"]
        assert nadia.roles == ["buurtgezel"]
