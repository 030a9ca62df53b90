"""Monthly counts per neighbourhood, kept two ways that must agree: incrementally by the
worker as each signal is routed (its theme, its polarity, a case it opened), and rebuilt
exactly from the source tables by a nightly job (which also repairs what moved since, e.g.
an address placed in another neighbourhood)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from fieldwork.calls.rules import local
from fieldwork.cases.models import Case
from fieldwork.db import savepoint
from fieldwork.extensions import db
from fieldwork.reports.models import Rollup
from fieldwork.signals.models import Resident, Signal

Key = tuple[int, date, str, str]  # neighbourhood, month, measure, key


def month_of(moment: datetime) -> date:
    return local(moment).date().replace(day=1)


def _signal_keys(signal: Signal) -> list[Key]:
    month = month_of(signal.created_at)
    return [(signal.neighbourhood_id, month, "signals_theme", signal.theme),
            (signal.neighbourhood_id, month, "signals_polarity", signal.polarity)]


def _case_key(case: Case, neighbourhood_id: int) -> Key:
    return (neighbourhood_id, month_of(case.opened_at), "cases_opened", "")


def _add(key: Key, amount: int = 1) -> None:
    neighbourhood_id, month, measure, name = key
    query = select(Rollup).where(Rollup.neighbourhood_id == neighbourhood_id,
                                 Rollup.month == month, Rollup.measure == measure,
                                 Rollup.key == name).with_for_update()
    row = db.session.scalar(query)
    if row is not None:
        row.value += amount
        return
    try:
        with savepoint(db.session):
            db.session.add(Rollup(neighbourhood_id=neighbourhood_id, month=month,
                                  measure=measure, key=name, value=amount))
            db.session.flush()
    except IntegrityError:  # another worker made the row a moment ago
        db.session.scalar(query).value += amount  # type: ignore[union-attr]


def count_routed(signal: Signal, opened: Case | None) -> None:
    """Called once per signal, in the routing task's transaction (routing happens once)."""
    for key in _signal_keys(signal):
        _add(key)
    if opened is not None:
        _add(_case_key(opened, opened.resident.neighbourhood_id))


def computed() -> Counter[Key]:
    """The counts as the source tables say now (routed signals, opened cases)."""
    counts: Counter[Key] = Counter()
    for signal in db.session.scalars(select(Signal).where(Signal.routed_at.is_not(None))):
        counts.update(_signal_keys(signal))
    for case, neighbourhood_id in db.session.execute(
            select(Case, Resident.neighbourhood_id).join(Resident,
                                                         Resident.id == Case.resident_id)):
        counts[_case_key(case, neighbourhood_id)] += 1
    return counts


def stored() -> Counter[Key]:
    return Counter({(r.neighbourhood_id, r.month, r.measure, r.key): r.value
                    for r in db.session.scalars(select(Rollup)) if r.value})


def rebuild() -> int:
    """Replace every rollup by the exact count (the nightly job). Returns how many rows
    differed before."""
    if db.engine.dialect.name == "postgresql":  # a routing worker waits until this is done
        db.session.execute(text("LOCK TABLE rollups IN EXCLUSIVE MODE"))
    exact, before = computed(), stored()
    differed = sum(1 for key in set(exact) | set(before) if exact[key] != before[key])
    db.session.execute(delete(Rollup))
    for (neighbourhood_id, month, measure, name), value in sorted(exact.items()):
        db.session.add(Rollup(neighbourhood_id=neighbourhood_id, month=month, measure=measure,
                              key=name, value=value))
    db.session.flush()
    return differed


def monthly(neighbourhood_ids: list[int], measure: str, first: date, last: date
            ) -> dict[date, int]:
    """From the rollups: the total of a measure per month for these neighbourhoods."""
    totals: dict[date, int] = {}
    for month, value in db.session.execute(select(Rollup.month, Rollup.value).where(
            Rollup.neighbourhood_id.in_(neighbourhood_ids), Rollup.measure == measure,
            Rollup.month >= first.replace(day=1), Rollup.month <= last)):
        totals[month] = totals.get(month, 0) + value
    return totals
