"""The social map (issue 21): a municipality's register loaded from its own CSV (Excel
encodings, rows refused with their line and reason, a second load updating, never doubling),
the export that loads back unchanged, the search by theme, neighbourhood and target group
(a property: exactly the services that match), the coordinator's forms, who may do what, and
the search on a phone — on both paths."""

from __future__ import annotations

import io
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.streets import load_streets
from fieldwork.demo.cli import DEMO_SOCIAL_MAP, DEMO_STREETS
from fieldwork.extensions import db
from fieldwork.partners.models import MenuCardJob, Organisation, PartnerService
from fieldwork.partners.services import (
    OrganisationData,
    ServiceData,
    offer_lines,
    save_organisation,
    save_service,
    search_services,
)
from fieldwork.partners.vocabulary import TARGET_GROUPS
from fieldwork.signals.vocabulary import THEMES
from tests.conftest import ROLES, csrf_from, import_areas, login, make_user
from tests.test_drafts_browser import demo_phone, log_in  # noqa: F401 - fixture
from tests.test_referral_pdf import decoded_urls

HEADER = "organisatie;soort;aanbod;themas;doelgroepen;buurten;straat;huisnummer;postcode;telefoon"


@pytest.fixture
def coordinator_client(app, client):
    import_areas(app, "36012")
    with app.app_context():
        load_streets(DEMO_STREETS.read_bytes(), skip_invalid=True)
        db.session.commit()
    make_user(app, "coordinator")
    login(client, "coordinator@example.be")
    return client


def _upload(client, raw: bytes, name: str = "kaart.csv"):
    page = client.get("/sociale-kaart/beheer?gemeente=36012")
    return client.post(
        "/sociale-kaart/beheer/import?gemeente=36012",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "file": (io.BytesIO(raw), name),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Organisation)) or 0,
            db.session.scalar(select(func.count()).select_from(PartnerService)) or 0,
        )


def test_the_municipalitys_csv_from_excel_loads_and_a_second_load_updates(app, coordinator_client):
    raw = DEMO_SOCIAL_MAP.read_text("utf-8").encode("cp1252")  # Excel on Windows
    page = _upload(coordinator_client, raw).get_data(as_text=True)
    assert "9 aanbiedingen ingelezen, van 7 organisaties." in page
    assert _counts(app) == (7, 9)
    with app.app_context():
        ldc = db.session.scalar(
            select(Organisation).filter_by(name="Lokaal dienstencentrum De Stekke")
        )
        assert ldc.kind == "ldc"
        assert ldc.phone == "051 78 91 40"
        assert ldc.neighbourhood.name == "Moorslede"  # placed by the street table
        meeting = next(s for s in ldc.services if s.name == "Ontmoeting en activiteiten")
        assert meeting.themes == ["eenzaamheid", "sociaal_isolement", "vrije_tijd"]
        assert meeting.target_groups == ["65plus", "alleenwonend"]
        assert [n.name for n in meeting.neighbourhoods] == ["Moorslede"]
        assert meeting.cost == "Lidgeld € 5 per jaar"

    changed = DEMO_SOCIAL_MAP.read_text("utf-8").replace("Lidgeld € 5", "Lidgeld € 7")
    _upload(coordinator_client, changed.encode("utf-8-sig"))
    assert _counts(app) == (7, 9)  # updated, not doubled
    with app.app_context():
        assert db.session.scalar(
            select(PartnerService.cost).filter_by(name="Ontmoeting en activiteiten")
        ) == ("Lidgeld € 7 per jaar")


