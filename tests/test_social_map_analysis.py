"""The social map in the neighbourhood analysis (issue 21): per neighbourhood the services for
it, the organisations there and the themes nothing covers; the referrals onward per partner,
neighbourhood and theme with the acceptance rate and the median days to acceptance — exact
for the coordinator, suppressed for the analyst (no rate beside a hidden count)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
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
from fieldwork.reports.figures import local_start
from fieldwork.reports.periods import last_completed_quarter
from fieldwork.signals.models import Resident
from tests.conftest import import_areas, login, make_user

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
