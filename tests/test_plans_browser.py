"""The plan page and the public residents' summary fit a 360 px phone (issue 22)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.test_browser import ARTIFACTS, demo_phone, fits_the_screen  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_plan_page_and_the_public_summary_fit_a_phone(demo_phone, embedded_app):  # noqa: F811
    from fieldwork.demo.cli import DEMO_PASSWORD
    from fieldwork.extensions import db
    from fieldwork.plans.models import Plan, ResidentSummary

    with embedded_app.app_context():
        plan_id = db.session.scalars(select(Plan.id)).one()
        token = db.session.scalars(select(ResidentSummary.token)).one()
    page, base = demo_phone
    page.goto(f"{base}/buurtplan/{token}")
    expect(page.get_by_role("heading", name="Ons plan voor Dadizele")).to_be_visible()
    assert fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "plan-summary-360.png"), full_page=True)

    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill("regisseur@demo.fieldwork.be")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.goto(f"{base}/buurtplannen/{plan_id}")
    expect(page.get_by_text("Resultaatindicatoren").first).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    assert fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "plan-360.png"), full_page=True)
