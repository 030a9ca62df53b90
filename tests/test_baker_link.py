"""A baker has no account: the one-time link they opened carries the card's QR code (/k/<code>)
to the card form, someone without a link learns how to file without an account, and error
pages reached from a public link lead back to that link, never to another site."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.referrals.codes import display
from fieldwork.referrals.link_session import SESSION_KEY
from fieldwork.referrals.models import ReferralLink, ReferralSubmission
from tests.conftest import login, post_form
from tests.test_drafts_browser import card_and_link, fill_card, only_submission
from tests.test_drafts_browser import demo_phone as demo_phone  # the fixture, shared
from tests.test_referral_pages import form_data, make_link
from tests.test_referral_pages import series as series  # the fixture, shared

START_PAGE = "Terug naar de startpagina"


def back_link(html: str, path: str) -> bool:
    return f'<a class="button" href="{path}">Terug</a>' in html


def test_the_qr_code_goes_on_through_the_link_opened_on_this_phone(app, series):
    path = make_link(app, "Bakkerij Vandamme", organisation="bakker")
    baker = app.test_client()
    assert baker.get(path).status_code == 200

    scanned = baker.get(f"/k/{series[0]}")  # what the camera opens
    assert scanned.status_code == 302
    assert scanned.headers["Location"] == f"{path}/k/{series[0]}"
    assert baker.get("/k").headers["Location"] == path
    form = baker.get(scanned.headers["Location"])
    assert form.status_code == 200
    assert display(series[0]) in form.get_data(as_text=True)
    filed = post_form(baker, scanned.headers["Location"], form_data())
    assert filed.headers["Location"] == path

    # the same card again (Back, a second scan): the receipt
    again = baker.get(f"/k/{series[0]}")
    assert baker.get(again.headers["Location"]).headers["Location"] == path
    # the next card: the link was for one card, and the way back to its receipt
    next_card = baker.get(baker.get(f"/k/{series[1]}").headers["Location"])
    assert next_card.status_code == 409
    page = next_card.get_data(as_text=True)
    assert f"al gebruikt voor kaart {display(series[0])}" in page
    assert back_link(page, path)
    assert START_PAGE not in page  # the login page is no way back for a baker
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        assert (submission.via, submission.referrer_name) == ("link", "Bakkerij Vandamme")


def test_without_a_link_the_qr_code_explains_how_to_file_without_an_account(app, series):
    visitor = app.test_client()
    scanned = visitor.get(f"/k/{series[0]}")
    assert scanned.status_code == 302
    location = urlsplit(scanned.headers["Location"])
    assert location.path == "/login"
    assert series[0] in location.query  # with an account: logged in, on to the card
    page = visitor.get(scanned.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Een kaart invullen zonder account?" in html
    assert "eenmalige link" in html
    assert "Vraag er een aan de aanspreekpersoon van je gemeente." in html
    assert 'name="password"' in html  # and the login form for who has an account
    # the explanation is shown once, not on every later page
    assert "eenmalige link" not in visitor.get("/login").get_data(as_text=True)


def test_a_logged_in_referrer_keeps_the_card_form(app, series):
    path = make_link(app, "Bakkerij Vandamme")
    client = app.test_client()
    client.get(path)  # a link opened on this phone does not matter once logged in
    login(client, "referrer@example.be")
    form = client.get(f"/k/{series[0]}")
    assert form.status_code == 200
    assert "Kaart versturen" in form.get_data(as_text=True)
    filed = post_form(client, f"/k/{series[0]}", form_data())
    assert filed.headers["Location"] == f"/k/{series[0]}/ontvangen"
    with app.app_context():
        assert db.session.scalars(select(ReferralSubmission)).one().via == "account"


def expire_the_link(app) -> None:
    with app.app_context():
        link = db.session.scalars(select(ReferralLink)).one()
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def test_an_expired_link_says_so_leads_back_to_it_and_is_forgotten(app, series):
    path = make_link(app, "Bakkerij Vandamme")
    baker = app.test_client()
    baker.get(path)
    expire_the_link(app)

    scanned = baker.get(f"/k/{series[0]}")
    assert scanned.headers["Location"] == f"{path}/k/{series[0]}"
    expired = baker.get(scanned.headers["Location"])
    assert expired.status_code == 410
    page = expired.get_data(as_text=True)
    assert "Deze link is verlopen. Vraag de gemeente om een nieuwe." in page
    assert back_link(page, path)
    with baker.session_transaction() as session:
        assert SESSION_KEY not in session  # the session does not outlive the link
    assert urlsplit(baker.get(f"/k/{series[0]}").headers["Location"]).path == "/login"


def test_error_pages_lead_back_to_the_public_link_they_came_from(app, series):
    path = make_link(app, "Bakkerij Vandamme")
    card = f"{path}/k/{series[0]}"
    baker = app.test_client()
    baker.get(card)

    missing = baker.get("/bestaat-niet", headers={"Referer": f"http://localhost{card}"})
    assert missing.status_code == 404
    assert back_link(missing.get_data(as_text=True), card)
    assert START_PAGE not in missing.get_data(as_text=True)

    expired_form = baker.post(card, data={"name": "Maria Claes"})  # no CSRF token: expired
    assert expired_form.status_code == 400
    assert back_link(expired_form.get_data(as_text=True), card)

    public_form = "/ik-wil-helpen/36012"
    missing = baker.get("/bestaat-niet", headers={"Referer": f"http://localhost{public_form}"})
    assert back_link(missing.get_data(as_text=True), public_form)


@pytest.mark.parametrize(
    "referer",
    [
        "https://evil.example/r/abc",  # another site
        "http://localhost.evil.example/r/abc",
        "http://localhost//evil.example/r/abc",  # a path that browsers read as a host
        "javascript:alert(1)",
        "http://localhost/cases",  # not a public page: the start page is the way back
        "http://localhost/api/v1/cases",
    ],
)
def test_an_error_page_never_leads_elsewhere(app, referer):
    missing = app.test_client().get("/bestaat-niet", headers={"Referer": referer})
    assert missing.status_code == 404
    page = missing.get_data(as_text=True)
    assert ">Terug</a>" not in page
    assert "evil" not in page
    assert START_PAGE in page


@pytest.mark.browser
def test_a_baker_scans_the_card_after_opening_the_link_on_a_phone(demo_phone, embedded_app):
    code, token = card_and_link(embedded_app)
    page, base = demo_phone
    page.goto(f"{base}/r/{token}")
    expect(page.get_by_text("Welkom, Bakkerij Vandamme.")).to_be_visible()
    expect(page.get_by_text("met de camera van deze telefoon")).to_be_visible()

    page.goto(f"{base}/k/{code}")  # the card's QR code, opened by the camera
    page.wait_for_url(f"{base}/r/{token}/k/{code}")
    fill_card(page)
    page.get_by_role("button", name="Kaart versturen").click()
    page.wait_for_url(f"{base}/r/{token}")
    expect(page.get_by_role("heading", name="Bedankt: de kaart is ontvangen")).to_be_visible()
    assert display(code) in page.locator(".receipt").inner_text()
    assert only_submission(embedded_app, code).via == "link"