def test_rows_that_cannot_be_read_are_named_with_their_line_and_the_rest_is_kept(
    app, coordinator_client
):
    rows = [
        HEADER,
        "LDC De Stekke;Lokaal dienstencentrum;Koffie;Eenzaamheid;65-plussers;;Kerkstraat;12;8890;",
        "Club;Vereniging;Kaarten;Breien;iedereen;;;;;",
        "Club;Vereniging;Petanque;Vrije tijd en ontmoeting;iedereen;Atlantis;;;;",
        "Club;Ruimtevaart;Raket;Mobiliteit;iedereen;;;;;",
        "Huis;Andere;Zitdag;Informatie over het aanbod;iedereen;;;;;abc",
    ]
    page = _upload(coordinator_client, "\r\n".join(rows).encode()).get_data(as_text=True)
    assert "Regel 3 niet ingelezen: thema &#39;Breien&#39; is onbekend" in page
    assert "Regel 4 niet ingelezen: buurt &#39;Atlantis&#39; bestaat niet in deze gemeente" in page
    assert "Regel 5 niet ingelezen: soort &#39;Ruimtevaart&#39; is onbekend" in page
    assert "Regel 6 niet ingelezen" in page
    assert _counts(app) == (1, 1)  # line 2 only; nothing half-written of the others


def test_a_file_without_the_needed_columns_stores_nothing(app, coordinator_client):
    page = _upload(coordinator_client, b"naam;adres\nx;y\n").get_data(as_text=True)
    assert "Deze kolommen ontbreken: organisatie, soort, aanbod" in page
    assert _counts(app) == (0, 0)


def test_the_export_loads_back_unchanged(app, coordinator_client):
    _upload(coordinator_client, DEMO_SOCIAL_MAP.read_bytes())
    first = coordinator_client.get("/sociale-kaart/beheer/export.csv?gemeente=36012")
    assert first.status_code == 200
    assert first.mimetype == "text/csv"
    assert first.data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    text = first.data.decode("utf-8-sig")
    assert "Sociaal Huis Moorslede;Sociale dienst (OCMW);Maaltijden aan huis" in text
    assert "Eenzaamheid | Sociaal isolement | Vrije tijd en ontmoeting" in text
    _upload(coordinator_client, first.data)
    assert _counts(app) == (7, 9)
    again = coordinator_client.get("/sociale-kaart/beheer/export.csv?gemeente=36012")
    assert again.data == first.data


def test_cells_a_spreadsheet_takes_for_a_formula_come_back_as_typed(app, coordinator_client):
    rows = [
        HEADER + ";beschrijving",
        "Lijn;Andere;Hulplijn;Eenzaamheid;iedereen;;;;;+31 20 794 0000;=1+1 of -2",
    ]
    _upload(coordinator_client, "\n".join(rows).encode())
    exported = coordinator_client.get("/sociale-kaart/beheer/export.csv?gemeente=36012").data
    assert b"'+31 20 794 0000" in exported
    assert b"'=1+1 of -2" in exported
    _upload(coordinator_client, exported)
    with app.app_context():
        assert db.session.scalar(select(Organisation.phone)) == "+31 20 794 0000"
        assert db.session.scalar(select(PartnerService.description)) == "=1+1 of -2"


def _build_map(app) -> dict[str, int]:
    """Services with known themes, groups and neighbourhoods: name → id."""
    with app.app_context():
        moorslede = db.session.scalar(select(Municipality).filter_by(code="36012"))
        hoods = {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}
        org = save_organisation(moorslede, OrganisationData(name="Huis", kind="andere"))
        specs = [
            ("Alles", [], ["iedereen"], []),
            ("Vervoer", ["mobiliteit"], ["65plus"], ["Moorslede"]),
            ("Eten", ["eenzaamheid", "vrije_tijd"], ["iedereen"], ["Dadizele"]),
            ("Klussen", ["woning", "veiligheid"], ["65plus", "beperking"], []),
            ("Praatgroep", ["eenzaamheid"], ["alleenwonend"], ["Moorslede", "Dadizele"]),
        ]
        ids = {}
        for name, themes, groups, where in specs:
            service = save_service(
                org,
                ServiceData(
                    name=name,
                    themes=themes,
                    target_groups=groups,
                    neighbourhood_ids=[hoods[w] for w in where],
                ),
            )
            ids[name] = service.id
        db.session.commit()
        return ids


