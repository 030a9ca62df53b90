"""Outcome indicators of a plan, followed per period since the baseline.

A field figure is read from exactly what the summary API and the dashboard show:
:func:`fieldwork.reports.figures.neighbourhood_figures` with
:func:`fieldwork.reports.rates.rates` (and, for the analyst, the same suppression as
everywhere: :func:`fieldwork.reports.theme_table.suppressed_figures`, completed quarters
only). An imported indicator is read per year with
:func:`fieldwork.reports.indicators.neighbourhood_indicator`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from fieldwork.areas.models import Neighbourhood
from fieldwork.db import local_today
from fieldwork.plans.models import PlanIndicator
from fieldwork.reports.figures import (
    add_months,
    period_bounds,
    spans_between,
)
from fieldwork.reports.indicators import (
    indicator_label,
    indicator_unit,
    indicators_for,
    neighbourhood_indicator,
)
from fieldwork.reports.periods import last_completed_quarter
from fieldwork.reports.rates import Residents, per_100, residents_by_age
from fieldwork.reports.theme_table import summary_figures as reports_summary

IMPORTED = "imported:"
#: The figures counted in the current :func:`figures_counted_once` block, by neighbourhood,
#: period and suppression (and each neighbourhood's residents by age); None outside one.
_COUNTED: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar(
    "fieldwork_plan_figures", default=None
)
MAX_PERIODS = 36
Value = float | int | str | None


def _percent(share: Any) -> Value:
    return round(share * 100, 1) if isinstance(share, int | float) else None


def _theme_per_100(theme: str) -> Callable[[dict[str, Any]], Value]:
    def read(figures: dict[str, Any]) -> Value:
        return per_100(figures["signals"]["by_theme"].get(theme), figures["residents"]["65plus"])

    return read


@dataclass(frozen=True)
class Measure:
    label: Any
    unit: str
    read: Callable[[dict[str, Any]], Value]


#: Field figures the system computes, read from the summary API's figures (with "rates").
FIELD_MEASURES: dict[str, Measure] = {
    "visits_reach_rate": Measure(
        _l("Share of the visit list reached at the door"),
        "%",
        lambda f: _percent(f["visits"]["reach_rate"]),
    ),
    "calls_reach_rate": Measure(
        _l("Share of the call list reached"), "%", lambda f: _percent(f["calls"]["reach_rate"])
    ),
    "signals_per_100_65plus": Measure(
        _l("Signals per 100 residents 65+"), "", lambda f: f["rates"]["signals_per_100_65plus"]
    ),
    "loneliness_per_100_65plus": Measure(
        _l("Signals on loneliness per 100 residents 65+"), "", _theme_per_100("eenzaamheid")
    ),
    "mobility_per_100_65plus": Measure(
        _l("Signals on mobility per 100 residents 65+"), "", _theme_per_100("mobiliteit")
    ),
    "first_contact_days": Measure(
        _l("Days to first contact (median)"),
        "",
        lambda f: f["cases"]["first_contact_days"]["median"],
    ),
    "cases_opened": Measure(_l("Cases opened"), "", lambda f: f["cases"]["opened"]),
}


def measure_choices(neighbourhood: Neighbourhood | None) -> list[tuple[str, str]]:
    """Field figures, then the indicators imported for the municipality."""
    choices = [(key, str(m.label)) for key, m in FIELD_MEASURES.items()]
    if neighbourhood is not None:
        choices += [
            (f"{IMPORTED}{name}", f"{indicator_label(name)} ({_l('imported')})")
            for name, _years in indicators_for(neighbourhood.municipality)
        ]
    return choices


def is_known(measure: str, neighbourhood: Neighbourhood) -> bool:
    return measure in dict(measure_choices(neighbourhood))


def measure_label(measure: str) -> str:
    if measure.startswith(IMPORTED):
        return str(indicator_label(measure.removeprefix(IMPORTED)))
    found = FIELD_MEASURES.get(measure)
    return str(found.label) if found else measure


def measure_unit(measure: str) -> str:
    if measure.startswith(IMPORTED):
        return indicator_unit(measure.removeprefix(IMPORTED))
    found = FIELD_MEASURES.get(measure)
    return found.unit if found else ""


@contextmanager
def figures_counted_once() -> Iterator[None]:
    """Within this block (one plan page, one API answer, one printed plan) a neighbourhood's
    figures for a period are counted once, however many indicators follow that period;
    outside it every call counts afresh, so nothing read before a change is shown after it."""
    token = _COUNTED.set({})
    try:
        yield
    finally:
        _COUNTED.reset(token)


def summary_figures(
    neighbourhood: Neighbourhood, start: date | None, end: date | None, suppressed: bool
) -> dict[str, Any]:
    """The figures exactly as ``GET /api/v1/neighbourhoods/<id>/summary`` answers them, with
    the neighbourhood's residents by age."""
    counted = _COUNTED.get()
    if counted is None:
        return _summary_figures(neighbourhood, start, end, suppressed, _residents(neighbourhood))
    key = (neighbourhood.id, start, end, suppressed)
    if key not in counted:
        per_hood = ("residents", neighbourhood.id)  # the same for every period
        if per_hood not in counted:
            counted[per_hood] = _residents(neighbourhood)
        counted[key] = _summary_figures(neighbourhood, start, end, suppressed, counted[per_hood])
    return dict(counted[key])


def _residents(neighbourhood: Neighbourhood) -> Residents:
    return residents_by_age([neighbourhood.id])[neighbourhood.id]


def _summary_figures(
    neighbourhood: Neighbourhood,
    start: date | None,
    end: date | None,
    suppressed: bool,
    residents: Residents,
) -> dict[str, Any]:
    figures = reports_summary(neighbourhood, start, end, suppressed, residents)
    figures["residents"] = residents
    return figures


