"""Taking part in a photo assignment without an account: the prompt of the week, uploads
checked by content (non-images and polyglots refused), a size bound with a clear message,
EXIF (GPS included) gone from what is stored — read back with a real EXIF reader —, large
phone photos downscaled in the worker, a duplicate stored once, retries under one
Idempotency-Key, the rate limit, closed assignments, the pin, and the storage backends (local
disk and an S3-compatible server). Both paths; the production path with the real worker."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta

import exifread
import pytest
from PIL import Image
from shapely.geometry import shape
from sqlalchemy import func, select

from fieldwork.areas.models import Municipality, Neighbourhood, SubMunicipality
from fieldwork.core.storage import LocalStorage, S3Storage, StorageError, storage
from fieldwork.extensions import db
from fieldwork.photos import services
from fieldwork.photos.models import Photo, PhotoAssignment
from fieldwork.photos.uploads import MAX_UPLOAD_BYTES, ORIGINAL_EDGE, THUMB_EDGE
from fieldwork.reports import rollups
from tests.conftest import csrf_from, import_areas, make_user

TODAY = services.local_today()
PROMPTS = [
    {
        "prompt": "Wat is het gezelligste plekje in je buurt?",
        "contrast": "Wat is het minst gezellige plekje?",
    },
    {"prompt": "Waar kan je veilig oversteken?", "contrast": ""},
    {"prompt": "Naar welke winkel ga je het liefst?", "contrast": ""},
]


def mpo() -> bytes:
    image = Image.new("RGB", (320, 240), (30, 90, 160))
    out = io.BytesIO()
    image.save(out, "MPO", save_all=True, append_images=[image])
    return out.getvalue()


def png_with_idat(extra: bytes) -> bytes:
    """A PNG with one more IDAT chunk (a valid CRC) after the picture's own data."""
    import struct
    import zlib

    raw = png()
    end = raw.rfind(b"IEND") - 4
    chunk = (
        struct.pack(">I", len(extra))
        + b"IDAT"
        + extra
        + struct.pack(">I", zlib.crc32(b"IDAT" + extra) & 0xFFFFFFFF)
    )
    return raw[:end] + chunk + raw[end:]


def jpeg(width: int = 800, height: int = 600, gps: bool = True, **save) -> bytes:
    """A photo as a phone makes it: camera make, orientation, GPS in the EXIF."""
    image = Image.effect_noise((width, height), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0131] = "Camera 1.0"  # Software
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 14.0, 30.0), 3: "E", 4: (5.0, 32.0, 10.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), **{"quality": 90, **save})
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 120, 60)).save(out, "PNG")
    return out.getvalue()


def wait_for(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


@pytest.fixture
def achel(app, request):
    """A four-week assignment for Achel (Hamont-Achel), in its first week."""
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "72037")
    coordinator = make_user(app, "coordinator")
    with app.app_context():
        municipality = db.session.scalars(select(Municipality).filter_by(code="72037")).one()
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Achel")).one()
        assignment = services.create_assignment(
            municipality,
            "Foto-opdracht Achel",
            PROMPTS,
            [hood.id],
            TODAY,
            TODAY + timedelta(days=27),
            None,
        )
        assignment.created_by_id = coordinator
        db.session.commit()
        return {"token": assignment.token, "id": assignment.id, "hood": hood.id}


def send(client, token, raw=None, headers=None, filename="foto.jpg", **fields):
    data = {
        "consent": "report",
        **fields,
        "photo": (io.BytesIO(jpeg() if raw is None else raw), filename),
    }
    return client.post(
        f"/api/v1/photo-assignments/{token}/photos",
        data=data,
        headers=headers or {},
        content_type="multipart/form-data",
    )


def processed(app, photo_id: int) -> Photo:
    def done():
        with app.app_context():
            photo = db.session.get(Photo, photo_id)
            if photo is not None and photo.status != "processing":
                db.session.expunge(photo)
                return photo
            return None

    photo = wait_for(done)
    assert photo is not None, "the worker did not process the photo"
    return photo


