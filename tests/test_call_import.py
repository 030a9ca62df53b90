"""A call campaign's own call list: the CSV import (encodings, separators, rejected rows with
their reasons, all or nothing, no duplicates on a second import), the selection by age band,
living alone and neighbourhood, who may import, and the pages — on both paths (the real
worker on the production one)."""

from __future__ import annotations

import io
import time
from datetime import time as clock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.streets import load_streets
from fieldwork.calls import importer
from fieldwork.calls.campaigns import Criteria, create_campaign, select_targets
from fieldwork.calls.importer import run_call_import, start_call_import
from fieldwork.calls.models import CallCampaign, CallCandidate, CallImport, CallTarget
from fieldwork.calls.rules import local
from fieldwork.db import utcnow
from fieldwork.demo.cli import DEMO_STREETS
from fieldwork.extensions import db
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import Resident
from tests.conftest import csrf_from, import_areas, login, make_user

YEAR = local(utcnow()).year
HEADER = "naam;straat;huisnummer;postcode;geboortejaar;telefoon;alleenwonend"
HOOD_OF = {  # the street table of the demo: A-sectors Moorslede, B-sectors Dadizele
    "Marktplaats": "Moorslede",
    "Kerkstraat": "Moorslede",
    "Dadizeleplaats": "Dadizele",
    "Moorseelsestraat": "Dadizele",
}


def _campaign(app) -> int:
    """Moorslede with its street table and a coordinator; a campaign over Moorslede and
    Dadizele."""
    import_areas(app, "36012")
    make_user(app, "coordinator")
    with app.app_context():
        load_streets(DEMO_STREETS.read_bytes(), skip_invalid=True)
        hoods = db.session.scalars(
            select(Neighbourhood).where(Neighbourhood.name.in_(["Moorslede", "Dadizele"]))
        ).all()
        campaign = create_campaign(
            hoods[0].municipality,
            "Alleenwonende 75-plussers",
            [h.id for h in hoods],
            [],
            [],
            3,
            120,
            clock(10),
            clock(19),
            None,
            None,
        )
        db.session.commit()
        return campaign.id


@pytest.fixture
def campaign_id(app, request) -> int:
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    return _campaign(app)


def _wait_for(app, job_id: int) -> CallImport:
    deadline = time.monotonic() + 90
    while True:
        with app.app_context():
            job = db.session.get(CallImport, job_id)
            if job.status in ("done", "failed"):
                db.session.expunge(job)
                return job
        assert time.monotonic() < deadline, "the import did not finish within 90 s"
        time.sleep(0.2)


def run(app, campaign_id: int, raw: bytes) -> CallImport:
    """Upload as the page does: read by the worker (in-process on the embedded path)."""
    with app.app_context():
        campaign = db.session.get_one(CallCampaign, campaign_id)
        job = start_call_import(campaign, "bellijst.csv", raw, None)
        db.session.commit()
        job_id = job.id
    return _wait_for(app, job_id)


def _job(app, campaign_id: int, raw: bytes) -> int:
    """An import the worker has not seen (no outbox message: these tests run it here)."""
    with app.app_context():
        job = CallImport(campaign_id=campaign_id, filename="bellijst.csv", data=raw, report={})
        db.session.add(job)
        db.session.commit()
        return job.id


def _candidates(app) -> dict[str, tuple[str, bool | None, str]]:
    with app.app_context():
        return {
            c.name: (c.phone, c.living_alone, c.neighbourhood.name)
            for c in db.session.scalars(select(CallCandidate))
        }


def test_semicolons_in_excel_latin1_with_accents(app, campaign_id):
    raw = (
        f"{HEADER}\r\n"
        "Noël Verhelst;Kerkstraat;12;8890;1941;051/77.32.12;ja\r\n"
        "Irène Vandenberghe;Dadizeleplaats;27;8890;1931;+32 471 23 45 27;nee\r\n"
    ).encode("cp1252")
    job = run(app, campaign_id, raw)
    assert job.status == "done", job.report
    assert (job.total, job.accepted) == (2, 2)
    assert _candidates(app) == {
        "Noël Verhelst": ("051 77 32 12", True, "Moorslede"),
        "Irène Vandenberghe": ("0471 23 45 27", False, "Dadizele"),
    }


