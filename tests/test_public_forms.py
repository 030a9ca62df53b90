"""The two forms filled in by people without much patience for forms: the referral card
(the resident's phone, which the contact person will call) and 'Ik wil helpen' (phone and
e-mail keyboards, a limit that counts only accepted submissions, answers kept on every
refusal, a corrected resend never "too fast"). Both paths; the rate limit is on in tests
and every app gets its own limiter key prefix (tests.conftest._make_app)."""

from __future__ import annotations

import re
import string
from typing import Any

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.core.phones import PhoneError, normalise_phone
from fieldwork.extensions import db
from fieldwork.referrals.models import ReferralCard, ReferralSubmission
from fieldwork.signals.models import Resident
from fieldwork.volunteers.models import Volunteer
from tests.conftest import csrf_from, import_areas, login
from tests.test_browser import phone_page, serve
from tests.test_referral_pages import form_data
from tests.test_referral_pages import series as series  # the fixture, shared

FORM_TOKEN_RE = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')

# --- the phone normaliser ------------------------------------------------------------------

# national significant numbers: mobiles (9 digits) and the zones of West Flanders, Brussels
# and Antwerp (8 digits)
MOBILE_PREFIXES = ["456", "460", "465", "468", "47", "48", "49"]
ZONE_PREFIXES = ["2", "3", "50", "51", "56", "57", "58", "59", "9"]


@st.composite
def belgian_numbers(draw: Any) -> str:
    mobile = draw(st.booleans())
    prefix = draw(st.sampled_from(MOBILE_PREFIXES if mobile else ZONE_PREFIXES))
    rest = draw(st.text("0123456789", min_size=(9 if mobile else 8) - len(prefix)).map(str))
    nsn = (prefix + rest)[: 9 if mobile else 8]
    assume(len(nsn) == (9 if mobile else 8))
    assume(phonenumbers.is_valid_number(phonenumbers.parse("0" + nsn, "BE")))
    return nsn


def written(nsn: str, how: str, split: list[int]) -> str:
    """The number as someone may type it."""
    groups, start = [], 0
    for size in split:
        if start < len(nsn):
            groups.append(nsn[start : start + size])
            start += size
    groups.append(nsn[start:])
    body = {"spaces": " ", "dots": ".", "slash": "/", "none": ""}.get(how, " ")
    digits = body.join(g for g in groups if g)
    if how == "plus32":
        return "+32 " + digits
    if how == "0032":
        return "0032" + digits
    if how == "plus32-zero":
        return "+32 (0)" + digits
    return "0" + digits


@given(
    belgian_numbers(),
    st.lists(
        st.sampled_from(["spaces", "dots", "slash", "none", "plus32", "0032", "plus32-zero"]),
        min_size=2,
        max_size=4,
    ),
    st.lists(st.integers(1, 3), max_size=4),
)
def test_any_way_of_typing_a_belgian_number_is_stored_the_same(nsn, hows, split):
    stored = {normalise_phone(written(nsn, how, split)) for how in hows}
    assert len(stored) == 1
    (value,) = stored
    assert value.startswith("0")
    assert set(value) <= set("0123456789 ")
    assert value.replace(" ", "") == "0" + nsn
    assert normalise_phone(value) == value  # stored once, the same when typed again


@given(
    st.one_of(
        st.text(string.ascii_letters + " .-/()+", max_size=30),
        st.text("0123456789", min_size=1, max_size=5),
        st.text(string.digits, min_size=41, max_size=60),
    )
)
def test_garbage_is_no_phone_number(typed):
    with pytest.raises(PhoneError):
        normalise_phone(typed)


def test_the_examples_of_the_issue():
    assert normalise_phone("051/12.34.56") == "051 12 34 56"
    assert normalise_phone("+32 470 12 34 56") == "0470 12 34 56"
    assert normalise_phone("+33 6 12 34 56 78") == "+33 6 12 34 56 78"  # across the border
    for bad in ("abc", "", "   ", "0470", "bel me"):
        with pytest.raises(PhoneError):
            normalise_phone(bad)


# --- the referral card -----------------------------------------------------------------------


def referrer(app):
    client = app.test_client()
    login(client, "referrer@example.be")
    return client


def filed(app, code: str) -> int:
    """How many filings the card has (0: it can still be filed)."""
    with app.app_context():
        return db.session.scalar(
            select(func.count(ReferralSubmission.id))
            .join(ReferralCard)
            .where(ReferralCard.code == code)
        )


