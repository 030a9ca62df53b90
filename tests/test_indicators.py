"""Imported indicators: reading the CSV, aggregating sectors to neighbourhoods by summing
numerators and denominators, comparisons, the CLI and the pages."""

from __future__ import annotations

import io
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from fieldwork.areas.models import Municipality, Neighbourhood, Sector, SubMunicipality
from fieldwork.core.audit import AuditEvent
from fieldwork.extensions import db
from fieldwork.reports.indicators import (
    SMALL_POPULATION,
    compare,
    import_indicators,
    indicator_label,
    indicators_for,
    load_demo_indicators,
    municipality_indicator,
    neighbourhood_indicator,
    parse_number,
)
from fieldwork.reports.models import IndicatorImport, IndicatorValue
from tests.conftest import ROOT, import_areas, login, make_user, post_form

HEADER = "code;indicator;year;value;numerator;denominator\n"


def english(client) -> None:
    """The pages in English (Dutch is the default), so that the checks read the source text."""
    post_form(client, "/home", {}, action="/language/en")


def _neighbourhood(name: str) -> Neighbourhood:
    return db.session.scalars(select(Neighbourhood).filter_by(name=name)).one()


def _sector_codes(sub_code: str) -> list[str]:
    return list(
        db.session.scalars(
            select(Sector.code)
            .join(SubMunicipality)
            .where(SubMunicipality.code == sub_code)
            .order_by(Sector.code)
        )
    )


def _import(text: str, source: str = "test", **kw):
    report = import_indicators(text.encode("utf-8"), source, **kw)
    db.session.commit()
    return report


@pytest.fixture
def areas(app):
    import_areas(app, "36012")
    with app.app_context():
        yield app


def test_parse_number_accepts_dutch_and_english_notation():
    assert parse_number("12,5") == 12.5
    assert parse_number("12.5") == 12.5
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("1 234") == 1234
    assert parse_number("12,5%") == 12.5
    assert parse_number(" ") is None
    for bad in ("abc", "-3", "1e5", "nan", "12,5,3x"):
        with pytest.raises(ValueError, match=re.escape(bad)):
            parse_number(bad)


def test_neighbourhood_sums_numerators_and_denominators(areas):
    codes = _sector_codes("36012B")  # Dadizele, five sectors
    parts = [(10, 50), (200, 1000), (30, 100), (5, 20), (60, 300)]
    _import(
        HEADER
        + "".join(
            f"{c};share_65plus;2024;;{n};{d}\n" for c, (n, d) in zip(codes, parts, strict=True)
        )
    )
    figure = neighbourhood_indicator(_neighbourhood("Dadizele"), "share_65plus", 2024)
    assert figure is not None
    assert figure.numerator == 305
    assert figure.denominator == 1470
    assert figure.value == pytest.approx(305 / 1470 * 100)
    mean_of_percentages = sum(n / d * 100 for n, d in parts) / len(parts)
    assert figure.value != pytest.approx(mean_of_percentages)  # 20.7 vs 22.0
    assert figure.sectors_counted == 5
    assert figure.sectors_missing == []
    assert figure.small is False
    assert figure.small_sectors == sorted([codes[0], codes[3]])  # 50 and 20 residents


def test_missing_sectors_are_listed_and_small_neighbourhoods_warned(areas):
    codes = _sector_codes("36012B")
    _import(HEADER + f"{codes[0]};share_80plus;2024;;4;40\n{codes[1]};share_80plus;2024;;3;30\n")
    figure = neighbourhood_indicator(_neighbourhood("Dadizele"), "share_80plus", 2024)
    assert figure.sectors_counted == 2
    assert figure.sectors_missing == codes[2:]
    assert figure.denominator == 70 < SMALL_POPULATION
    assert figure.small is True
    assert neighbourhood_indicator(_neighbourhood("Dadizele"), "share_80plus", 2023) is None