def test_utf8_with_bom_commas_and_english_headings(app, campaign_id):
    raw = (
        "\ufeffname,street,house_number,postcode,birth_year,phone,living alone\n"
        "Agnes Debruyne,Marktplaats,4,8890,1948,051 77 35 33,\n"
        "Julien Maes,Marktplaats,6,8890,1939,051 77 36 02,x\n"
        "Maria Decock,Moorseelsestraat,5,8890,1945,0470 12 34 56,yes\n"
        "Daniël Callens,Moorseelsestraat,21,8890,1962,0477 65 43 21,0\n"
    ).encode("utf-8")
    job = run(app, campaign_id, raw)
    assert job.accepted == 4, job.report
    found = {name: alone for name, (_phone, alone, _hood) in _candidates(app).items()}
    assert found == {
        "Agnes Debruyne": None,
        "Julien Maes": True,
        "Maria Decock": True,
        "Daniël Callens": False,
    }


def test_rejected_rows_name_their_line_and_reason(app, campaign_id):
    raw = (
        f"{HEADER}\n"
        "Gilbert Vandewalle;Kerkstraat;16;8890;1950;;ja\n"
        "Roger Lambrecht;Kerkstraat;8;8890;1958;12345;nee\n"
        "Simonne Vermeulen;Onbestaandestraat;9;8890;1934;056 50 11 09;ja\n"
        "Marcel Deprez;Kerkstraat;14;8890;1944;051 77 32 14;misschien\n"
        "Godelieve Vanneste;Marktplaats;4;8890;1936;051 77 31 04;ja\n"
    ).encode()
    job = run(app, campaign_id, raw)
    assert (job.status, job.total, job.accepted) == ("done", 5, 1)
    assert job.report["rejected"] == [
        {"line": 2, "reason": "telefoonnummer ontbreekt"},
        {"line": 3, "reason": "telefoonnummer is geen geldig nummer"},
        {
            "line": 4,
            "reason": "adres onbekend: geen straat 'Onbestaandestraat' met postcode 8890",
        },
        {"line": 5, "reason": "alleenwonend 'misschien' is geen ja of nee"},
    ]
    assert list(_candidates(app)) == ["Godelieve Vanneste"]


def test_importing_the_same_file_again_adds_nobody_twice(app, campaign_id):
    raw = (
        f"{HEADER}\n"
        "Godelieve Vanneste;Marktplaats;4;8890;1936;051 77 31 04;ja\n"
        "GODELIEVE  VANNESTE;marktplaats;4;8890;1936;051 77 31 04;ja\n"
        "Noël Verhelst;Kerkstraat;12;8890;1941;051 77 32 12;ja\n"
    ).encode()
    first = run(app, campaign_id, raw)
    assert first.accepted == 2
    assert first.report["duplicates"] == [{"line": 3, "of_line": 2}]
    second = run(app, campaign_id, raw)
    assert (second.status, second.accepted) == ("done", 0)
    assert second.report["counts"]["duplicates"] == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallCandidate)) == 2


def test_a_file_without_a_phone_column_fails_and_stores_nothing(app, campaign_id):
    raw = b"naam;straat;huisnummer;postcode\nJan;Kerkstraat;1;8890\n"
    job = run(app, campaign_id, raw)
    assert job.status == "failed"
    assert job.report == {"error": "De kolom 'telefoon' ontbreekt in de eerste regel."}
    assert _candidates(app) == {}


def test_an_error_half_way_leaves_nothing_and_a_second_delivery_is_harmless(
    embedded_app, monkeypatch
):
    app = embedded_app
    campaign_id = _campaign(app)
    rows = [f"Bewoner {i};Kerkstraat;{i};8890;1940;051 77 30 {i:02d};ja" for i in range(1, 6)]
    raw = "\n".join([HEADER, *rows]).encode()
    place = importer.place_in_campaign

    def failing(campaign, row, places):
        if row.line == 4:
            raise RuntimeError("disk full")
        return place(campaign, row, places)

    monkeypatch.setattr(importer, "place_in_campaign", failing)
    job_id = _job(app, campaign_id, raw)
    with app.app_context():
        job = run_call_import(job_id)
        assert job is not None
        assert job.status == "failed"
        assert "niets opgeslagen" in job.report["error"]
    assert _candidates(app) == {}
    monkeypatch.setattr(importer, "place_in_campaign", place)
    again = _job(app, campaign_id, raw)
    with app.app_context():
        assert run_call_import(again).accepted == 5
        assert run_call_import(again).accepted == 5  # delivered twice: read once
        assert db.session.scalar(select(func.count()).select_from(CallCandidate)) == 5