@pytest.mark.parametrize("app", ["embedded"], indirect=True)
def test_the_search_finds_exactly_the_services_that_match(app):
    import_areas(app, "36012")
    _build_map(app)
    with app.app_context():
        moorslede = db.session.scalar(select(Municipality).filter_by(code="36012"))
        hood_ids = [None, *db.session.scalars(select(Neighbourhood.id))]
        services = list(db.session.scalars(select(PartnerService)))
        spec = {
            s.id: (set(s.themes), set(s.target_groups), {n.id for n in s.neighbourhoods})
            for s in services
        }

        @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(
            theme=st.sampled_from([None, *THEMES]),
            hood=st.sampled_from(hood_ids),
            group=st.sampled_from([None, *TARGET_GROUPS]),
        )
        def matches(theme, hood, group) -> None:
            found = {s.id for s in search_services(moorslede, theme, hood, group)}
            expected = {
                sid
                for sid, (themes, groups, hoods) in spec.items()
                if (theme is None or theme in themes)
                and (group is None or group in groups or "iedereen" in groups)
                and (hood is None or not hoods or hood in hoods)
            }
            assert found == expected

        matches()


def test_the_search_page_filters_and_shows_how_to_reach(app, client):
    import_areas(app, "36012")
    ids = _build_map(app)
    make_user(app, "volunteer")
    login(client, "volunteer@example.be")
    with app.app_context():
        dadizele = db.session.scalar(select(Neighbourhood.id).filter_by(name="Dadizele"))
    html = client.get(
        f"/sociale-kaart/?gemeente=36012&theme=eenzaamheid&neighbourhood={dadizele}"
    ).get_data(as_text=True)
    assert "Eten" in html
    assert "Praatgroep" in html
    assert "Vervoer" not in html
    assert "Klussen" not in html
    assert "2 aanbiedingen" in html
    detail = client.get(f"/sociale-kaart/aanbod/{ids['Vervoer']}").get_data(as_text=True)
    assert "Mobiliteit" in detail
    assert "65-plussers" in detail
    assert "Moorslede" in detail
    assert client.get("/sociale-kaart/aanbod/999999").status_code == 404