def test_counts_without_parts_are_summed(areas):
    codes = _sector_codes("36012B")
    _import(HEADER + f"{codes[0]};residents_alone;2024;12;;\n{codes[1]};residents_alone;2024;8;;\n")
    figure = neighbourhood_indicator(_neighbourhood("Dadizele"), "residents_alone", 2024)
    assert figure.value == 20
    assert figure.is_share is False
    assert indicator_label("residents_alone") == "residents_alone"
    assert indicator_label("share_65plus") == "Aandeel 65-plussers"


def test_whole_sub_municipality_falls_back_to_its_figure(areas):
    _import(HEADER + "36012B;share_65plus;2024;;800;4000\n36012-B;share_80plus;2024;;1;2\n")
    figure = neighbourhood_indicator(_neighbourhood("Dadizele"), "share_65plus", 2024)
    assert figure.level == "sub_municipality"
    assert figure.value == pytest.approx(20)
    # a sector figure wins over the sub-municipality's
    code = _sector_codes("36012B")[0]
    _import(HEADER + f"{code};share_65plus;2024;;30;100\n")
    figure = neighbourhood_indicator(_neighbourhood("Dadizele"), "share_65plus", 2024)
    assert figure.level == "sector"
    assert figure.value == pytest.approx(30)
    # a neighbourhood that is not a whole sub-municipality does not take its figure
    neighbourhood = _neighbourhood("Dadizele")
    moved = neighbourhood.sectors[0]
    moved.neighbourhood_id = _neighbourhood("Moorslede").id
    db.session.flush()
    db.session.expire_all()
    assert neighbourhood_indicator(_neighbourhood("Dadizele"), "share_80plus", 2024) is None


def test_municipality_figure_own_or_summed(areas):
    municipality = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
    a, b = _sector_codes("36012A")[0], _sector_codes("36012B")[0]
    _import(HEADER + f"{a};share_65plus;2024;;20;100\n{b};share_65plus;2024;;40;100\n")
    figure = municipality_indicator(municipality, "share_65plus", 2024)
    assert figure.value == pytest.approx(30)
    assert figure.level == "sector"
    _import(HEADER + "36012;share_65plus;2024;23,4;2574;11000\n")
    figure = municipality_indicator(municipality, "share_65plus", 2024)
    assert figure.level == "municipality"
    assert figure.value == pytest.approx(2574 / 11000 * 100)


def test_compare_with_municipality_and_previous_year(areas):
    municipality = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
    b_codes = _sector_codes("36012B")
    rows = [
        "36012;share_65plus;2024;;2200;11000",
        f"{b_codes[0]};share_65plus;2024;;300;1000",
        f"{b_codes[0]};share_65plus;2021;;250;1000",
    ]  # no 2022 or 2023: latest earlier
    _import(HEADER + "\n".join(rows) + "\n")
    result = compare(_neighbourhood("Dadizele"), "share_65plus", 2024)
    assert result.neighbourhood.value == pytest.approx(30)
    assert result.municipality.value == pytest.approx(20)
    assert result.vs_municipality == pytest.approx(10)
    assert result.previous_year == 2021
    assert result.previous.value == pytest.approx(25)
    assert result.vs_previous == pytest.approx(5)
    _import(HEADER + f"{b_codes[0]};share_65plus;2023;;310;1000\n")
    result = compare(_neighbourhood("Dadizele"), "share_65plus", 2024)
    assert result.previous_year == 2023
    assert result.vs_previous == pytest.approx(-1)
    assert indicators_for(municipality) == [("share_65plus", [2021, 2023, 2024])]
    first = compare(_neighbourhood("Dadizele"), "share_65plus", 2021)
    assert first.previous_year is None
    assert first.vs_previous is None


def test_latin1_semicolons_decimal_commas_and_dutch_headers(areas):
    code = _sector_codes("36012A")[0]
    text = (
        "gebied;indicator;jaar;waarde;teller;noemer;opmerking\r\n"
        f"{code};share_65plus;2024;22,5;45;200;bron: Provincies in Cijfers – één\r\n"
        "36012B;share_80plus;2024;7,25;;;\r\n"
    )
    report = import_indicators(text.encode("cp1252"), "Provincies in Cijfers")
    assert (report.added, report.rejected) == (2, [])
    value = db.session.scalars(select(IndicatorValue).filter_by(area_code=code)).one()
    assert (value.value, value.numerator, value.denominator) == (22.5, 45, 200)
    assert value.area_kind == "sector"
    assert value.source == "Provincies in Cijfers"
    sub = db.session.scalars(select(IndicatorValue).filter_by(area_code="36012B")).one()
    assert sub.area_kind == "sub_municipality"
    assert sub.value == 7.25


