"""The target-list import: encodings, separators, bad rows by line, duplicates, addresses that
cannot be placed — on both paths (the real worker on the production one)."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import AddressFixup, Neighbourhood
from fieldwork.areas.streets import load_streets
from fieldwork.demo.cli import DEMO_STREETS
from fieldwork.extensions import db
from fieldwork.visits.importer import MAX_IMPORT_BYTES, VisitImportError, start_import
from fieldwork.visits.models import VisitAddress, VisitImport, VisitRound
from fieldwork.visits.services import today
from tests.conftest import api_token, bearer, import_areas, login, make_user, post_form


def _round(app) -> int:
    import_areas(app, "36012")
    with app.app_context():
        load_streets(DEMO_STREETS.read_bytes(), skip_invalid=True)
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        visit_round = VisitRound(
            municipality_id=dadizele.municipality_id,
            name="Ronde",
            starts_on=today(),
            ends_on=today() + timedelta(days=30),
            neighbourhoods=[dadizele],
        )
        db.session.add(visit_round)
        db.session.commit()
        return visit_round.id


@pytest.fixture
def round_id(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    return _round(app)


def run(app, round_id, raw: bytes) -> VisitImport:
    with app.app_context():
        job = start_import(db.session.get(VisitRound, round_id), "lijst.csv", raw, None)
        db.session.commit()
        job_id = job.id
    deadline = time.monotonic() + 90
    while True:
        with app.app_context():
            job = db.session.get(VisitImport, job_id)
            if job.status in ("done", "failed") or time.monotonic() > deadline:
                db.session.expunge(job)
                return job
        time.sleep(0.2)


GOOD = (
    "naam;straat;huisnummer;postcode;geboortejaar;telefoon;sector\n"
    "Gérard Vandenbroucke;Dadizeleplaats;3;8890;1939;051 77 10 03;36012B001\n"
    "\n"
    "Renée D'Hondt;Moorseelsestraat;11;8890;1935;;\n"
    ";;;;;;\n"
    "Zonder Postcode;Moorseelsestraat;13;88;1940;;\n"
    ";Moorseelsestraat;15;8890;1940;;\n"
    "Te Oud;Moorseelsestraat;17;8890;1850;;\n"
    "Geen Nummer;Moorseelsestraat;;8890;1944;;\n"
    "GÉRARD  vandenbroucke;Dadizeleplaats;3;8890;1939;;\n"
    "Simonne Bossuyt;Kasteelhoekstraat;12;8890;1945;;\n"
)


def test_utf8_with_bom_and_semicolons_with_a_full_report(app, round_id):
    job = run(app, round_id, ("\ufeff" + GOOD).encode("utf-8"))
    assert job.status == "done"
    assert (job.total, job.processed, job.accepted) == (8, 8, 3)
    assert job.report["rejected"] == [
        {"line": 6, "reason": "postcode '88' is geen Belgische postcode"},
        {"line": 7, "reason": "naam ontbreekt"},
        {"line": 8, "reason": "geboortejaar '1850' klopt niet"},
        {"line": 9, "reason": "huisnummer ontbreekt"},
    ]
    assert job.report["duplicates"] == [{"line": 10, "of_line": 2}]
    assert job.report["unresolved"] == [{"line": 11, "address": "Kasteelhoekstraat 12, 8890"}]
    with app.app_context():
        rows = {a.name: a for a in db.session.scalars(select(VisitAddress))}
        assert set(rows) == {"Gérard Vandenbroucke", "Renée D'Hondt", "Simonne Bossuyt"}
        assert rows["Renée D'Hondt"].neighbourhood.name == "Dadizele"  # by the street table
        assert rows["Simonne Bossuyt"].flagged
        assert rows["Simonne Bossuyt"].neighbourhood.is_unlocatable
        assert db.session.scalars(select(AddressFixup)).one().street == "Kasteelhoekstraat"
        assert db.session.get(VisitImport, job.id).data is None  # the file is not kept


def test_excel_latin1_with_commas_and_reimport_finds_duplicates(app, round_id):
    raw = (
        "Naam,Straat,Nummer,Postcode,Geboortejaar\r\n"
        "Gérard Vandenbroucke,Dadizeleplaats,3,8890,1939\r\n"
        "Renée D'Hondt,Moorseelsestraat,11,8890,1935\r\n"
    ).encode("cp1252")
    first = run(app, round_id, raw)
    assert (first.accepted, first.report["counts"]["rejected"]) == (2, 0)
    again = run(app, round_id, raw)
    assert again.accepted == 0
    assert again.report["duplicates"] == [
        {"line": 2, "of_line": None},
        {"line": 3, "of_line": None},
    ]
    with app.app_context():
        names = set(db.session.scalars(select(VisitAddress.name)))
    assert names == {"Gérard Vandenbroucke", "Renée D'Hondt"}


def test_a_missing_column_fails_the_import_with_its_name(app, round_id):
    job = run(app, round_id, b"naam;huisnummer;postcode\nJan;3;8890\n")
    assert job.status == "failed"
    assert job.report["error"] == "De kolom 'straat' ontbreekt in de eerste regel."


def test_empty_and_too_large_files_are_refused_up_front(app, round_id):
    with app.app_context():
        visit_round = db.session.get(VisitRound, round_id)
        for raw, message in ((b"  \n", "leeg"), (b"x" * (MAX_IMPORT_BYTES + 1), "te groot")):
            with pytest.raises(VisitImportError, match=message):
                start_import(visit_round, "lijst.csv", raw, None)


def test_the_api_imports_and_reports(app, round_id):
    make_user(app, "coordinator")
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    response = client.post(
        f"/api/v1/visit-rounds/{round_id}/imports",
        data={"file": (io.BytesIO(GOOD.encode()), "lijst.csv")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    status_url = response.headers["Location"]
    deadline = time.monotonic() + 60
    while (body := client.get(status_url, headers=bearer(token)).get_json())["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert body["accepted"] == 3
    assert body["report"]["counts"] == {"rejected": 4, "duplicates": 1, "unresolved": 1}
    missing = client.post(
        f"/api/v1/visit-rounds/{round_id}/imports",
        data={},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422


def test_the_coordinator_uploads_on_the_round_page(app, round_id):
    make_user(app, "coordinator")
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = f"/visit-rounds/{round_id}"
    token_page = client.get(page).get_data(as_text=True)
    from tests.conftest import csrf_from

    response = client.post(
        f"{page}/import",
        data={
            "csrf_token": csrf_from(token_page),
            "file": (io.BytesIO(GOOD.encode("cp1252")), "bevolkingsregister.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    deadline = time.monotonic() + 60
    while "3 aanvaard" not in (html := client.get(page).get_data(as_text=True)):
        assert time.monotonic() < deadline, html
        time.sleep(0.3)
    assert "regel 6: postcode" in html
    assert "Kasteelhoekstraat 12, 8890" in html
    refused = post_form(client, page, {}, action=f"{page}/import")
    assert "Kies eerst het CSV-bestand." in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )


def test_twenty_thousand_rows_import_with_progress(pg_app, celery_worker):
    round_id = _round(pg_app)
    lines = ["naam;straat;huisnummer;postcode;geboortejaar"]
    streets = ["Dadizeleplaats", "Moorseelsestraat", "Klephoekstraat", "Bakkershoekstraat"]
    lines += [f"Bewoner {i};{streets[i % 4]};{i};8890;{1930 + i % 30}" for i in range(20_000)]
    job = run(pg_app, round_id, "\n".join(lines).encode())
    assert job.status == "done"
    assert (job.total, job.processed, job.accepted) == (20_000, 20_000, 20_000)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VisitAddress)) == 20_000


names = st.text(alphabet="abcdeéëijkl mnoprstuvwz'-", min_size=0, max_size=12)
rows = st.lists(
    st.tuples(
        names,
        st.sampled_from(["Dadizeleplaats", "Kerkstraat", ""]),
        st.sampled_from(["1", "2", "3A", ""]),
        st.sampled_from(["8890", "88", "9999"]),
        st.sampled_from(["", "1940", "1850", "x"]),
    ),
    max_size=25,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=rows)
def test_every_row_is_accepted_rejected_or_a_duplicate(embedded_app, data):
    app = embedded_app
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(VisitRound)):
            _round(app)
        round_id = db.session.scalar(select(VisitRound.id))
        db.session.execute(VisitAddress.__table__.delete())
        db.session.commit()
    body = "\n".join(";".join(row) for row in data)
    job = run(app, round_id, f"naam;straat;huisnummer;postcode;geboortejaar\n{body}".encode())
    counts = job.report["counts"]
    non_empty = sum(1 for row in data if any(cell.strip() for cell in row))
    assert job.total == non_empty
    assert job.accepted + counts["rejected"] + counts["duplicates"] == job.total
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VisitAddress)) == job.accepted


def test_placing_an_unplaced_address_moves_it_into_its_neighbourhood(app, round_id):
    from fieldwork.areas.services import open_fixups, resolve_fixup

    run(app, round_id, GOOD.encode())
    with app.app_context():
        fixup = open_fixups()[0]
        resolve_fixup(fixup, "36012B001", None)
        db.session.commit()
        simonne = db.session.scalars(select(VisitAddress).filter_by(name="Simonne Bossuyt")).one()
        assert simonne.neighbourhood.name == "Dadizele"
        assert not simonne.flagged


def test_addresses_outside_the_rounds_neighbourhoods_are_rejected_and_utf16_reads(app, round_id):
    raw = (
        "naam\tstraat\thuisnummer\tpostcode\n".replace("\t", ";")
        + "Jef Buiten;Kerkstraat;4;8890\nMaria Binnen;Dadizeleplaats;2;8890\n"
    )
    job = run(app, round_id, raw.encode("utf-16"))
    assert job.accepted == 1
    assert job.report["rejected"] == [
        {"line": 2, "reason": "ligt in Moorslede, buiten de buurten van deze ronde"}
    ]


def test_a_line_break_inside_a_quoted_cell_and_a_giant_cell(app, round_id):
    giant = "x" * 200_000
    raw = (
        "naam;straat;huisnummer;postcode\n"
        '"Jan\nPeeters";Dadizeleplaats;2;8890\n'
        f"{giant};Dadizeleplaats;4;8890\n"
        "Mia Claes;Dadizeleplaats;6;8890\n"
    )
    job = run(app, round_id, raw.encode())
    assert job.status == "done"
    assert job.accepted == 2
    assert job.report["rejected"] == [
        {"line": 4, "reason": "deze regel kan niet gelezen worden (een cel is te lang)"}
    ]
    with app.app_context():
        names = sorted(db.session.scalars(select(VisitAddress.name)))
    assert names == ["Jan Peeters", "Mia Claes"]
