"""The referral pages: a referrer files a card on a phone, a contact person types in a paper
card, a baker uses a one-time link, the coordinator prints and hands out."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import pypdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from fieldwork.auth.models import User
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.referrals.codes import display
from fieldwork.referrals.models import ReferralCard, ReferralLink, ReferralSubmission
from fieldwork.reports import rollups
from fieldwork.signals.models import Resident, Signal
from tests.conftest import csrf_from, import_areas, login, make_user, post_form
from tests.test_referrals import wait_for_pdfs


@pytest.fixture
def series(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    with app.app_context():
        from fieldwork.areas.streets import load_streets
        from fieldwork.demo.cli import DEMO_STREETS

        load_streets(DEMO_STREETS.read_bytes(), skip_invalid=True)  # Moorslede rows only
        db.session.commit()
    make_user(app, "coordinator")
    make_user(app, "referrer", name="Dr. Pieter Declercq", organisation="Huisartsen Dadizele")
    make_user(app, "contact_person")
    client = app.test_client()
    login(client, "coordinator@example.be")
    response = post_form(
        client,
        "/referrals/series/new",
        {
            "name": "Huisartsen 2026",
            "gemeente": "36012",
            "count": "5",
            "service_offer": (
                "Sociaal huis: 051 77 00 00\nDienstencentrum De Vlinder - 051 77 12 34"
            ),
            "consent_text": "Ik geef toestemming.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        codes = list(db.session.scalars(select(ReferralCard.code).order_by(ReferralCard.id)))
    assert len(codes) == 5
    yield codes
    wait_for_pdfs(app)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, its whitespace made single spaces."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def form_data(**changes):
    data = {
        "name": "Maria Claes",
        "street": "Dadizeleplaats",
        "house_number": "12",
        "deelgemeente": "36012B",
        "postcode": "8890",
        "phone": "056 12 34 56",
        "birth_year": "1941",
        "themes": ["eenzaamheid", "mobiliteit"],
        "description": "Komt weinig buiten.",
        "urgency": "normal",
        "best_time": "voormiddag",
        "consent": "signed_strip",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_coordinator_sees_the_series_with_the_pdf_ready(app, series):
    client = app.test_client()
    login(client, "coordinator@example.be")
    html = client.get("/referrals/").get_data(as_text=True)
    assert "Huisartsen 2026" in html
    with app.app_context():
        series_id = db.session.scalar(select(ReferralCard.series_id))
    deadline = time.monotonic() + 60
    while "Download de PDF" not in (
        page := client.get(f"/referrals/series/{series_id}").get_data(as_text=True)
    ):
        assert "De PDF wordt gemaakt" in page, page  # until the download is offered
        assert time.monotonic() < deadline, page
        time.sleep(0.3)
    assert display(series[0]) in page
    pdf = client.get(f"/referrals/series/{series_id}/pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.get_data())
    assert len(pypdf.PdfReader(io.BytesIO(pdf.get_data())).pages) == 2  # 4 cards a sheet
    for code in series:  # on the card and on its tear-off strip
        assert text.count(display(code)) == 2, display(code)
    # every card with the series' local service offer and its strip with the consent text
    offer = "Lokaal aanbod Sociaal huis 051 77 00 00 Dienstencentrum De Vlinder 051 77 12 34"
    assert text.count(offer) == 5
    assert text.count("Toestemming (afscheurstrook) Ik geef toestemming.") == 5


def test_a_referrer_scans_logs_in_and_files_the_card(app, series):
    client = app.test_client()
    scanned = client.get(f"/k/{series[0]}")
    assert scanned.status_code == 302
    assert "/login" in scanned.headers["Location"]
    login(client, "referrer@example.be")
    form = client.get(f"/k/{series[0]}").get_data(as_text=True)
    assert "Eenzaamheid" in form
    assert "Ik geef toestemming." in form
    response = post_form(client, f"/k/{series[0]}", form_data())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/k/{series[0]}/ontvangen"
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert display(series[0]) in receipt
    assert "Ontvangen" in receipt
    home = client.get("/home").get_data(as_text=True)
    assert display(series[0]) in home
    # a double tap or the back button: the receipt again, nothing filed twice
    token = csrf_from(client.get("/home").get_data(as_text=True))
    again = client.post(f"/k/{series[0]}", data={**form_data(), "csrf_token": token})
    assert again.headers["Location"] == f"/k/{series[0]}/ontvangen"
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        assert submission.via == "account"
        assert submission.themes == ["eenzaamheid", "mobiliteit"]
        assert submission.signals[0].neighbourhood.name == "Dadizele"
        dadizele = submission.signals[0].neighbourhood_id
    deadline = time.monotonic() + 60  # the worker counts the card for the neighbourhood
    while True:
        with app.app_context():
            filed = {k[0]: v for k, v in rollups.stored().items() if k[2] == "referrals_filed"}
        if filed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert filed == {dadizele: 1}


def test_the_form_says_what_is_missing_and_files_nothing(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    response = post_form(client, f"/k/{series[0]}", form_data(name="", themes=[], house_number=""))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Kies minstens één bezorgdheid." in html
    assert "Vul de naam in" in html
    assert "Vul het huisnummer in" in html
    with app.app_context():
        assert (
            db.session.scalar(select(ReferralCard.state).where(ReferralCard.code == series[0]))
            == "printed"
        )


def test_no_exact_number_files_on_the_village(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    response = post_form(
        client,
        f"/k/{series[1]}",
        form_data(
            street="Een straat die niemand kent",
            house_number="",
            no_exact_number="y",
            postcode="",
            deelgemeente="36012B",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        resident = submission.signals[0].resident
        assert resident.house_number is None
        assert resident.neighbourhood.name == "Dadizele"


def test_on_screen_signature_is_required_and_kept(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    missing = post_form(client, f"/k/{series[0]}", form_data(consent="signature"))
    assert missing.status_code == 400
    assert "Laat de bewoner tekenen" in missing.get_data(as_text=True)
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), "white").save(buffer, "PNG")
    import base64

    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    signed = post_form(
        client, f"/k/{series[0]}", form_data(consent="signature", signature=data_url)
    )
    assert signed.status_code == 302
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        assert submission.signature_png == buffer.getvalue()
        assert submission.signals[0].consent.method == "signature"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (3000, 2000), "white")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (50.0, 51.0, 0.0), 3: "E", 4: (3.0, 5.0, 0.0)}  # GPSInfo
    exif[0x0110] = "Camera Model"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_strip_photo_is_shrunk_and_loses_its_exif(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    token = csrf_from(client.get(f"/k/{series[0]}").get_data(as_text=True))
    photo = _jpeg_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif()
    response = client.post(
        f"/k/{series[0]}",
        data={**form_data(), "csrf_token": token, "strip_photo": (io.BytesIO(photo), "strook.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # decoded by the worker (on the embedded path: at once, in-process), never in the request
    submission = _wait_for_strip_photo(app)
    assert submission.strip_photo_status == "done"
    image = Image.open(io.BytesIO(submission.strip_photo))
    assert max(image.size) == 1600
    assert not image.getexif()


def _wait_for_strip_photo(app) -> ReferralSubmission:
    deadline = time.monotonic() + 30
    while True:
        with app.app_context():
            submission = db.session.scalars(select(ReferralSubmission)).one()
            db.session.expunge(submission)
        if submission.strip_photo_status != "pending" or time.monotonic() > deadline:
            return submission
        time.sleep(0.1)


def _post_strip_photo(app, code: str, photo: bytes, name: str = "strook.png"):
    client = app.test_client()
    login(client, "referrer@example.be")
    token = csrf_from(client.get(f"/k/{code}").get_data(as_text=True))
    return client.post(
        f"/k/{code}",
        data={**form_data(), "csrf_token": token, "strip_photo": (io.BytesIO(photo), name)},
        content_type="multipart/form-data",
    )


def test_a_small_png_of_a_huge_picture_is_refused_before_it_is_decoded(app, series):
    """57 KB on the wire, 7700 x 7700 pixels: decoding it took a web worker from 196 MB to
    563 MB. Lossless pictures have the resident photos' 25 megapixel bound, read from the
    header; nothing of the card is written."""
    buffer = io.BytesIO()
    Image.new("1", (7700, 7700), 1).save(buffer, "PNG", optimize=True)
    assert len(buffer.getvalue()) < 100_000
    response = _post_strip_photo(app, series[0], buffer.getvalue())
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "De foto heeft te veel pixels: hoogstens 25 megapixel." in html
    with app.app_context():
        assert db.session.scalar(select(ReferralSubmission.id)) is None
        assert db.session.scalar(select(func.count()).select_from(Signal)) == 0
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 0
        assert db.session.scalars(select(ReferralCard)).first().state != "used"


def test_a_strip_photo_that_does_not_decode_is_dropped_and_the_card_kept(app, series):
    """The header is fine, the picture is cut off: the worker finds out, keeps the card and
    its signals, and drops the photo (no proof is offered for it)."""
    whole = _jpeg_with_gps()
    response = _post_strip_photo(app, series[1], whole[: len(whole) // 2], "strook.jpg")
    assert response.status_code == 302, response.get_data(as_text=True)
    submission = _wait_for_strip_photo(app)
    assert submission.strip_photo_status == "failed"
    assert submission.strip_photo is None
    with app.app_context():
        from fieldwork.referrals.services import proof_of_consent

        assert proof_of_consent(submission.consent_id) is None
        assert db.session.scalar(select(func.count()).select_from(Signal)) == 2


def test_a_file_that_is_no_photo_is_refused_with_a_message(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    token = csrf_from(client.get(f"/k/{series[0]}").get_data(as_text=True))
    response = client.post(
        f"/k/{series[0]}",
        data={
            **form_data(),
            "csrf_token": token,
            "strip_photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "strook.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Dit bestand is geen foto" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ReferralSubmission.id)) is None


def test_a_contact_person_types_in_a_paper_card(app, series):
    client = app.test_client()
    login(client, "contact_person@example.be")
    typo = display(series[2])[:-1] + ("2" if series[2][-1] != "2" else "3")
    wrong = post_form(client, "/k", {"code": typo})
    assert wrong.status_code == 400
    assert "tikfout" in wrong.get_data(as_text=True)
    found = post_form(client, "/k", {"code": display(series[2]).lower()})
    assert found.headers["Location"] == f"/k/{series[2]}"
    assert "Je typt een papieren kaart over" in client.get(found.headers["Location"]).get_data(
        as_text=True
    )
    filed = post_form(client, f"/k/{series[2]}", form_data(name="Jozef Vandenbussche"))
    assert filed.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(ReferralSubmission)).one().via == "paper"


def test_a_used_card_shows_who_else_a_clear_message(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    post_form(client, f"/k/{series[0]}", form_data())
    other = app.test_client()
    login(other, "contact_person@example.be")
    response = other.get(f"/k/{series[0]}")
    assert response.status_code == 409
    assert "al ingediend" in response.get_data(as_text=True)


def make_link(app, name: str, gemeente: str = "36012", organisation: str = "") -> str:
    """The coordinator makes a one-time link on the page; returns its path (/r/<token>)."""
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    made = post_form(
        coordinator,
        "/referrals/links/new",
        {"referrer_name": name, "organisation": organisation, "gemeente": gemeente, "days": "14"},
    )
    assert made.status_code == 200
    url = re.search(r'value="(http[^"]+/r/[^"]+)"', made.get_data(as_text=True)).group(1)
    assert url.startswith(app.config["PUBLIC_BASE_URL"])
    return url.split("127.0.0.1:5000", 1)[1]


def test_a_one_time_link_for_the_baker(app, series):
    path = make_link(app, "Bakkerij Vandamme", organisation="bakker")
    baker = app.test_client()
    start = baker.get(path)
    assert start.status_code == 200
    assert "Welkom, Bakkerij Vandamme." in start.get_data(as_text=True)
    opened = post_form(baker, path, {"code": series[3]})
    assert opened.headers["Location"] == f"{path}/k/{series[3]}"
    filed = post_form(baker, opened.headers["Location"], form_data())
    assert filed.headers["Location"] == path
    receipt = baker.get(path).get_data(as_text=True)
    assert "Ontvangen" in receipt
    assert display(series[3]) in receipt
    # used: the link shows the receipt, never a second form; another card says why
    assert baker.get(f"{path}/k/{series[3]}").headers["Location"] == path
    assert baker.get(f"{path}/k/{series[4]}").status_code == 409
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        assert (submission.via, submission.referrer_name) == ("link", "Bakkerij Vandamme")
        assert submission.submitted_by_id is None
        assert submission.signals[0].consent.recorded_by_id is None
        link = db.session.scalars(select(ReferralLink)).one()
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    expired = baker.get(path)
    assert expired.status_code == 410
    assert "verlopen" in expired.get_data(as_text=True)
    assert baker.get("/r/geen-echte-link").status_code == 404


def test_the_coordinator_hands_out_a_card_to_a_referrer(app, series):
    client = app.test_client()
    login(client, "coordinator@example.be")
    with app.app_context():
        series_id = db.session.scalar(select(ReferralCard.series_id))
        referrer_id = db.session.scalar(select(User.id).where(User.role == "referrer"))
    response = post_form(
        client,
        f"/referrals/series/{series_id}",
        {"to": "", "to_user": str(referrer_id)},
        action=f"/referrals/cards/{series[0]}/hand-out",
    )
    assert response.status_code == 302
    page = client.get(f"/referrals/series/{series_id}?state=handed_out").get_data(as_text=True)
    assert "Dr. Pieter Declercq" in page
    assert display(series[0]) in page
    assert display(series[1]) not in page


@pytest.mark.parametrize("role", ["referrer", "contact_person", "volunteer", "analyst"])
def test_only_coordinators_reach_the_series_pages(app, series, role):
    if role not in ("referrer", "contact_person"):
        make_user(app, role)
    client = app.test_client()
    login(client, f"{role}@example.be")
    assert client.get("/referrals/").status_code == 403
    assert client.get("/referrals/series/new").status_code == 403
    assert client.get("/referrals/links/new").status_code == 403
    expected = 200 if role in ("referrer", "contact_person") else 403
    assert client.get("/k").status_code == expected


def test_the_contact_person_sees_the_signature_on_the_case(app, series, request):
    import base64

    from fieldwork.cases.models import Case
    from fieldwork.core.models import AuditEvent
    from fieldwork.signals.models import Consent

    client = app.test_client()
    login(client, "referrer@example.be")
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), "white").save(buffer, "PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    post_form(client, f"/k/{series[0]}", form_data(consent="signature", signature=data_url))

    def case_id():
        with app.app_context():
            return db.session.scalar(select(Case.id))

    deadline = time.monotonic() + 30
    while case_id() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    with app.app_context():
        consent_id = db.session.scalar(select(Consent.id))
    proof_url = f"/consents/{consent_id}/proof"
    assert client.get(proof_url).status_code == 403  # the referrer: never
    staff = app.test_client()
    login(staff, "coordinator@example.be")
    page = staff.get(f"/cases/{case_id()}").get_data(as_text=True)
    assert proof_url in page
    assert "toestemmingstekst versie 1" in page
    proof = staff.get(proof_url)
    assert proof.mimetype == "image/png"
    assert proof.get_data() == buffer.getvalue()
    other = app.test_client()
    login(other, "contact_person@example.be")  # not the owner, not in a team
    assert other.get(proof_url).status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEvent.id).where(AuditEvent.action == "consent_proof_viewed")
            )
            is not None
        )


def test_an_unknown_street_with_a_number_goes_to_the_fixup_list(app, series):
    from fieldwork.areas.models import AddressFixup

    client = app.test_client()
    login(client, "referrer@example.be")
    response = post_form(
        client, f"/k/{series[0]}", form_data(street="Onbekende Dreef", house_number="5")
    )
    assert response.status_code == 302
    with app.app_context():
        resident = db.session.scalars(select(ReferralSubmission)).one().signals[0].resident
        assert resident.neighbourhood.is_unlocatable
        assert db.session.scalars(select(AddressFixup)).one().street == "Onbekende Dreef"


def test_without_a_number_the_village_must_be_chosen(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    response = post_form(
        client, f"/k/{series[0]}", form_data(house_number="", no_exact_number="y", deelgemeente="")
    )
    assert response.status_code == 400
    assert "Kies de deelgemeente" in response.get_data(as_text=True)


def test_a_filed_card_cannot_be_voided_and_a_huge_page_number_is_fine(app, series):
    client = app.test_client()
    login(client, "referrer@example.be")
    post_form(client, f"/k/{series[0]}", form_data())
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    with app.app_context():
        series_id = db.session.scalar(select(ReferralCard.series_id))
    page = f"/referrals/series/{series_id}"
    response = post_form(
        coordinator, page, {"reason": "x"}, action=f"/referrals/cards/{series[0]}/void"
    )
    assert "kan niet meer ongeldig" in coordinator.get(response.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        assert (
            db.session.scalar(select(ReferralCard.state).where(ReferralCard.code == series[0]))
            == "used"
        )
    assert coordinator.get(f"{page}?page=99999999999999999999").status_code == 200


def test_a_failed_pdf_can_be_made_again(app, series):
    from fieldwork.referrals.models import CardSeries, CardSeriesPdf

    client = app.test_client()
    login(client, "coordinator@example.be")
    with app.app_context():
        series_row = db.session.scalars(select(CardSeries)).one()
        deadline = time.monotonic() + 60
        while series_row.pdf_status != "done" and time.monotonic() < deadline:
            time.sleep(0.3)
            db.session.refresh(series_row)
        series_row.pdf_status, series_row.pdf_error = "failed", "OSError: disk full"
        db.session.execute(CardSeriesPdf.__table__.delete())
        db.session.commit()
        series_id = series_row.id
    page = client.get(f"/referrals/series/{series_id}").get_data(as_text=True)
    assert "Maak de PDF opnieuw" in page
    assert "disk full" not in page
    post_form(
        client, f"/referrals/series/{series_id}", {}, action=f"/referrals/series/{series_id}/pdf"
    )
    deadline = time.monotonic() + 60
    while (pdf := client.get(f"/referrals/series/{series_id}/pdf")).mimetype != "application/pdf":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    text = pdf_text(pdf.get_data())  # the whole series again
    assert [text.count(display(code)) for code in series] == [2] * len(series)


def test_a_link_only_files_cards_of_its_municipality_and_can_be_revoked(app, series):
    import_areas(app, "72037")
    path = make_link(app, "Apotheek Achel", gemeente="72037")
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    other = app.test_client().get(f"{path}/k/{series[0]}")
    assert other.status_code == 403
    assert "andere gemeente" in other.get_data(as_text=True)
    with app.app_context():
        link_id = db.session.scalar(select(ReferralLink.id))
    post_form(coordinator, "/referrals/", {}, action=f"/referrals/links/{link_id}/revoke")
    assert app.test_client().get(path).status_code == 404


def test_one_link_files_one_card_even_from_two_open_forms(app, series):
    path = make_link(app, "Postbode Jan", organisation="bpost")
    tab = app.test_client()
    first = csrf_from(tab.get(f"{path}/k/{series[0]}").get_data(as_text=True))
    second = csrf_from(tab.get(f"{path}/k/{series[1]}").get_data(as_text=True))
    assert (
        tab.post(f"{path}/k/{series[0]}", data={**form_data(), "csrf_token": first}).status_code
        == 302
    )
    tab.post(f"{path}/k/{series[1]}", data={**form_data(), "csrf_token": second})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferralSubmission)) == 1
        assert (
            db.session.scalar(select(ReferralCard.state).where(ReferralCard.code == series[1]))
            == "printed"
        )


def test_a_strip_photo_whose_task_was_lost_is_cleaned_by_the_sweep(app, series):
    """The task was lost (a broker restarted empty): some minutes later `tasks tick` (beat's
    referrals.requeue_strip_photos on the production path) gives the photo its task again;
    a photo filed just now is left to its own task."""
    photo = _jpeg_with_gps()
    response = _post_strip_photo(app, series[0], photo, "strook.jpg")
    assert response.status_code == 302
    _wait_for_strip_photo(app)
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        submission.strip_photo, submission.strip_photo_status = photo, "pending"
        db.session.commit()
    runner = app.test_cli_runner()
    assert "strip photos: 0 re-queued" in runner.invoke(args=["tasks", "tick"]).output
    with app.app_context():
        submission = db.session.scalars(select(ReferralSubmission)).one()
        submission.created_at = utcnow() - timedelta(minutes=6)
        db.session.commit()
    assert "strip photos: 1 re-queued" in runner.invoke(args=["tasks", "tick"]).output
    submission = _wait_for_strip_photo(app)
    assert submission.strip_photo_status == "done"
    image = Image.open(io.BytesIO(submission.strip_photo))
    assert max(image.size) == 1600
    assert not image.getexif()
    from fieldwork.config import celery_config

    schedule = celery_config(app.config)["beat_schedule"]
    assert schedule["strip-photos"]["task"] == "referrals.requeue_strip_photos"
    assert "referrals.requeue_strip_photos" in app.extensions["celery"].tasks


def test_a_series_or_a_link_sent_twice_is_made_once(app, series):
    from fieldwork.referrals.models import CardSeries, ReferralLink
    from tests.conftest import post_form_twice

    client = app.test_client()
    login(client, "coordinator@example.be")
    made = post_form_twice(
        client,
        "/referrals/series/new",
        {"name": "Apothekers", "gemeente": "36012", "count": "3", "consent_text": "Ja."},
    )
    assert made == [302, 302]
    link = post_form_twice(
        client,
        "/referrals/links/new",
        {"referrer_name": "Bakkerij", "organisation": "bakker", "gemeente": "36012", "days": "14"},
    )
    assert link == [200, 302]
    with app.app_context():
        names = list(db.session.scalars(select(CardSeries.name)))
        assert names.count("Apothekers") == 1
        assert db.session.scalar(select(func.count()).select_from(ReferralLink)) == 1
