"""Every answer counted on the dashboard and in the answers export (issue 19): per
municipality and per neighbourhood, ok / zorg / niet besproken per theme, the interests,
the information handed out and the guide's answers — small cells suppressed across the
neighbourhoods, in a bounded number of statements."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import event, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.core.suppression import HIDDEN, SMALL
from fieldwork.extensions import db
from fieldwork.reports.analysis import report_data
from fieldwork.reports.answer_table import compared_line
from fieldwork.reports.pdf import render_report
from fieldwork.visits.models import VisitRound
from fieldwork.visits.services import today
from tests.conftest import api_token, bearer, import_areas, login, make_user
from tests.test_hood_answers import ANSWERED_AT, AT_THE_DOOR, ELSEWHERE, _spoken

GUIDE = [
    {
        "key": "komt_buiten",
        "text": "Komt u nog buiten?",
        "kind": "choice",
        "options": ["ja", "nee"],
    },
    {"key": "wens", "text": "Wat zou u graag doen?", "kind": "text"},
]


def _reached(campaign_id: int, hood: int, number: int, themes: dict, answers: dict) -> None:
    target = CallTarget(
        campaign_id=campaign_id,
        name=f"Beller {number}",
        name_key=f"beller {number}",
        address_key=f"adres {number}",
        phone="051000000",
        neighbourhood_id=hood,
        status="reached",
    )
    db.session.add(target)
    db.session.flush()
    db.session.add(
        CallAttempt(
            target_id=target.id,
            outcome="reached",
            themes=themes,
            answers=answers,
            created_at=ANSWERED_AT,
        )
    )


def _fill(app, visits_elsewhere: int = 5, calls: int = 6) -> tuple[int, int]:
    """Dadizele: six spoken visits and ``calls`` reached calls; Moorslede: five visits."""
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        other = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one()
        visit_round = VisitRound(
            municipality_id=hood.municipality_id,
            name="Bezoekronde",
            starts_on=today(),
            ends_on=today(),
            info_material=["Seniorengids"],
            neighbourhoods=[hood, other],
        )
        campaign = CallCampaign(
            municipality_id=hood.municipality_id,
            name="Belronde 75+",
            neighbourhoods=[hood],
            guide=GUIDE,
        )
        db.session.add_all([visit_round, campaign])
        db.session.flush()
        for number in range(1, 7):
            _spoken(visit_round.id, hood.id, number, AT_THE_DOOR)
        for number in range(100, 100 + visits_elsewhere):
            _spoken(visit_round.id, other.id, number, ELSEWHERE)
        for number in range(calls):
            answers = {"komt_buiten": "ja" if number else "nee", "wens": "wandelen"}
            _reached(campaign.id, hood.id, number, {"eenzaamheid": "concern"}, answers)
        db.session.commit()
        return hood.id, other.id


@pytest.fixture
def answered(app):
    import_areas(app, "36012")
    for role in ("coordinator", "analyst", "volunteer"):
        make_user(app, role)
    return app, *_fill(app)


def _client(app, role: str):
    client = app.test_client()
    login(client, f"{role}@example.be")
    return client


def _dashboard(app, role: str = "coordinator") -> str:
    response = _client(app, role).get("/buurtanalyse/", query_string={"gemeente": "36012"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(html: str, label: str) -> str:
    """The table row of one answer (its first cells given), as on the page."""
    start = html.index(label)
    return html[start : html.index("</tr>", start)]


def test_the_dashboard_counts_every_answer_per_municipality_and_neighbourhood(answered):
    app, _hood, _other = answered
    html = _dashboard(app)
    section = html[html.index('id="answers"') :]
    assert "Wat de bewoners zeiden" in section
    assert "<th>Gemeente Moorslede</th><th>Dadizele</th><th>Moorslede</th>" in section
    assert "Bevraagd: 17." in section  # 11 spoken visits and 6 reached calls
    # the whole, Dadizele (six visits, six calls: all concern), Moorslede (five ok)
    assert _row(section, '<td rowspan="3">Eenzaamheid</td>') == (
        '<td rowspan="3">Eenzaamheid</td><td>ok</td>'
        '<td>5 <span class="muted">(29,4 %)</span></td>'
        '<td>0 <span class="muted">(0,0 %)</span></td>'
        '<td>5 <span class="muted">(100,0 %)</span></td><td>0</td>'
    )
    assert '<td>zorg</td><td>12 <span class="muted">(70,6 %)</span></td>' in section
    # interests and information: the visits only
    assert _row(section, '<td rowspan="1">Lokaal dienstencentrum</td>').startswith(
        '<td rowspan="1">Lokaal dienstencentrum</td><td>ja</td>'
        '<td>11 <span class="muted">(100,0 %)</span></td>'
    )
    assert '<td rowspan="1">Seniorengids</td><td>ja</td><td>11 ' in section
    # the guide per question: five "ja" and one "nee" — the one small, the five hidden
    assert "<h3>Gespreksleidraad: Belronde 75+</h3>" in section
    assert '<td rowspan="3">Komt u nog buiten?</td><td>ja</td><td>x</td><td>x</td>' in section
    assert "<td>nee</td><td>&lt;5</td><td>&lt;5</td>" in section
    assert "wandelen" not in html  # free text is never shown, only that it was answered
    assert '<td rowspan="2">Wat zou u graag doen?</td><td>beantwoord</td><td>6 ' in section


def test_a_small_neighbourhood_is_hidden_and_the_whole_does_not_give_it_away(app):
    import_areas(app, "36012")
    make_user(app, "coordinator")
    _fill(app, visits_elsewhere=2, calls=0)
    html = _dashboard(app)
    section = html[html.index('id="answers"') :]
    # Moorslede: two visits. Dadizele's six would give them away from the whole's eight
    assert "<td>Bevraagd</td><td></td><td>8</td><td>x</td><td>&lt;5</td><td>0</td>" in section
    assert '<td rowspan="3">Eenzaamheid</td><td>ok</td><td>&lt;5</td>' in section
    assert "<td>2 " not in section
    assert "<td>6 " not in section


def test_the_analyst_sees_the_same_and_a_volunteer_gets_403(answered):
    app, _hood, _other = answered
    html = _dashboard(app, "analyst")  # the answers are in the analyst's last quarter
    assert '<td>zorg</td><td>12 <span class="muted">(70,6 %)</span></td>' in html
    volunteer = _client(app, "volunteer")
    assert volunteer.get("/buurtanalyse/").status_code == 403
    assert volunteer.get("/buurtanalyse/antwoorden.csv?gemeente=36012").status_code == 403


def _read(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 with a BOM
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _cells(rows: list[dict[str, str]]) -> dict[tuple[str, str, str, str], tuple[str, str]]:
    return {
        (r["neighbourhood"], r["section"], r["question_code"], r["answer_code"]): (
            r["count"],
            r["share_pct"],
        )
        for r in rows
    }


def test_the_answers_csv_per_neighbourhood_from_the_dashboard_and_the_api(answered):
    app, hood, _other = answered
    page = _client(app, "coordinator").get("/buurtanalyse/antwoorden.csv?gemeente=36012")
    assert 'filename="antwoorden-36012.csv"' in page.headers["Content-Disposition"]
    rows = _read(page)
    cells = _cells(rows)
    assert cells[("Dadizele", "themes", "eenzaamheid", "concern")] == ("12", "100,0")
    assert cells[("alle buurten", "themes", "eenzaamheid", "concern")] == ("12", "70,6")
    assert cells[("Moorslede", "interests", "dienstencentrum", "yes")] == ("5", "100,0")
    assert cells[("Dadizele", "respondents", "", "")] == ("12", "")
    guide = [r for r in rows if r["section"].startswith("guide-")]
    assert {
        (r["neighbourhood"], r["answer"], r["count"]) for r in guide if r["answer"] == "nee"
    } >= {("Dadizele", "nee", "<5")}
    assert not any(r["count"] in {"1", "2", "3", "4"} for r in rows)
    assert {r["neighbourhood_id"] for r in rows} >= {"", str(hood)}
    token = api_token(app.test_client(), "analyst@example.be")
    api = app.test_client().get(
        "/api/v1/exports/answers.csv", query_string={"gemeente": "36012"}, headers=bearer(token)
    )
    assert api.is_streamed
    assert _cells(_read(api)) == cells | {}  # the analyst's quarter holds every answer
    bad = app.test_client().get(
        "/api/v1/exports/answers.csv", query_string={"gemeente": "x"}, headers=bearer(token)
    )
    assert bad.status_code == 422
    assert "gemeente" in bad.get_json()["error"]["fields"]
    missing = _client(app, "coordinator").get("/buurtanalyse/antwoorden.csv?gemeente=99999")
    assert missing.status_code == 404


def test_the_dashboard_reads_the_answers_in_a_fixed_number_of_statements(app):
    import_areas(app, "36012")
    make_user(app, "coordinator")
    client = _client(app, "coordinator")
    _fill(app, visits_elsewhere=5, calls=6)
    client.get("/buurtanalyse/")  # warm: the first request compiles and caches
    counts = []
    for _more in range(2):
        seen: list[str] = []
        with app.app_context():
            engine = db.engine

            def count(_conn, _cursor, statement, *_args, into=seen) -> None:
                into.append(statement)

            event.listen(engine, "before_cursor_execute", count)
            try:
                assert client.get("/buurtanalyse/").status_code == 200
            finally:
                event.remove(engine, "before_cursor_execute", count)
        counts.append(len(seen))
        _fill(app, visits_elsewhere=20, calls=12)  # more answers, another campaign
    assert counts[0] == counts[1], counts


per_hood_counts = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=5
)


@settings(max_examples=200, deadline=None)
@given(rows=per_hood_counts)
def test_a_compared_line_shows_only_true_counts_and_never_one_lone_hidden_cell(rows):
    keys = ("ok", "concern", "not_discussed")
    per_hood = {hood: dict(zip(keys, row, strict=True)) for hood, row in enumerate(rows)}
    line = compared_line("eenzaamheid", "Eenzaamheid", per_hood, {k: k for k in keys})
    whole = [sum(row[i] for row in rows) for i in range(3)]
    for shown, true in [
        *(
            (cell.count, per_hood[hood][cell.code])
            for hood, cells in line.hoods.items()
            for cell in cells
        ),
        *((cell.count, whole[i]) for i, cell in enumerate(line.whole)),
    ]:
        assert shown == true if isinstance(shown, int) else shown in (SMALL, HIDDEN)
        assert not (isinstance(shown, int) and 0 < shown < 5)
    # a column (the neighbourhoods and the whole) never has exactly one cell hidden
    for i, key in enumerate(keys):
        column = [line.hoods[hood][i].count for hood in per_hood] + [line.whole[i].count]
        assert sum(not isinstance(v, int) for v in column) != 1, (key, column)


def test_the_neighbourhoods_geojson_carries_the_answers_per_theme(answered):
    app, _hood, _other = answered
    token = api_token(app.test_client(), "coordinator@example.be")
    response = app.test_client().get(
        "/api/v1/exports/neighbourhoods.geojson",
        query_string={"gemeente": "36012"},
        headers=bearer(token),
    )
    assert response.status_code == 200
    features = {f["properties"]["name"]: f["properties"] for f in response.get_json()["features"]}
    dadizele = features["Dadizele"]
    assert dadizele["answers_respondents"] == "12"
    assert dadizele["answers_eenzaamheid_concern"] == "12"
    assert dadizele["answers_eenzaamheid_concern_pct"] == 100.0
    assert features["Moorslede"]["answers_eenzaamheid_ok"] == "5"


def test_the_printed_report_has_the_interests_information_and_guide(answered):
    app, hood, _other = answered
    with app.app_context():
        pdf = render_report(report_data(db.session.get(Neighbourhood, hood)))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    answers = text.rsplit("Wat de bewoners zeiden", 1)[1].split("Wat we hoorden", 1)[0]
    assert "Bevraagd (huisbezoeken en belacties): 12" in answers
    assert "Eenzaamheid\n0\n12\n0\n" in answers
    assert "Interesse in\nAantal\nAandeel\nLokaal dienstencentrum\n6\n100,0 %" in answers
    assert "Informatie meegegeven\nAantal\nAandeel\nSeniorengids\n6\n100,0 %" in answers
    guide = answers.split("Gespreksleidraad: Belronde 75+", 1)[1]
    assert "Komt u nog buiten?" in guide
    assert "ja\nx\n–" in guide  # five of six: hidden, the one "nee" would follow from it
    assert "nee\n<5\n–" in guide
    assert "beantwoord\n6\n100,0 %" in guide
    assert "wandelen" not in text


def test_the_neighbourhood_page_shows_each_campaigns_guide(answered):
    app, hood, other = answered
    client = _client(app, "coordinator")
    html = client.get(f"/buurtanalyse/{hood}").get_data(as_text=True)
    guide = html.split("<h3>Gespreksleidraad: Belronde 75+</h3>", 1)[1]
    assert '<th colspan="3">Komt u nog buiten?</th>' in guide
    assert "<td>nee</td><td>&lt;5</td><td>—</td>" in guide
    assert "wandelen" not in html
    elsewhere = client.get(f"/buurtanalyse/{other}").get_data(as_text=True)
    assert "Gespreksleidraad: Belronde 75+" not in elsewhere  # nobody there was called