def post_card(client, code: str, data: dict[str, Any]):
    page = client.get(f"/k/{code}").get_data(as_text=True)
    return client.post(f"/k/{code}", data={**data, "csrf_token": csrf_from(page)})


def test_a_card_with_abc_as_phone_is_refused_on_the_field_with_the_answers_kept(app, series):
    client = referrer(app)
    response = post_card(client, series[0], form_data(phone="abc"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="phone-error">Dit is geen telefoonnummer dat we kunnen bellen' in html
    for kept in ('value="abc"', 'value="Maria Claes"', 'value="Dadizeleplaats"', "voormiddag"):
        assert kept in html, kept
    assert filed(app, series[0]) == 0


def test_a_card_asking_to_be_called_needs_a_phone(app, series):
    response = post_card(referrer(app), series[0], form_data(phone=""))
    assert response.status_code == 400
    assert "Vul het telefoonnummer van de bewoner in" in response.get_data(as_text=True)
    assert filed(app, series[0]) == 0


def test_a_card_only_counted_needs_no_phone_and_keeps_none(app, series):
    response = post_card(referrer(app), series[0], form_data(consent="none", phone="051 12 34 56"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalars(select(Resident.phone).where(Resident.phone.is_not(None))).all()
            == []
        )


def test_a_valid_phone_is_stored_normalised(app, series):
    response = post_card(referrer(app), series[0], form_data(phone="051/12.34.56"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Resident.phone)).one() == "051 12 34 56"


# --- Ik wil helpen ---------------------------------------------------------------------------

HELP = "/ik-wil-helpen/36012"


@pytest.fixture
def help_client(app):
    """Moorslede's public form; the limit on (the test sets it), the minimum time off."""
    import_areas(app, "36012")
    assert app.config.get("RATELIMIT_ENABLED", True)
    app.config["HELP_FORM_MIN_SECONDS"] = 0
    return app.test_client()


def opened(client) -> dict[str, str]:
    html = client.get(HELP).get_data(as_text=True)
    return {"csrf_token": csrf_from(html), "form_token": FORM_TOKEN_RE.search(html).group(1)}


def answers(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Nadia Vercruysse",
        "phone": "0499/11.22.33",
        "email": "nadia@example.be",
        "talents": "Breien en koken.",
        "roles": ["buurtgezel"],
        "availability": ["wed_afternoon"],
        "data_consent": "y",
        **changes,
    }


def send(client, tokens: dict[str, str] | None = None, **changes: Any):
    return client.post(HELP, data={**(tokens or opened(client)), **answers(**changes)})


def volunteers(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(select(Volunteer.name, Volunteer.phone))]


def test_the_help_form_shows_phone_and_email_keyboards(help_client):
    html = help_client.get(HELP).get_data(as_text=True)
    phone = re.search(r"<input[^>]*name=\"phone\"[^>]*>", html).group(0)
    email = re.search(r"<input[^>]*name=\"email\"[^>]*>", html).group(0)
    for attribute in ('type="tel"', 'inputmode="tel"', 'autocomplete="tel"'):
        assert attribute in phone
    for attribute in ('type="email"', 'inputmode="email"', 'autocomplete="email"'):
        assert attribute in email


def test_the_help_form_refuses_abc_as_phone_and_stores_the_number_normalised(app, help_client):
    refused = send(help_client, phone="abc")
    assert refused.status_code == 422
    assert "Dit is geen telefoonnummer" in refused.get_data(as_text=True)
    assert send(help_client).status_code == 200
    assert volunteers(app) == [("Nadia Vercruysse", "0499 11 22 33")]


def test_refused_submissions_do_not_count_against_the_limit(app, help_client):
    app.config["HELP_FORM_RATE_LIMIT"] = "3 per hour"
    for _ in range(6):
        assert send(help_client, phone="abc").status_code == 422
    sent = send(help_client)
    assert sent.status_code == 200
    assert "Bedankt" in sent.get_data(as_text=True)


def test_the_limit_keeps_the_answers_and_says_the_real_waiting_time(app, help_client):
    app.config["HELP_FORM_RATE_LIMIT"] = "2 per hour"
    for n in range(2):
        assert send(help_client, name=f"Buur {n}").status_code == 200
    refused = send(help_client, name="Nadia Vercruysse", talents="Ik herstel fietsen.")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "Wacht een minuut" not in html
    minutes = int(re.search(r"Over (\d+) minuten kun je het opnieuw versturen", html).group(1))
    assert 55 <= minutes <= 60  # the hour's window began with the first accepted one
    for kept in ('value="Nadia Vercruysse"', 'value="0499/11.22.33"', "Ik herstel fietsen."):
        assert kept in html, kept
    (slot,) = re.findall(r'<input[^>]*value="wed_afternoon"[^>]*>', html)
    assert "checked" in slot
    assert len(volunteers(app)) == 2


def test_a_corrected_resend_right_after_the_error_page_is_accepted(app, help_client):
    app.config["HELP_FORM_MIN_SECONDS"] = 3
    error_page = send(help_client, data_consent="")  # well within 3 s of opening the form
    html = error_page.get_data(as_text=True)
    assert error_page.status_code == 422
    assert "toestemming" in html
    again = {"csrf_token": csrf_from(html), "form_token": FORM_TOKEN_RE.search(html).group(1)}
    resent = send(help_client, again)  # at once, corrected
    assert resent.status_code == 200, resent.get_data(as_text=True)
    assert volunteers(app) == [("Nadia Vercruysse", "0499 11 22 33")]


def test_a_form_sent_too_fast_says_what_to_do_and_keeps_the_answers(app, help_client):
    app.config["HELP_FORM_MIN_SECONDS"] = 3
    refused = send(help_client)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Er liep iets mis met het formulier" not in html
    assert "Wacht enkele seconden en druk opnieuw op Versturen" in html
    assert 'value="Nadia Vercruysse"' in html
    assert volunteers(app) == []


def test_the_honeypot_still_refuses_a_resend(app, help_client):
    error_page = send(help_client, data_consent="").get_data(as_text=True)
    again = {
        "csrf_token": csrf_from(error_page),
        "form_token": FORM_TOKEN_RE.search(error_page).group(1),
    }
    trapped = send(help_client, again, website="http://spam.example")
    assert trapped.status_code == 422
    assert volunteers(app) == []


# --- both forms in a browser on a phone ------------------------------------------------------


@pytest.mark.browser
def test_both_forms_on_a_360px_phone_show_the_right_keyboards_and_keep_answers(embedded_app):
    from tests.test_drafts_browser import card_and_link

    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    code, token = card_and_link(embedded_app)
    with serve(embedded_app) as base, phone_page() as page:
        page.goto(f"{base}/r/{token}/k/{code}")
        phone = page.locator("input[name=phone]")
        assert (phone.get_attribute("type"), phone.get_attribute("inputmode")) == ("tel", "tel")
        page.get_by_label("Naam van de bewoner").fill("Godelieve Vanneste")
        page.get_by_label("Straat").fill("Klephoekstraat")
        page.get_by_label("Ik ken het exacte huisnummer niet").check()
        page.get_by_label("Deelgemeente (dorp)").select_option("36012B")
        page.locator("label.tile", has_text="Eenzaamheid").click()
        phone.fill("abc")
        page.get_by_label("De bewoner ondertekende de afscheurstrook").check()
        page.get_by_role("button", name="Kaart versturen").click()
        page.locator("#phone-error").wait_for()
        assert "geen telefoonnummer" in page.locator("#phone-error").inner_text()
        assert page.get_by_label("Naam van de bewoner").input_value() == "Godelieve Vanneste"
        assert page.locator("input[name=phone]").input_value() == "abc"

        page.goto(f"{base}{HELP}")
        phone = page.locator("input[name=phone]")
        email = page.locator("input[name=email]")
        assert (phone.get_attribute("type"), phone.get_attribute("inputmode")) == ("tel", "tel")
        assert (email.get_attribute("type"), email.get_attribute("inputmode")) == (
            "email",
            "email",
        )
        page.get_by_label("Je naam").fill("Nadia Vercruysse")
        phone.fill("bel me")
        page.get_by_role("button", name="Versturen").click()
        page.locator("#phone-error").wait_for()
        assert page.get_by_label("Je naam").input_value() == "Nadia Vercruysse"
        assert page.locator("input[name=phone]").input_value() == "bel me"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_expired_session_shows_the_form_again_with_the_answers(app, help_client):
    tokens = opened(help_client)
    expired = send(help_client, {**tokens, "csrf_token": "from-a-session-long-gone"})
    html = expired.get_data(as_text=True)
    assert expired.status_code == 400
    assert "Het formulier was verlopen" in html
    assert 'value="Nadia Vercruysse"' in html
    resent = send(help_client, {"csrf_token": csrf_from(html), "form_token": tokens["form_token"]})
    assert resent.status_code == 200
