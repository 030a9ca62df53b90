"""The social map in the neighbourhood analysis (issue 21): per neighbourhood the services for
it, the organisations there and the themes nothing covers; the referrals onward per partner,
neighbourhood and theme with the acceptance rate and the median days to acceptance — exact
for the coordinator, suppressed for the analyst (no rate beside a hidden count)."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.streets import load_streets
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.db import utcnow
from fieldwork.demo.cli import DEMO_SOCIAL_MAP, DEMO_STREETS
from fieldwork.extensions import db
from fieldwork.onward.models import OnwardReferral
from fieldwork.onward.services import OnwardRequest, accept, decline, refer_onward
from fieldwork.partners.models import PartnerService
from fieldwork.partners.services import import_register
from fieldwork.reports.analysis import report_data
from fieldwork.reports.figures import local_start
from fieldwork.reports.pdf import render_report
from fieldwork.reports.periods import last_completed_quarter
from fieldwork.signals.models import Resident
from tests.conftest import PASSWORD, import_areas, login, make_user

# (state, days the partner took to accept) for seven referrals to the transport service
PLAN = [
    ("accepted", 1),
    ("accepted", 2),
    ("accepted", 2),
    ("accepted", 4),
    ("done", 3),
    ("declined", 0),
    ("sent", 0),
]


def _referrals(app) -> None:
    with app.app_context():
        moorslede = db.session.scalar(select(Municipality).filter_by(code="36012"))
        dadizele = db.session.scalar(select(Neighbourhood).filter_by(name="Dadizele"))
        coordinator = db.session.scalar(select(User).filter_by(role="coordinator"))
        transport = db.session.scalar(
            select(PartnerService).filter_by(name="Vervoer met vrijwillige chauffeurs")
        )
        for number, (state, days) in enumerate(PLAN):
            resident = Resident(
                municipality_id=moorslede.id,
                name=f"Bewoner {number}",
                name_key=f"bewoner {number}",
                address_key=f"dadizeleplaats {number}",
                neighbourhood_id=dadizele.id,
            )
            db.session.add(resident)
            db.session.flush()
            case = Case(resident_id=resident.id, status="new", owner_id=coordinator.id)
            db.session.add(case)
            db.session.flush()
            referral = refer_onward(
                case,
                coordinator,
                OnwardRequest(
                    transport.id, "Vervoer", "Naar de dokter.", True, "verbal", "mmc@example.be"
                ),
            )
            if state in ("accepted", "done"):
                accept(referral)
                referral.answered_at = referral.created_at + timedelta(days=days)
                referral.state = state
            elif state == "declined":
                decline(referral, "Geen chauffeurs.")
        db.session.commit()


@pytest.fixture
def analysis(app):
    import_areas(app, "36012")
    with app.app_context():
        load_streets(DEMO_STREETS.read_bytes(), skip_invalid=True)
        import_register(
            db.session.scalar(select(Municipality).filter_by(code="36012")),
            DEMO_SOCIAL_MAP.read_bytes(),
        )
        db.session.commit()
    make_user(app, "coordinator")
    make_user(app, "analyst")
    _referrals(app)
    return app


def _row(html: str, section: str, label: str) -> list[str]:
    part = html[html.index(f'id="{section}"') :]
    match = re.search(rf"<tr><td>{re.escape(label)}</td>(.*?)</tr>", part, re.S)
    assert match, f"no row {label} in {section}"
    return [
        re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", match.group(1), re.S)
    ]


def _dashboard(app, role: str, query: str = "") -> str:
    client = app.test_client()
    login(client, f"{role}@example.be")
    page = client.get(f"/buurtanalyse/?gemeente=36012{query}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_each_neighbourhood_shows_what_is_there_and_which_themes_nothing_covers(analysis):
    html = _dashboard(analysis, "coordinator")
    dadizele = _row(html, "facilities", "Dadizele")
    moorslede = _row(html, "facilities", "Moorslede")
    assert "Dorpsrestaurant Dadizele" in dadizele[1]
    assert "OKRA Dadizele" in dadizele[1]
    assert "Lokaal dienstencentrum De Stekke" in moorslede[1]
    # the praatgroep of the service centre is for Moorslede only
    assert "Sociaal isolement" in dadizele[2]
    assert "Sociaal isolement" not in moorslede[2]
    assert int(moorslede[0]) == 7  # the 6 for the whole municipality and the service centre's
    assert int(dadizele[0]) == 8  # the 6, the restaurant and OKRA


def test_the_coordinator_sees_the_exact_referral_figures(analysis):
    html = _dashboard(analysis, "coordinator")
    row = _row(html, "referrals-onward", "Minder Mobielen Centrale Moorslede")
    # sent, waiting, accepted (or done), declined, done, accepted of answered, median days
    assert row == ["7", "1", "5", "1", "1", "83,3 %", "2,0"]
    assert _row(html, "referrals-onward", "Dadizele")[:5] == ["7", "1", "5", "1", "1"]
    assert _row(html, "referrals-onward", "Mobiliteit")[:5] == ["7", "1", "5", "1", "1"]


def test_the_analyst_sees_small_cells_suppressed_and_no_rate_that_would_reveal_them(analysis):
    quarter = last_completed_quarter()  # what an analyst is shown
    with analysis.app_context():
        for referral in db.session.scalars(select(OnwardReferral)):
            waited = (referral.answered_at or referral.created_at) - referral.created_at
            referral.created_at = local_start(quarter.start) + timedelta(days=10)
            if referral.answered_at:
                referral.answered_at = referral.created_at + waited
        db.session.commit()
    html = _dashboard(analysis, "analyst")
    row = _row(html, "referrals-onward", "Minder Mobielen Centrale Moorslede")
    assert row[1] == "&lt;5"  # one waiting
    assert row[3] == "&lt;5"  # one declined
    assert row[5] == "–"  # 83 % of 6 answered would give the declined one away
    assert "Bewoner" not in html


def test_referrals_of_another_period_are_not_counted(analysis):
    with analysis.app_context():
        for referral in db.session.scalars(select(OnwardReferral)):
            referral.created_at = utcnow() - timedelta(days=800)
        db.session.commit()
    this_month = utcnow().strftime("%Y-%m")
    html = _dashboard(analysis, "coordinator", f"&periode={this_month}")
    assert "Geen doorverwijzingen in deze periode." in html


def test_the_neighbourhood_page_the_geojson_and_the_report_show_the_facilities(analysis):
    client = analysis.test_client()
    login(client, "coordinator@example.be")
    with analysis.app_context():
        dadizele = db.session.scalar(select(Neighbourhood).filter_by(name="Dadizele"))
        hood_id = dadizele.id
    page = client.get(f"/buurtanalyse/{hood_id}").get_data(as_text=True)
    section = page[page.index('id="facilities"') :]
    assert "8 aanbiedingen voor deze buurt" in section
    assert "hier gevestigd: Dorpsrestaurant Dadizele, OKRA Dadizele" in section
    assert "Sociaal isolement" in section

    token = client.post(
        "/api/v1/auth/token", json={"email": "analyst@example.be", "password": PASSWORD}
    ).get_json()["token"]
    geojson = client.get(
        "/api/v1/exports/neighbourhoods.geojson?gemeente=36012",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    props = {f["properties"]["name"]: f["properties"] for f in geojson["features"]}
    assert props["Dadizele"]["services"] == 8
    assert props["Dadizele"]["organisations"] == ["Dorpsrestaurant Dadizele", "OKRA Dadizele"]
    assert "sociaal_isolement" in props["Dadizele"]["themes_without_service"]
    assert "sociaal_isolement" not in props["Moorslede"]["themes_without_service"]

    with analysis.app_context():
        text = "\n".join(
            p.extract_text()
            for p in PdfReader(
                io.BytesIO(render_report(report_data(db.session.get_one(Neighbourhood, hood_id))))
            ).pages
        )
    assert "Voorzieningen (sociale kaart)" in text
    assert "Dorpsrestaurant Dadizele" in text


def test_the_map_can_be_coloured_by_the_services_on_the_social_map(analysis):
    html = _dashboard(analysis, "analyst", "&measure=services")
    assert '<option value="services" selected>Aanbod op de sociale kaart</option>' in html
    data = json.loads(
        re.search(
            r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S
        ).group(1)
    )
    values = {f["properties"]["name"]: f["properties"]["value"] for f in data["features"]}
    assert values["Dadizele"] == "8"
    assert values["Moorslede"] == "7"


def test_the_referral_figures_export_is_suppressed_even_for_the_coordinator(analysis):
    client = analysis.test_client()
    login(client, "coordinator@example.be")
    export = client.get("/buurtanalyse/doorverwijzingen.csv?gemeente=36012")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    rows = [line.split(";") for line in export.data.decode("utf-8-sig").splitlines()]
    partner = next(r for r in rows if r[:2] == ["partner", "Minder Mobielen Centrale Moorslede"])
    assert partner[3] == "<5"  # one waiting
    assert partner[5] == "<5"  # one declined
    assert "1" not in partner[2:7]
    assert partner[7] == ""  # no rate beside a hidden count
    volunteer = analysis.test_client()
    make_user(analysis, "volunteer")
    login(volunteer, "volunteer@example.be")
    assert volunteer.get("/buurtanalyse/doorverwijzingen.csv").status_code == 403
