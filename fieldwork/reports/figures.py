"""Figures from the field per neighbourhood and period, counted by the database.

Only counts leave this module — no names, addresses or notes. A period is a pair of dates
(``start``, ``end``), both inclusive, in local time (Europe/Brussels); ``None`` leaves that
side open. See :mod:`fieldwork.reports.suppression` for what the analyst role is shown.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, and_, cast, distinct, func, or_, select, true

from fieldwork.areas.models import Neighbourhood
from fieldwork.calls.models import OUTCOMES as CALL_OUTCOMES
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.cases.models import OUTCOMES as CASE_OUTCOMES
from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.photos.models import Photo
from fieldwork.referrals.models import ReferralSubmission, referral_submission_signals
from fieldwork.signals.models import Resident, Signal
from fieldwork.signals.vocabulary import DOMAINS, POLARITIES, SOURCES, THEMES
from fieldwork.visits.models import OUTCOMES as VISIT_OUTCOMES
from fieldwork.visits.models import Visit, VisitAddress, VisitRound
from fieldwork.volunteers.models import Volunteer

LOCAL = ZoneInfo("Europe/Brussels")
PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS = ("month", "quarter", "year")
DONE_STATUSES = ("visited", "refused", "moved", "deceased")


def period_bounds(kind: str, on: date) -> tuple[date, date]:
    """The month, quarter or year around ``on``: (first day, last day), both inclusive."""
    if kind == "month":
        first = on.replace(day=1)
        months = 1
    elif kind == "quarter":
        first = date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
        months = 3
    elif kind == "year":
        first = date(on.year, 1, 1)
        months = 12
    else:
        raise ValueError(f"unknown period kind {kind!r}; use one of {', '.join(PERIOD_KINDS)}")
    return first, add_months(first, months) - timedelta(days=1)


def add_months(first: date, months: int) -> date:
    """The first day ``months`` after the first day of a month."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def spans_between(start: date, end: date, kind: str = "month") -> Iterator[tuple[date, date]]:
    """Each month (or quarter) touching [start, end], clipped to it: (first, last)
    inclusive."""
    first = period_bounds(kind, start)[0]
    step = 3 if kind == "quarter" else 1
    while first <= end:
        last = add_months(first, step) - timedelta(days=1)
        yield max(first, start), min(last, end)
        first = add_months(first, step)


