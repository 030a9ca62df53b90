"""Consent is never assumed: no consent choice is preselected on any form, a page sent
without a deliberate choice is refused next to the consent section (keeping what was
filled in) and stores nothing; where minimisation drops a note, the sheet says so before
saving and the confirmation says what was kept (embedded and production)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from fieldwork.calls.models import CallAttempt
from fieldwork.extensions import db
from fieldwork.referrals.models import ReferralCard, ReferralSubmission
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.visits.models import Visit, VisitAddress
from tests.conftest import bearer, csrf_from, import_areas, login, post_form
from tests.test_calls import campaign_with_list, hamont  # noqa: F401 - fixture
from tests.test_calls import my_list as my_calls
from tests.test_referral_pages import form_data, make_link, series  # noqa: F401 - fixture
from tests.test_resolve import STREETS
from tests.test_signals import setup  # noqa: F401 - fixture
from tests.test_visits import visit_round  # noqa: F401 - fixture
from tests.test_volunteers import pool  # noqa: F401 - fixture

CARD_REFUSED = "Kies of de bewoner toestemming gaf"
NOTE_WARNING = "Deze notitie wordt niet bewaard zonder toestemming van de bewoner"
NOTE_DROPPED = "De notitie werd niet bewaard"


def checked_radios(html: str, name: str) -> list[str]:
    """The inputs of the radio group `name` that the page preselects."""
    return [
        tag
        for tag in re.findall(r"<input[^>]*>", html)
        if f'name="{name}"' in tag and re.search(r"\schecked(\s|>|=)", tag)
    ]


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- the referral card: the logged-in referrer and the one-time link ----------------------


def test_a_card_sent_without_a_consent_choice_is_refused_and_keeps_the_form(app, series):  # noqa: F811
    client = app.test_client()
    login(client, "referrer@example.be")
    page = client.get(f"/k/{series[0]}").get_data(as_text=True)
    assert checked_radios(page, "consent") == []  # nothing preselected
    assert "De bewoner ondertekende de afscheurstrook" in page
    assert "Zonder toestemming van de bewoner wordt deze beschrijving niet bewaard" in page
    response = post_form(client, f"/k/{series[0]}", form_data(consent=None))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    consent_section = html[html.index("Toestemming") :]
    assert CARD_REFUSED in consent_section.split("</fieldset>")[0]  # next to the choices
    assert 'value="Maria Claes"' in html
    assert "Komt weinig buiten." in html
    with app.app_context():
        assert count(ReferralSubmission) == 0
        assert count(Signal) == 0
        assert count(Consent) == 0
        assert count(Resident) == 0
        state = db.session.scalar(select(ReferralCard.state).where(ReferralCard.code == series[0]))
        assert state == "printed"
    # an explicit "no consent" is a choice: filed, only counted, nobody will call
    filed = post_form(client, f"/k/{series[0]}", form_data(consent="none", name=""))
    assert filed.status_code == 302
    receipt = client.get(filed.headers["Location"]).get_data(as_text=True)
    assert "Ook de beschrijving werd niet bewaard." in receipt
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        assert submission.consent_given is False
        assert all(signal.note == "" for signal in submission.signals)
        assert count(Consent) == 0
        assert count(Resident) == 0


def test_a_card_through_a_one_time_link_needs_a_consent_choice_too(app, series):  # noqa: F811
    path = make_link(app, "Apotheek Desmet", organisation="apotheek")
    pharmacist = app.test_client()
    opened = post_form(pharmacist, path, {"code": series[1]})
    card = opened.headers["Location"]
    assert checked_radios(pharmacist.get(card).get_data(as_text=True), "consent") == []
    refused = post_form(pharmacist, card, form_data(consent=None))
    assert refused.status_code == 400
    assert CARD_REFUSED in refused.get_data(as_text=True)
    with app.app_context():
        assert count(ReferralSubmission) == 0
        assert count(Consent) == 0
    filed = post_form(pharmacist, card, form_data(consent="signed_strip"))
    assert filed.status_code == 302
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        assert submission.consent_given is True
        assert submission.signals[0].consent.method == "signed_strip"


def test_the_card_api_without_consent_is_refused_naming_the_field(app, series):  # noqa: F811
    client = app.test_client()
    from tests.conftest import api_token

    token = api_token(client, "referrer@example.be")
    body = {
        "resident": {"name": "Maria Claes", "street": "Dadizeleplaats", "house_number": "12"},
        "themes": ["eenzaamheid"],
    }
    response = client.post(
        f"/api/v1/referral-cards/{series[0]}/submission", json=body, headers=bearer(token)
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "consent" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert count(ReferralSubmission) == 0


# --- the doorstep findings sheet -------------------------------------------------------


def _address(app, number: str) -> int:
    with app.app_context():
        return db.session.scalar(select(VisitAddress.id).where(VisitAddress.house_number == number))


def test_the_findings_sheet_asks_for_a_consent_choice_when_contact_is_wanted(app, visit_round):  # noqa: F811
    client = app.test_client()
    login(client, "maria@example.be")
    page = f"/bezoeken/{_address(app, '3')}"
    html = client.get(page).get_data(as_text=True)
    assert checked_radios(html, "consent_how") == []  # nothing preselected
    data = {
        "attempt": "0",
        "outcome": "spoken",
        "theme_eenzaamheid": "concern",
        "wants_contact": "y",
        "note": "Wil graag een babbel.",
    }
    refused = post_form(client, page, data)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    consent_section = text[text.index('id="consent"') :].split("</fieldset>")[0]
    assert "Kies hoe de bewoner toestemming gaf" in consent_section
    assert "Wil graag een babbel." in text  # what was filled in stays
    with app.app_context():
        assert count(Visit) == 0
        assert count(Signal) == 0
        assert db.session.get(VisitAddress, _address(app, "3")).attempts == 0
    saved = post_form(
        client, page, {**data, "consent_how": "signed_strip", "consent_reference": "F-3"}
    )
    assert saved.status_code == 302
    assert "Bewaard. Op naar het volgende adres." in client.get("/bezoeken").get_data(as_text=True)
    with app.app_context():
        visit = db.session.scalars(select(Visit)).one()
        assert visit.consent_id is not None
        assert visit.note == "Wil graag een babbel."


def test_the_findings_sheet_says_a_note_without_consent_is_not_kept(app, visit_round):  # noqa: F811
    client = app.test_client()
    login(client, "maria@example.be")
    page = f"/bezoeken/{_address(app, '7')}"
    html = client.get(page).get_data(as_text=True)
    # before saving: the line next to the note, in plain text for pages without JS
    note_field = html[html.index('name="note"') :]
    assert NOTE_WARNING in note_field.split("</form>")[0]
    assert "data-note-warning" in html
    assert "note_kept.js" in html
    saved = post_form(
        client,
        page,
        {
            "attempt": "0",
            "outcome": "spoken",
            "theme_mobiliteit": "concern",
            "note": "Naam van de dochter: Els",
        },
    )
    assert saved.status_code == 302
    after = client.get("/bezoeken").get_data(as_text=True)
    assert "Bewaard. De notitie werd niet bewaard, omdat we een notitie alleen bewaren" in after
    assert "De rest van het bezoek is bewaard." in after
    with app.app_context():
        visit = db.session.scalars(select(Visit)).one()
        assert visit.note == ""
        assert visit.themes == {"mobiliteit": "concern"}
    # urgent: the note is kept, and the usual confirmation says so
    urgent = post_form(
        client,
        f"/bezoeken/{_address(app, '8')}",
        {"attempt": "0", "outcome": "spoken", "urgent": "y", "note": "Valt vaak"},
    )
    assert urgent.status_code == 302
    assert "Bewaard. Op naar het volgende adres." in client.get("/bezoeken").get_data(as_text=True)


# --- the manual intake ------------------------------------------------------------------


INTAKE = {
    "name": "Maria Claes",
    "street": "Dadizeleplaats",
    "house_number": "3",
    "postcode": "8890",
    "gemeente": "36012",
    "birth_year": "1941",
    "theme": "eenzaamheid",
    "domain": "welzijn",
    "urgency": "normal",
    "note": "Ziet niemand meer",
}


def test_the_intake_refuses_a_signal_without_a_consent_choice(app, setup):  # noqa: F811
    import_areas(app, "72037")
    cli = app.test_cli_runner().invoke(args=["areas", "streets", "load", str(STREETS)])
    assert cli.exit_code == 0
    an = app.test_client()
    login(an, "an@example.be")
    page = an.get("/intake").get_data(as_text=True)
    assert checked_radios(page, "consent_how") == []
    assert NOTE_WARNING in page
    refused = post_form(an, "/intake", INTAKE)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    consent_section = html[html.index('id="consent"') :].split("</fieldset>")[0]
    assert "Kies of de bewoner akkoord gaat om gecontacteerd te worden" in consent_section
    assert "Ziet niemand meer" in html
    with app.app_context():
        assert count(Signal) == 0
        assert count(Resident) == 0
    # explicitly no consent: only counted, and the confirmation says the note was not kept
    assert post_form(an, "/intake", {**INTAKE, "consent_how": "none"}).status_code == 302
    assert NOTE_DROPPED in an.get("/intake").get_data(as_text=True)
    with app.app_context():
        signal = db.session.scalars(select(Signal)).one()
        assert signal.resident_id is None
        assert signal.consent_id is None
        assert signal.note == ""
    # verbal consent: a resident, a consent, the note kept
    assert post_form(an, "/intake", {**INTAKE, "consent_how": "verbal"}).status_code == 302
    assert "Signaal geregistreerd. Het gaat naar de juiste aanspreekpersoon." in an.get(
        "/intake"
    ).get_data(as_text=True)
    with app.app_context():
        consent = db.session.scalars(select(Consent)).one()
        assert consent.method == "verbal"
        assert db.session.scalars(select(Signal).where(Signal.note != "")).one().note == (
            "Ziet niemand meer"
        )


def test_the_signal_api_without_consent_is_refused_naming_the_field(app, setup):  # noqa: F811
    client, token = setup
    body = {
        "resident": {"name": "Maria Claes", "street": "Dadizeleplaats", "house_number": "3"},
        "theme": "eenzaamheid",
        "domain": "welzijn",
    }
    response = client.post("/api/v1/signals", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert "consent" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert count(Signal) == 0


# --- the call sheet ---------------------------------------------------------------------


def test_the_call_sheet_says_a_note_without_consent_is_not_kept(app, hamont):  # noqa: F811
    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id)
    page = app.test_client()
    login(page, "maria@example.be")
    target = my_calls(client, tokens["maria"])[0]["id"]
    html = page.get(f"/bellen/{target}").get_data(as_text=True)
    assert 'name="consent_given"' in html
    assert not re.search(r'<input[^>]*name="consent_given"[^>]*checked', html)
    assert NOTE_WARNING in html
    data = {
        "csrf_token": csrf_from(html),
        "attempts": "0",
        "outcome": "reached",
        "theme_eenzaamheid": "concern",
        "note": "De buurvrouw komt elke dag",
    }
    assert page.post(f"/bellen/{target}", data=data).status_code == 302
    after = page.get("/bellen").get_data(as_text=True)
    assert "Bewaard. De notitie werd niet bewaard" in after
    assert "De rest van het gesprek is bewaard." in after
    with app.app_context():
        assert db.session.scalars(select(CallAttempt)).one().note == ""


# --- Ik wil helpen (volunteers) ---------------------------------------------------------


def test_ik_wil_helpen_keeps_nothing_without_a_ticked_consent(app, pool):  # noqa: F811
    from fieldwork.volunteers.models import Volunteer

    client = app.test_client()
    html = client.get("/ik-wil-helpen/36012").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="data_consent"[^>]*>', html).group(0)
    assert "checked" not in box  # never preselected
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)
    with app.app_context():
        before = count(Volunteer)
    data = {
        "csrf_token": csrf_from(html),
        "form_token": token,
        "name": "Nadia",
        "phone": "0499 11 22 33",
        "roles": ["buurtgezel"],
    }
    refused = client.post("/ik-wil-helpen/36012", data=data)
    assert refused.status_code == 422
    assert "toestemming" in refused.get_data(as_text=True)
    assert 'value="Nadia"' in refused.get_data(as_text=True)
    with app.app_context():
        assert count(Volunteer) == before
