"""Every answer counted (issue 19, item 10): the themes, interests and information handed out
of a round's spoken visits, and a campaign's guide answers, on the round and campaign pages
and in a CSV — small cells suppressed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.calls.answers import NO_ANSWER, guide_line
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.core.suppression import HIDDEN, SMALL
from fieldwork.extensions import db
from fieldwork.visits.answers import THEME_ANSWERS, count_themes, theme_section, yes_line
from fieldwork.visits.models import Visit, VisitAddress, VisitRound
from fieldwork.visits.services import today
from tests.conftest import import_areas, login, make_user

# (themes, interests, info handed out) of twelve spoken visits
SPOKEN = [
    *[({"eenzaamheid": "concern", "mobiliteit": "ok"}, ["dorpsrestaurant"], ["Seniorengids"])] * 6,
    ({"eenzaamheid": "concern"}, ["dorpsrestaurant", "dienstencentrum"], ["Seniorengids"]),
    ({"eenzaamheid": "ok"}, ["dorpsrestaurant", "dienstencentrum"], ["Seniorengids"]),
    ({"eenzaamheid": "ok"}, ["verenigingen", "dienstencentrum"], ["Seniorengids"]),
    ({"eenzaamheid": "ok"}, ["verenigingen", "dienstencentrum"], ["Seniorengids"]),
    ({}, ["dienstencentrum"], ["Seniorengids"]),
    ({"eenzaamheid": "not_discussed"}, ["dienstencentrum"], ["Seniorengids"]),
]


def _address(round_id: int, hood: int, number: int) -> VisitAddress:
    return VisitAddress(
        round_id=round_id,
        name=f"Bewoner {number}",
        name_key=f"bewoner {number}",
        street="Dadizeleplaats",
        street_key="dadizeleplaats",
        house_number=str(number),
        postcode="8890",
        address_key=f"dadizeleplaats {number} 8890",
        neighbourhood_id=hood,
        status="visited",
    )


@pytest.fixture
def known_round(request):
    app = request.getfixturevalue(request.param)
    import_areas(app, "36012")
    make_user(app, "coordinator")
    make_user(app, "volunteer")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        visit_round = VisitRound(
            municipality_id=hood.municipality_id,
            name="Bezoekronde Dadizele",
            starts_on=today() - timedelta(days=7),
            ends_on=today() + timedelta(days=30),
            info_material=["Seniorengids"],
            neighbourhoods=[hood],
        )
        db.session.add(visit_round)
        db.session.flush()
        for number, (themes, interests, info) in enumerate(SPOKEN, start=1):
            address = _address(visit_round.id, hood.id, number)
            db.session.add(address)
            db.session.flush()
            db.session.add(
                Visit(
                    address_id=address.id,
                    outcome="spoken",
                    themes=themes,
                    interests=interests,
                    info_given=info,
                )
            )
            if number == 1:  # not counted: a not-at-home, and a second visit that came late
                db.session.add(Visit(address_id=address.id, outcome="not_home"))
                db.session.add(
                    Visit(
                        address_id=address.id,
                        outcome="spoken",
                        themes={"eenzaamheid": "ok"},
                        interests=["verenigingen"],
                        flag="duplicate",
                    )
                )
        db.session.commit()
        return app, visit_round.id


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("known_round", ["embedded_app", "pg_app"], indirect=True)
def test_the_round_page_and_csv_show_the_exact_counts(known_round):
    app, round_id = known_round
    client = app.test_client()
    login(client, "coordinator@example.be")
    html = client.get(f"/visit-rounds/{round_id}").get_data(as_text=True)
    assert "Wat de bewoners zeiden" in html
    assert "<td>Eenzaamheid</td><td>&lt;5</td><td>—</td><td>7</td><td>58,3 %</td>" in html
    assert "<td>Mobiliteit</td><td>6</td><td>50,0 %</td><td>0</td>" in html

    response = client.get(f"/visit-rounds/{round_id}/answers.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = _csv_rows(response.data)
    assert rows[0] == ["Onderdeel", "Vraag", "Antwoord", "Aantal", "Aandeel (%)"]
    assert ["Bevraagd", "", "", "12", ""] in rows
    themes = "Thema’s"
    assert [themes, "Eenzaamheid", "ok", SMALL, ""] in rows
    assert [themes, "Eenzaamheid", "zorg", "7", "58,3"] in rows
    assert [themes, "Eenzaamheid", "niet besproken", SMALL, ""] in rows
    assert [themes, "Mobiliteit", "niet besproken", "6", "50,0"] in rows
    interests = "Interesse in"
    assert [interests, "Lokaal dienstencentrum", "Lokaal dienstencentrum", "6", "50,0"] in rows
    assert [interests, "Verenigingen", "Verenigingen", SMALL, ""] in rows
    # 8 of 12: the 4 who were not interested would be 12 - 8, so 8 is hidden too
    assert [interests, "Dorpsrestaurant", "Dorpsrestaurant", HIDDEN, ""] in rows
    info = "Informatie meegegeven"
    assert [info, "Seniorengids", "Seniorengids", "12", "100,0"] in rows


@pytest.mark.parametrize("known_round", ["embedded_app"], indirect=True)
def test_a_volunteer_gets_403_on_the_page_and_the_export(known_round):
    app, round_id = known_round
    client = app.test_client()
    login(client, "volunteer@example.be")
    assert client.get(f"/visit-rounds/{round_id}").status_code == 403
    assert client.get(f"/visit-rounds/{round_id}/answers.csv").status_code == 403


LABELS_APP = Flask(__name__)  # the labels need a request context, nothing else
Babel(LABELS_APP)
ANSWER = st.sampled_from([*THEME_ANSWERS, None])
THEME_CODES = ["eenzaamheid", "mobiliteit", "woning"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({code: ANSWER for code in THEME_CODES}).map(
            lambda answers: {k: v for k, v in answers.items() if v is not None}
        ),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=40),
)
def test_counts_sum_to_the_spoken_and_suppression_never_shows_a_small_cell(stored, ticked):
    counts = count_themes(stored, THEME_CODES)
    for theme in THEME_CODES:
        assert sum(counts[theme].values()) == len(stored)
    with LABELS_APP.test_request_context():
        section = theme_section(stored, THEME_CODES)
        yes = yes_line("x", "x", min(ticked, len(stored)), len(stored))
    for line in [*section.lines, yes]:
        for cell in line.cells:
            true = counts[line.code][cell.code] if line.code in counts else min(ticked, len(stored))
            if 0 < true < 5:
                assert cell.count == SMALL
                assert cell.share is None
            if isinstance(cell.count, int):
                assert cell.count == true
            else:
                assert cell.share is None
        shown = [c.count for c in line.cells]
        if line is not yes and len(stored) >= 5:
            # never exactly one hidden cell in a line whose total is known
            assert sum(not isinstance(v, int) for v in shown) != 1


GUIDE = [
    {"key": "q1", "text": "Hoe gaat het met u?", "kind": "text", "options": []},
    {
        "key": "q2",
        "text": "Kent u het dienstencentrum?",
        "kind": "choice",
        "options": ["ja", "nee"],
    },
]
SECRET = "Mijn buurman Jan drinkt te veel"


@pytest.fixture
def campaign_with_answers(embedded_app):
    app = embedded_app
    import_areas(app, "36012")
    make_user(app, "coordinator")
    make_user(app, "volunteer")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        campaign = CallCampaign(
            municipality_id=hood.municipality_id,
            name="Telefoonronde Dadizele",
            guide=GUIDE,
            neighbourhoods=[hood],
        )
        db.session.add(campaign)
        db.session.flush()
        answers = [{"q1": SECRET, "q2": "ja"}] * 6 + [{"q2": "nee"}] * 2 + [{}] * 3
        for number, given_answers in enumerate(answers, start=1):
            target = CallTarget(
                campaign_id=campaign.id,
                name=f"Bewoner {number}",
                name_key=f"bewoner {number}",
                address_key=f"adres {number}",
                phone="051000000",
                neighbourhood_id=hood.id,
                status="reached",
            )
            db.session.add(target)
            db.session.flush()
            db.session.add(
                CallAttempt(
                    target_id=target.id,
                    outcome="reached",
                    answers=given_answers,
                    themes={"eenzaamheid": "concern"} if number <= 5 else {},
                )
            )
            db.session.add(CallAttempt(target_id=target.id, outcome="no_answer"))
        db.session.commit()
        return app, campaign.id


def test_the_campaign_counts_the_guide_answers_and_never_the_free_text(campaign_with_answers):
    app, campaign_id = campaign_with_answers
    client = app.test_client()
    login(client, "coordinator@example.be")
    html = client.get(f"/call-campaigns/{campaign_id}").get_data(as_text=True)
    assert "Wat de bewoners zeiden" in html
    assert "<td>beantwoord</td><td>6</td><td>54,5 %</td>" in html
    assert SECRET not in html
    response = client.get(f"/call-campaigns/{campaign_id}/answers.csv")
    body = response.data.decode("utf-8-sig")
    assert SECRET not in body
    rows = _csv_rows(response.data)
    guide = "Gespreksleidraad"
    assert ["Bevraagd", "", "", "11", ""] in rows
    assert [guide, "Hoe gaat het met u?", "beantwoord", "6", "54,5"] in rows
    assert [guide, "Hoe gaat het met u?", "geen antwoord", "5", "45,5"] in rows
    assert [guide, "Kent u het dienstencentrum?", "ja", "6", "54,5"] in rows
    # 2 "nee" is small; with 3 unanswered its complement is hidden too
    assert [guide, "Kent u het dienstencentrum?", "nee", SMALL, ""] in rows
    assert [guide, "Kent u het dienstencentrum?", "geen of ander antwoord", SMALL, ""] in rows
    assert ["Thema’s", "Eenzaamheid", "zorg", "5", "45,5"] in rows

    login(volunteer := app.test_client(), "volunteer@example.be")
    assert volunteer.get(f"/call-campaigns/{campaign_id}/answers.csv").status_code == 403


def test_a_free_text_question_counts_only_who_answered():
    with LABELS_APP.test_request_context():
        line = guide_line(GUIDE[0], [{"q1": SECRET}] * 5 + [{}] * 5)
    assert [(c.code, c.label, c.count) for c in line.cells] == [
        ("answered", "answered", 5),
        (NO_ANSWER, "no answer", 5),
    ]
