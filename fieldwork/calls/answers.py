"""A campaign's answers counted: the themes of its reached calls and the conversation
guide's answers per question — choice questions per option, free-text questions only how
many answered (the texts never leave the call sheet). Suppressed as the round's are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.core.suppression import suppress_value
from fieldwork.extensions import db
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.answers import Answers, Line, Section, breakdown_line, theme_section

NO_ANSWER = "__none__"  # a key no option can take: options are the coordinator's words


def guide_counts(
    question: Mapping[str, Any], stored: Sequence[Mapping[str, str]]
) -> tuple[dict[str, int], dict[str, str]]:
    """One question's counts and their labels: its options (or "answered") and "no answer",
    adding up to the reached."""
    given = Counter((answers or {}).get(question["key"]) or NO_ANSWER for answers in stored)
    if question["kind"] == "choice":
        options = list(question["options"])
        counts = {option: given[option] for option in options}
        labels = {option: option for option in options}
    else:
        counts = {"answered": len(stored) - given[NO_ANSWER]}
        labels = {"answered": _("answered")}
    counts[NO_ANSWER] = len(stored) - sum(counts.values())  # with answers no longer offered
    labels[NO_ANSWER] = _("no answer") if question["kind"] == "text" else _("no or other answer")
    return counts, labels


def guide_line(question: Mapping[str, Any], stored: Sequence[Mapping[str, str]]) -> Line:
    """One question, suppressed as one breakdown of the reached."""
    counts, labels = guide_counts(question, stored)
    return breakdown_line(question["key"], question["text"], counts, labels, len(stored))


def guide_section(
    guide: Sequence[Mapping[str, Any]], stored: Sequence[Mapping[str, str]]
) -> Section:
    return Section(
        "guide", _("Conversation guide"), [guide_line(question, stored) for question in guide]
    )


def campaign_answers(campaign: CallCampaign) -> Answers:
    """The campaign's reached calls, in one statement."""
    rows = db.session.execute(
        select(CallAttempt.themes, CallAttempt.answers)
        .join(CallTarget, CallTarget.id == CallAttempt.target_id)
        .where(CallTarget.campaign_id == campaign.id, CallAttempt.outcome == "reached")
    ).all()
    return Answers(
        suppress_value(len(rows)),
        [
            theme_section([row.themes or {} for row in rows], list(THEMES)),
            guide_section(campaign.guide or [], [row.answers or {} for row in rows]),
        ],
    )