def local_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Belgium, as UTC."""
    return datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(UTC)


def in_period(column: Any, start: date | None, end: date | None) -> ColumnElement[bool]:
    """``column`` (a UTC timestamp) falls on a local day within [start, end]."""
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(column >= local_start(start))
    if end is not None:
        conditions.append(column < local_start(end + timedelta(days=1)))
    return and_(*conditions) if conditions else true()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _empty(neighbourhood_id: int, start: date | None, end: date | None) -> dict[str, Any]:
    return {
        "neighbourhood_id": neighbourhood_id,
        "period": {
            "from": start.isoformat() if start else None,
            "until": end.isoformat() if end else None,
        },
        "visits": {
            "target": 0,
            "done": 0,
            "spoken": 0,
            "reach_rate": None,
            "outcomes": dict.fromkeys(VISIT_OUTCOMES, 0),
        },
        "calls": {
            "targets": 0,
            "reached": 0,
            "reach_rate": None,
            "attempts": dict.fromkeys(CALL_OUTCOMES, 0),
        },
        "referrals": {"filed": 0},
        "signals": {
            "total": 0,
            "by_theme": dict.fromkeys(THEMES, 0),
            "by_domain": dict.fromkeys(DOMAINS, 0),
            "by_polarity": dict.fromkeys(POLARITIES, 0),
            "by_source": dict.fromkeys(SOURCES, 0),
            "by_domain_theme": {d: dict.fromkeys(THEMES, 0) for d in DOMAINS},
        },
        "cases": {
            "opened": 0,
            "contacted": 0,
            "first_contact_days": {"median": None, "p90": None},
            "closed": 0,
            "outcomes": dict.fromkeys(CASE_OUTCOMES, 0),
        },
        "volunteers": {"active": 0},
        "photos": {"approved": 0, "by_prompt": {}},
    }


def _add(counts: dict[str, int], key: str | None, value: int) -> None:
    key = key or "unknown"
    counts[key] = counts.get(key, 0) + int(value)


def _visits(
    out: dict[int, dict[str, Any]],
    ids: list[int],
    start: date | None,
    end: date | None,
    round_id: int | None = None,
) -> None:
    rounds = [VisitRound.id == VisitAddress.round_id]
    if round_id is not None:
        rounds.append(VisitRound.id == round_id)
    if start is not None:
        rounds.append(VisitRound.ends_on >= start)
    if end is not None:
        rounds.append(VisitRound.starts_on <= end)
    done = or_(
        VisitAddress.status.in_(DONE_STATUSES),
        and_(VisitAddress.status == "not_home", VisitAddress.attempts >= VisitRound.max_attempts),
    )
    for hood, target, finished in db.session.execute(
        select(
            VisitAddress.neighbourhood_id, func.count(), func.count(VisitAddress.id).filter(done)
        )
        .join(VisitRound, and_(*rounds))
        .where(VisitAddress.neighbourhood_id.in_(ids))
        .group_by(VisitAddress.neighbourhood_id)
    ):
        out[hood]["visits"]["target"] = int(target)
        out[hood]["visits"]["done"] = int(finished)
    for hood, outcome, count, addresses in db.session.execute(
        select(
            VisitAddress.neighbourhood_id,
            Visit.outcome,
            func.count(Visit.id),
            func.count(distinct(Visit.address_id)),
        )
        .join(VisitAddress, VisitAddress.id == Visit.address_id)
        .where(
            VisitAddress.neighbourhood_id.in_(ids),
            in_period(Visit.created_at, start, end),
            VisitAddress.round_id == round_id if round_id is not None else true(),
        )
        .group_by(VisitAddress.neighbourhood_id, Visit.outcome)
    ):
        _add(out[hood]["visits"]["outcomes"], outcome, count)
        if outcome == "spoken":
            out[hood]["visits"]["spoken"] = int(addresses)


def _calls(
    out: dict[int, dict[str, Any]],
    ids: list[int],
    start: date | None,
    end: date | None,
    campaign_id: int | None = None,
) -> None:
    running = [CallCampaign.id == CallTarget.campaign_id]
    if campaign_id is not None:
        running.append(CallCampaign.id == campaign_id)
    if end is not None:
        running.append(CallCampaign.created_at < local_start(end + timedelta(days=1)))
    if start is not None:
        running.append(
            or_(CallCampaign.closed_at.is_(None), CallCampaign.closed_at >= local_start(start))
        )
    for hood, count in db.session.execute(
        select(CallTarget.neighbourhood_id, func.count())
        .join(CallCampaign, and_(*running))
        .where(CallTarget.neighbourhood_id.in_(ids))
        .group_by(CallTarget.neighbourhood_id)
    ):
        out[hood]["calls"]["targets"] = int(count)
    for hood, outcome, count, targets in db.session.execute(
        select(
            CallTarget.neighbourhood_id,
            CallAttempt.outcome,
            func.count(CallAttempt.id),
            func.count(distinct(CallAttempt.target_id)),
        )
        .join(CallTarget, CallTarget.id == CallAttempt.target_id)
        .where(
            CallTarget.neighbourhood_id.in_(ids),
            in_period(CallAttempt.created_at, start, end),
            CallTarget.campaign_id == campaign_id if campaign_id is not None else true(),
        )
        .group_by(CallTarget.neighbourhood_id, CallAttempt.outcome)
    ):
        _add(out[hood]["calls"]["attempts"], outcome, count)
        if outcome == "reached":
            out[hood]["calls"]["reached"] = int(targets)


def _referrals(
    out: dict[int, dict[str, Any]], ids: list[int], start: date | None, end: date | None
) -> None:
    link = referral_submission_signals.c
    for hood, count in db.session.execute(
        select(Signal.neighbourhood_id, func.count(distinct(ReferralSubmission.id)))
        .join(referral_submission_signals, link.submission_id == ReferralSubmission.id)
        .join(Signal, Signal.id == link.signal_id)
        .where(
            Signal.neighbourhood_id.in_(ids), in_period(ReferralSubmission.created_at, start, end)
        )
        .group_by(Signal.neighbourhood_id)
    ):
        out[hood]["referrals"]["filed"] = int(count)


def _signals(
    out: dict[int, dict[str, Any]], ids: list[int], start: date | None, end: date | None
) -> None:
    for hood, domain, theme, polarity, source, count in db.session.execute(
        select(
            Signal.neighbourhood_id,
            Signal.domain,
            Signal.theme,
            Signal.polarity,
            Signal.source,
            func.count(),
        )
        .where(Signal.neighbourhood_id.in_(ids), in_period(Signal.created_at, start, end))
        .group_by(
            Signal.neighbourhood_id, Signal.domain, Signal.theme, Signal.polarity, Signal.source
        )
    ):
        figures = out[hood]["signals"]
        figures["total"] += int(count)
        _add(figures["by_theme"], theme, count)
        _add(figures["by_domain"], domain, count)
        _add(figures["by_polarity"], polarity, count)
        _add(figures["by_source"], source, count)
        row = figures["by_domain_theme"].setdefault(domain, dict.fromkeys(THEMES, 0))
        _add(row, theme, count)
    for figures in out.values():  # every row covers every theme seen anywhere
        cells = figures["signals"]["by_domain_theme"]
        for row in cells.values():
            for theme in figures["signals"]["by_theme"]:
                row.setdefault(theme, 0)


def _cases(
    out: dict[int, dict[str, Any]], ids: list[int], start: date | None, end: date | None
) -> None:
    opened_in_period = (
        Resident.neighbourhood_id.in_(ids),
        in_period(Case.opened_at, start, end),
    )
    if db.engine.dialect.name == "postgresql":
        _first_contact_in_sql(out, opened_in_period)
    else:
        _first_contact_in_python(out, opened_in_period)
    for hood, outcome, count in db.session.execute(
        select(Resident.neighbourhood_id, Case.outcome, func.count())
        .join(Resident, Resident.id == Case.resident_id)
        .where(
            Resident.neighbourhood_id.in_(ids),
            Case.closed_at.is_not(None),
            in_period(Case.closed_at, start, end),
        )
        .group_by(Resident.neighbourhood_id, Case.outcome)
    ):
        out[hood]["cases"]["closed"] += int(count)
        _add(out[hood]["cases"]["outcomes"], outcome, count)


def _first_contact_figures(opened: int, days: list[float]) -> dict[str, Any]:
    return {
        "opened": opened,
        "contacted": len(days),
        "first_contact_days": {
            "median": round(median(days), 2) if days else None,
            "p90": round(percentile(days, 0.9), 2) if days else None,
        },
    }


def _first_contact_in_sql(
    out: dict[int, dict[str, Any]], opened_in_period: tuple[ColumnElement[bool], ...]
) -> None:
    """Cases opened, contacted, and the median and p90 of the days to first contact, per
    neighbourhood, computed by PostgreSQL (percentile_cont is the median of
    :func:`statistics.median`, percentile_disc the nearest rank of :func:`percentile`)."""
    days = cast(func.extract("epoch", Case.first_contact_at - Case.opened_at), Float) / 86400
    for hood, opened, contacted, middle, p90 in db.session.execute(
        select(
            Resident.neighbourhood_id,
            func.count(),
            func.count(Case.first_contact_at),
            func.percentile_cont(0.5).within_group(days),
            func.percentile_disc(0.9).within_group(days),
        )
        .join(Resident, Resident.id == Case.resident_id)
        .where(*opened_in_period)
        .group_by(Resident.neighbourhood_id)
    ):
        figures = out[hood]["cases"]
        figures["opened"], figures["contacted"] = int(opened), int(contacted)
        if contacted:
            figures["first_contact_days"] = {"median": round(middle, 2), "p90": round(p90, 2)}


def _first_contact_in_python(
    out: dict[int, dict[str, Any]], opened_in_period: tuple[ColumnElement[bool], ...]
) -> None:
    """As :func:`_first_contact_in_sql`, for SQLite (no percentiles there; small data)."""
    opened: dict[int, int] = defaultdict(int)
    durations: dict[int, list[float]] = defaultdict(list)
    for hood, opened_at, contacted_at in db.session.execute(
        select(Resident.neighbourhood_id, Case.opened_at, Case.first_contact_at)
        .join(Resident, Resident.id == Case.resident_id)
        .where(*opened_in_period)
    ):
        opened[hood] += 1
        if contacted_at is not None:
            durations[hood].append((contacted_at - opened_at).total_seconds() / 86400)
    for hood, count in opened.items():
        out[hood]["cases"].update(_first_contact_figures(count, durations[hood]))


def _volunteers(out: dict[int, dict[str, Any]], ids: list[int]) -> None:
    for hood, count in db.session.execute(
        select(Volunteer.neighbourhood_id, func.count())
        .where(Volunteer.neighbourhood_id.in_(ids), Volunteer.status == "active")
        .group_by(Volunteer.neighbourhood_id)
    ):
        if hood is None:  # not in ids: the query leaves these out
            continue
        out[hood]["volunteers"]["active"] = int(count)


def _photos(
    out: dict[int, dict[str, Any]], ids: list[int], start: date | None, end: date | None
) -> None:
    for hood, prompt, count in db.session.execute(
        select(Photo.neighbourhood_id, Photo.prompt, func.count())
        .where(
            Photo.neighbourhood_id.in_(ids),
            Photo.status == "approved",
            in_period(Photo.created_at, start, end),
        )
        .group_by(Photo.neighbourhood_id, Photo.prompt)
        .order_by(Photo.neighbourhood_id, Photo.prompt)
    ):
        if hood is None:  # not in ids: the query leaves these out
            continue
        out[hood]["photos"]["approved"] += int(count)
        _add(out[hood]["photos"]["by_prompt"], prompt, count)


def figures_for(
    ids: Iterable[int],
    start: date | None = None,
    end: date | None = None,
    round_id: int | None = None,
    campaign_id: int | None = None,
) -> dict[int, dict[str, Any]]:
    """The figures of these neighbourhoods, a handful of grouped queries for all of them.
    With ``round_id`` (``campaign_id``) the visits (calls) are that round's (campaign's)
    only; the other figures are the period's."""
    ids = list(ids)
    out = {hood: _empty(hood, start, end) for hood in ids}
    if not ids:
        return out
    _visits(out, ids, start, end, round_id)
    _calls(out, ids, start, end, campaign_id)
    _referrals(out, ids, start, end)
    _signals(out, ids, start, end)
    _cases(out, ids, start, end)
    _volunteers(out, ids)
    _photos(out, ids, start, end)
    for figures in out.values():
        visits, calls = figures["visits"], figures["calls"]
        visits["reach_rate"] = _rate(visits["spoken"], visits["target"])
        calls["reach_rate"] = _rate(calls["reached"], calls["targets"])
    return out