def test_the_coordinator_keeps_an_organisation_and_its_offer(app, coordinator_client):
    page = "/sociale-kaart/beheer/organisatie/nieuw?gemeente=36012"
    csrf = csrf_from(coordinator_client.get(page).get_data(as_text=True))
    form = {"csrf_token": csrf, "name": "Buurthuis", "kind": "vereniging", "phone": "abc"}
    refused = coordinator_client.post(page, data=form)
    assert refused.status_code == 200
    assert _counts(app) == (0, 0)
    not_an_address = coordinator_client.post(page, data={**form, "email": "buurthuis at moorslede"})
    assert not_an_address.status_code == 200
    assert 'id="email-error"' in not_an_address.get_data(as_text=True)
    assert _counts(app) == (0, 0)
    saved = coordinator_client.post(
        page,
        data={
            **form,
            "phone": "051789140",
            "street": "Kerkstraat",
            "postcode": "8890",
            "email": "buurthuis@moorslede.be",
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        assert org.phone == "051 78 91 40"
        assert org.email == "buurthuis@moorslede.be"
        assert org.neighbourhood.name == "Moorslede"
        org_id = org.id
    double = coordinator_client.post(page, data={**form, "name": " buurthuis ", "phone": ""})
    assert "Er is al een organisatie met die naam." in double.get_data(as_text=True)
    new_service = f"/sociale-kaart/beheer/organisatie/{org_id}/aanbod/nieuw"
    csrf = csrf_from(coordinator_client.get(new_service).get_data(as_text=True))
    added = coordinator_client.post(
        new_service,
        data={
            "csrf_token": csrf,
            "name": "Soepnamiddag",
            "themes": ["eenzaamheid", "vrije_tijd"],
            "target_groups": ["65plus"],
        },
    )
    assert added.status_code == 302
    with app.app_context():
        service = db.session.scalar(select(PartnerService))
        assert service.themes == ["eenzaamheid", "vrije_tijd"]
        assert service.neighbourhoods == []


@pytest.mark.parametrize("app", ["embedded"], indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_everyone_searches_only_the_coordinator_keeps_the_map(app, client, role):
    import_areas(app, "36012")
    make_user(app, role)
    assert client.get("/sociale-kaart/").status_code == 302  # anonymous: to the login
    login(client, f"{role}@example.be")
    assert client.get("/sociale-kaart/").status_code == 200
    keeper = 200 if role == "coordinator" else 403
    assert client.get("/sociale-kaart/beheer").status_code == keeper
    assert client.get("/sociale-kaart/beheer/export.csv").status_code == keeper
    assert client.get("/sociale-kaart/beheer/organisatie/nieuw").status_code == keeper
    if role != "coordinator":
        csrf = csrf_from(client.get("/sociale-kaart/").get_data(as_text=True))
        assert (
            client.post("/sociale-kaart/beheer/import", data={"csrf_token": csrf}).status_code
            == 403
        )


@pytest.mark.browser
def test_on_a_phone_a_volunteer_finds_transport_and_can_call(demo_phone):  # noqa: F811
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.get_by_role("link", name="Sociale kaart").click()
    page.get_by_label("Thema").select_option(label="Mobiliteit")
    page.get_by_label("Voor wie").select_option(label="65-plussers")
    page.get_by_role("button", name="Zoeken").click()
    result = page.locator("article", has_text="Vervoer met vrijwillige chauffeurs")
    expect(result).to_be_visible()
    assert page.locator("article", has_text="Samen eten op dinsdag").count() == 0
    call = result.get_by_role("link", name="Bel 051 78 91 10")
    assert call.get_attribute("href") == "tel:051789110"
    assert call.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _wait_for_card(app, job_id: int) -> MenuCardJob:
    deadline = time.monotonic() + 60
    while True:
        with app.app_context():
            job = db.session.get_one(MenuCardJob, job_id)
            if job.status in ("done", "failed") or time.monotonic() > deadline:
                db.session.expunge(job)
                return job
        time.sleep(0.3)


def test_an_info_card_for_a_target_group_and_neighbourhood_is_made_by_the_worker(
    app, coordinator_client, request
):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    _upload(coordinator_client, DEMO_SOCIAL_MAP.read_bytes())
    with app.app_context():
        dadizele = db.session.scalar(select(Neighbourhood.id).filter_by(name="Dadizele"))
        expected = {
            s.id
            for s in search_services(
                db.session.scalar(select(Municipality).filter_by(code="36012")),
                None,
                dadizele,
                "65plus",
            )
        }
    page = "/sociale-kaart/menukaart?gemeente=36012"
    csrf = csrf_from(coordinator_client.get(page).get_data(as_text=True))
    made = coordinator_client.post(
        page,
        data={
            "csrf_token": csrf,
            "target_group": "65plus",
            "neighbourhood": str(dadizele),
            "size": "A5",
        },
    )
    assert made.status_code == 302
    job_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert _wait_for_card(app, job_id).status == "done"
    assert "Kaart openen (PDF)" in coordinator_client.get(made.headers["Location"]).get_data(
        as_text=True
    )
    pdf = coordinator_client.get(f"/sociale-kaart/menukaart/{job_id}.pdf")
    assert pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (420, 595)  # A5
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Voor 65-plussers in Dadizele" in text
    assert "Samen eten op dinsdag" in text  # "iedereen", in Dadizele
    assert "Ontmoeting en activiteiten" not in text  # only in Moorslede
    assert len(expected) >= 4
    urls = set().union(*(decoded_urls(pdf.data, n) for n in range(len(reader.pages))))
    assert urls == {f"http://127.0.0.1:5000/sociale-kaart/aanbod/{sid}" for sid in expected}


@pytest.mark.parametrize("app", ["embedded"], indirect=True)
def test_an_info_card_is_for_staff_and_says_so_when_there_is_nothing(app, client):
    import_areas(app, "36012")
    make_user(app, "volunteer")
    make_user(app, "contact_person")
    login(client, "volunteer@example.be")
    assert client.get("/sociale-kaart/menukaart").status_code == 403
    staff = app.test_client()
    login(staff, "contact_person@example.be")
    page = "/sociale-kaart/menukaart?gemeente=36012"
    csrf = csrf_from(staff.get(page).get_data(as_text=True))
    made = staff.post(page, data={"csrf_token": csrf, "target_group": "80plus", "size": "A4"})
    job_id = int(made.headers["Location"].rsplit("/", 1)[1])
    text = PdfReader(io.BytesIO(staff.get(f"/sociale-kaart/menukaart/{job_id}.pdf").data))
    assert "De sociale kaart heeft hiervoor nog geen aanbod." in text.pages[0].extract_text()
    bad = staff.post(page, data={"csrf_token": csrf, "target_group": "marsmannen", "size": "A4"})
    assert bad.status_code == 200
    assert "Kies een doelgroep uit de lijst." in bad.get_data(as_text=True)


def test_a_card_series_and_a_visit_round_start_from_the_social_map(app, coordinator_client):
    _upload(coordinator_client, DEMO_SOCIAL_MAP.read_bytes())
    series = coordinator_client.get("/referrals/series/new?gemeente=36012").get_data(as_text=True)
    assert (
        "Vervoer met vrijwillige chauffeurs (Minder Mobielen Centrale Moorslede): 051 78 91 10"
        in series
    )
    round_page = coordinator_client.get("/visit-rounds/new?gemeente=36012").get_data(as_text=True)
    assert "Samen eten op dinsdag (Dorpsrestaurant Dadizele)" in round_page
    assert "Samen eten op dinsdag (Dorpsrestaurant Dadizele): 051" not in round_page
    with app.app_context():
        moorslede = db.session.scalar(select(Municipality).filter_by(code="36012"))
        lines = offer_lines(moorslede, limit=120)
    assert len("\n".join(lines)) <= 120
    assert 1 <= len(lines) < 9


def test_an_info_card_whose_message_is_lost_or_worker_killed_is_made_again(
    app, coordinator_client, monkeypatch, request
):
    """Lost by the broker: still "pending", for ever without the sweep. Cut off while
    "running" (the worker killed mid-render): left alone while it may still be at work, then
    made again. Each card once: a second sweep finds nothing."""
    from tests.test_reconcile import lose, tick

    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    page = "/sociale-kaart/menukaart?gemeente=36012"
    with monkeypatch.context() as broker:
        lose(app, broker, "partners.render_menu_card")
        ids = []
        for size in ("A4", "A5"):
            csrf = csrf_from(coordinator_client.get(page).get_data(as_text=True))
            made = coordinator_client.post(
                page, data={"csrf_token": csrf, "target_group": "80plus", "size": size}
            )
            ids.append(int(made.headers["Location"].rsplit("/", 1)[1]))
    lost, killed = ids
    with app.app_context():
        db.session.get_one(MenuCardJob, killed).status = "running"
        db.session.commit()
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    app.config["RECONCILE_RUNNING_AFTER_SECONDS"] = 3600  # the killed one may still be at work
    assert "reconcile: 1 re-enqueued (menucards 1)" in tick(app)
    assert _wait_for_card(app, lost).status == "done"
    app.config["RECONCILE_RUNNING_AFTER_SECONDS"] = 0
    assert "reconcile: 1 re-enqueued (menucards 1)" in tick(app)
    assert _wait_for_card(app, killed).status == "done"
    assert coordinator_client.get(f"/sociale-kaart/menukaart/{killed}.pdf").data.startswith(b"%PDF")
    assert "reconcile: 0 re-enqueued" in tick(app)
