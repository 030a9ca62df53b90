"""Issue 9, done when: after a visit round and a call campaign in Moorslede, a coordinator
opens the municipality dashboard, sees Moorslede and Dadizele side by side on the map with
their findings and imported indicators, writes attention points, prints the neighbourhood
report, and an analyst exports the figures with small cells suppressed. Both paths: on
PostgreSQL every step that is the worker's (routing, counting, the indicator import, the
PDF) runs on the real Celery worker."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from fieldwork.areas.models import Municipality, Neighbourhood, Sector
from fieldwork.auth.models import User
from fieldwork.calls.campaigns import Conversation, record_attempt
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.extensions import db
from fieldwork.reports import rollups
from fieldwork.reports.models import NeighbourhoodReport, RollupCounted
from fieldwork.reports.periods import last_completed_quarter
from fieldwork.signals.models import Signal
from fieldwork.signals.vocabulary import THEME_DOMAINS
from fieldwork.visits.models import Visit, VisitAddress, VisitRound
from fieldwork.visits.services import Findings, record_visit
from tests.conftest import ROOT, api_token, bearer, import_areas, login, make_user, post_form

LONELY_IN_DADIZELE = 6  # visits that heard of loneliness: shown as they are
MOBILITY_IN_MOORSLEDE = 2  # calls that heard of mobility: a small cell


def wait_until(check, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the worker did not finish in time"
        time.sleep(0.2)


def field_work(app) -> dict[str, int]:
    """The round in Dadizele and the campaign in Moorslede, through the services the pages
    and the API use; then all of it dated back into the last completed quarter."""
    volunteer_id = make_user(app, "volunteer", name="Maria")
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).filter_by(code="36012"))
        hoods = {n.name: n for n in db.session.scalars(select(Neighbourhood))}
        sector = {
            name: db.session.scalar(
                select(Sector)
                .where(Sector.neighbourhood_id == hoods[name].id)
                .order_by(Sector.code)
            )
            for name in ("Moorslede", "Dadizele")
        }
        volunteer = db.session.get(User, volunteer_id)
        today = datetime.now(UTC).date()
        visit_round = VisitRound(
            municipality_id=municipality.id,
            name="Ronde 80+ Dadizele",
            starts_on=today,
            ends_on=today,
        )
        campaign = CallCampaign(municipality_id=municipality.id, name="Belactie Moorslede")
        db.session.add_all([visit_round, campaign])
        db.session.flush()
        for number in range(LONELY_IN_DADIZELE + 2):
            address = VisitAddress(
                round_id=visit_round.id,
                name=f"Bewoner {number}",
                name_key=f"bewoner {number}",
                street="Dadizeleplaats",
                street_key="dadizeleplaats",
                house_number=str(number),
                postcode="8890",
                address_key=f"dadizeleplaats {number}",
                neighbourhood_id=hoods["Dadizele"].id,
                sector_id=sector["Dadizele"].id,
            )
            db.session.add(address)
            db.session.flush()
            if number < LONELY_IN_DADIZELE:
                record_visit(
                    address,
                    volunteer,
                    Findings(outcome="spoken", themes={"eenzaamheid": "concern", "wonen": "ok"}),
                )
            else:
                record_visit(address, volunteer, Findings(outcome="not_home", card_left=True))
        for number in range(MOBILITY_IN_MOORSLEDE + 1):
            target = CallTarget(
                campaign_id=campaign.id,
                name=f"Gebelde {number}",
                name_key=f"gebelde {number}",
                address_key=f"markt {number}",
                phone="051000000",
                neighbourhood_id=hoods["Moorslede"].id,
                sector_id=sector["Moorslede"].id,
            )
            db.session.add(target)
            db.session.flush()
            if number < MOBILITY_IN_MOORSLEDE:
                record_attempt(
                    target,
                    volunteer,
                    Conversation(outcome="reached", themes={"mobiliteit": "concern"}),
                )
            else:
                record_attempt(target, volunteer, Conversation(outcome="no_answer"))
        db.session.commit()
        ids = {"Moorslede": hoods["Moorslede"].id, "Dadizele": hoods["Dadizele"].id}

    def worked() -> bool:  # routed and counted by the worker
        with app.app_context():
            return (
                db.session.scalar(select(Signal.id).where(Signal.routed_at.is_(None))) is None
                and db.session.scalar(select(func.count()).select_from(RollupCounted))
                == LONELY_IN_DADIZELE + 2 + MOBILITY_IN_MOORSLEDE + 1
            )

    wait_until(worked)
    with app.app_context():
        quarter = last_completed_quarter()
        moment = datetime.combine(
            quarter.start + timedelta(days=45), datetime.min.time(), tzinfo=UTC
        ) + timedelta(hours=10)
        for model in (Signal, Visit, CallAttempt):
            for row in db.session.scalars(select(model)):
                row.created_at = moment
        assert rollups.rebuild() > 0  # the nightly job moves the counts to that quarter
        db.session.commit()
    return ids


def test_done_when(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    make_user(app, "analyst")
    ids = field_work(app)
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")

    # the indicators: the coordinator uploads them, the worker reads them
    upload = post_form(
        coordinator,
        "/indicatoren",
        {
            "file": (
                io.BytesIO((ROOT / "data" / "demo" / "indicatoren_moorslede.csv").read_bytes()),
                "pinc.csv",
            ),
            "source": "Provincies in Cijfers",
        },
    )
    assert upload.status_code == 303

    def imported() -> bool:
        return 'http-equiv="refresh"' not in coordinator.get(upload.headers["Location"]).get_data(
            as_text=True
        )

    wait_until(imported)

    # the dashboard: both neighbourhoods on the map, with the findings and the indicators
    page = coordinator.get("/buurtanalyse/", query_string={"gemeente": "36012"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    map_data = json.loads(
        re.search(
            r'<script type="application/json" id="map-data">(.*?)'
            r"</script>",
            html,
            re.S,
        )[1]
    )
    drawn = {f["properties"]["name"]: f["properties"]["value"] for f in map_data["features"]}
    assert drawn == {
        "Dadizele": str(LONELY_IN_DADIZELE),  # signals, the default measure
        "Moorslede": str(MOBILITY_IN_MOORSLEDE),
    }
    assert html.count('class="area shade-') == 2  # the SVG map for print
    assert "Aandeel 65-plussers (2024)" in html
    assert "Bewoner" not in html
    assert "Gebelde" not in html

    # the neighbourhood page and an attention point on the findings behind it
    dadizele = f"/buurtanalyse/{ids['Dadizele']}"
    added = post_form(
        coordinator,
        dadizele,
        {
            "title": "Ontmoeting voor wie alleen woont",
            "themes": ["eenzaamheid"],
            "indicators": ["living_alone_75plus"],
        },
        action=f"{dadizele}/aandachtspunten",
    )
    assert added.status_code == 302
    html = coordinator.get(dadizele).get_data(as_text=True)
    assert "Ontmoeting voor wie alleen woont" in html
    assert re.search(r"Gebaseerd op: Eenzaamheid, Alleenwonende 75-plussers", html)

    # the printed report, made by the worker
    assert post_form(coordinator, dadizele, {}, action=f"{dadizele}/rapport").status_code == 302

    def report_done() -> bool:
        with app.app_context():
            report = db.session.scalars(select(NeighbourhoodReport)).one()
            return report.status in ("done", "failed")

    wait_until(report_done)
    with app.app_context():
        report = db.session.scalars(select(NeighbourhoodReport)).one()
        assert report.status == "done", report.error
        report_id = report.id
    pdf = coordinator.get(f"/buurtanalyse/rapport/{report_id}.pdf")
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split()
    )
    for part in (
        "Buurtanalyse Dadizele",
        "Cijfers",
        "Ingeladen indicatoren",
        "Aandeel 65-plussers",
        "Aandachtspunten",
        "Ontmoeting voor wie alleen woont",
        "Alleenwonende 75-plussers",
        "Bronnen",
        "Provincies in Cijfers",
    ):
        assert part in text, part
    assert "Bewoner" not in text

    # the analyst exports the figures: completed quarters, small cells suppressed; what
    # happened in the quarter still running is not in them yet
    with app.app_context():
        db.session.add(
            Signal(
                neighbourhood_id=ids["Moorslede"],
                theme="woning",
                domain=THEME_DOMAINS["woning"],
                polarity="need",
                source="manual",
            )
        )
        db.session.commit()
    token = api_token(app.test_client(), "analyst@example.be")
    exported = app.test_client().get(
        "/api/v1/exports/signals.csv", headers=bearer(token), query_string={"gemeente": "36012"}
    )
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.get_data().decode("utf-8-sig")), delimiter=";"))
    with app.app_context():
        quarter = last_completed_quarter().code
    cells = {(r["neighbourhood"], r["theme"]): r["count"] for r in rows if r["period"] == quarter}
    # hidden as well: with the municipality's total, 6 would give Moorslede's 2 away
    assert cells[("Dadizele", "eenzaamheid")] == "x"
    assert cells[("Moorslede", "mobiliteit")] == "<5"
    assert str(MOBILITY_IN_MOORSLEDE) not in {
        v for (_n, t), v in cells.items() if t == "mobiliteit"
    }
    assert "Bewoner" not in exported.get_data(as_text=True)
    assert not [r for r in rows if r["theme"] == "woning"]
    assert {r["period"] for r in rows} == {quarter}
    analyst = app.test_client()
    login(analyst, "analyst@example.be")
    assert analyst.get(f"/buurtanalyse/rapport/{report_id}.pdf").status_code == 403
    seen = analyst.get(f"/buurtanalyse/{ids['Moorslede']}").get_data(as_text=True)
    assert f'value="{quarter}" selected' in seen
    assert "&lt;5" in seen  # the two mobility signals
    geojson = app.test_client().get(
        "/api/v1/exports/neighbourhoods.geojson",
        headers=bearer(token),
        query_string={"gemeente": "36012"},
    )
    features = {
        f["properties"]["name"]: f["properties"] for f in json.loads(geojson.get_data())["features"]
    }
    assert features["Moorslede"]["calls_reached"] == "<5"
    assert features["Dadizele"]["visits_spoken"] == str(LONELY_IN_DADIZELE)
    assert features["Dadizele"]["suppressed"] is True
