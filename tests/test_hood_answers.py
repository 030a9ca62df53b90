"""Every answer counted per neighbourhood (issue 19, item 10): the spoken visits to its
addresses and the reached calls to its people, on the neighbourhood page and in the printed
report — small cells suppressed, another neighbourhood's answers never counted."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.extensions import db
from fieldwork.reports.analysis import report_data
from fieldwork.reports.pdf import render_report
from fieldwork.reports.periods import last_completed_quarter
from fieldwork.visits.models import Visit, VisitRound
from fieldwork.visits.services import today
from tests.conftest import import_areas, login, make_user
from tests.test_answers_counted import _address

AT_THE_DOOR = {"eenzaamheid": "concern", "mobiliteit": "ok"}
ON_THE_PHONE = {"eenzaamheid": "concern", "buurtgezel": "ok"}
ELSEWHERE = {"eenzaamheid": "ok", "mobiliteit": "concern"}


def _in_the_analysts_quarter() -> datetime:
    """Midway the last completed quarter: the period an analyst is shown."""
    start = last_completed_quarter().start
    assert start is not None
    return datetime.combine(start + timedelta(days=40), time(12), UTC)


ANSWERED_AT = _in_the_analysts_quarter()


def _spoken(round_id: int, hood: int, number: int, themes: dict[str, str], **extra: str) -> None:
    address = _address(round_id, hood, number)
    db.session.add(address)
    db.session.flush()
    db.session.add(
        Visit(
            address_id=address.id,
            outcome="spoken",
            themes=themes,
            interests=["dienstencentrum"],
            info_given=["Seniorengids"],
            created_at=ANSWERED_AT,
            **extra,
        )
    )


def _reached(campaign_id: int, hood: int, themes: dict[str, str]) -> None:
    target = CallTarget(
        campaign_id=campaign_id,
        name="Bewoner aan de lijn",
        name_key="bewoner aan de lijn",
        address_key="adres aan de lijn",
        phone="051000000",
        neighbourhood_id=hood,
        status="reached",
    )
    db.session.add(target)
    db.session.flush()
    db.session.add(
        CallAttempt(target_id=target.id, outcome="reached", themes=themes, created_at=ANSWERED_AT)
    )


@pytest.fixture
def answered_hood(embedded_app):
    """Dadizele: six spoken visits (and one late duplicate) and one reached call; another
    neighbourhood: five spoken visits that must never count for Dadizele."""
    app = embedded_app
    import_areas(app, "36012")
    for role in ("coordinator", "analyst", "volunteer"):
        make_user(app, role)
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        other = db.session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.municipality_id == hood.municipality_id,
                Neighbourhood.id != hood.id,
            )
        ).first()
        assert other is not None
        visit_round = VisitRound(
            municipality_id=hood.municipality_id,
            name="Bezoekronde",
            starts_on=today() - timedelta(days=7),
            ends_on=today() + timedelta(days=30),
            info_material=["Seniorengids"],
            neighbourhoods=[hood, other],
        )
        campaign = CallCampaign(
            municipality_id=hood.municipality_id, name="Belronde", neighbourhoods=[hood]
        )
        db.session.add_all([visit_round, campaign])
        db.session.flush()
        for number in range(1, 7):
            _spoken(visit_round.id, hood.id, number, AT_THE_DOOR)
        _spoken(visit_round.id, hood.id, 7, {"eenzaamheid": "ok"}, flag="duplicate")
        for number in range(8, 13):
            _spoken(visit_round.id, other.id, number, ELSEWHERE)
        _reached(campaign.id, hood.id, ON_THE_PHONE)
        db.session.commit()
        return app, hood.id


def _page(app, email: str, hood_id: int):
    client = app.test_client()
    login(client, email)
    return client.get(f"/buurtanalyse/{hood_id}")


def test_the_page_counts_the_neighbourhoods_visits_and_calls_only(answered_hood):
    app, hood_id = answered_hood
    html = _page(app, "coordinator@example.be", hood_id).get_data(as_text=True)
    assert "Wat de bewoners zeiden" in html
    assert "Bevraagd: 7." in html
    # six visits and the call; the late duplicate and the other neighbourhood never count
    assert "<td>Eenzaamheid</td><td>0</td><td>0,0 %</td><td>7</td><td>100,0 %</td>" in html
    # one call did not discuss mobility (small); the six ok would give it away: hidden
    assert "<td>Mobiliteit</td><td>x</td><td>—</td><td>0</td><td>0,0 %</td><td>&lt;5</td>" in html
    # asked on the phone only: the one call, small
    assert "<td>Companionship" not in html
    assert "<td>Buurtgezel of kleine hulp</td><td>&lt;5</td><td>—</td>" in html
    assert "<td>Lokaal dienstencentrum</td><td>6</td><td>100,0 %</td>" in html  # visits only


def test_the_page_period_filters_the_answers(answered_hood):
    app, hood_id = answered_hood
    client = app.test_client()
    login(client, "coordinator@example.be")
    this_month = {"periode": f"{today():%Y-%m}"}  # the answers are from an earlier quarter
    html = client.get(f"/buurtanalyse/{hood_id}", query_string=this_month).get_data(as_text=True)
    assert "Bevraagd: 0." in html


def test_an_analyst_sees_the_same_suppressed_counts_and_a_volunteer_gets_403(answered_hood):
    app, hood_id = answered_hood
    html = _page(app, "analyst@example.be", hood_id).get_data(as_text=True)
    assert "Wat de bewoners zeiden" in html
    assert "<td>Eenzaamheid</td><td>0</td><td>0,0 %</td><td>7</td><td>100,0 %</td>" in html
    assert "<td>Buurtgezel of kleine hulp</td><td>&lt;5</td><td>—</td>" in html
    assert _page(app, "volunteer@example.be", hood_id).status_code == 403


def test_the_printed_report_has_the_answers_per_theme(answered_hood):
    app, hood_id = answered_hood
    with app.app_context():
        pdf = render_report(report_data(db.session.get(Neighbourhood, hood_id)))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    after_the_cover = text.rsplit("Wat de bewoners zeiden", 1)[1]
    answers = after_the_cover.split("Wat we hoorden", 1)[0]
    assert "Bevraagd (huisbezoeken en belacties): 7" in answers
    assert "Eenzaamheid\n0\n7\n0\n" in answers
    assert "Mobiliteit\nx\n0\n<5\n" in answers
    assert "Buurtgezel of kleine hulp\n<5\n0\n0\n" in answers
