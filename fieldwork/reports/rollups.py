"""Monthly counts per neighbourhood, kept two ways that must agree: incrementally by the
worker as each signal is routed (its theme, its polarity, a case it opened) and as each
capture comes in (a visit's outcome, a call's outcome, a referral card filed, a photo per
prompt), and rebuilt exactly from the source tables by a nightly job (which also repairs
what moved since, e.g. an address placed in another neighbourhood, and counts a capture
whose task was lost).

A capture is counted once: the worker records that it counted it (``RollupCounted``) in
the same transaction as the counts, so a task that runs twice counts nothing the second
time, and the rebuild marks what it counts so that a late task does not count it again. A
capture its maker undoes is taken out again before it is deleted (:func:`uncount_capture`).
Durations (time to first contact) and states (active volunteers) are not counts of events
and stay computed from the source tables (:mod:`fieldwork.reports.figures`)."""

from __future__ import annotations

import typing
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from fieldwork.calls.models import CallAttempt, CallTarget
from fieldwork.cases.models import Case
from fieldwork.db import BRUSSELS, local, savepoint
from fieldwork.extensions import db
from fieldwork.photos.models import Photo
from fieldwork.referrals.models import ReferralSubmission, referral_submission_signals
from fieldwork.reports.models import Rollup, RollupCounted
from fieldwork.signals.models import Resident, Signal
from fieldwork.visits.models import Visit, VisitAddress

Key = tuple[int, date, str, str]  # neighbourhood, month, measure, key
PROCESSED_PHOTOS = ("new", "approved", "hidden")


@dataclass(frozen=True)
class Capture:
    """What one kind of capture adds: ``rows()`` selects (source id, neighbourhood, moment,
    *key parts) and ``key`` turns the parts into the rollup's key."""

    measure: str
    source_id: Any
    rows: Callable[[], Select[*tuple[Any, ...]]]
    key: Callable[[tuple[Any, ...]], str]


def _first(parts: tuple[Any, ...]) -> str:
    return str(parts[0]) if parts else ""


def photo_key(assignment_id: int, week: int, side: str) -> str:
    """A prompt of an assignment: its week and side ("main" or the contrast question)."""
    return f"{assignment_id}:{week}:{side}"


CAPTURES: dict[str, Capture] = {
    "visit": Capture(
        "visits_outcome",
        Visit.id,
        lambda: select(
            Visit.id, VisitAddress.neighbourhood_id, Visit.created_at, Visit.outcome
        ).join(VisitAddress, VisitAddress.id == Visit.address_id),
        _first,
    ),
    "call": Capture(  # campaign calls; a good-morning call has no neighbourhood target
        "calls_outcome",
        CallAttempt.id,
        lambda: select(
            CallAttempt.id, CallTarget.neighbourhood_id, CallAttempt.created_at, CallAttempt.outcome
        ).join(CallTarget, CallTarget.id == CallAttempt.target_id),
        _first,
    ),
    "referral": Capture(  # a card counts once in each neighbourhood its signals are in
        "referrals_filed",
        ReferralSubmission.id,
        lambda: (
            select(ReferralSubmission.id, Signal.neighbourhood_id, ReferralSubmission.created_at)
            .distinct()
            .join(
                referral_submission_signals,
                referral_submission_signals.c.submission_id == ReferralSubmission.id,
            )
            .join(Signal, Signal.id == referral_submission_signals.c.signal_id)
        ),
        _first,
    ),
    "photo": Capture(
        "photos_prompt",
        Photo.id,
        lambda: select(
            Photo.id,
            Photo.neighbourhood_id,
            Photo.created_at,
            Photo.assignment_id,
            Photo.week,
            Photo.side,
        ).where(Photo.neighbourhood_id.is_not(None), Photo.status.in_(PROCESSED_PHOTOS)),
        lambda parts: photo_key(*parts),
    ),
}
MEASURES = (
    "signals_theme",
    "signals_polarity",
    "cases_opened",
    *(capture.measure for capture in CAPTURES.values()),
)


def month_of(moment: datetime) -> date:
    return local(moment).date().replace(day=1)


def _signal_keys(signal: Signal) -> list[Key]:
    month = month_of(signal.created_at)
    return [
        (signal.neighbourhood_id, month, "signals_theme", signal.theme),
        (signal.neighbourhood_id, month, "signals_polarity", signal.polarity),
    ]


