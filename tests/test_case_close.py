"""Closing a case: the outcome is chosen explicitly, and "helped" without any contact
attempt needs a confirmation, on the case page and in the API (issue 19, item 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldwork.cases.models import Case, CaseEvent
from fieldwork.extensions import db
from tests.conftest import api_token, bearer, login, post_form
from tests.test_browser import ARTIFACTS, demo_phone, fits_the_screen  # noqa: F401 - fixture
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture

NO_CONTACT = "Er is nog geen contactpoging geregistreerd"
CONFIRM_LABEL = f"{NO_CONTACT}: toch afsluiten als geholpen"


@pytest.fixture
def assigned_case(app, setup):  # noqa: F811 - the imported fixture
    """A case routed to An, with no contact attempt yet."""
    client, coordinator = setup
    signal_id = client.post(
        "/api/v1/signals", json=intake(), headers=bearer(coordinator)
    ).get_json()["id"]
    case_id = wait_for_status(client, coordinator, signal_id)["case_id"]
    return client, case_id


@pytest.fixture
def an_on_the_page(app, assigned_case):
    _, case_id = assigned_case
    an = app.test_client()
    login(an, "an@example.be")
    return an, f"/cases/{case_id}", case_id


def state(app, case_id: int) -> tuple[str, str | None, int]:
    """The case's status, outcome and number of events."""
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        events = db.session.scalars(select(CaseEvent).filter_by(case_id=case_id)).all()
        return case.status, case.outcome, len(events)


def close_on_page(client, url: str, outcome: str, confirm: bool = False):
    form = {"action": "close", "close-outcome": outcome}
    if confirm:
        form["close-confirm_without_contact"] = "y"
    return post_form(client, url, form)


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def test_the_outcome_starts_on_a_placeholder_and_is_required(app, an_on_the_page):
    an, url, case_id = an_on_the_page
    page = an.get(url).get_data(as_text=True)
    assert '<option selected value="">Kies een resultaat</option>' in page
    before = state(app, case_id)
    refused = close_on_page(an, url, "")
    assert refused.status_code == 400
    assert field_error(refused.get_data(as_text=True), "close-outcome") == "Kies een resultaat."
    assert state(app, case_id) == before


def test_helped_without_an_attempt_is_closed_only_when_confirmed_on_the_page(app, an_on_the_page):
    an, url, case_id = an_on_the_page
    assert CONFIRM_LABEL in an.get(url).get_data(as_text=True)
    before = state(app, case_id)
    refused = close_on_page(an, url, "helped")
    assert refused.status_code == 400
    message = field_error(refused.get_data(as_text=True), "close-confirm_without_contact")
    assert message.startswith(NO_CONTACT)
    assert state(app, case_id) == before
    assert close_on_page(an, url, "helped", confirm=True).status_code == 302
    assert state(app, case_id)[:2] == ("closed", "helped")


def test_helped_after_an_attempt_closes_without_confirmation_on_the_page(app, an_on_the_page):
    an, url, case_id = an_on_the_page
    attempt = {"action": "attempt", "attempt-result": "no_answer"}
    assert post_form(an, url, attempt).status_code == 302
    assert CONFIRM_LABEL not in an.get(url).get_data(as_text=True)
    assert close_on_page(an, url, "helped").status_code == 302
    assert state(app, case_id)[:2] == ("closed", "helped")


def test_other_outcomes_close_without_an_attempt_on_the_page(app, an_on_the_page):
    an, url, case_id = an_on_the_page
    assert close_on_page(an, url, "unreachable").status_code == 302
    assert state(app, case_id)[:2] == ("closed", "unreachable")


def close_by_api(client, token: str, case_id: int, **body):
    return client.post(
        f"/api/v1/cases/{case_id}/events", json={"type": "close", **body}, headers=bearer(token)
    )


def test_api_refuses_a_close_without_an_outcome(app, assigned_case):
    client, case_id = assigned_case
    an = api_token(client, "an@example.be")
    refused = close_by_api(client, an, case_id)
    assert refused.status_code == 422
    assert "outcome" in refused.get_json()["error"]["fields"]


