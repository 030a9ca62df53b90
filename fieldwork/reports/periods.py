"""The periods the figures are shown for: everything, a calendar month, quarter or year,
or the days a campaign ran (a visit round, a call campaign).

Suppressed figures (the analyst's, and whatever leaves the municipality) come for completed
calendar quarters only. Each window is suppressed on its own, so two windows that overlap
would give their difference away: a window and the same window a day later (a period still
running), a quarter and its first two months, a year and three of its quarters. Completed
quarters neither grow nor nest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from fieldwork.areas.models import Municipality
from fieldwork.calls.models import CallCampaign
from fieldwork.db import local_today
from fieldwork.extensions import db
from fieldwork.reports.figures import add_months, period_bounds
from fieldwork.visits.models import VisitRound

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"(\d{4})")
_CAMPAIGN = re.compile(r"(ronde|campagne)-(\d{1,9})")
MONTHS_OFFERED, QUARTERS_OFFERED = 12, 6


@dataclass(frozen=True)
class Period:
    code: str  # "" (everything), 2026-11, 2026-Q4, 2026, ronde-3, campagne-2
    label: str
    start: date | None
    end: date | None
    group: str = ""  # what the menu lists it under: month, quarter, year, round, campaign
    activity_id: int | None = None  # the round's or the campaign's id

    @property
    def scope(self) -> dict[str, int | None]:
        """For the figures: a round counts its own visits, a campaign its own calls."""
        return {
            "round_id": self.activity_id if self.group == "round" else None,
            "campaign_id": self.activity_id if self.group == "campaign" else None,
        }

    @property
    def calendar(self) -> bool:
        return not _CAMPAIGN.fullmatch(self.code)


EVERYTHING_CODE = ""


def everything() -> Period:
    return Period(EVERYTHING_CODE, _("Everything so far"), None, None)


def _month(first: date) -> Period:
    start, end = period_bounds("month", first)
    return Period(f"{start:%Y-%m}", format_date(start, "MMMM y"), start, end, "month")


def _quarter(first: date) -> Period:
    start, end = period_bounds("quarter", first)
    number = (start.month - 1) // 3 + 1
    return Period(
        f"{start.year}-Q{number}",
        _("Quarter %(number)d %(year)d", number=number, year=start.year),
        start,
        end,
        "quarter",
    )


def _year(year: int) -> Period:
    start, end = period_bounds("year", date(year, 1, 1))
    return Period(str(year), str(year), start, end, "year")


def _round(visit_round: VisitRound) -> Period:
    return Period(
        f"ronde-{visit_round.id}",
        visit_round.name,
        visit_round.starts_on,
        visit_round.ends_on,
        "round",
        visit_round.id,
    )


def _campaign(campaign: CallCampaign) -> Period:
    from fieldwork.reports.figures import LOCAL

    start = campaign.created_at.astimezone(LOCAL).date()
    end = campaign.closed_at.astimezone(LOCAL).date() if campaign.closed_at else local_today()
    return Period(
        f"campagne-{campaign.id}", campaign.name, start, max(start, end), "campaign", campaign.id
    )


def parse(code: str | None, municipality: Municipality) -> Period | None:
    """The period a code names, or None when it names none (of this municipality)."""
    code = (code or "").strip()
    if not code:
        return everything()
    if match := _MONTH.fullmatch(code):
        year, month = int(match[1]), int(match[2])
        return _month(date(year, month, 1)) if 2000 <= year <= 2100 and 1 <= month <= 12 else None
    if match := _QUARTER.fullmatch(code):
        year = int(match[1])
        return _quarter(date(year, 3 * int(match[2]) - 2, 1)) if 2000 <= year <= 2100 else None
    if match := _YEAR.fullmatch(code):
        return _year(int(match[1])) if 2000 <= int(match[1]) <= 2100 else None
    if match := _CAMPAIGN.fullmatch(code):
        found: VisitRound | CallCampaign | None = (
            db.session.get(VisitRound, int(match[2]))
            if match[1] == "ronde"
            else db.session.get(CallCampaign, int(match[2]))
        )
        if found is None or found.municipality_id != municipality.id:
            return None
        return _round(found) if isinstance(found, VisitRound) else _campaign(found)
    return None


def choices(municipality: Municipality, suppressed: bool) -> list[Period]:
    """What the period menu offers: everything, the last months, quarters and years, and the
    municipality's visit rounds and call campaigns — or, for suppressed figures, the
    completed quarters."""
    if suppressed:
        return completed_quarters()
    today = local_today()
    this_month = today.replace(day=1)
    offered = [everything()]
    offered += [_month(add_months(this_month, -n)) for n in range(MONTHS_OFFERED)]
    this_quarter = period_bounds("quarter", today)[0]
    offered += [_quarter(add_months(this_quarter, -3 * n)) for n in range(QUARTERS_OFFERED)]
    offered += [_year(today.year - n) for n in range(3)]
    offered += [
        _round(r)
        for r in db.session.scalars(
            select(VisitRound)
            .where(VisitRound.municipality_id == municipality.id)
            .order_by(VisitRound.starts_on.desc())
        )
    ]
    offered += [
        _campaign(c)
        for c in db.session.scalars(
            select(CallCampaign)
            .where(CallCampaign.municipality_id == municipality.id)
            .order_by(CallCampaign.created_at.desc())
        )
    ]
    return offered


def last_completed_quarter() -> Period:
    this_quarter = period_bounds("quarter", local_today())[0]
    return _quarter(add_months(this_quarter, -3))


def completed_quarters(count: int = QUARTERS_OFFERED) -> list[Period]:
    """The last ``count`` completed quarters, the latest first."""
    latest = last_completed_quarter().start
    assert latest is not None
    return [_quarter(add_months(latest, -3 * n)) for n in range(count)]


def is_completed_quarter(period: Period) -> bool:
    return period.group == "quarter" and period.end is not None and period.end < local_today()


class WindowError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def suppressed_window(
    start: date | None, end: date | None, totals: bool
) -> tuple[date | None, date]:
    """The window suppressed figures are given for. Totals (a summary, the GeoJSON): one
    completed quarter, the last one when none is asked for. Rows per quarter (the exports):
    whole completed quarters, up to the last one when no end is asked for. Else a
    :class:`WindowError` naming the field."""
    last = last_completed_quarter()
    assert last.start is not None
    assert last.end is not None
    if start is None and end is None:
        return (last.start, last.end) if totals else (None, last.end)
    example = f"from={last.start.isoformat()}&until={last.end.isoformat()}"
    if totals:
        if start is None or period_bounds("quarter", start)[0] != start:
            raise WindowError(
                f"Suppressed figures are given per completed calendar quarter, e.g. {example}.",
                "from",
            )
        if end != period_bounds("quarter", start)[1] or end > last.end:
            raise WindowError(
                f"Suppressed figures are given per completed calendar quarter, e.g. {example}.",
                "until",
            )
        return (start, end)
    if start is not None and period_bounds("quarter", start)[0] != start:
        raise WindowError("Suppressed exports start on the first day of a quarter.", "from")
    if end is not None and (end != period_bounds("quarter", end)[1] or end > last.end):
        raise WindowError(
            f"Suppressed exports end on the last day of a completed quarter "
            f"(at the latest {last.end.isoformat()}).",
            "until",
        )
    if start is not None and start > last.end:
        raise WindowError(
            f"No completed quarter starts there yet; the last one ended on {last.end.isoformat()}.",
            "from",
        )
    return (start, end or last.end)