def stored(app, key: str) -> bytes:
    with app.app_context():
        return storage().get(key)


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Photo.id)))


def test_the_prompt_of_the_week_is_public(app, achel):
    client = app.test_client()
    body = client.get(f"/api/v1/photo-assignments/{achel['token']}").get_json()
    assert body["prompt"] == PROMPTS[0]["prompt"]
    assert body["contrast"] == PROMPTS[0]["contrast"]
    assert (body["week"], body["weeks"], body["open"]) == (1, 4, True)
    assert body["neighbourhoods"] == [{"id": achel["hood"], "name": "Achel"}]
    assert client.get("/api/v1/photo-assignments/nope").status_code == 404
    page = client.get(f"/f/{achel['token']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert PROMPTS[0]["prompt"] in html
    assert 'id="pin-map"' in html  # the neighbourhood to place a pin on
    assert "Fotografeer geen herkenbare mensen zonder het hun eerst te vragen." in html


@pytest.mark.parametrize(
    ("day", "week", "prompt"), [(0, 1, 0), (6, 1, 0), (7, 2, 1), (14, 3, 2), (21, 4, 2), (27, 4, 2)]
)
def test_a_new_prompt_each_week_and_the_last_repeats(app, achel, day, week, prompt):
    with app.app_context():
        assignment = db.session.get_one(PhotoAssignment, achel["id"])
        assert services.week_of(assignment, TODAY + timedelta(days=day)) == week
        assert services.prompt_for(assignment, week) == PROMPTS[prompt]


def test_a_photo_arrives_without_exif_and_with_a_thumbnail(app, achel):
    client = app.test_client()
    raw = jpeg(gps=True)
    assert exifread.process_file(io.BytesIO(raw))["GPS GPSLatitude"]  # the reader works
    response = send(
        client,
        achel["token"],
        raw,
        caption="  Het bankje   aan de kerk ",
        age_group="65plus",
        side="contrast",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["duplicate"] is False
    photo = processed(app, body["id"])
    assert photo.status == "new"
    assert (photo.caption, photo.age_group, photo.side) == (
        "Het bankje aan de kerk",
        "65plus",
        "contrast",
    )
    assert photo.prompt == PROMPTS[0]["contrast"]
    assert photo.neighbourhood_id == achel["hood"]  # the assignment's only neighbourhood
    assert (photo.lat, photo.lon) == (None, None)  # the EXIF GPS is never a pin
    assert photo.upload_key is None
    for key, edge in ((photo.original_key, ORIGINAL_EDGE), (photo.thumb_key, THUMB_EDGE)):
        data = stored(app, key)
        assert exifread.process_file(io.BytesIO(data), details=False) == {}
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert max(image.size) <= edge
            assert not image.getexif()
            assert "exif" not in image.info
    with app.app_context(), pytest.raises(StorageError):
        storage().get(f"photos/{achel['token']}/gone")

    def prompt_counted() -> dict:
        with app.app_context():
            return {
                k[3]: v
                for k, v in rollups.stored().items()
                if k[0] == achel["hood"] and k[2] == "photos_prompt"
            }

    assert wait_for(prompt_counted) == {rollups.photo_key(achel["id"], 1, "contrast"): 1}


def test_a_large_phone_photo_is_accepted_and_downscaled(app, achel):
    raw = jpeg(5000, 3750, gps=False, quality=95)
    response = send(app.test_client(), achel["token"], raw)
    assert response.status_code == 201
    photo = processed(app, response.get_json()["id"])
    assert (photo.width, photo.height) == (ORIGINAL_EDGE, ORIGINAL_EDGE * 3 // 4)
    assert photo.size_bytes == len(raw)


def test_an_upright_photo_stays_upright(app, achel):
    """A phone stores a portrait photo sideways with an orientation tag: the stored one is
    turned upright before the tag goes."""
    image = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    photo = processed(app, send(app.test_client(), achel["token"], out.getvalue()).get_json()["id"])
    assert (photo.width, photo.height) == (200, 400)


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("run.js", "alert(1)")
    return out.getvalue()


def jpeg_with_comment(comment: bytes) -> bytes:
    raw = jpeg(gps=False)
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return raw[:2] + segment + raw[2:]


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (b"This is not a photo at all, just text.", "notes.jpg"),
        (b"<html><script>alert(1)</script></html>", "foto.jpg"),
        (b"GIF89a" + b"\x00" * 40, "small.gif"),  # an image, but not a photo format we take
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "broken.jpg"),  # a JPEG's start and nothing after
        (jpeg(gps=False) + zip_bytes(), "polyglot.jpg"),  # a JPEG that is also a ZIP
        (png() + b"<html><script>alert(1)</script></html>", "polyglot.png"),  # PNG + HTML
        (jpeg_with_comment(b"<script>alert(1)</script>"), "comment.jpg"),  # HTML in the JPEG
        (mpo() + zip_bytes(), "polyglot-mpo.jpg"),  # a phone's two-image JPEG, then a ZIP
        (png_with_idat(b"<html><script>alert(1)</script></html>"), "idat.png"),  # behind IDAT
    ],
)
def test_not_a_photo_or_not_only_a_photo_is_refused(app, achel, raw, name):
    response = send(app.test_client(), achel["token"], raw, filename=name)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert "photo" in error["fields"]
    assert "JPEG" in error["message"]
    assert count(app) == 0