def test_utf16_and_comma_separated_with_bom(areas):
    code = _sector_codes("36012A")[1]
    text = (
        f'code,indicator,year,value,numerator,denominator\n{code},share_65plus,2024,"22,5",45,200\n'
    )
    for raw in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        report = import_indicators(raw, "x")
        assert report.rejected == []
        assert report.accepted == 1


def test_rejected_lines_have_their_number_and_reason(areas):
    code = _sector_codes("36012A")[0]
    text = (
        HEADER
        + "\n".join(
            [
                f"{code};share_65plus;2024;;45;200",  # 2 ok
                "99999A001;share_65plus;2024;;1;2",  # 3 unknown code
                f"{code};share_80plus;2024;twaalf;;",  # 4 bad number
                f"{code};share_80plus;2023;;300;200",  # 5 numerator > denominator
                f"{code};living_alone_75plus;2024;;;",  # 6 nothing
                f"{code};share_65plus;20x4;;1;2",  # 7 bad year
                f"{code};share_65plus;2024;;46;200",  # 8 duplicate of line 2
                "",  # empty, skipped
                f"{code};carer_ratio;2024;;900;100",  # 10 a ratio may exceed 1
                f"{code};share_80plus;2024;;5;",  # 11 half the parts
            ]
        )
        + "\n"
    )
    report = _import(text)
    assert report.added == 2
    assert report.rejected_count == 7
    lines = dict(report.rejected)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 11]
    assert "99999A001" in lines[3]
    assert "twaalf" in lines[4]
    assert "groter dan de noemer" in lines[5]
    assert "regel 2" in lines[8]
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 2


def test_all_or_nothing_stores_nothing_when_a_line_is_rejected(areas):
    code = _sector_codes("36012A")[0]
    report = _import(
        HEADER + f"{code};share_65plus;2024;;45;200\nXX;share_65plus;2024;;1;2\n",
        all_or_nothing=True,
    )
    assert report.rejected_count == 1
    assert report.added == 0
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0


def test_reimport_is_idempotent_and_updates(areas):
    code = _sector_codes("36012A")[0]
    text = HEADER + f"{code};share_65plus;2024;;45;200\n36012;share_65plus;2024;;2200;11000\n"
    first = _import(text)
    again = _import(text)
    assert (first.added, first.updated) == (2, 0)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    changed = _import(text.replace("45;200", "50;200"), source="nieuwe bron")
    assert (changed.added, changed.updated) == (0, 2)  # new figure, and the new source
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 2
    value = db.session.scalars(select(IndicatorValue).filter_by(area_code=code)).one()
    assert value.numerator == 50
    assert value.source == "nieuwe bron"


def test_code_quirks_are_normalised(areas):
    dash_sector = next(c for c in _sector_codes("36012A") if c.endswith("-"))
    text = HEADER + (
        f"{dash_sector[:-1]};share_65plus;2024;;1;10\n"  # trailing '-' dropped
        "36012-a;share_65plus;2024;;2;10\n"
        " 36012 ;share_65plus;2024;;3;10\n"
    )
    report = _import(text)
    assert report.rejected == []
    assert report.added == 3
    kinds = dict(
        db.session.execute(select(IndicatorValue.area_code, IndicatorValue.area_kind)).all()
    )
    assert kinds == {dash_sector: "sector", "36012A": "sub_municipality", "36012": "municipality"}


