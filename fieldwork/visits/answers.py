"""Every answer of the findings sheet counted ("Wat de bewoners zeiden"): per theme how many
said ok, concern or not discussed, the interests and the information handed out — for a
round's spoken visits, and (through :mod:`fieldwork.calls.answers`) a campaign's reached
calls. Each line is suppressed as one breakdown of the respondents (``suppress_counts``), so
a small cell never shows, nor the complement that would give it away."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select
from werkzeug.wrappers import Response

from fieldwork.core.csvfiles import formula_safe
from fieldwork.core.suppression import Shown, suppress_counts, suppress_value
from fieldwork.extensions import db
from fieldwork.signals.vocabulary import THEME_POLARITIES, THEMES
from fieldwork.visits.forms import ASKED_AS_CHECKBOXES, INTEREST_CHOICES
from fieldwork.visits.models import Visit, VisitAddress, VisitRound

THEME_ANSWERS = ("ok", "concern", "not_discussed")
# late visits stored but not counted as an attempt: the address had been visited already
NOT_COUNTED_FLAGS = ("closed", "duplicate")


@dataclass(frozen=True)
class Cell:
    code: str
    label: str
    count: Shown
    share: float | None  # percent of the respondents; None when the count is not shown


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    cells: list[Cell]


@dataclass(frozen=True)
class Section:
    code: str
    heading: str
    lines: list[Line]


@dataclass(frozen=True)
class Answers:
    respondents: Shown
    sections: list[Section]


def count_themes(
    stored: Iterable[Mapping[str, str]], themes: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Per theme, how many answered ok, concern or not discussed; a theme missing from an
    answer (or an answer we do not know) counts as not discussed."""
    counts = {theme: dict.fromkeys(THEME_ANSWERS, 0) for theme in themes}
    for answer in stored:
        for theme in themes:
            given = (answer or {}).get(theme)
            counts[theme][given if given in THEME_ANSWERS else "not_discussed"] += 1
    return counts


def count_options(stored: Iterable[Iterable[str] | None]) -> Counter[str]:
    """How many respondents ticked each option (once each, however often it was stored)."""
    counts: Counter[str] = Counter()
    for ticked in stored:
        counts.update(set(ticked or []))
    return counts


def share(count: Shown, respondents: Shown) -> float | None:
    if not isinstance(count, int) or not isinstance(respondents, int) or respondents == 0:
        return None
    return round(100 * count / respondents, 1)


def breakdown_line(
    code: str,
    label: str,
    counts: Mapping[str, int],
    labels: Mapping[str, str],
    respondents: int,
    shown_keys: Sequence[str] | None = None,
) -> Line:
    """One line whose ``counts`` add up to the respondents, suppressed as a whole; only
    ``shown_keys`` become cells (the complement of a yes stays unseen but protected)."""
    shown, total = suppress_counts(counts, respondents)
    return Line(
        code,
        label,
        [
            Cell(key, labels.get(key, key), shown[key], share(shown[key], total))
            for key in (shown_keys if shown_keys is not None else list(counts))
        ],
    )


def yes_line(code: str, label: str, yes: int, respondents: int) -> Line:
    """A tick box as a line: yes and (unseen) no."""
    counts = {"yes": yes, "no": respondents - yes}
    return breakdown_line(code, label, counts, {"yes": label}, respondents, ["yes"])


def theme_answer_labels(theme: str) -> dict[str, str]:
    concern = _("yes") if THEME_POLARITIES.get(theme) == "strength" else _("concern")
    return {"ok": _("ok"), "concern": concern, "not_discussed": _("not discussed")}


def theme_section(stored: Sequence[Mapping[str, str]], themes: Sequence[str]) -> Section:
    respondents = len(stored)
    counts = count_themes(stored, themes)
    return Section(
        "themes",
        _("Themes"),
        [
            breakdown_line(
                theme, str(THEMES[theme]), counts[theme], theme_answer_labels(theme), respondents
            )
            for theme in themes
        ],
    )


def options_section(
    code: str,
    heading: str,
    stored: Sequence[Iterable[str] | None],
    options: Sequence[tuple[str, str]],
) -> Section:
    """Options ticked (several per respondent): one yes-line per option; options stored but
    no longer offered are counted too."""
    counts = count_options(stored)
    known = dict(options)
    extra = [(option, option) for option in sorted(counts) if option not in known]
    return Section(
        code,
        heading,
        [
            yes_line(option, label, counts[option], len(stored))
            for option, label in [*options, *extra]
        ],
    )


def visit_themes() -> list[str]:
    """The themes the findings sheet asks (buurtgezel and volunteering are tick boxes)."""
    return [theme for theme in THEMES if theme not in ASKED_AS_CHECKBOXES]


def counted_spoken_visit() -> ColumnElement[bool]:
    """A spoken visit counted as an attempt (the late flags left out)."""
    return and_(
        Visit.outcome == "spoken",
        or_(Visit.flag.is_(None), Visit.flag.not_in(NOT_COUNTED_FLAGS)),
    )


def interests_section(stored: Sequence[Iterable[str] | None]) -> Section:
    return options_section(
        "interests",
        _("Interested in"),
        stored,
        [(code, str(label)) for code, label in INTEREST_CHOICES],
    )


def info_section(stored: Sequence[Iterable[str] | None], materials: Sequence[str]) -> Section:
    return options_section(
        "info", _("Information handed out"), stored, [(item, item) for item in materials]
    )


def round_answers(visit_round: VisitRound) -> Answers:
    """The round's spoken visits (those counted as an attempt), in one statement."""
    rows = db.session.execute(
        select(Visit.themes, Visit.interests, Visit.info_given)
        .join(VisitAddress, VisitAddress.id == Visit.address_id)
        .where(VisitAddress.round_id == visit_round.id, counted_spoken_visit())
    ).all()
    return Answers(
        suppress_value(len(rows)),
        [
            theme_section([row.themes or {} for row in rows], visit_themes()),
            interests_section([row.interests for row in rows]),
            info_section([row.info_given for row in rows], visit_round.info_material),
        ],
    )


def answers_csv(answers: Answers) -> str:
    """UTF-8 with a BOM and semicolons, as Excel in Belgium opens it; the shown (suppressed)
    counts only."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Section"), _("Question"), _("Answer"), _("Number"), _("Share (%)")])
    writer.writerow([_("Respondents"), "", "", answers.respondents, ""])
    for section in answers.sections:
        for line in section.lines:
            for cell in line.cells:
                writer.writerow(
                    [
                        formula_safe(section.heading),
                        formula_safe(line.label),
                        formula_safe(cell.label),
                        cell.count,
                        "" if cell.share is None else str(cell.share).replace(".", ","),
                    ]
                )
    return buffer.getvalue()


def csv_download(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