DEMO_ROWS = (
    f"{HEADER}\n"
    f"Godelieve Vanneste;Marktplaats;4;8890;{YEAR - 90};051 77 31 04;ja\n"
    f"Marcel Deprez;Kerkstraat;14;8890;{YEAR - 82};051 77 32 14;nee\n"
    f"Agnes Debruyne;Kerkstraat;33;8890;{YEAR - 78};051 77 35 33;\n"
    f"Roger Lambrecht;Kerkstraat;8;8890;{YEAR - 68};0486 12 08 08;ja\n"
    f"Simonne Vermeulen;Dadizeleplaats;9;8890;{YEAR - 92};056 50 11 09;ja\n"
    f"Maria Decock;Moorseelsestraat;5;8890;{YEAR - 81};056 50 12 05;x\n"
)


def _select(app, campaign_id: int, criteria: Criteria) -> set[str]:
    with app.app_context():
        select_targets(db.session.get_one(CallCampaign, campaign_id), criteria, YEAR)
        db.session.commit()
        return set(db.session.scalars(select(CallTarget.name).filter_by(campaign_id=campaign_id)))


def _hood(app, name: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Neighbourhood.id).filter_by(name=name)).one()


def test_selection_by_age_band_living_alone_and_neighbourhood(app, campaign_id):
    assert run(app, campaign_id, DEMO_ROWS.encode()).accepted == 6
    moorslede = _hood(app, "Moorslede")
    assert _select(app, campaign_id, Criteria(75, 120, "yes", (moorslede,))) == {
        "Godelieve Vanneste"
    }
    assert _select(app, campaign_id, Criteria(75, 120, "yes")) == {
        "Godelieve Vanneste",
        "Simonne Vermeulen",
        "Maria Decock",
    }


def test_not_living_alone_keeps_the_unknown_and_known_residents_come_along(app, campaign_id):
    assert run(app, campaign_id, DEMO_ROWS.encode()).accepted == 6
    dadizele = _hood(app, "Dadizele")
    with app.app_context():
        municipality_id = db.session.get_one(CallCampaign, campaign_id).municipality_id
        db.session.add(
            Resident(
                municipality_id=municipality_id,
                name="Zulma Vink",
                name_key=name_key("Zulma Vink"),
                street="Dadizeleplaats",
                house_number="11",
                postcode="8890",
                address_key=address_key("Dadizeleplaats", "11", "8890"),
                birth_year=YEAR - 85,
                phone="056 50 11 11",
                neighbourhood_id=dadizele,
            )
        )
        db.session.commit()
    assert _select(app, campaign_id, Criteria(75, 120, "yes", (dadizele,))) == {
        "Simonne Vermeulen",
        "Maria Decock",
    }  # the resident: not known to live alone
    assert _select(app, campaign_id, Criteria(75, 85, "no")) == {
        "Simonne Vermeulen",  # listed before
        "Maria Decock",
        "Marcel Deprez",
        "Agnes Debruyne",  # not known whether she lives alone
        "Zulma Vink",
    }


rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(HOOD_OF)),
        st.one_of(st.none(), st.integers(YEAR - 105, YEAR - 40)),
        st.sampled_from(["ja", "nee", "", "x", "0"]),
    ),
    max_size=20,
)
criteria = st.tuples(
    st.integers(40, 105),
    st.integers(0, 40),
    st.sampled_from(["any", "yes", "no"]),
    st.sets(st.sampled_from(["Moorslede", "Dadizele"])),
)
ALONE = {"ja": True, "x": True, "nee": False, "0": False, "": None}


def _matches(row: tuple[str, int | None, str], wanted: tuple[int, int, str, set[str]]) -> bool:
    street, birth_year, alone = row
    lowest, band, living_alone, hoods = wanted
    if birth_year is None or not lowest <= YEAR - birth_year <= min(lowest + band, 120):
        return False
    if living_alone == "yes" and ALONE[alone] is not True:
        return False
    if living_alone == "no" and ALONE[alone] is True:
        return False
    return not hoods or HOOD_OF[street] in hoods


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=rows, wanted=criteria)
def test_the_selection_is_exactly_the_rows_that_match(embedded_app, data, wanted):
    app = embedded_app
    with app.app_context():
        campaign_id = db.session.scalar(select(CallCampaign.id))
    if campaign_id is None:
        campaign_id = _campaign(app)
    with app.app_context():
        db.session.execute(delete(CallTarget))
        db.session.execute(delete(CallCandidate))
        db.session.commit()
    lines = [
        f"Bewoner {i};{street};{i};8890;{year or ''};051 77 30 {i:02d};{alone}"
        for i, (street, year, alone) in enumerate(data, start=1)
    ]
    job_id = _job(app, campaign_id, "\n".join([HEADER, *lines]).encode())
    with app.app_context():
        assert run_call_import(job_id).accepted == len(data)
    lowest, band, living_alone, hoods = wanted
    hood_ids = tuple(_hood(app, name) for name in sorted(hoods))
    chosen = Criteria(lowest, min(lowest + band, 120), living_alone, hood_ids)
    expected = {f"Bewoner {i}" for i, row in enumerate(data, start=1) if _matches(row, wanted)}
    assert _select(app, campaign_id, chosen) == expected


