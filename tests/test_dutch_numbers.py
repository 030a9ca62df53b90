"""Numbers as a Flemish reader writes them (issue 19, item 9): a decimal comma and a
thousands dot through Babel on the dashboard, the neighbourhood and indicator pages and the
printed report, never Python's "12.5"; exports stay machine-readable."""

from __future__ import annotations

import functools
import re

import pytest
from flask import Flask, render_template_string
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldwork import create_app
from fieldwork.core.formatting import dutch_decimal
from fieldwork.reports.indicators import Comparison, Figure, import_indicators
from tests.conftest import import_areas, login, make_user
from tests.test_calls import hamont, make_campaign  # noqa: F401 - fixture
from tests.test_indicators import HEADER, _neighbourhood, _sector_codes
from tests.test_report_pdf import FIGURES, pages, report

# 12.5 or 0.125 as Python prints them; a Dutch thousands dot has exactly three digits after it
RAW = re.compile(r"(?<![\d.])\d+\.(\d{1,2}|\d{4,})(?![\d.])")


def visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", "\u00a0")


@pytest.fixture
def one_in_eight(app):
    """Dadizele's residents 65+: 1 in 8 (12.5 %); Moorslede as a whole 20 %."""
    import_areas(app, "36012")
    make_user(app, "coordinator")
    with app.app_context():
        codes = _sector_codes("36012B")
        lines = "".join(f"{code};share_65plus;2024;;5;40\n" for code in codes)
        csv = HEADER + lines + "36012;share_65plus;2024;;2200;11000\n"
        import_indicators(csv.encode(), "test")
        from fieldwork.extensions import db

        db.session.commit()
        return _neighbourhood("Dadizele").id


def test_dashboard_and_neighbourhood_page_write_a_decimal_comma(app, one_in_eight):
    client = app.test_client()
    login(client, "coordinator@example.be")
    dashboard = client.get("/buurtanalyse/?gemeente=36012&measure=indicator:share_65plus")
    assert dashboard.status_code == 200
    text = visible_text(dashboard.get_data(as_text=True))
    assert "12,5" in text  # the table
    assert "Dadizele: 12,5" in text  # the map's label for the neighbourhood
    assert "20,0" in text  # the municipality's row
    assert RAW.findall(text) == []

    page = client.get(f"/buurtanalyse/{one_in_eight}")
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    assert "12,5" in text
    assert RAW.findall(text) == []

    indicators = client.get(f"/indicatoren/{one_in_eight}")
    text = visible_text(indicators.get_data(as_text=True))
    assert "12,5\u00a0%" in text
    assert "-7,5 pp" in text or "−7,5 pp" in text  # against the municipality's 20 %
    assert RAW.findall(text) == []


def test_the_printed_report_groups_thousands_and_writes_a_decimal_comma():
    big = {**FIGURES, "visits": {"target": 1234, "done": 1001, "spoken": 22}}
    share = Comparison(
        indicator="share_80plus",
        year=2025,
        neighbourhood=Figure(12.5),
        municipality=Figure(1234.5),
        previous_year=2024,
        previous=None,
    )
    data = report(comparisons=[share])
    data.figures = big
    text = "\n".join(pages(data))
    assert "1.234" in text
    assert "1.001" in text
    assert "12,5 %" in text
    assert "1.234,5 %" in text
    assert "2,5" in text  # the median days to a first contact
    assert RAW.findall(text) == []


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
def test_dutch_decimals_read_back_to_the_number(number):
    shown = dutch_decimal(number, 1)
    back = float(shown.replace(".", "").replace(",", "."))
    assert back == pytest.approx(round(number, 1), abs=0.051)
    assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d", shown)


@functools.cache
def _bare_app() -> Flask:
    """An app for rendering a snippet: no database is touched."""
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@settings(deadline=None)  # the first example makes the app
@given(count=st.integers(min_value=0, max_value=10**9))
def test_counts_on_pages_carry_a_thousands_dot_and_read_back(count):
    with _bare_app().test_request_context():
        shown = render_template_string("{{ value|number }}", value=count)
    assert shown.replace(".", "") == str(count)
    assert ("." in shown) == (count >= 1000)


def test_a_suppressed_count_passes_unchanged():
    with _bare_app().test_request_context():
        assert render_template_string("{{ a|number }} {{ b|number }}", a="<5", b=12345) == (
            "&lt;5 12.345"
        )


def test_a_campaign_of_a_region_shows_its_counts_with_a_thousands_dot(app, hamont):  # noqa: F811
    """1,200 people still to call, as the coordinator reads it on the campaign page."""
    from sqlalchemy import insert

    from fieldwork.calls.models import CallTarget
    from fieldwork.extensions import db

    client, tokens, hood_id = hamont
    campaign = make_campaign(client, tokens, hood_id)
    with app.app_context():
        db.session.execute(
            insert(CallTarget),
            [
                {
                    "campaign_id": campaign["id"],
                    "name": f"Persoon {i}",
                    "name_key": f"persoon {i}",
                    "address_key": f"straat|{i}|3930",
                    "phone": "011 44 55 66",
                    "neighbourhood_id": hood_id,
                    "status": "to_call",
                }
                for i in range(1200)
            ],
        )
        db.session.commit()
    login(client, "coordinator@example.be")
    page = client.get(f"/call-campaigns/{campaign['id']}")
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    assert "1.200" in text
    assert "1200" not in text
