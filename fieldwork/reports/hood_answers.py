"""Every answer counted per neighbourhood ("Wat de bewoners zeiden" on the neighbourhood page
and in the printed report): the spoken visits to its addresses and the reached calls to its
people, over all rounds and campaigns of the period. The same rules and the same suppression
as a round's and a campaign's answers (:mod:`fieldwork.visits.answers`); the guide's answers
stay per campaign."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, true

from fieldwork.calls.models import CallAttempt, CallTarget
from fieldwork.core.suppression import suppress_value
from fieldwork.extensions import db
from fieldwork.reports.figures import in_period
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.answers import (
    Answers,
    Section,
    counted_spoken_visit,
    info_section,
    interests_section,
    theme_section,
    visit_themes,
)
from fieldwork.visits.forms import ASKED_AS_CHECKBOXES
from fieldwork.visits.models import Visit, VisitAddress


def spoken_visits(
    neighbourhood_id: int, start: date | None, end: date | None, round_id: int | None
) -> Sequence[Any]:
    """The counted spoken visits to the neighbourhood's addresses (one round's with
    ``round_id``), in one statement."""
    return db.session.execute(
        select(Visit.themes, Visit.interests, Visit.info_given)
        .join(VisitAddress, VisitAddress.id == Visit.address_id)
        .where(
            VisitAddress.neighbourhood_id == neighbourhood_id,
            counted_spoken_visit(),
            in_period(Visit.created_at, start, end),
            VisitAddress.round_id == round_id if round_id is not None else true(),
        )
    ).all()


def reached_call_themes(
    neighbourhood_id: int, start: date | None, end: date | None, campaign_id: int | None
) -> list[Mapping[str, str]]:
    """The themes of the reached calls to the neighbourhood's people (one campaign's with
    ``campaign_id``)."""
    return [
        themes or {}
        for themes in db.session.scalars(
            select(CallAttempt.themes)
            .join(CallTarget, CallTarget.id == CallAttempt.target_id)
            .where(
                CallTarget.neighbourhood_id == neighbourhood_id,
                CallAttempt.outcome == "reached",
                in_period(CallAttempt.created_at, start, end),
                CallTarget.campaign_id == campaign_id if campaign_id is not None else true(),
            )
        )
    ]


def door_and_phone_themes(
    at_the_door: Sequence[Mapping[str, str]], on_the_phone: Sequence[Mapping[str, str]]
) -> Section:
    """Visits and calls together; the themes the findings sheet asks as tick boxes count the
    calls only (a visit never answered them as a theme)."""
    both = theme_section([*at_the_door, *on_the_phone], visit_themes())
    phone_only = theme_section(on_the_phone, list(ASKED_AS_CHECKBOXES))
    order = list(THEMES)
    lines = sorted([*both.lines, *phone_only.lines], key=lambda line: order.index(line.code))
    return Section(both.code, both.heading, lines)


def neighbourhood_answers(
    neighbourhood_id: int,
    start: date | None = None,
    end: date | None = None,
    round_id: int | None = None,
    campaign_id: int | None = None,
) -> Answers:
    """The neighbourhood's answers in [start, end] (``round_id``/``campaign_id``: the
    period's scope, as the figures take it)."""
    visits = spoken_visits(neighbourhood_id, start, end, round_id)
    calls = reached_call_themes(neighbourhood_id, start, end, campaign_id)
    return Answers(
        suppress_value(len(visits) + len(calls)),
        [
            door_and_phone_themes([row.themes or {} for row in visits], calls),
            interests_section([row.interests for row in visits]),
            info_section([row.info_given for row in visits], []),
        ],
    )
