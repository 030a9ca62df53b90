"""What the printable plan and the residents' summary say, built once for the page and the
PDF alike. The residents' summary carries no personal data: objectives and actions as the
coordinator wrote them for residents, partner organisations, owners only as their
organisation or role, and reactions only as numbers (never what someone said, never a
quote from the analysis, never a name)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.streets import folded_words
from fieldwork.auth.models import User
from fieldwork.core.roles import ROLE_LABELS, Role
from fieldwork.extensions import db
from fieldwork.photos.moderation import photos_for
from fieldwork.plans.forms import STATUS_CHOICES
from fieldwork.plans.indicators import (
    Point,
    Value,
    measure_label,
    measure_unit,
    series,
    shown_baseline,
)
from fieldwork.plans.models import Action, Objective, Plan, PlanIndicator
from fieldwork.reports.analysis import described_findings, quotes
from fieldwork.reports.indicators import (
    Comparison,
    Figure,
    compare,
    indicator_unit,
    indicators_for,
)
from fieldwork.reports.models import Quote
from fieldwork.signals.models import Resident
from fieldwork.signals.vocabulary import label


def status_label(status: str) -> str:
    return str(dict(STATUS_CHOICES).get(status, status))


def owner_as_role(owner: User | None) -> str:
    """An owner as residents may see them: the organisation, else the role."""
    if owner is None:
        return ""
    if owner.organisation:
        return owner.organisation
    return str(ROLE_LABELS.get(Role(owner.role), owner.role))


def timing(action: Action) -> str:
    return f"{action.starts_on:%m/%Y} – {action.ends_on:%m/%Y}"


def milestone_lines(action: Action) -> list[str]:
    """Each milestone as "01/03/2027 first ride"."""
    return [f"{date.fromisoformat(m['on']):%d/%m/%Y} {m['text']}" for m in action.milestones]


def partner_names(action: Action) -> list[str]:
    names = [o.name for o in action.partners]
    if action.partners_text:
        names.append(action.partners_text)
    return names


def findings_of(objective: Objective) -> list[str]:
    """The findings behind the objective's attention point, in words."""
    point = objective.attention_point
    if point is None:
        return []
    ids = {int(i) for i in (point.findings or {}).get("photos", [])}
    # only photos still approved with consent for the report: the plan is shown to analysts
    # and printed for the council (a photo hidden since, or for the analysis only, is not)
    usable = photos_for("report", neighbourhood_id=objective.neighbourhood_id) if ids else []
    return described_findings(point, {p.id: p for p in usable if p.id in ids})


def figures_of(objective: Objective) -> list[Comparison]:
    """The imported indicators behind the attention point, at their latest year, beside the
    municipality's figure (as the neighbourhood page shows them)."""
    point = objective.attention_point
    wanted = (point.findings or {}).get("indicators", []) if point is not None else []
    if not wanted:
        return []
    hood = objective.neighbourhood
    return [
        compare(hood, name, years[-1])
        for name, years in indicators_for(hood.municipality)
        if name in wanted and years
    ]


def quotes_of(objective: Objective) -> list[Quote]:
    """What was heard in the neighbourhood on the attention point's themes (anonymised by
    the coordinator; for staff pages only, never for the residents' summary)."""
    point = objective.attention_point
    themes = set((point.findings or {}).get("themes", [])) if point is not None else set()
    return [q for q in quotes(objective.neighbourhood_id) if q.theme in themes]


def figure_line(comparison: Comparison) -> str:
    from fieldwork.core.formatting import decimal

    unit = indicator_unit(comparison.indicator)

    def shown(figure: Figure | None) -> str:
        if figure is None or figure.value is None:
            return "–"
        return f"{decimal(figure.value)}{unit if unit == '%' else ' ' + unit}"

    return _(
        "%(label)s %(year)d: %(here)s (municipality %(there)s)",
        label=comparison.label,
        year=comparison.year,
        here=shown(comparison.neighbourhood),
        there=shown(comparison.municipality),
    )


def themes_of(objective: Objective) -> list[str]:
    point = objective.attention_point
    if point is None:
        return []
    return [str(label("theme", t)) for t in (point.findings or {}).get("themes", [])]


# --- the residents' summary ------------------------------------------------------------------


