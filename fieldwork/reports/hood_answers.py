"""Every answer counted per neighbourhood ("Wat de bewoners zeiden" on the neighbourhood page
and in the printed report): the spoken visits to its addresses and the reached calls to its
people, over all rounds and campaigns of the period. The same rules and the same suppression
as a round's and a campaign's answers (:mod:`fieldwork.visits.answers`); the guide's answers
per campaign, each guide asking its own questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from flask_babel import gettext as _

from fieldwork.calls.answers import guide_section
from fieldwork.core.suppression import suppress_value
from fieldwork.reports.answer_table import Heard, heard_in
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.answers import (
    Answers,
    Section,
    info_section,
    interests_section,
    theme_section,
    visit_themes,
)
from fieldwork.visits.forms import ASKED_AS_CHECKBOXES


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


def guide_sections(heard: Heard, neighbourhood_id: int) -> list[Section]:
    """Per campaign that reached the neighbourhood's people, its guide's questions."""
    calls = heard.calls[neighbourhood_id]
    sections = []
    for campaign_id, (name, guide) in heard.guides.items():
        stored = [row.answers or {} for row in calls if row.campaign_id == campaign_id]
        section = guide_section(guide, stored)
        heading = _("Conversation guide: %(campaign)s", campaign=name)
        sections.append(Section(section.code, heading, section.lines))
    return sections


def neighbourhood_answers(
    neighbourhood_id: int,
    start: date | None = None,
    end: date | None = None,
    round_id: int | None = None,
    campaign_id: int | None = None,
) -> Answers:
    """The neighbourhood's answers in [start, end] (``round_id``/``campaign_id``: the
    period's scope, as the figures take it)."""
    heard = heard_in([neighbourhood_id], start, end, round_id, campaign_id)
    visits, calls = heard.visits[neighbourhood_id], heard.calls[neighbourhood_id]
    return Answers(
        suppress_value(len(visits) + len(calls)),
        [
            door_and_phone_themes(
                [row.themes or {} for row in visits], [row.themes or {} for row in calls]
            ),
            interests_section([row.interests for row in visits]),
            info_section([row.info_given for row in visits], []),
            *guide_sections(heard, neighbourhood_id),
        ],
    )
