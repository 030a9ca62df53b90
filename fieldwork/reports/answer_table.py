"""Every answer counted for a set of neighbourhoods side by side (the dashboard's "Wat de
bewoners zeiden" and the answers export): per theme ok / zorg / niet besproken, the
interests, the information handed out and each campaign's guide questions — per
neighbourhood and for them all together.

Each question is one neighbourhoods x answers table through :func:`suppress_table`: a row
adds up to the neighbourhood's respondents, a column to the whole's count, so neither a
small cell nor the difference between the whole and the other neighbourhoods gives one
away. The visits and the calls are read in one statement each, whatever the number of
themes or neighbourhoods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, true

from fieldwork.calls.answers import guide_counts
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.core.suppression import Shown, suppress_table
from fieldwork.extensions import db
from fieldwork.reports.figures import in_period
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.answers import (
    Cell,
    count_options,
    count_themes,
    counted_spoken_visit,
    share,
    theme_answer_labels,
    visit_themes,
)
from fieldwork.visits.forms import ASKED_AS_CHECKBOXES, INTEREST_CHOICES
from fieldwork.visits.models import Visit, VisitAddress

Counts = dict[str, int]


@dataclass(frozen=True)
class ComparedLine:
    """One question: the shown cells per neighbourhood (by id) and for the whole."""

    code: str
    label: str
    hoods: dict[int, list[Cell]]
    whole: list[Cell]


@dataclass(frozen=True)
class ComparedSection:
    code: str
    heading: str
    respondents: dict[int, Shown]  # who was asked the section's questions, per neighbourhood
    whole: Shown
    lines: list[ComparedLine]


def compared_section(
    code: str, heading: str, asked: Mapping[int, int], lines: list[ComparedLine]
) -> ComparedSection:
    respondents, whole = _respondents(asked)
    return ComparedSection(code, heading, respondents, whole, lines)


def _respondents(asked: Mapping[int, int]) -> tuple[dict[int, Shown], Shown]:
    """The neighbourhoods' respondents and their sum, suppressed as one column."""
    answered = [hood for hood, count in asked.items() if count]
    if not answered:
        return dict.fromkeys(asked, 0), 0
    table = suppress_table([[asked[hood]] for hood in answered])
    shown = {hood: table.row_totals[i] for i, hood in enumerate(answered)}
    return {hood: shown.get(hood, 0) for hood in asked}, table.total


@dataclass(frozen=True)
class ComparedAnswers:
    respondents: dict[int, Shown]  # per neighbourhood
    whole: Shown
    sections: list[ComparedSection]

    @property
    def empty(self) -> bool:
        return self.whole == 0


@dataclass(frozen=True)
class Heard:
    """What was answered, per neighbourhood: the spoken visits' (themes, interests,
    information) and the reached calls' (campaign, themes, guide answers)."""

    visits: dict[int, list[Any]]
    calls: dict[int, list[Any]]
    guides: dict[int, tuple[str, list[dict[str, Any]]]]  # campaign id: name, guide


def heard_in(
    hood_ids: Sequence[int],
    start: date | None = None,
    end: date | None = None,
    round_id: int | None = None,
    campaign_id: int | None = None,
) -> Heard:
    visits: dict[int, list[Any]] = {hood: [] for hood in hood_ids}
    calls: dict[int, list[Any]] = {hood: [] for hood in hood_ids}
    if not hood_ids:
        return Heard(visits, calls, {})
    for row in db.session.execute(
        select(VisitAddress.neighbourhood_id, Visit.themes, Visit.interests, Visit.info_given)
        .join(VisitAddress, VisitAddress.id == Visit.address_id)
        .where(
            VisitAddress.neighbourhood_id.in_(hood_ids),
            counted_spoken_visit(),
            in_period(Visit.created_at, start, end),
            VisitAddress.round_id == round_id if round_id is not None else true(),
        )
    ):
        visits[row.neighbourhood_id].append(row)
    for row in db.session.execute(
        select(CallTarget.neighbourhood_id, CallTarget.campaign_id, CallAttempt.themes)
        .add_columns(CallAttempt.answers)
        .join(CallTarget, CallTarget.id == CallAttempt.target_id)
        .where(
            CallTarget.neighbourhood_id.in_(hood_ids),
            CallAttempt.outcome == "reached",
            in_period(CallAttempt.created_at, start, end),
            CallTarget.campaign_id == campaign_id if campaign_id is not None else true(),
        )
    ):
        calls[row.neighbourhood_id].append(row)
    return Heard(
        visits, calls, _guides({row.campaign_id for rows in calls.values() for row in rows})
    )


def _guides(campaign_ids: set[int]) -> dict[int, tuple[str, list[dict[str, Any]]]]:
    if not campaign_ids:
        return {}
    return {
        row.id: (row.name, list(row.guide or []))
        for row in db.session.execute(
            select(CallCampaign.id, CallCampaign.name, CallCampaign.guide)
            .where(CallCampaign.id.in_(campaign_ids))
            .order_by(CallCampaign.id)
        )
    }