def test_a_jpeg_comment_does_not_survive(app, achel):
    raw = jpeg_with_comment(b"owner: Jan Peeters, Kerkstraat 4")
    photo = processed(app, send(app.test_client(), achel["token"], raw).get_json()["id"])
    for key in (photo.original_key, photo.thumb_key):
        data = stored(app, key)
        assert b"Jan Peeters" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert "comment" not in image.info


def test_a_huge_flat_png_is_refused_before_the_worker_decodes_it(app, achel):
    out = io.BytesIO()
    Image.new("L", (6000, 6000), 255).save(out, "PNG")  # 36 MP in a few hundred KB
    response = send(app.test_client(), achel["token"], out.getvalue())
    assert response.status_code == 413
    assert count(app) == 0


def test_16_bit_and_transparent_pictures_come_out_as_people_see_them():
    from fieldwork.photos.uploads import render

    grey = Image.new("I;16", (40, 40), 40000)
    see_through = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    for picture, expected in ((grey, 40000 // 256), (see_through, 255)):
        out = io.BytesIO()
        picture.save(out, "PNG")
        original, _thumb, _w, _h = render(out.getvalue())
        with Image.open(io.BytesIO(original)) as image:
            assert abs(image.convert("L").getpixel((20, 20)) - expected) <= 3


def test_png_and_webp_are_photos_too(app, achel):
    webp = io.BytesIO()
    Image.new("RGB", (320, 240), (10, 10, 200)).save(webp, "WEBP")
    client = app.test_client()
    for raw in (png(), webp.getvalue()):
        response = send(client, achel["token"], raw)
        assert response.status_code == 201, response.get_json()
        assert processed(app, response.get_json()["id"]).status == "new"


def test_a_photo_too_large_gets_a_clear_json_error(app, achel):
    client = app.test_client()
    too_big = send(client, achel["token"], b"\xff\xd8" + b"\x00" * MAX_UPLOAD_BYTES)
    assert too_big.status_code == 413
    error = too_big.get_json()["error"]
    assert error["code"] == "payload_too_large"
    assert "15 MB" in error["message"]
    assert "photo" in error["fields"]
    way_too_big = send(client, achel["token"], b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert way_too_big.status_code == 413
    assert way_too_big.get_json()["error"]["code"] == "payload_too_large"
    assert count(app) == 0


def test_the_same_photo_twice_is_stored_once(app, achel):
    client = app.test_client()
    raw = jpeg()
    first = send(client, achel["token"], raw)
    again = send(client, achel["token"], raw, caption="nog eens")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["duplicate"] is True
    assert count(app) == 1
    narrower = send(client, achel["token"], raw, consent="analysis")
    assert narrower.get_json()["duplicate"] is True
    wider = send(client, achel["token"], raw, consent="public")
    assert wider.get_json()["duplicate"] is True
    with app.app_context():
        photo = db.session.scalars(select(Photo)).one()
        assert photo.consent == "analysis"  # the narrower consent holds, a wider one never
        assert photo.caption == ""  # the first sending's words


def test_a_retry_under_the_same_key_is_stored_once(app, achel):
    client = app.test_client()
    raw = jpeg()
    key = {"Idempotency-Key": "f4c3b00c-1"}
    first = send(client, achel["token"], raw, headers=key)
    retry = send(client, achel["token"], raw, headers=key)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json()["id"] == first.get_json()["id"]
    other = send(client, achel["token"], jpeg(), headers=key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["error"]["fields"]
    assert count(app) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"consent": ""}, "consent"),
        ({"consent": "everything"}, "consent"),
        ({"age_group": "teenager"}, "age_group"),
        ({"lat": "91"}, "lat"),
        ({"lat": "nan"}, "lat"),
        ({"neighbourhood_id": "99999"}, "neighbourhood_id"),
        ({"side": "contrast", "caption": "x" * 501}, "caption"),
    ],
)
def test_bad_fields_are_refused_with_the_field(app, achel, fields, field):
    response = send(app.test_client(), achel["token"], **fields)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert count(app) == 0


