"""The photo page's pin map on a 360 px phone (issue 19, item 9): a clear outline with the
neighbourhood's name when no tiles are configured, the streets under it when they are; a
pin placed with a tap and removed again."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.extensions import db
from fieldwork.photos import services
from tests.conftest import import_areas
from tests.test_browser import phone_page, serve

pytestmark = pytest.mark.browser
# a 1 x 1 grey PNG standing in for a tile server's answer
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4BwAA6gDpTRVUqwAAAABJRU5ErkJggg=="
)


def achel_assignment(app) -> str:
    import_areas(app, "72037")
    with app.app_context():
        municipality = db.session.scalars(select(Municipality).filter_by(code="72037")).one()
        achel = db.session.scalars(select(Neighbourhood).filter_by(name="Achel")).one()
        token = services.create_assignment(
            municipality,
            "Foto-opdracht Achel",
            [{"prompt": "Wat is het gezelligste plekje in je buurt?", "contrast": ""}],
            [achel.id],
            services.local_today(),
            services.local_today() + timedelta(days=27),
            None,
        ).token
        db.session.commit()
    return token


def place_and_remove_a_pin(page) -> None:
    remove = page.get_by_role("button", name="Speld weghalen")
    assert not remove.is_visible()  # no pin yet
    page.locator("#pin-map").tap()
    assert page.locator("#lat").input_value()
    assert page.locator("#lon").input_value()
    pin = page.locator("#pin").bounding_box()
    assert pin is not None
    assert pin["x"] > 0
    assert pin["y"] > 0
    expect(remove).to_be_visible()
    remove.click()
    assert page.locator("#lat").input_value() == ""
    expect(remove).to_be_hidden()


def test_without_tiles_the_neighbourhood_is_a_clear_outline_with_its_name(embedded_app):
    token = achel_assignment(embedded_app)
    with serve(embedded_app) as base, phone_page() as page:
        page.goto(f"{base}/f/{token}")
        area = page.locator("#pin-map path.area")
        box = area.bounding_box()
        assert box is not None
        assert box["width"] > 200  # the outline fills the map's width on a phone
        stroke = area.evaluate("(el) => getComputedStyle(el)")
        assert stroke["stroke"] != "none"
        assert float(stroke["strokeWidth"].removesuffix("px")) >= 3
        assert area.evaluate("(el) => getComputedStyle(el).fill") != "none"
        expect(page.locator("#pin-map text.area-name", has_text="Achel")).to_be_visible()
        assert page.locator("#pin-map image").count() == 0  # nothing fetched from elsewhere
        place_and_remove_a_pin(page)


def test_configured_tiles_lie_under_the_outline(embedded_app):
    # a tile server behind the same host (the CSP's 'self'); any host works the same
    embedded_app.config["MAP_TILES_URL"] = "/kaarttegels/{z}/{x}/{y}.png"
    embedded_app.config["MAP_TILES_ATTRIBUTION"] = "© OpenStreetMap-bijdragers"
    token = achel_assignment(embedded_app)
    asked: list[str] = []

    def tile(route):
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    with serve(embedded_app) as base, phone_page() as page:
        page.route("**/kaarttegels/**", tile)
        page.goto(f"{base}/f/{token}")
        page.wait_for_load_state("networkidle")
        tiles = page.locator("#pin-map image.tile")
        assert 1 <= tiles.count() <= 16
        assert len(asked) == tiles.count()
        assert page.locator("#pin-map path.area").is_visible()  # the outline stays on top
        expect(page.get_by_text("© OpenStreetMap-bijdragers")).to_be_visible()
        place_and_remove_a_pin(page)  # a tap on a tile places the pin all the same