def neighbourhood_figures(
    neighbourhood_id: int, start: date | None = None, end: date | None = None, **scope: int | None
) -> dict[str, Any]:
    """The figures of one neighbourhood in [start, end] (``scope``: see figures_for)."""
    return figures_for([neighbourhood_id], start, end, **scope)[neighbourhood_id]


def municipality_figures(
    municipality_id: int, start: date | None = None, end: date | None = None, **scope: int | None
) -> dict[int, dict[str, Any]]:
    """The figures of every neighbourhood of a municipality (the unlocatable bucket too)."""
    ids = db.session.scalars(
        select(Neighbourhood.id)
        .where(Neighbourhood.municipality_id == municipality_id)
        .order_by(Neighbourhood.is_unlocatable, Neighbourhood.name)
    ).all()
    return figures_for(ids, start, end, **scope)


def signal_counts_by_period(
    neighbourhood_ids: list[int], start: date, end: date, kind: str = "month"
) -> Iterator[tuple[date, dict[tuple[int, str], int]]]:
    """Month by month or quarter by quarter (one grouped query each, so memory stays one
    period wide): the first day of the period and the signal counts per (neighbourhood,
    theme)."""
    for first, last in spans_between(start, end, kind):
        yield period_bounds(kind, first)[0], signal_counts(neighbourhood_ids, first, last)


def signal_counts(
    neighbourhood_ids: list[int], start: date | None, end: date | None
) -> dict[tuple[int, str], int]:
    """The signals per (neighbourhood, theme) in [start, end]: one grouped query."""
    if not neighbourhood_ids:
        return {}
    return {
        (hood, theme): int(count)
        for hood, theme, count in db.session.execute(
            select(Signal.neighbourhood_id, Signal.theme, func.count())
            .where(
                Signal.neighbourhood_id.in_(neighbourhood_ids),
                in_period(Signal.created_at, start, end),
            )
            .group_by(Signal.neighbourhood_id, Signal.theme)
        )
    }


def signal_date_range(neighbourhood_ids: list[int]) -> tuple[date, date] | None:
    """The local days of the first and the last signal of these neighbourhoods."""
    low, high = db.session.execute(
        select(func.min(Signal.created_at), func.max(Signal.created_at)).where(
            Signal.neighbourhood_id.in_(neighbourhood_ids)
        )
    ).one()
    if low is None or high is None:
        return None
    return _local_day(low), _local_day(high)


def _local_day(value: datetime | str) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL).date()