def test_no_contrast_side_in_a_week_without_contrast(app, achel):
    with app.app_context():
        assignment = db.session.get_one(PhotoAssignment, achel["id"])
        assignment.starts_on -= timedelta(days=7)  # now in week 2: no contrast
        assignment.ends_on -= timedelta(days=7)
        db.session.commit()
    response = send(app.test_client(), achel["token"], side="contrast")
    assert response.status_code == 422
    assert "side" in response.get_json()["error"]["fields"]


def test_a_pin_places_the_photo(app, achel):
    with app.app_context():
        geometry = db.session.scalars(
            select(SubMunicipality.geometry).where(SubMunicipality.name.like("%Achel%"))
        ).first()
        inside = shape(json.loads(geometry)).representative_point()
    response = send(app.test_client(), achel["token"], lat=str(inside.y), lon=str(inside.x))
    photo = processed(app, response.get_json()["id"])
    assert (round(photo.lat, 5), round(photo.lon, 5)) == (round(inside.y, 5), round(inside.x, 5))
    assert photo.neighbourhood_id == achel["hood"]


@pytest.mark.parametrize(
    ("start", "end", "words"), [(-30, -1, "afgelopen"), (3, 30, "nog niet begonnen")]
)
def test_a_closed_assignment_is_refused(app, achel, start, end, words):
    with app.app_context():
        assignment = db.session.get_one(PhotoAssignment, achel["id"])
        assignment.starts_on, assignment.ends_on = (
            TODAY + timedelta(days=start),
            TODAY + timedelta(days=end),
        )
        db.session.commit()
    client = app.test_client()
    response = send(client, achel["token"])
    assert response.status_code == 410
    assert words in response.get_json()["error"]["message"]
    assert client.get(f"/f/{achel['token']}").status_code == 410
    assert count(app) == 0


def test_the_upload_is_rate_limited_per_address(app, achel):
    app.config["PHOTO_UPLOAD_RATE_LIMIT"] = "3 per hour"
    client = app.test_client()
    codes = [send(client, achel["token"]).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert count(app) == 3


def test_page_and_api_share_one_rate_limit(app, achel):
    app.config["PHOTO_UPLOAD_RATE_LIMIT"] = "2 per hour"
    client = app.test_client()
    assert [send(client, achel["token"]).status_code for _ in range(2)] == [201, 201]
    page = client.get(f"/f/{achel['token']}").get_data(as_text=True)
    over = client.post(
        f"/f/{achel['token']}",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_from(page),
            "consent": "public",
            "photo": (io.BytesIO(jpeg()), "foto.jpg"),
        },
    )
    assert over.status_code == 429