def _case_key(case: Case, neighbourhood_id: int) -> Key:
    return (neighbourhood_id, month_of(case.opened_at), "cases_opened", "")


def _capture_keys(kind: str, query: Select[*tuple[Any, ...]]) -> Iterator[tuple[int, Key]]:
    capture = CAPTURES[kind]
    for source_id, neighbourhood_id, moment, *parts in db.session.execute(query):
        yield (
            source_id,
            (neighbourhood_id, month_of(moment), capture.measure, capture.key(tuple(parts))),
        )


def _add(key: Key, amount: int = 1) -> None:
    _add_all(Counter({key: amount}))


def _add_all(amounts: Counter[Key]) -> None:
    """Add to these rollups in one statement, ``INSERT … ON CONFLICT (neighbourhood, month,
    measure, key) DO UPDATE SET value = value + excluded``: no row read first, and a row
    another worker made a moment ago is added to, not refused. The rows in key order, so
    that two transactions lock shared rows in the same order (no deadlock); a caller adds
    as late in its transaction as it can, so the rows stay locked only until its commit."""
    rows = [
        {"neighbourhood_id": hood, "month": month, "measure": measure, "key": name, "value": value}
        for (hood, month, measure, name), value in sorted(amounts.items())
        if value
    ]
    if not rows:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = Rollup.__table__  # Core: rows as parameters, no ORM objects
    assert isinstance(table, Table)
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["neighbourhood_id", "month", "measure", "key"],
        set_={"value": table.c.value + statement.excluded.value},
    )
    # the rows as parameters of one statement (compiled once, not per call); SQLAlchemy
    # sends them to PostgreSQL as one multi-row INSERT, in this order
    db.session.execute(statement, rows)


def count_routed(routed: list[tuple[Signal, Case | None]]) -> None:
    """Called once per routing transaction with the signals it routed and the cases they
    opened (routing happens once per signal): one upsert for all of them."""
    keys: Counter[Key] = Counter()
    for signal, opened in routed:
        keys.update(_signal_keys(signal))
        if opened is not None:
            keys[_case_key(opened, opened.resident.neighbourhood_id)] += 1
    _add_all(keys)


def count_capture(kind: str, source_id: int) -> bool:
    """The worker, after a capture was stored: add it to the rollups, once. Returns whether
    it counted now (False: counted before, by an earlier run or the rebuild, or gone)."""
    capture = CAPTURES[kind]
    if db.session.get(RollupCounted, (kind, source_id)) is not None:
        return False
    try:
        with savepoint(db.session):  # the ledger first: the rebuild locks it first too
            db.session.add(RollupCounted(kind=kind, source_id=source_id))
            db.session.flush()
    except IntegrityError:  # a twin of this task is counting it right now
        return False
    keys = sorted(
        key
        for _id, key in _capture_keys(  # one order: no deadlock between tasks
            kind, capture.rows().where(capture.source_id == source_id)
        )
    )
    _add_all(Counter(keys))
    return bool(keys)


def uncount_capture(kind: str, source_id: int) -> bool:
    """Before a capture is deleted (a visit undone by its maker): take it out of the rollups
    if it was counted, and out of the ledger. Returns whether it was counted."""
    capture = CAPTURES[kind]
    counted = db.session.get(RollupCounted, (kind, source_id)) is not None
    if not counted:
        try:
            # claims the ledger row: a task counting it right now commits first, then this
            # insert fails and its count is taken out; a later task finds no capture to count
            with savepoint(db.session):
                db.session.add(RollupCounted(kind=kind, source_id=source_id))
                db.session.flush()
        except IntegrityError:
            counted = True
    if counted:
        query = capture.rows().where(capture.source_id == source_id)
        amounts = Counter(key for _id, key in _capture_keys(kind, query))
        _add_all(Counter({key: -amount for key, amount in amounts.items()}))
    # out of the ledger too: SQLite may give the next visit this id again
    db.session.execute(
        delete(RollupCounted).where(
            RollupCounted.kind == kind, RollupCounted.source_id == source_id
        )
    )
    return counted