def field_value(
    measure: str, neighbourhood: Neighbourhood, start: date, end: date, suppressed: bool
) -> Value:
    found = FIELD_MEASURES.get(measure)
    if found is None:
        return None
    return found.read(summary_figures(neighbourhood, start, end, suppressed))


def imported_value(measure: str, neighbourhood: Neighbourhood, year: int) -> Value:
    figure = neighbourhood_indicator(neighbourhood, measure.removeprefix(IMPORTED), year)
    return None if figure is None or figure.value is None else round(figure.value, 2)


@dataclass(frozen=True)
class Point:
    label: str
    start: date
    end: date
    value: Value


def _period_label(kind: str, first: date) -> str:
    if kind == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if kind == "year":
        return str(first.year)
    return f"{first:%Y-%m}"


def series(
    measure: str,
    neighbourhood: Neighbourhood,
    since: date,
    kind: str,
    suppressed: bool,
    today: date | None = None,
) -> list[Point]:
    """The indicator per period from the baseline's start until today (the analyst: per
    completed quarter only, as every suppressed output)."""
    today = today or local_today()
    if measure.startswith(IMPORTED):
        years = dict(indicators_for(neighbourhood.municipality)).get(
            measure.removeprefix(IMPORTED), []
        )
        return [
            Point(str(y), date(y, 1, 1), date(y, 12, 31), imported_value(measure, neighbourhood, y))
            for y in years
            if y >= since.year - 1
        ][-MAX_PERIODS:]
    if suppressed:
        kind = "quarter"
        today = last_completed_quarter().end or today
    if since > today:
        return []
    step = 3 if kind == "quarter" else 1
    earliest = add_months(period_bounds(kind, today)[0], -step * (MAX_PERIODS - 1))
    points = []
    for first, _last in spans_between(max(period_bounds(kind, since)[0], earliest), today, kind):
        start, end = period_bounds(kind, first)
        points.append(
            Point(
                _period_label(kind, start),
                start,
                end,
                field_value(measure, neighbourhood, start, end, suppressed),
            )
        )
    return points[-MAX_PERIODS:]


def baseline_value(measure: str, neighbourhood: Neighbourhood, start: date, end: date) -> Value:
    """The baseline over the baseline window (an imported indicator: the year it ends in,
    or the latest year before)."""
    if measure.startswith(IMPORTED):
        years = dict(indicators_for(neighbourhood.municipality)).get(
            measure.removeprefix(IMPORTED), []
        )
        earlier = [y for y in years if y <= end.year]
        return imported_value(measure, neighbourhood, earlier[-1]) if earlier else None
    return field_value(measure, neighbourhood, start, end, suppressed=False)


def shown_baseline(indicator: PlanIndicator, suppressed: bool) -> Value:
    """The baseline as this viewer may see it: for the analyst (and the council's printed
    plan) a field figure that small-cell suppression hides over the baseline window is shown
    as hidden ("<5"), whatever was stored; an imported indicator is public already."""
    if not suppressed or indicator.measure.startswith(IMPORTED):
        return indicator.baseline
    checked = field_value(
        indicator.measure,
        indicator.neighbourhood,
        indicator.baseline_from,
        indicator.baseline_until,
        suppressed=True,
    )
    if checked is None or isinstance(checked, str):  # hidden, or a rate of a hidden count
        return checked
    return indicator.baseline


def _number(value: Value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def chart_svg(
    points: list[Point], baseline: float | None, target: float | None, title: str
) -> Markup:
    """A small line chart as inline SVG (no script): the values per period, the baseline
    (grey) and the target (dashed). Suppressed or missing values are gaps."""
    width, height, pad = 320, 120, 24
    numbers = [_number(p.value) for p in points]
    known = [n for n in numbers if n is not None] + [v for v in (baseline, target) if v is not None]
    top = max(known, default=1.0) or 1.0
    top *= 1.1

    def y(value: float) -> float:
        return round(height - pad - (value / top) * (height - 2 * pad), 1)

    step = (width - 2 * pad) / max(len(points) - 1, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#555" stroke-width="1"/>',
    ]
    if baseline is not None:
        parts.append(
            f'<line x1="{pad}" y1="{y(baseline)}" x2="{width - pad}" y2="{y(baseline)}" '
            'stroke="#888" stroke-width="1.5" data-line="baseline"/>'
        )
    if target is not None:
        parts.append(
            f'<line x1="{pad}" y1="{y(target)}" x2="{width - pad}" y2="{y(target)}" '
            'stroke="#1a7f37" stroke-width="2" stroke-dasharray="6 4" data-line="target"/>'
        )
    segment: list[str] = []
    for index, number in enumerate(numbers):
        x = round(pad + index * step, 1)
        if number is None:
            if len(segment) > 1:
                parts.append(_polyline(segment))
            segment = []
            continue
        segment.append(f"{x},{y(number)}")
        parts.append(f'<circle cx="{x}" cy="{y(number)}" r="3" fill="#0b5394"/>')
    if len(segment) > 1:
        parts.append(_polyline(segment))
    if points:
        parts.append(
            f'<text x="{pad}" y="{height - 6}" font-size="10" fill="#333">'
            f"{escape(points[0].label)}</text>"
        )
        parts.append(
            f'<text x="{width - pad}" y="{height - 6}" font-size="10" fill="#333" '
            f'text-anchor="end">{escape(points[-1].label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _polyline(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="#0b5394" stroke-width="2"/>'


def default_baseline_window(starts_on: date) -> tuple[date, date]:
    """The analysis period before the plan: the year before it starts."""
    return starts_on - timedelta(days=365), starts_on - timedelta(days=1)