def test_a_photo_whose_upload_is_gone_ends_as_failed_not_processing(app, achel):
    from fieldwork.photos.tasks import MAX_RETRIES, process

    with app.app_context():
        assignment = db.session.get_one(PhotoAssignment, achel["id"])
        photo, _new = services.receive_photo(
            assignment, services.Submission(raw=jpeg(), consent="analysis")
        )
        db.session.flush()
        storage().delete(photo.upload_key)  # e.g. a worker without the shared folder
        photo_id = photo.id
        db.session.commit()  # on the embedded path the task runs now and retries
        assert process.apply(args=[photo_id], retries=MAX_RETRIES).get() == "failed"
        failed = db.session.get_one(Photo, photo_id)
        db.session.refresh(failed)
        assert failed.status == "failed"
        assert failed.upload_key is None
        assert failed.failure.startswith("storage")


def test_the_page_works_without_javascript(app, achel):
    client = app.test_client()
    page = client.get(f"/f/{achel['token']}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "consent": "public",
        "caption": "De speeltuin",
        "photo": (io.BytesIO(jpeg()), "foto.jpg"),
    }
    sent = client.post(f"/f/{achel['token']}", data=data, content_type="multipart/form-data")
    assert sent.status_code == 200
    assert "Bedankt" in sent.get_data(as_text=True)
    no_consent = client.post(
        f"/f/{achel['token']}",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_from(page), "photo": (io.BytesIO(jpeg()), "foto.jpg")},
    )
    assert no_consent.status_code == 422
    not_a_photo = client.post(
        f"/f/{achel['token']}",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_from(page),
            "consent": "analysis",
            "photo": (io.BytesIO(b"hello"), "foto.jpg"),
        },
    )
    assert not_a_photo.status_code == 422
    assert "JPEG" in not_a_photo.get_data(as_text=True)
    assert count(app) == 1


# --- storage backends -----------------------------------------------------------------------


def test_local_storage_refuses_keys_outside_its_folder(tmp_path):
    files = LocalStorage(tmp_path)
    files.put("photos/a/b.jpg", b"x", "image/jpeg")
    assert files.get("photos/a/b.jpg") == b"x"
    for key in ("../etc/passwd", "/etc/passwd", "photos/../../x", "photos//x"):
        with pytest.raises(StorageError):
            files.put(key, b"x", "image/jpeg")
    files.delete("photos/a/b.jpg")
    files.delete("photos/a/b.jpg")  # twice is fine
    with pytest.raises(StorageError):
        files.get("photos/a/b.jpg")


@pytest.fixture
def s3_server():
    """A real S3-compatible HTTP server on localhost (moto's), with a bucket."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    config = {
        "S3_BUCKET": "fieldwork-photos",
        "S3_ENDPOINT_URL": f"http://{host}:{port}",
        "S3_REGION": "eu-west-1",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }
    boto3.client(
        "s3",
        endpoint_url=config["S3_ENDPOINT_URL"],
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(
        Bucket="fieldwork-photos", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    yield config
    server.stop()


def test_photos_go_to_s3_compatible_storage(embedded_app, s3_server):
    app = embedded_app
    app.config.update(STORAGE_BACKEND="s3", **s3_server)
    app.extensions.pop("fieldwork_storage", None)
    import_areas(app, "72037")
    with app.app_context():
        assert isinstance(storage(), S3Storage)
        municipality = db.session.scalars(select(Municipality).filter_by(code="72037")).one()
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Achel")).one()
        token = services.create_assignment(
            municipality, "Achel", PROMPTS[:1], [hood.id], TODAY, TODAY + timedelta(days=7), None
        ).token
        db.session.commit()
    response = send(app.test_client(), token)
    photo = processed(app, response.get_json()["id"])
    with app.app_context():
        with Image.open(io.BytesIO(storage().get(photo.thumb_key))) as thumb:
            assert max(thumb.size) <= THUMB_EDGE
        with pytest.raises(StorageError):
            storage().get(f"photos/{token}/nothing")