@dataclass
class SummaryAction:
    what: str
    who: list[str]
    when: str
    status: str


@dataclass
class SummaryItem:
    title: str
    heard: str
    themes: list[str]
    actions: list[SummaryAction]
    meetings: int
    people: int

    @property
    def reactions(self) -> str:
        """How many residents reacted at how many meetings (never what they said)."""
        if not self.people:
            return ""
        return ngettext(
            "%(people)d residents reacted at %(num)d meeting.",
            "%(people)d residents reacted at %(num)d meetings.",
            self.meetings,
            people=self.people,
        )


@dataclass
class ResidentsSummary:
    plan: str
    municipality: str
    neighbourhood: str
    period: str
    items: list[SummaryItem] = field(default_factory=list)


def residents_summary(plan: Plan, neighbourhood: Neighbourhood) -> ResidentsSummary:
    out = ResidentsSummary(
        plan=plan.title,
        municipality=plan.municipality.name,
        neighbourhood=neighbourhood.name,
        period=f"{plan.starts_on:%d/%m/%Y} – {plan.ends_on:%d/%m/%Y}",
    )
    for objective in plan.objectives:
        if objective.neighbourhood_id != neighbourhood.id:
            continue
        out.items.append(
            SummaryItem(
                title=objective.title,
                heard=objective.heard,
                themes=themes_of(objective),
                actions=[
                    SummaryAction(
                        what=a.description,
                        who=[*(o.name for o in a.partners), owner_as_role(a.owner)],
                        when=timing(a),
                        status=status_label(a.status),
                    )
                    for a in objective.actions
                    if a.status != "dropped"
                ],
                meetings=len({(r.met_on, r.meeting) for r in objective.reactions}),
                people=sum(r.people for r in objective.reactions),
            )
        )
    return out


def summary_texts(summary: ResidentsSummary) -> list[str]:
    texts = [summary.plan]
    for item in summary.items:
        texts += [item.title, item.heard]
        for action in item.actions:
            texts += [action.what, *action.who]
    return texts


_WORD = re.compile(r"\w+")


def resident_names(municipality_id: int) -> list[tuple[str, str]]:
    """(name, name key) of the municipality's residents with a name."""
    return [
        (name, key)
        for name, key in db.session.execute(
            select(Resident.name, Resident.name_key).where(
                Resident.municipality_id == municipality_id, Resident.name_key != ""
            )
        )
    ]


def names_in(
    texts: list[str], municipality_id: int, residents: list[tuple[str, str]] | None = None
) -> list[str]:
    """Residents of the municipality whose full name appears in these texts, also surname
    first ("Quackelbeen Zebedeus", "Van den Broeck Jan": any rotation of the name's words):
    the coordinator must take them out before the summary is published. ``residents``: what
    :func:`resident_names` gives, when the caller checks several texts."""
    # the texts folded as names are (not name_key: a key is cut to its column's length)
    haystack = f" {' '.join(folded_words(' '.join(texts)))} "
    found = []
    for name, key in resident_names(municipality_id) if residents is None else residents:
        parts = _WORD.findall(key)
        if len(parts) >= 2 and any(
            f" {' '.join(parts[turn:] + parts[:turn])} " in haystack for turn in range(len(parts))
        ):
            found.append(name)
    return found


# --- the printable plan ----------------------------------------------------------------------


@dataclass
class IndicatorLine:
    indicator: PlanIndicator
    label: str
    unit: str
    points: list[Point]
    baseline: Value  # as this viewer may see it (suppressed for the analyst and in print)

    @property
    def baseline_number(self) -> float | None:
        """For the chart: the baseline when it is a number (not hidden)."""
        number = self.baseline
        return float(number) if isinstance(number, int | float) else None

    @property
    def latest(self) -> Point | None:
        known = [p for p in self.points if p.value is not None]
        return known[-1] if known else None


def indicator_line(indicator: PlanIndicator, suppressed: bool) -> IndicatorLine:
    return IndicatorLine(
        indicator=indicator,
        label=measure_label(indicator.measure),
        unit=measure_unit(indicator.measure),
        points=series(
            indicator.measure,
            indicator.neighbourhood,
            indicator.baseline_from,
            indicator.period_kind,
            suppressed,
        ),
        baseline=shown_baseline(indicator, suppressed),
    )