def _count_everything() -> tuple[Counter[Key], dict[str, set[int]]]:
    """The counts as the source tables say now (routed signals, opened cases, captures), and
    per kind of capture the ids counted. Each capture's count and id come from the same
    query result, so a capture stored meanwhile is in neither."""
    counts: Counter[Key] = Counter()
    for signal in db.session.scalars(select(Signal).where(Signal.routed_at.is_not(None))):
        counts.update(_signal_keys(signal))
    for case, neighbourhood_id in db.session.execute(
        select(Case, Resident.neighbourhood_id).join(Resident, Resident.id == Case.resident_id)
    ):
        counts[_case_key(case, neighbourhood_id)] += 1
    seen: dict[str, set[int]] = {}
    for kind, capture in CAPTURES.items():
        seen[kind] = set()
        for source_id, key in _capture_keys(kind, capture.rows()):
            counts[key] += 1
            seen[kind].add(source_id)
    return counts, seen


def computed() -> Counter[Key]:
    """The counts as the source tables say now."""
    return _count_everything()[0]


def stored() -> Counter[Key]:
    return Counter(
        {
            (r.neighbourhood_id, r.month, r.measure, r.key): r.value
            for r in db.session.scalars(select(Rollup))
            if r.value
        }
    )


def _mark_counted(seen: dict[str, set[int]]) -> None:
    """What the rebuild counted counts as counted: a late task for it adds nothing. (The
    ledger cannot change meanwhile: the rebuild holds its lock.)"""
    for kind, ids in seen.items():
        marked = set(
            db.session.scalars(select(RollupCounted.source_id).where(RollupCounted.kind == kind))
        )
        db.session.add_all(
            RollupCounted(kind=kind, source_id=source_id) for source_id in sorted(ids - marked)
        )
    db.session.flush()


def rebuild() -> int:
    """Replace every rollup by the exact count (the nightly job). Returns how many rows
    differed before."""
    if db.engine.dialect.name == "postgresql":  # counting workers wait until this is done
        db.session.execute(text("LOCK TABLE rollup_counted, rollups IN EXCLUSIVE MODE"))
        return _rebuild_in_database()
    # SQLite (the embedded path, small data): it has no time zones to find the Brussels
    # month with, so it counts in Python, as computed() does.
    before = stored()
    exact, seen = _count_everything()
    _mark_counted(seen)
    differed = sum(1 for key in set(exact) | set(before) if exact[key] != before[key])
    db.session.execute(delete(Rollup))
    for (neighbourhood_id, month, measure, name), value in sorted(exact.items()):
        db.session.add(
            Rollup(
                neighbourhood_id=neighbourhood_id,
                month=month,
                measure=measure,
                key=name,
                value=value,
            )
        )
    db.session.flush()
    return differed


# --- the rebuild in PostgreSQL: the same counts, counted by the database ------------------


def _sql_month(moment: Any) -> ColumnElement[date]:
    """The first day of the Brussels month of a timestamptz, as :func:`month_of` says."""
    zone = literal_column(f"'{BRUSSELS.key}'", String)
    return cast(func.date_trunc("month", func.timezone(zone, moment)), Date)


def _sql_first(parts: list[ColumnElement[Any]]) -> ColumnElement[str]:
    return cast(parts[0], String) if parts else literal("", String)


def _sql_photo_key(parts: list[ColumnElement[Any]]) -> ColumnElement[str]:
    assignment_id, week, side = parts
    return cast(assignment_id, String) + ":" + cast(week, String) + ":" + side


# What ``Capture.key`` does, in SQL: for each kind of capture, from the same key parts.
SQL_KEYS: dict[str, Callable[[list[ColumnElement[Any]]], ColumnElement[str]]] = {
    "visit": _sql_first,
    "call": _sql_first,
    "referral": _sql_first,
    "photo": _sql_photo_key,
}

