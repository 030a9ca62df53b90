"""A long sheet the server refused: the page opens on the first red message with the cursor
in its field, and a summary at the top links to every field that needs attention (issue 19,
item 2), on a 360 px phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.test_browser import phone_page, serve
from tests.test_drafts_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_phone(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with serve(embedded_app) as base, phone_page() as page:
        yield page, base


def first_call_target(app) -> int:
    from fieldwork.auth.models import User
    from fieldwork.calls.models import CallTarget
    from fieldwork.extensions import db

    with app.app_context():
        maria = db.session.scalars(
            select(User).filter_by(email="vrijwilliger@demo.fieldwork.be")
        ).one()
        return db.session.scalars(
            select(CallTarget.id)
            .where(CallTarget.caller_id == maria.id, CallTarget.status == "to_call")
            .order_by(CallTarget.id)
        ).first()


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


def test_a_refused_call_sheet_opens_on_its_first_message_with_a_summary_linking_to_it(
    demo_phone, embedded_app
):
    target_id = first_call_target(embedded_app)
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bellen/{target_id}")
    page.get_by_label("Korte notitie").fill("Nam niet op, denk ik.")
    page.get_by_role("button", name="Bewaren").click()  # no outcome chosen

    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "Eén veld vraagt aandacht" in summary.inner_text()
    link = summary.get_by_role("link")
    assert link.count() == 1
    assert link.get_attribute("href") == "#outcome-0"
    # the cursor is in the refused group and its message is on screen, not 4,000 px away
    # (form_errors.js moves it once the deferred scripts ran: wait for it)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'outcome-0'")
    assert page.evaluate("document.activeElement.id") == "outcome-0"
    assert in_view(page, "fieldset.has-error .error")
    assert page.get_by_label("Korte notitie").input_value() == "Nam niet op, denk ik."

    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_label("Korte notitie").focus()
    link.click()
    assert page.evaluate("document.activeElement.id") == "outcome-0"
    assert in_view(page, "fieldset.has-error .error")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_refused_findings_sheet_opens_on_its_first_message(demo_phone):
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bezoeken")
    page.locator("a.visit-row").first.click()
    page.get_by_role("button", name="Bewaren").click()  # nothing chosen at the door

    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "Kies wat er gebeurde" in summary.inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.name === 'outcome'")
    assert page.evaluate("document.activeElement.name") == "outcome"
    assert in_view(page, ".has-error .error")