@pytest.mark.parametrize("role", ["volunteer", "contact_person"])
def test_only_the_coordinator_imports(app, campaign_id, role):
    make_user(app, role)
    client = app.test_client()
    login(client, f"{role}@example.be")
    token = csrf_from(client.get("/home").get_data(as_text=True))
    upload = client.post(
        f"/call-campaigns/{campaign_id}/import",
        data={"csrf_token": token, "file": (io.BytesIO(DEMO_ROWS.encode()), "bellijst.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403
    assert client.get(f"/call-campaigns/{campaign_id}").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallImport)) == 0


def test_upload_page_to_report_page_to_call_list(app, campaign_id):
    client = app.test_client()
    login(client, "coordinator@example.be")
    show = client.get(f"/call-campaigns/{campaign_id}")
    page = show.get_data(as_text=True)
    assert f'action="/call-campaigns/{campaign_id}/import"' in page
    raw = DEMO_ROWS + "Gilbert Vandewalle;Kerkstraat;16;8890;1950;;ja\n"
    upload = client.post(
        f"/call-campaigns/{campaign_id}/import",
        data={
            "csrf_token": csrf_from(page),
            "file": (io.BytesIO(raw.encode("cp1252")), "bellijst.csv"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    report_url = upload.headers["Location"]
    assert f"/call-campaigns/{campaign_id}/imports/" in report_url
    deadline = time.monotonic() + 90
    while "telefoonnummer ontbreekt" not in (html := client.get(report_url).get_data(as_text=True)):
        assert time.monotonic() < deadline, html
        time.sleep(0.2)
    assert "6 van 7" in html  # 6 of 7 rows accepted
    dadizele = _hood(app, "Dadizele")
    selected = client.post(
        f"/call-campaigns/{campaign_id}/selection",
        data={
            "csrf_token": csrf_from(page),
            "min_age": "75",
            "max_age": "120",
            "living_alone": "yes",
            "neighbourhoods": [str(dadizele)],
        },
        follow_redirects=True,
    )
    assert selected.status_code == 200
    with app.app_context():
        listed = db.session.execute(
            select(CallTarget.name_key, CallTarget.address_key, CallTarget.phone)
        ).all()
    assert set(listed) == {
        (name_key("Simonne Vermeulen"), address_key("Dadizeleplaats", "9", "8890"), "056 50 11 09"),
        (name_key("Maria Decock"), address_key("Moorseelsestraat", "5", "8890"), "056 50 12 05"),
    }


def test_a_reversed_age_band_is_refused(app, campaign_id):
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get(f"/call-campaigns/{campaign_id}").get_data(as_text=True)
    refused = client.post(
        f"/call-campaigns/{campaign_id}/selection",
        data={"csrf_token": csrf_from(page), "min_age": "90", "max_age": "75"},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallTarget)) == 0


def test_a_name_that_folds_longer_than_its_column_does_not_sink_the_list(app, campaign_id):
    """200 times "ß" is 200 characters, and 400 once folded for comparing: its key is cut to
    fit, so on PostgreSQL the list is read in instead of failing as a whole."""
    good = f"Maria Claes;Marktplaats;1;8890;{YEAR - 80};051 11 22 33;ja"
    odd = "ß" * 200 + f";Kerkstraat;2;8890;{YEAR - 85};051 11 22 44;nee"
    with app.app_context():
        job = start_call_import(
            db.session.get_one(CallCampaign, campaign_id),
            "lijst.csv",
            "\n".join([HEADER, good, odd]).encode(),
            None,
        )
        db.session.commit()
        job_id = job.id
    job = _wait_for(app, job_id)
    assert (job.status, job.accepted) == ("done", 2), job.report
    assert len(name_key("ß" * 200)) == 200