def test_missing_columns_and_empty_file_are_refused(areas):
    from fieldwork.reports.indicators import IndicatorImportError

    with pytest.raises(IndicatorImportError):
        import_indicators(b"", "x")
    with pytest.raises(IndicatorImportError, match="indicator"):
        import_indicators(b"code;year;value\n36012;2024;1\n", "x")
    with pytest.raises(IndicatorImportError, match="teller"):
        import_indicators(b"code;indicator;year\n36012;a;2024\n", "x")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 5000)), min_size=1, max_size=5)
)
def test_neighbourhood_figure_is_ratio_of_sums(areas, parts):
    parts = [(min(n, d), d) for n, d in parts]
    db.session.execute(delete(IndicatorValue))
    codes = _sector_codes("36012B")[: len(parts)]
    _import(
        HEADER
        + "".join(
            f"{c};share_65plus;2024;;{n};{d}\n" for c, (n, d) in zip(codes, parts, strict=False)
        )
    )
    figure = neighbourhood_indicator(_neighbourhood("Dadizele"), "share_65plus", 2024)
    numerator = sum(n for n, _ in parts)
    denominator = sum(d for _, d in parts)
    assert figure.numerator == numerator
    assert figure.denominator == denominator
    assert figure.value == pytest.approx(numerator / denominator * 100)
    assert figure.small == (denominator < SMALL_POPULATION)
    assert figure.small_sectors == sorted(
        c for c, (_, d) in zip(codes, parts, strict=False) if d < SMALL_POPULATION
    )


def test_demo_figures_load(areas):
    report = load_demo_indicators()
    db.session.commit()
    assert report.rejected == []
    assert report.added == 90
    municipality = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
    assert [name for name, _ in indicators_for(municipality)] == [
        "share_65plus",
        "share_80plus",
        "living_alone_75plus",
    ]
    result = compare(_neighbourhood("Moorslede"), "share_65plus", 2024)
    assert result.previous_year == 2023
    assert result.vs_previous is not None
    sources = set(db.session.scalars(select(IndicatorValue.source).distinct()))
    assert sources == {"voorbeeldcijfers (illustratief)"}
    assert load_demo_indicators().unchanged == 90


def test_cli_import_prints_the_report(app, runner, tmp_path):
    from fieldwork.reports.cli import indicators_cli

    if "indicators" not in app.cli.commands:  # until the app factory registers the group
        app.cli.add_command(indicators_cli)
    import_areas(app, "36012")
    path = tmp_path / "cijfers.csv"
    path.write_bytes(
        (HEADER + "36012;share_65plus;2024;;2200;11000\n12345;share_65plus;2024;;1;2\n").encode(
            "cp1252"
        )
    )
    result = runner.invoke(args=["indicators", "import", str(path), "--source", "PinC"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    assert "1 rejected" in result.output
    assert "line 3" in result.output
    again = runner.invoke(args=["indicators", "import", str(path), "--source", "PinC"])
    assert "1 unchanged" in again.output
    renamed = runner.invoke(args=["indicators", "import", str(path)])  # source: the file name
    assert "1 updated" in renamed.output
    strict = runner.invoke(args=["indicators", "import", str(path), "--all-or-nothing"])
    assert strict.exit_code != 0
    assert "nothing was imported" in strict.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 1
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "indicators_imported")
            )
            == 3
        )  # not the refused one


def read_by_the_worker(client, response) -> str:
    """Follow the upload to its import page until the worker has read the file."""
    assert response.status_code == 303, response.get_data(as_text=True)
    deadline = time.monotonic() + 60
    while True:
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        if 'http-equiv="refresh"' not in html or time.monotonic() > deadline:
            return html
        assert "is being read" in html
        time.sleep(0.2)


