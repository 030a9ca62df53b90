"""The dashboard where the work is and readable on every screen (issue 19, item 9): it opens
on the municipality of the latest signal, not the first by name; on a 360 px phone nothing
runs off the screen and the theme bars keep their width; at 1280 px the comparison table is
whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.demo.cli import DEMO_PASSWORD
from fieldwork.extensions import db
from fieldwork.signals.models import Signal
from tests.conftest import login
from tests.test_browser import phone_page, serve
from tests.test_drafts_browser import log_in


@pytest.fixture
def demo(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    return embedded_app


def new_signal_in(app, municipality_name: str) -> None:
    with app.app_context():
        hood = db.session.scalars(
            select(Neighbourhood)
            .join(Municipality)
            .where(Municipality.name == municipality_name)
            .order_by(Neighbourhood.id)
        ).first()
        db.session.add(
            Signal(neighbourhood_id=hood.id, theme="eenzaamheid", domain="welzijn", source="manual")
        )
        db.session.commit()


def opened_on(client) -> str:
    html = client.get("/buurtanalyse/").get_data(as_text=True)
    return html[html.index("<h1>") : html.index("</h1>")]


def test_the_dashboard_opens_on_the_municipality_of_the_latest_signal(demo):
    client = demo.test_client()
    login(client, "regisseur@demo.fieldwork.be", DEMO_PASSWORD)
    new_signal_in(demo, "Moorslede")  # not the first by name (Hamont-Achel is)
    assert "Moorslede" in opened_on(client)
    new_signal_in(demo, "Hamont-Achel")
    assert "Hamont-Achel" in opened_on(client)
    assert "Moorslede" in client.get("/buurtanalyse/?gemeente=36012").get_data(as_text=True)


@pytest.mark.browser
def test_the_dashboard_fits_a_phone_and_a_laptop(demo):
    new_signal_in(demo, "Moorslede")
    with serve(demo) as base, phone_page() as page:
        log_in(page, base, "regisseur@demo.fieldwork.be")
        page.goto(f"{base}/buurtanalyse/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        bars = page.evaluate(
            "[...document.querySelectorAll('.bar')].map(b => b.getBoundingClientRect().width)"
        )
        assert bars
        assert min(bars) >= 40, bars  # were 2 px: the bar column collapsed
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        table = page.locator("table.progress-table").first
        scroller = table.evaluate(
            "t => { const s = t.closest('.scroll'); return [s.scrollWidth, s.clientWidth]; }"
        )
        assert scroller[0] <= scroller[1], scroller  # the whole table, no scrolling