def test_api_helped_without_an_attempt_needs_confirm_without_contact(app, assigned_case):
    client, case_id = assigned_case
    an = api_token(client, "an@example.be")
    before = state(app, case_id)
    refused = close_by_api(client, an, case_id, outcome="helped")
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert fields["confirm_without_contact"][0].startswith(NO_CONTACT)
    assert state(app, case_id) == before
    closed = close_by_api(client, an, case_id, outcome="helped", confirm_without_contact=True)
    assert closed.status_code == 201
    assert (closed.get_json()["status"], closed.get_json()["outcome"]) == ("closed", "helped")


def test_api_helped_after_an_attempt_needs_no_confirmation(app, assigned_case):
    client, case_id = assigned_case
    an = api_token(client, "an@example.be")
    attempt = {"type": "contact_attempt", "result": "reached"}
    events = f"/api/v1/cases/{case_id}/events"
    assert client.post(events, json=attempt, headers=bearer(an)).status_code == 201
    closed = close_by_api(client, an, case_id, outcome="helped")
    assert closed.status_code == 201
    assert closed.get_json()["outcome"] == "helped"


@pytest.mark.parametrize("outcome", ["info_only", "unreachable", "declined"])
def test_api_other_outcomes_need_no_attempt(app, assigned_case, outcome):
    client, case_id = assigned_case
    an = api_token(client, "an@example.be")
    closed = close_by_api(client, an, case_id, outcome=outcome)
    assert closed.status_code == 201
    assert closed.get_json()["outcome"] == outcome


@pytest.mark.browser
def test_closing_as_helped_without_an_attempt_on_a_phone(demo_phone):  # noqa: F811
    from fieldwork.demo.cli import DEMO_PASSWORD

    page, base = demo_phone
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill("aanspreekpersoon@demo.fieldwork.be")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Open mijn wachtrij").click()
    page.get_by_role("link", name="Maria Claes").click()
    outcome = page.get_by_label("Resultaat", exact=True)
    assert outcome.input_value() == ""
    assert outcome.locator("option:checked").inner_text() == "Kies een resultaat"
    outcome.select_option("helped")
    page.get_by_role("button", name="Afsluiten").click()
    error = page.locator("#close-confirm_without_contact-error")
    expect(error).to_be_visible()
    assert error.inner_text().startswith(NO_CONTACT)
    assert fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "close-unconfirmed-360.png"), full_page=True)
    page.get_by_label("Resultaat", exact=True).select_option("helped")
    page.get_by_label(CONFIRM_LABEL).check()
    page.get_by_role("button", name="Afsluiten").click()
    expect(page.get_by_text("Bewaard.")).to_be_visible()
    expect(page.get_by_text("Afgesloten").first).to_be_visible()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59", "2001-05-01T10:00"])
def test_a_call_back_moment_outside_the_next_year_is_refused_on_the_page(
    app, an_on_the_page, moment
):
    """0001-01-01 has no UTC time (it was a 500), 9999 and the past mean nothing."""
    an, url, case_id = an_on_the_page
    before = state(app, case_id)
    attempt = {
        "action": "attempt",
        "attempt-result": "call_back_at",
        "attempt-call_back_at": moment,
    }
    refused = post_form(an, url, attempt)
    assert refused.status_code == 400
    assert "binnen het jaar" in refused.get_data(as_text=True)
    assert state(app, case_id) == before


def test_an_attempt_or_a_note_sent_twice_is_logged_once(app, an_on_the_page):
    from tests.conftest import post_form_twice

    an, url, case_id = an_on_the_page
    before = state(app, case_id)[2]
    attempt = {"action": "attempt", "attempt-result": "no_answer"}
    assert post_form_twice(an, url, attempt, once="attempt-once") == [302, 302]
    note = {"action": "note", "note-text": "Dochter belt terug."}
    assert post_form_twice(an, url, note, once="note-once") == [302, 302]
    assert state(app, case_id)[2] == before + 2