def test_pages_upload_report_and_neighbourhood(app, tmp_path, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    client = app.test_client()
    login(client, "coordinator@example.be")
    english(client)
    with app.app_context():
        codes = _sector_codes("36012B")
        dadizele = _neighbourhood("Dadizele").id
    csv = HEADER + "".join(
        f"{c};share_65plus;2024;;{10 + i};{40 + i}\n" for i, c in enumerate(codes)
    )
    csv += f"{codes[0]};share_65plus;2023;;9;40\n36012;share_65plus;2024;;2200;11000\n"
    csv += "nope;share_65plus;2024;;1;2\n"
    response = post_form(
        client,
        "/indicatoren",
        {"file": (io.BytesIO(csv.encode("cp1252")), "cijfers.csv"), "source": "PinC"},
    )
    html = read_by_the_worker(client, response)
    assert "Indicators imported." in html
    assert "7 added" in html
    assert "1 rejected" in html
    assert "line 9" in html
    page = client.get("/indicatoren").get_data(as_text=True)
    assert "Share of residents aged 65+" in page
    assert "2023, 2024" in page
    page = client.get(f"/indicatoren/{dadizele}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Small population" not in html  # 5 sectors: 210 residents
    assert "fewer than 100" in html  # each sector is small
    assert "20.0" in html  # the municipality
    assert "(2023)" in html
    assert client.get("/indicatoren/999999").status_code == 404
    empty = post_form(client, "/indicatoren", {"source": "x"})
    assert empty.status_code == 422
    with app.app_context():
        job = db.session.scalars(select(IndicatorImport)).one()
        assert (job.status, job.data, job.source) == ("done", None, "PinC")
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "indicators_imported")
            )
            == 1
        )
    # a file the worker cannot read, and all-or-nothing with a rejected line
    broken = post_form(
        client,
        "/indicatoren",
        {"file": (io.BytesIO(b"naam;iets\nx;y\n"), "fout.csv"), "source": "x"},
    )
    assert "column" in read_by_the_worker(client, broken)
    refused = post_form(
        client,
        "/indicatoren",
        {
            "file": (io.BytesIO(csv.encode("cp1252")), "cijfers.csv"),
            "source": "PinC",
            "all_or_nothing": "y",
        },
    )
    html = read_by_the_worker(client, refused)
    assert "Nothing was imported" in html
    assert "line 9" in html
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "indicators_imported")
            )
            == 1
        )
        assert db.session.scalar(select(func.count()).select_from(IndicatorImport)) == 3
    other = app.test_client()
    make_user(app, "analyst")
    login(other, "analyst@example.be")
    assert other.get(broken.headers["Location"]).status_code == 403
    assert client.get("/indicatoren/import/999999").status_code == 404


def test_small_neighbourhood_warning_on_the_page(app):
    import_areas(app, "36012")
    make_user(app, "analyst")
    with app.app_context():
        code = _sector_codes("36012B")[0]
        _import(HEADER + f"{code};share_80plus;2024;;3;40\n")
        dadizele = _neighbourhood("Dadizele").id
    client = app.test_client()
    login(client, "analyst@example.be")
    english(client)
    html = client.get(f"/indicatoren/{dadizele}").get_data(as_text=True)
    assert "Small population" in html
    assert "7.5" in html
    index = client.get("/indicatoren").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' not in index  # analysts only look
    response = post_form(client, "/home", {"source": "x"}, action="/indicatoren")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["volunteer", "contact_person", "referrer"])
def test_other_roles_are_refused(app, role):
    import_areas(app, "36012")
    make_user(app, role)
    with app.app_context():
        dadizele = _neighbourhood("Dadizele").id
    client = app.test_client()
    login(client, f"{role}@example.be")
    assert client.get("/indicatoren").status_code == 403
    assert client.get(f"/indicatoren/{dadizele}").status_code == 403
    token_page = client.get("/home").get_data(as_text=True)
    from tests.conftest import csrf_from

    response = client.post(
        "/indicatoren", data={"csrf_token": csrf_from(token_page), "source": "x"}
    )
    assert response.status_code == 403


def test_demo_file_is_marked_illustrative():
    text = (ROOT / "data" / "demo" / "indicatoren_moorslede.csv").read_text(encoding="utf-8")
    assert "opmerking" in text.splitlines()[0]
    assert all(line.endswith(";illustratief") for line in text.splitlines()[1:])


def test_numbers_beyond_any_population_are_refused():
    from fieldwork.reports.indicators import parse_number

    for text in ("9" * 400, "1e400", "2000000000000"):
        with pytest.raises(ValueError, match=r".+"):
            parse_number(text)
    assert parse_number("999999999999") == 999999999999.0