def compared_line(
    code: str,
    label: str,
    per_hood: Mapping[int, Counts],
    labels: Mapping[str, str],
    shown_keys: Sequence[str] | None = None,
) -> ComparedLine:
    """The neighbourhoods' counts of one question (each adding up to the neighbourhood's
    respondents to it) suppressed as one table; only ``shown_keys`` become cells. A
    neighbourhood nobody there answered stays out of the table (its zeros give nothing
    away, and would only be hidden to protect the others)."""
    keys = list(next(iter(per_hood.values()))) if per_hood else list(labels)
    wanted = shown_keys if shown_keys is not None else keys
    answered = [hood for hood, counts in per_hood.items() if sum(counts.values())]
    table = suppress_table([[per_hood[hood][key] for key in keys] for hood in answered])

    def cells(row: Sequence[Shown], total: Shown) -> list[Cell]:
        by_key = dict(zip(keys, row, strict=True))
        return [Cell(k, labels.get(k, k), by_key[k], share(by_key[k], total)) for k in wanted]

    nobody = cells([0] * len(keys), 0)
    shown = {hood: cells(table.cells[i], table.row_totals[i]) for i, hood in enumerate(answered)}
    whole = cells(table.column_totals, table.total) if answered else nobody
    return ComparedLine(code, label, {hood: shown.get(hood, nobody) for hood in per_hood}, whole)


def _theme_lines(heard: Heard) -> list[ComparedLine]:
    """Visits and calls together; the themes the findings sheet asks as tick boxes count
    the calls only (a visit never answered them as a theme)."""
    both = {
        hood: count_themes(
            [*(row.themes or {} for row in heard.visits[hood]), *_call_themes(heard, hood)],
            visit_themes(),
        )
        for hood in heard.visits
    }
    phone = {
        hood: count_themes(_call_themes(heard, hood), list(ASKED_AS_CHECKBOXES))
        for hood in heard.visits
    }
    lines = []
    for theme in THEMES:
        source = phone if theme in ASKED_AS_CHECKBOXES else both
        lines.append(
            compared_line(
                theme,
                str(THEMES[theme]),
                {hood: counts[theme] for hood, counts in source.items()},
                theme_answer_labels(theme),
            )
        )
    return lines


def _call_themes(heard: Heard, hood: int) -> list[Mapping[str, str]]:
    return [row.themes or {} for row in heard.calls[hood]]


def _option_lines(
    stored: Mapping[int, Sequence[Iterable[str] | None]], options: Sequence[tuple[str, str]]
) -> list[ComparedLine]:
    """One yes-line per option (the unseen no protected); options stored but no longer
    offered are counted too."""
    counts = {hood: count_options(rows) for hood, rows in stored.items()}
    seen = sorted({option for c in counts.values() for option in c})
    known = dict(options)
    lines = []
    for option, label in [*options, *((o, o) for o in seen if o not in known)]:
        per_hood = {
            hood: {"yes": counts[hood][option], "no": len(rows) - counts[hood][option]}
            for hood, rows in stored.items()
        }
        lines.append(compared_line(option, label, per_hood, {"yes": _("yes")}, ["yes"]))
    return lines


def _guide_sections(heard: Heard) -> list[ComparedSection]:
    sections = []
    for campaign_id, (name, guide) in heard.guides.items():
        stored = {
            hood: [row.answers or {} for row in rows if row.campaign_id == campaign_id]
            for hood, rows in heard.calls.items()
        }
        lines = []
        for question in guide:
            counted = {hood: guide_counts(question, answers) for hood, answers in stored.items()}
            labels = next(iter(counted.values()))[1]
            per_hood = {hood: counts for hood, (counts, _labels) in counted.items()}
            lines.append(compared_line(question["key"], question["text"], per_hood, labels))
        sections.append(
            compared_section(
                f"guide-{campaign_id}",
                _("Conversation guide: %(campaign)s", campaign=name),
                {hood: len(answers) for hood, answers in stored.items()},
                lines,
            )
        )
    return sections


def compared_answers(heard: Heard) -> ComparedAnswers:
    """The neighbourhoods' answers side by side, suppressed."""
    visited = {hood: len(rows) for hood, rows in heard.visits.items()}
    asked = {hood: visited[hood] + len(heard.calls[hood]) for hood in heard.visits}
    respondents, whole = _respondents(asked)
    interests = [(code, str(label)) for code, label in INTEREST_CHOICES]
    rows = heard.visits
    return ComparedAnswers(
        respondents,
        whole,
        [
            compared_section("themes", _("Themes"), asked, _theme_lines(heard)),
            compared_section(
                "interests",
                _("Interested in"),
                visited,
                _option_lines({h: [r.interests for r in v] for h, v in rows.items()}, interests),
            ),
            compared_section(
                "info",
                _("Information handed out"),
                visited,
                _option_lines({h: [r.info_given for r in v] for h, v in rows.items()}, []),
            ),
            *_guide_sections(heard),
        ],
    )
