"""A resident takes part in a photo assignment on a 360 px phone (Debian's chromium): the
prompt, a photo, a pin on the map, the consent — and a connection that drops on the first
try: the page tries again by itself under the same Idempotency-Key, and the photo is
stored once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.extensions import db
from fieldwork.photos import services
from fieldwork.photos.models import Photo
from tests.conftest import import_areas
from tests.test_browser import ARTIFACTS, fits_the_screen, phone_page, serve

pytestmark = pytest.mark.browser


def test_a_resident_sends_a_photo_over_a_flaky_connection(embedded_app, tmp_path):
    app = embedded_app
    import_areas(app, "72037")
    with app.app_context():
        municipality = db.session.scalars(select(Municipality).filter_by(code="72037")).one()
        achel = db.session.scalars(select(Neighbourhood).filter_by(name="Achel")).one()
        token = services.create_assignment(
            municipality,
            "Foto-opdracht Achel",
            [
                {
                    "prompt": "Wat is het gezelligste plekje in je buurt?",
                    "contrast": "Wat is het minst gezellige plekje?",
                }
            ],
            [achel.id],
            services.local_today(),
            services.local_today() + timedelta(days=27),
            None,
        ).token
        achel_id = achel.id
        db.session.commit()
    photo_file = tmp_path / "bankje.jpg"
    Image.effect_noise((1600, 1200), 50).convert("RGB").save(photo_file, "JPEG")
    keys: list[str] = []

    def flaky(route):
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.abort("internetdisconnected")  # the first try never arrives
        else:
            route.continue_()

    with serve(app) as base, phone_page() as page:
        page.route("**/api/v1/photo-assignments/*/photos", flaky)
        page.goto(f"{base}/f/{token}")
        assert page.get_by_role(
            "heading", name="Wat is het gezelligste plekje in je buurt?"
        ).is_visible()
        assert fits_the_screen(page)
        page.set_input_files("#photo", str(photo_file))
        page.get_by_label("Wat is het minst gezellige plekje?").check()
        assert not page.get_by_role("button", name="Speld weghalen").is_visible()  # no pin yet
        page.locator("#pin-map").tap()  # the middle of the neighbourhood's frame
        assert page.locator("#lat").input_value()
        expect(page.get_by_role("button", name="Speld weghalen")).to_be_visible()
        page.get_by_label("Mag in het buurtrapport").check()
        page.screenshot(path=str(ARTIFACTS / "photo-form-phone.png"), full_page=True)
        page.get_by_role("button", name="Versturen").click()
        page.get_by_text("Je foto is aangekomen.").first.wait_for(state="visible")
        page.screenshot(path=str(ARTIFACTS / "photo-upload-phone.png"), full_page=True)
    assert len(keys) == 2
    assert keys[0] == keys[1] != ""
    with app.app_context():
        (photo,) = db.session.scalars(select(Photo)).all()
        assert photo.idempotency_key == keys[0]
        assert (photo.side, photo.consent) == ("contrast", "report")
        assert photo.lat is not None
        assert photo.neighbourhood_id == achel_id
        assert photo.status == "new"  # processed (eagerly on this path)
