"""Photo assignments, the coordinator's side: consent in every gallery, moderation, the
signal for the neighbourhood, the flyer's QR code, the map and who may see what."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from flask import Flask
from PIL import Image
from sqlalchemy import select

from fieldwork.areas.mapsvg import neighbourhood_shape
from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.core.models import AuditEvent
from fieldwork.core.storage import storage
from fieldwork.extensions import db
from fieldwork.photos import moderation, services
from fieldwork.photos.models import Photo, PhotoAssignment
from fieldwork.signals.models import Signal
from tests.conftest import api_token, bearer, import_areas, login, make_user, post_form

PROMPT = "Wat is het gezelligste plekje in je buurt?"
CONTRAST = "Wat is het minst gezellige plekje in je buurt?"
SECOND = "Waar kan je niet veilig oversteken?"
OTHER_ROLES = ("volunteer", "referrer", "contact_person", "analyst")


def jpeg(
    width: int = 400, height: int = 300, color: tuple[int, int, int] = (200, 120, 40)
) -> bytes:
    image = Image.new("RGB", (width, height), color)
    for x in range(width // 4):  # a mark in the top left corner, to see where it turns
        image.putpixel((x, 0), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass
class Setup:
    app: Flask
    assignment_id: int
    token: str
    hamont: int
    achel: int
    coordinator: int


@pytest.fixture
def setup(app: Flask) -> Setup:
    import_areas(app, "72037")
    coordinator = make_user(app, "coordinator")
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == "72037"))
        hoods = {
            n.name: n.id
            for n in db.session.scalars(
                select(Neighbourhood).where(
                    Neighbourhood.municipality_id == municipality.id,
                    Neighbourhood.is_unlocatable.is_(False),
                )
            )
        }
        today = services.local_today()
        assignment = services.create_assignment(
            municipality,
            "Gezellig in je buurt",
            [{"prompt": PROMPT, "contrast": CONTRAST}, {"prompt": SECOND, "contrast": ""}],
            [hoods["Hamont"], hoods["Achel"]],
            today - timedelta(days=7),
            today + timedelta(days=20),
            db.session.get(User, coordinator),
        )
        db.session.commit()
        return Setup(
            app, assignment.id, assignment.token, hoods["Hamont"], hoods["Achel"], coordinator
        )


def add_photo(
    s: Setup,
    consent: str = "public",
    status: str = "new",
    week: int = 1,
    side: str = "main",
    neighbourhood: str | None = "hamont",
    lat: float | None = None,
    lon: float | None = None,
    size: tuple[int, int] = (400, 300),
    caption: str = "",
) -> int:
    """A processed photo: a row and its two stored JPEGs, as the worker leaves them."""
    with s.app.app_context():
        assignment = db.session.get(PhotoAssignment, s.assignment_id)
        base = f"photos/{assignment.token}/{uuid.uuid4().hex}"
        raw = jpeg(*size, color=(uuid.uuid4().int % 255, 100, 50))
        original, thumb, width, height = services.render(raw)
        storage().put(f"{base}.jpg", original, "image/jpeg")
        storage().put(f"{base}-thumb.jpg", thumb, "image/jpeg")
        prompt = services.prompt_for(assignment, week)
        photo = Photo(
            assignment_id=assignment.id,
            week=week,
            side=side,
            prompt=prompt["contrast"] if side == "contrast" else prompt["prompt"],
            neighbourhood_id={"hamont": s.hamont, "achel": s.achel, None: None}[neighbourhood],
            caption=caption,
            lat=lat,
            lon=lon,
            consent=consent,
            sha256=uuid.uuid4().hex,
            status=status,
            original_key=f"{base}.jpg",
            thumb_key=f"{base}-thumb.jpg",
            width=width,
            height=height,
            size_bytes=len(raw),
        )
        db.session.add(photo)
        db.session.commit()
        return photo.id


def coordinator_client(s: Setup) -> Any:
    client = s.app.test_client()
    login(client, "coordinator@example.be")
    return client


def photo(s: Setup, photo_id: int) -> Photo:
    with s.app.app_context():
        found = db.session.get(Photo, photo_id)
        db.session.expunge(found)
        return found


def act(client: Any, s: Setup, photo_id: int, **data: Any) -> Any:
    page = f"/foto-opdrachten/{s.assignment_id}/moderatie"
    return post_form(client, page, data, action=f"/foto-opdrachten/foto/{photo_id}")


# --- consent ----------------------------------------------------------------------------------


def test_photos_for_follows_consent_and_moderation(setup: Setup) -> None:
    analysis = add_photo(setup, "analysis", "approved")
    report = add_photo(setup, "report", "approved", neighbourhood="achel")
    public = add_photo(setup, "public", "approved", week=2)
    add_photo(setup, "public", "hidden")
    add_photo(setup, "public", "new")
    add_photo(setup, "public", "processing")
    with setup.app.app_context():
        ids = {usage: [p.id for p in moderation.photos_for(usage)] for usage in moderation.USAGES}
        assert ids == {
            "analysis": [analysis, report, public],
            "report": [report, public],
            "public": [public],
        }
        assert [p.id for p in moderation.photos_for("report", neighbourhood_id=setup.achel)] == [
            report
        ]
        assert [p.id for p in moderation.photos_for("analysis", week=2)] == [public]
        assignment = db.session.get(PhotoAssignment, setup.assignment_id)
        assert [p.id for p in moderation.photos_for("report", assignment, setup.hamont)] == [public]
        counts = moderation.prompt_counts("report", assignment)
        assert [(c.week, c.prompt, c.count) for c in counts] == [(1, PROMPT, 1), (2, SECOND, 1)]
        with pytest.raises(ValueError, match="unknown usage"):
            moderation.photos_for("everything")


def test_staff_gallery_shows_approved_photos_and_contrast_pairs(setup: Setup) -> None:
    main = add_photo(setup, "analysis", "approved", caption="Het bankje aan de kerk")
    contrast = add_photo(setup, "report", "approved", side="contrast", caption="Het kruispunt")
    with setup.app.app_context():  # tagged, as moderated photos are
        db.session.get_one(Photo, contrast).themes = ["veiligheid", "mobiliteit"]
        db.session.commit()
    hidden = add_photo(setup, "public", "hidden", caption="Verborgen foto")
    new = add_photo(setup, "public", "new", caption="Nog niet bekeken")
    client = coordinator_client(setup)
    html = client.get(f"/foto-opdrachten/{setup.assignment_id}/galerij").get_data(as_text=True)
    assert f'id="photo-{main}"' in html
    assert f'id="photo-{contrast}"' in html
    assert f'id="photo-{hidden}"' not in html
    assert f'id="photo-{new}"' not in html
    assert "Verborgen foto" not in html
    assert 'class="pair"' in html  # the prompt and its contrast side by side
    assert "Vallen en veiligheid, Mobiliteit" in html  # the tags, in Dutch
    assert (
        html.index(PROMPT)
        < html.index("Het bankje")
        < html.index(CONTRAST)
        < html.index("Het kruispunt")
    )
    filtered = client.get(
        f"/foto-opdrachten/{setup.assignment_id}/galerij",
        query_string={"week": 2, "neighbourhood": setup.hamont},
    )
    assert f'id="photo-{main}"' not in filtered.get_data(as_text=True)
    odd = client.get(
        f"/foto-opdrachten/{setup.assignment_id}/galerij",
        query_string={"week": "x", "neighbourhood": 10**30},
    )
    assert odd.status_code == 200
    # the staff images: private, for each moderated photo, not for one in processing
    image = client.get(f"/foto-opdrachten/foto/{hidden}/thumb")
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"
    assert "private" in image.headers["Cache-Control"]
    assert client.get(f"/foto-opdrachten/foto/{main}/exif").status_code == 404
    waiting = add_photo(setup, "public", "processing")
    assert client.get(f"/foto-opdrachten/foto/{waiting}/full").status_code == 404


def test_public_gallery_shows_only_approved_public_photos(setup: Setup) -> None:
    public = add_photo(setup, "public", "approved", caption="Mag iedereen zien")
    report = add_photo(setup, "report", "approved", caption="Enkel voor het rapport")
    analysis = add_photo(setup, "analysis", "approved", caption="Enkel analyse")
    hidden = add_photo(setup, "public", "hidden", caption="Verborgen")
    new = add_photo(setup, "public", "new", caption="Nieuw")
    client = setup.app.test_client()  # nobody logged in
    page = client.get(f"/f/{setup.token}/galerij")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Mag iedereen zien" in html
    for caption in ("Enkel voor het rapport", "Enkel analyse", "Verborgen", "Nieuw"):
        assert caption not in html
    assert "/foto-opdrachten/" not in html  # no staff image addresses
    for kind in ("thumb", "full"):
        response = client.get(f"/f/{setup.token}/foto/{public}/{kind}")
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        Image.open(io.BytesIO(response.data)).verify()
        for other in (report, analysis, hidden, new):
            assert client.get(f"/f/{setup.token}/foto/{other}/{kind}").status_code == 404
    assert client.get(f"/f/{setup.token}/foto/{public}/original").status_code == 404
    assert client.get(f"/f/not-the-token/foto/{public}/thumb").status_code == 404
    assert client.get("/f/not-the-token/galerij").status_code == 404
    assert client.get(f"/f/{setup.token}/foto/{10**30}/thumb").status_code == 404
    # staff images need a login
    assert client.get(f"/foto-opdrachten/foto/{public}/thumb").status_code == 302
    # hiding it takes it out of the public gallery and its image
    coordinator = coordinator_client(setup)
    act(coordinator, setup, public, action="hide")
    assert "Mag iedereen zien" not in client.get(f"/f/{setup.token}/galerij").get_data(as_text=True)
    assert client.get(f"/f/{setup.token}/foto/{public}/thumb").status_code == 404


# --- moderation --------------------------------------------------------------------------------


def test_approve_hide_rotate_and_tag_through_the_page(setup: Setup) -> None:
    photo_id = add_photo(setup, "report", "new", size=(400, 300), caption="De speeltuin")
    client = coordinator_client(setup)
    page = client.get(f"/foto-opdrachten/{setup.assignment_id}/moderatie")
    assert page.status_code == 200
    assert "De speeltuin" in page.get_data(as_text=True)

    response = act(client, setup, photo_id, action="rotate_right")
    assert response.status_code == 302
    turned = photo(setup, photo_id)
    assert (turned.rotation, turned.width, turned.height) == (90, 300, 400)
    with setup.app.app_context():
        stored = Image.open(io.BytesIO(storage().get(turned.original_key)))
        assert stored.size == (300, 400)
        assert not stored.info.get("exif")
        thumb = Image.open(io.BytesIO(storage().get(turned.thumb_key)))
        assert thumb.size[1] > thumb.size[0]
    act(client, setup, photo_id, action="rotate_left")
    back = photo(setup, photo_id)
    assert (back.rotation, back.width, back.height) == (0, 400, 300)
    act(client, setup, photo_id, action="rotate_left")
    assert photo(setup, photo_id).rotation == 270

    act(
        client,
        setup,
        photo_id,
        action="approve",
        themes=["vrije_tijd", "veiligheid"],
        polarity="strength",
    )
    approved = photo(setup, photo_id)
    assert approved.status == "approved"
    assert approved.themes == ["vrije_tijd", "veiligheid"]
    assert approved.polarity == "strength"
    assert approved.moderated_by_id == setup.coordinator
    with setup.app.app_context():
        assert [p.id for p in moderation.photos_for("report")] == [photo_id]

    act(client, setup, photo_id, action="tag", themes=["mobiliteit"], polarity="")
    retagged = photo(setup, photo_id)
    assert (retagged.themes, retagged.polarity) == (["mobiliteit"], None)

    act(client, setup, photo_id, action="hide", themes=["mobiliteit"])
    assert photo(setup, photo_id).status == "hidden"
    with setup.app.app_context():
        for usage in moderation.USAGES:
            assert moderation.photos_for(usage) == []
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.subject_type == "photo", AuditEvent.subject_id == str(photo_id)
                )
            )
        )
        assert {"photo_rotated", "photo_approved", "photo_tagged", "photo_hidden"} <= actions
    gallery = client.get(f"/foto-opdrachten/{setup.assignment_id}/galerij")
    assert "De speeltuin" not in gallery.get_data(as_text=True)
    hidden_list = client.get(
        f"/foto-opdrachten/{setup.assignment_id}/moderatie", query_string={"status": "hidden"}
    )
    assert "De speeltuin" in hidden_list.get_data(as_text=True)  # it can be approved again


def test_processing_and_failed_photos_wait_and_cannot_be_approved(setup: Setup) -> None:
    waiting = add_photo(setup, status="processing")
    failed = add_photo(setup, status="failed")
    with setup.app.app_context():
        db.session.get(Photo, failed).failure = "OSError: truncated file"
        db.session.commit()
    client = coordinator_client(setup)
    html = client.get(f"/foto-opdrachten/{setup.assignment_id}/moderatie").get_data(as_text=True)
    assert "Wacht op de achtergrondverwerking" in html
    assert "OSError: truncated file" in html
    act(client, setup, waiting, action="approve")
    assert photo(setup, waiting).status == "processing"
    token = api_token(setup.app.test_client(), "coordinator@example.be")
    response = setup.app.test_client().post(
        f"/api/v1/photos/{failed}/moderation", json={"action": "approve"}, headers=bearer(token)
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["fields"] == {
        "status": ["Deze foto kon niet verwerkt worden."]
    }


def test_a_concern_becomes_one_signal_for_the_neighbourhood(setup: Setup) -> None:
    photo_id = add_photo(setup, "analysis", "approved")
    nowhere = add_photo(setup, "analysis", "approved", neighbourhood=None)
    client = setup.app.test_client()
    token = api_token(client, "coordinator@example.be")
    response = client.post(
        f"/api/v1/photos/{photo_id}/signal", json={"theme": "veiligheid"}, headers=bearer(token)
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["photo"]["signal_id"] == body["signal_id"]
    assert body["photo"]["polarity"] == "concern"
    again = client.post(
        f"/api/v1/photos/{photo_id}/signal", json={"theme": "mobiliteit"}, headers=bearer(token)
    )
    assert again.status_code == 409
    missing = client.post(
        f"/api/v1/photos/{nowhere}/signal", json={"theme": "veiligheid"}, headers=bearer(token)
    )
    assert missing.status_code == 422
    assert "neighbourhood" in missing.get_json()["error"]["fields"]
    unknown = client.post(
        f"/api/v1/photos/{photo_id}/signal", json={"theme": "brand"}, headers=bearer(token)
    )
    assert unknown.status_code == 422
    with setup.app.app_context():
        signals = db.session.scalars(select(Signal)).all()
        assert len(signals) == 1
        signal = signals[0]
        assert (
            signal.resident_id,
            signal.neighbourhood_id,
            signal.theme,
            signal.domain,
            signal.polarity,
            signal.source,
            signal.note,
            signal.filed_by_id,
        ) == (None, setup.hamont, "veiligheid", "zorg", "need", "photo", "", setup.coordinator)
        assert db.session.get(Photo, nowhere).signal_id is None


def test_signal_from_the_page(setup: Setup) -> None:
    photo_id = add_photo(setup, "analysis", "new")
    client = coordinator_client(setup)
    act(client, setup, photo_id, action="signal", theme="mobiliteit")
    act(client, setup, photo_id, action="signal", theme="mobiliteit")
    with setup.app.app_context():
        assert db.session.scalar(select(Signal.theme)) == "mobiliteit"
        assert len(db.session.scalars(select(Signal)).all()) == 1
        assert db.session.get(Photo, photo_id).themes == ["mobiliteit"]


# --- the API -------------------------------------------------------------------------------------


def test_api_creates_an_assignment_and_moderates(setup: Setup) -> None:
    client = setup.app.test_client()
    token = api_token(client, "coordinator@example.be")
    today = services.local_today()
    created = client.post(
        "/api/v1/photo-assignments",
        headers=bearer(token),
        json={
            "gemeente": "72037",
            "title": "Veilig oversteken",
            "prompts": [{"prompt": SECOND}],
            "neighbourhood_ids": [setup.achel],
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=13)).isoformat(),
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["link"].endswith(f"/f/{body['link'].rsplit('/', 1)[1]}")
    assert body["link"].startswith(setup.app.config["PUBLIC_BASE_URL"].rstrip("/"))
    assert [w["prompt"] for w in body["weeks"]] == [SECOND, SECOND]
    assert body["counts"]["new"] == 0
    bad = client.post(
        "/api/v1/photo-assignments",
        headers=bearer(token),
        json={
            "gemeente": "72037",
            "title": "x",
            "prompts": [{"prompt": "p"}],
            "neighbourhood_ids": [setup.achel],
            "starts_on": today.isoformat(),
            "ends_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert bad.status_code == 422
    assert "ends_on" in bad.get_json()["error"]["fields"]
    assert (
        client.post(
            "/api/v1/photo-assignments", headers=bearer(token), json={"gemeente": "72037"}
        ).status_code
        == 422
    )

    photo_id = add_photo(setup, "public", "new", week=1, size=(640, 480))
    add_photo(setup, "public", "approved", week=2, neighbourhood="achel")
    listed = client.get(
        f"/api/v1/photo-assignments/{setup.assignment_id}/photos",
        query_string={"status": "new"},
        headers=bearer(token),
    )
    assert listed.status_code == 200
    assert [p["id"] for p in listed.get_json()["photos"]] == [photo_id]
    thumb_url = listed.get_json()["photos"][0]["thumb_url"]
    assert client.get(thumb_url, headers=bearer(token)).mimetype == "image/jpeg"
    assert (
        client.get(
            f"/api/v1/photo-assignments/{setup.assignment_id}/photos",
            query_string={"status": "weird"},
            headers=bearer(token),
        ).status_code
        == 422
    )
    by_week = client.get(
        f"/api/v1/photo-assignments/{setup.assignment_id}/photos",
        query_string={"week": 2, "neighbourhood": setup.achel},
        headers=bearer(token),
    )
    assert len(by_week.get_json()["photos"]) == 1

    turned = client.post(
        f"/api/v1/photos/{photo_id}/moderation",
        headers=bearer(token),
        json={"action": "rotate", "rotation": 90},
    )
    assert turned.status_code == 200, turned.get_json()
    assert (turned.get_json()["width"], turned.get_json()["height"]) == (480, 640)
    same = client.post(
        f"/api/v1/photos/{photo_id}/moderation",
        headers=bearer(token),
        json={"action": "rotate", "rotation": 90},
    )
    assert (same.get_json()["width"], same.get_json()["rotation"]) == (480, 90)
    assert (
        client.post(
            f"/api/v1/photos/{photo_id}/moderation",
            headers=bearer(token),
            json={"action": "rotate", "rotation": 45},
        ).status_code
        == 422
    )
    approved = client.post(
        f"/api/v1/photos/{photo_id}/moderation",
        headers=bearer(token),
        json={"action": "approve", "themes": ["vrije_tijd"], "polarity": "strength"},
    )
    assert approved.get_json()["status"] == "approved"
    assert approved.get_json()["themes"] == ["vrije_tijd"]
    assert (
        client.post(
            f"/api/v1/photos/{photo_id}/moderation",
            headers=bearer(token),
            json={"action": "approve", "polarity": "mwah"},
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/photos/{photo_id}/moderation",
            headers=bearer(token),
            json={"action": "publish"},
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/photos/999999/moderation", headers=bearer(token), json={"action": "approve"}
        ).status_code
        == 404
    )
    detail = client.get(
        f"/api/v1/photo-assignments/{setup.assignment_id}", headers=bearer(token)
    ).get_json()
    assert detail["counts"]["approved"] == 2
    assert detail["weeks"][0]["counts"]["main"] == {"approved": 1}
    assert client.get("/api/v1/photo-assignments/999999", headers=bearer(token)).status_code == 404


def test_new_assignment_page(setup: Setup) -> None:
    client = coordinator_client(setup)
    today = services.local_today()
    response = post_form(
        client,
        "/foto-opdrachten/nieuw",
        {
            "title": "Buurt in beeld",
            "gemeente": "72037",
            "neighbourhoods": [setup.hamont],
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=20)).isoformat(),
            "prompts": f"{PROMPT} | {CONTRAST}\n\n{SECOND}\n",
        },
    )
    assert response.status_code == 302
    with setup.app.app_context():
        created = db.session.scalar(
            select(PhotoAssignment).where(PhotoAssignment.title == "Buurt in beeld")
        )
        assert created.prompts == [
            {"prompt": PROMPT, "contrast": CONTRAST},
            {"prompt": SECOND, "contrast": ""},
        ]
        assert [n.id for n in created.neighbourhoods] == [setup.hamont]
        token = created.token
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/f/{token}" in page
    assert page.count(SECOND) == 2  # weeks 2 and 3 repeat the last prompt
    refused = post_form(
        client,
        "/foto-opdrachten/nieuw",
        {
            "title": "Leeg",
            "gemeente": "72037",
            "neighbourhoods": [setup.hamont],
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "prompts": "| contrast",
        },
    )
    assert refused.status_code == 400
    assert "Een contrast heeft een vraag ernaast nodig." in refused.get_data(as_text=True)
    listing = client.get("/foto-opdrachten/").get_data(as_text=True)
    assert "Buurt in beeld" in listing
    assert "Gezellig in je buurt" in listing


def test_closing_stops_new_photos(setup: Setup) -> None:
    client = coordinator_client(setup)
    post_form(
        client,
        f"/foto-opdrachten/{setup.assignment_id}",
        {},
        action=f"/foto-opdrachten/{setup.assignment_id}/sluiten",
    )
    with setup.app.app_context():
        assignment = db.session.get(PhotoAssignment, setup.assignment_id)
        assert assignment.closed_at is not None
        assert not services.is_open(assignment)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 140, 90)).save(out, "PNG")
    return out.getvalue()


def test_a_received_photo_is_moderated_after_the_worker(setup: Setup) -> None:
    with setup.app.app_context():
        assignment = db.session.get(PhotoAssignment, setup.assignment_id)
        received, created = services.receive_photo(
            assignment,
            services.Submission(raw=png(800, 600), consent="public", caption="Ons pleintje"),
        )
        db.session.commit()
        assert created
        photo_id = received.id
    with setup.app.app_context():
        services.process_photo(photo_id)  # the worker's part (eager on the embedded path)
        db.session.commit()
    client = coordinator_client(setup)
    assert "Ons pleintje" in client.get(
        f"/foto-opdrachten/{setup.assignment_id}/moderatie"
    ).get_data(as_text=True)
    act(client, setup, photo_id, action="approve")
    assert "Ons pleintje" in setup.app.test_client().get(f"/f/{setup.token}/galerij").get_data(
        as_text=True
    )


# --- flyer and map -----------------------------------------------------------------------------


def test_flyer_has_the_link_as_a_qr_code_and_the_prompt(setup: Setup) -> None:
    client = coordinator_client(setup)
    response = client.get(f"/foto-opdrachten/{setup.assignment_id}/flyer.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    link = f"{setup.app.config['PUBLIC_BASE_URL'].rstrip('/')}/f/{setup.token}"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (420, 595)  # A5 portrait
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in (
        PROMPT,
        "Elke week een nieuwe vraag",
        "Gezellig in je buurt",
        link,
        "Scan de code met de camera van je gsm",
        "Hamont-Achel",
        "Fotografeer geen herkenbare mensen zonder hun toestemming",
    ):
        assert expected in text, expected
    image = pdfium.PdfDocument(response.data)[0].render(scale=200 / 72).to_pil()
    assert {r.text for r in zxingcpp.read_barcodes(image)} == {link}
    # no colour anywhere: it prints and copies the same in black and white
    assert image.convert("RGB").convert("HSV").getextrema()[1] == (0, 0)
    assert client.get("/foto-opdrachten/999999/flyer.pdf").status_code == 404


def test_the_map_pins_an_approved_pinned_photo(setup: Setup) -> None:
    with setup.app.app_context():
        inside = neighbourhood_shape(setup.hamont).representative_point()
    pinned = add_photo(setup, "analysis", "approved", lat=inside.y, lon=inside.x)
    hidden = add_photo(setup, "analysis", "hidden", lat=inside.y, lon=inside.x)
    unpinned = add_photo(setup, "analysis", "approved")
    client = coordinator_client(setup)
    page = client.get(f"/foto-opdrachten/{setup.assignment_id}/kaart")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html
    assert html.count('class="area"') == 2  # Hamont and Achel
    assert f'data-photo="{pinned}"' in html
    assert f"#photo-{pinned}" in html
    assert f'data-photo="{hidden}"' not in html
    assert f'data-photo="{unpinned}"' not in html
    only_achel = client.get(
        f"/foto-opdrachten/{setup.assignment_id}/kaart", query_string={"neighbourhood": setup.achel}
    ).get_data(as_text=True)
    assert only_achel.count('class="area"') == 1
    assert f'data-photo="{pinned}"' not in only_achel


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_see_no_photos(setup: Setup, role: str) -> None:
    photo_id = add_photo(setup, "public", "approved")
    make_user(setup.app, role)
    client = setup.app.test_client()
    login(client, f"{role}@example.be")
    a = setup.assignment_id
    for url in (
        "/foto-opdrachten/",
        "/foto-opdrachten/nieuw",
        f"/foto-opdrachten/{a}",
        f"/foto-opdrachten/{a}/flyer.pdf",
        f"/foto-opdrachten/{a}/moderatie",
        f"/foto-opdrachten/{a}/galerij",
        f"/foto-opdrachten/{a}/kaart",
        f"/foto-opdrachten/foto/{photo_id}/thumb",
        f"/foto-opdrachten/foto/{photo_id}/full",
    ):
        assert client.get(url).status_code == 403, url
    hide = post_form(client, "/home", {"action": "hide"}, f"/foto-opdrachten/foto/{photo_id}")
    assert hide.status_code == 403  # with a valid CSRF token: the role is what refuses
    token = api_token(setup.app.test_client(), f"{role}@example.be")
    api = setup.app.test_client()
    for url in (
        f"/api/v1/photo-assignments/{a}",
        f"/api/v1/photo-assignments/{a}/photos",
        f"/api/v1/photos/{photo_id}/image/full",
    ):
        assert api.get(url, headers=bearer(token)).status_code == 403, url
    assert (
        api.post(
            f"/api/v1/photos/{photo_id}/moderation", json={"action": "hide"}, headers=bearer(token)
        ).status_code
        == 403
    )
    assert (
        api.post(
            f"/api/v1/photos/{photo_id}/signal", json={"theme": "veiligheid"}, headers=bearer(token)
        ).status_code
        == 403
    )
    assert api.post("/api/v1/photo-assignments", json={}, headers=bearer(token)).status_code == 403
    assert photo(setup, photo_id).status == "approved"


def test_anonymous_gets_the_login_page_or_a_401(setup: Setup) -> None:
    photo_id = add_photo(setup, "public", "approved")
    client = setup.app.test_client()
    a = setup.assignment_id
    for url in (
        f"/foto-opdrachten/{a}/moderatie",
        f"/foto-opdrachten/{a}/galerij",
        f"/foto-opdrachten/foto/{photo_id}/full",
        f"/foto-opdrachten/{a}/flyer.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]
    assert client.get(f"/api/v1/photo-assignments/{a}").status_code == 401
    assert (
        client.post(f"/api/v1/photos/{photo_id}/moderation", json={"action": "hide"}).status_code
        == 401
    )


def test_a_new_assignment_sent_twice_is_made_once(setup: Setup) -> None:
    """Each assignment has its own public link and QR code: a double tap would split the
    residents' photos over two."""
    from tests.conftest import post_form_twice

    client = coordinator_client(setup)
    today = services.local_today()
    sent = post_form_twice(
        client,
        "/foto-opdrachten/nieuw",
        {
            "title": "Tweemaal in beeld",
            "gemeente": "72037",
            "neighbourhoods": [setup.hamont],
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=20)).isoformat(),
            "prompts": f"{PROMPT} | {CONTRAST}\n",
        },
    )
    assert sent == [302, 302]
    with setup.app.app_context():
        titles = list(db.session.scalars(select(PhotoAssignment.title)))
    assert titles.count("Tweemaal in beeld") == 1
