"""On a 360 px phone: the coordinator opens someone else's case after giving a reason, and
finds that read in the audit trail (issue 20)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_browser import phone_page, serve
from tests.test_drafts_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_phone(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with serve(embedded_app) as base, phone_page() as page:
        yield page, base


def test_break_the_glass_then_read_it_back(demo_phone):
    page, base = demo_phone
    log_in(page, base, "regisseur@demo.fieldwork.be")
    page.goto(f"{base}/cases/1")
    page.get_by_role("button", name="Open het dossier").click()  # no reason yet
    assert "Geef een korte reden." in page.locator(".error-summary").inner_text()
    page.get_by_label("Waarom open je dit dossier?").fill("Klacht uit de buurt nagaan")
    page.get_by_role("button", name="Open het dossier").click()
    page.wait_for_url(f"{base}/cases/1")
    assert page.locator("h1").inner_text() != "Dossier 1"  # the resident's name now
    page.get_by_role("link", name="Logboek").click()
    page.get_by_label("Wat").select_option("case_glass_broken")
    page.get_by_role("button", name="Filteren").click()
    page.wait_for_url("**action=case_glass_broken**")  # the filtered page, not the one before
    event = page.locator(".audit-event").first
    expect(event).to_contain_text("Klacht uit de buurt nagaan")
    assert "Sofie Lambrecht" in event.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