_scratch = MetaData()
_COUNTED = Table(  # the captures the rebuild counts, with the key each counts under
    "rebuild_captures",
    _scratch,
    Column("kind", String(20)),
    Column("source_id", Integer),
    Column("neighbourhood_id", Integer),
    Column("month", Date),
    Column("measure", String(40)),
    Column("key", String(40)),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _scratch_rollups(name: str, *leading: Column[Any]) -> Table:
    """A temporary table of rollup rows (neighbourhood, month, measure, key, value), dropped
    at commit."""
    return Table(
        name,
        _scratch,
        *leading,
        Column("neighbourhood_id", Integer),
        Column("month", Date),
        Column("measure", String(40)),
        Column("key", String(40)),
        Column("value", Integer),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


_EXACT = _scratch_rollups("rebuild_rollups")  # the exact counts, to compare the rollups with
# the rollups that differ from the exact counts: changed, gone (no value), new
_DIFF = _scratch_rollups("rebuild_differing", Column("rollup_id", Integer))
_ROLLUP_COLUMNS = ("neighbourhood_id", "month", "measure", "key", "value")


def _captures_query() -> CompoundSelect[*tuple[Any, ...]]:
    """Every capture with its rollup key (kind, source id, neighbourhood, month, measure,
    key): the rows of each kind's ``rows()``, keyed in SQL."""
    parts = []
    for kind, capture in CAPTURES.items():
        rows = capture.rows().subquery()
        source_id, neighbourhood_id, moment, *rest = rows.c
        parts.append(
            select(
                literal(kind, String),
                source_id,
                neighbourhood_id,
                _sql_month(moment),
                literal(capture.measure, String),
                SQL_KEYS[kind](list(rest)),
            )
        )
    return union_all(*parts)


def _signals_query() -> CompoundSelect[*tuple[Any, ...]]:
    """Routed signals per neighbourhood, month and theme, and per neighbourhood, month and
    polarity: counted once per neighbourhood, month, theme and polarity (one pass over the
    signals, the month found once a row), then those few rows added up each way."""
    month = _sql_month(Signal.created_at)
    routed = (
        select(
            Signal.neighbourhood_id,
            month.label("month"),
            Signal.theme,
            Signal.polarity,
            func.count().label("value"),
        )
        .where(Signal.routed_at.is_not(None))
        .group_by(Signal.neighbourhood_id, month, Signal.theme, Signal.polarity)
        .cte("routed")
    )
    r = routed.c
    return union_all(
        *(
            select(
                r.neighbourhood_id, r.month, literal(measure, String), key, func.sum(r.value)
            ).group_by(r.neighbourhood_id, r.month, key)
            for measure, key in (("signals_theme", r.theme), ("signals_polarity", r.polarity))
        )
    )


def _exact_query() -> CompoundSelect[*tuple[Any, ...]]:
    """The exact counts (neighbourhood, month, measure, key, value), as computed() has them:
    routed signals, opened cases (in their resident's neighbourhood), counted captures."""
    month = _sql_month(Case.opened_at)
    cases = (
        select(
            Resident.neighbourhood_id,
            month,
            literal("cases_opened", String),
            literal("", String),
            func.count(),
        )
        .join(Resident, Resident.id == Case.resident_id)
        .group_by(Resident.neighbourhood_id, month)
    )
    c = _COUNTED.c
    captures = select(c.neighbourhood_id, c.month, c.measure, c.key, func.count()).group_by(
        c.neighbourhood_id, c.month, c.measure, c.key
    )
    return union_all(_signals_query(), cases, captures)


def _rebuild_in_database() -> int:
    """rebuild() on PostgreSQL, with the locks held: the counts are INSERT … SELECT …
    GROUP BY into a temporary table, compared with the rollups in one join; only the rows
    that differ are written. No row goes through Python."""
    connection = db.session.connection()
    _COUNTED.create(connection)
    _EXACT.create(connection)
    _DIFF.create(connection)
    # The captures in one statement, so the ids marked below are exactly the ones counted:
    # a capture stored meanwhile is in neither, and its task counts it.
    db.session.execute(
        insert(_COUNTED).from_select([c.name for c in _COUNTED.c], _captures_query())
    )
    # What the rebuild counted counts as counted: a late task for it adds nothing. (The
    # ledger cannot change meanwhile: the rebuild holds its lock.)
    db.session.execute(
        pg_insert(RollupCounted)
        .from_select(
            ["kind", "source_id"],
            select(_COUNTED.c.kind, _COUNTED.c.source_id).distinct(),
        )
        .on_conflict_do_nothing()
    )
    db.session.execute(insert(_EXACT).from_select(list(_ROLLUP_COLUMNS), _exact_query()))
    table = typing.cast(Table, Rollup.__table__)
    exact, rollups, diff = _EXACT.c, table.c, _DIFF.c
    # A row of 0 is no count (see stored()): it goes, and is no difference.
    db.session.execute(delete(table).where(rollups.value == 0))
    # The rows that differ (most nights a few): a count that changed, went or came.
    db.session.execute(
        insert(_DIFF).from_select(
            ["rollup_id", *_ROLLUP_COLUMNS],
            select(rollups.id, *(exact[name] for name in _ROLLUP_COLUMNS))
            .select_from(
                _EXACT.join(
                    table,
                    and_(*(exact[name] == rollups[name] for name in _ROLLUP_COLUMNS[:-1])),
                    full=True,
                )
            )
            .where(func.coalesce(exact.value, 0) != func.coalesce(rollups.value, 0)),
        )
    )
    differed = db.session.scalar(select(func.count()).select_from(_DIFF)) or 0
    # Only those are written.
    db.session.execute(delete(table).where(rollups.id == diff.rollup_id, diff.value.is_(None)))
    db.session.execute(
        update(table)
        .where(rollups.id == diff.rollup_id, diff.value.is_not(None))
        .values(value=diff.value)
    )
    db.session.execute(
        insert(table).from_select(
            list(_ROLLUP_COLUMNS),
            select(*(diff[name] for name in _ROLLUP_COLUMNS)).where(diff.rollup_id.is_(None)),
        )
    )
    for row in [o for o in db.session.identity_map.values() if isinstance(o, Rollup)]:
        db.session.expire(row)  # (written past the session: read again when used)
    for scratch in (_DIFF, _EXACT, _COUNTED):  # (at the latest at the end: ON COMMIT DROP)
        scratch.drop(connection)
    return differed


def monthly(
    neighbourhood_ids: list[int], measure: str, first: date, last: date, key: str | None = None
) -> dict[date, int]:
    """From the rollups: the total of a measure (of one key of it, if given) per month for
    these neighbourhoods."""
    query = select(Rollup.month, Rollup.value).where(
        Rollup.neighbourhood_id.in_(neighbourhood_ids),
        Rollup.measure == measure,
        Rollup.month >= first.replace(day=1),
        Rollup.month <= last,
    )
    if key is not None:
        query = query.where(Rollup.key == key)
    totals: dict[date, int] = {}
    for month, value in db.session.execute(query):
        totals[month] = totals.get(month, 0) + value
    return totals


def per_month(
    neighbourhood_id: int, first: date, last: date
) -> dict[date, dict[tuple[str, str], int]]:
    """From the rollups: every measure and key of one neighbourhood, month by month."""
    out: dict[date, dict[tuple[str, str], int]] = {}
    for month, measure, name, value in db.session.execute(
        select(Rollup.month, Rollup.measure, Rollup.key, Rollup.value).where(
            Rollup.neighbourhood_id == neighbourhood_id,
            Rollup.month >= first.replace(day=1),
            Rollup.month <= last,
        )
    ):
        cell = out.setdefault(month, {})
        cell[(measure, name)] = cell.get((measure, name), 0) + value
    return out


QUARTER_COLUMNS: dict[str, tuple[str, str | None]] = {  # column: (measure, key or all keys)
    "visits": ("visits_outcome", None),
    "spoken": ("visits_outcome", "spoken"),
    "calls": ("calls_outcome", None),
    "reached": ("calls_outcome", "reached"),
    "referrals": ("referrals_filed", None),
    "signals": ("signals_polarity", None),
    "needs": ("signals_polarity", "need"),
    "cases": ("cases_opened", None),
    "photos": ("photos_prompt", None),
}


def quarterly(
    neighbourhood_id: int, last: date, quarters: int = 4
) -> list[tuple[date, dict[str, int]]]:
    """From the rollups: the last ``quarters`` quarters up to ``last`` (newest first), each
    with its first day and the counts of :data:`QUARTER_COLUMNS`."""
    from fieldwork.reports.figures import add_months, period_bounds

    newest = period_bounds("quarter", last)[0]
    firsts = [add_months(newest, -3 * n) for n in range(quarters)]
    months = per_month(neighbourhood_id, firsts[-1], last)
    out = []
    for first in firsts:
        row = dict.fromkeys(QUARTER_COLUMNS, 0)
        for month in (add_months(first, n) for n in range(3)):
            for (measure, key), value in months.get(month, {}).items():
                for column, (wanted, wanted_key) in QUARTER_COLUMNS.items():
                    if measure == wanted and wanted_key in (None, key):
                        row[column] += value
        out.append((first, row))
    return out
