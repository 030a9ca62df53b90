"""Record reads and changes of personal data. Joins the caller's transaction.

The log is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE of ``audit_events``
and ``audit_seals``. On top, a hash chain is *sealed* after the fact (:func:`seal_events`, run
by beat and ``flask audit seal``) rather than computed at insert: chaining at insert would
need the previous row's hash, i.e. a lock every writer queues behind (capture must take 8
writers at once). Ids are handed out at insert but commit in any order, so the seal takes
only events older than a margin, by which time every lower id has committed or rolled back.

``detail`` holds ids, codes and field names only — never a name, address, phone or note: an
erased resident must leave no trace, and this table cannot be edited afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import func, insert, select

from fieldwork.core.models import AuditEvent, AuditSeal
from fieldwork.core.permissions import acting_user_id
from fieldwork.db import utcnow
from fieldwork.extensions import db

GENESIS = "0" * 64
SEAL_MARGIN = timedelta(minutes=1)
_BATCH = 1000


def record_audit(
    action: str,
    subject_type: str,
    subject_id: object = None,
    user_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit makes it durable."""
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        user_id=user_id
        if user_id is not None
        else (acting_user_id() if has_request_context() else None),
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _timestamp(at: datetime) -> str:
    # SQLite hands back naive datetimes, PostgreSQL aware ones: the same instant either way
    return at.replace(tzinfo=None).isoformat(timespec="microseconds")


def canonical(event: AuditEvent) -> bytes:
    """The event's content as stable bytes: every column, keys sorted, no whitespace."""
    content = {
        "id": event.id,
        "at": _timestamp(event.at),
        "user_id": event.user_id,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "detail": event.detail or {},
        "ip": event.ip,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(previous: str, event: AuditEvent) -> str:
    return hashlib.sha256(previous.encode() + canonical(event)).hexdigest()


@dataclass(frozen=True)
class SealResult:
    sealed: int
    last_event_id: int | None
    head: str


def _last_seal() -> AuditSeal | None:
    return db.session.scalar(select(AuditSeal).order_by(AuditSeal.event_id.desc()).limit(1))


def _events_after(event_id: int, upto: int | None = None) -> Iterator[AuditEvent]:
    """Events past ``event_id`` (up to id ``upto``) in id order, read in batches (the log is
    long)."""
    while True:
        query = select(AuditEvent).where(AuditEvent.id > event_id)
        if upto is not None:
            query = query.where(AuditEvent.id <= upto)
        batch = list(db.session.scalars(query.order_by(AuditEvent.id).limit(_BATCH)))
        yield from batch
        if len(batch) < _BATCH:
            return
        event_id = batch[-1].id


def _lock_sealing() -> bool:
    """One sealer at a time (beat and a CLI run): on PostgreSQL a transaction-scoped advisory
    lock that only sealers take — writers of events never wait for it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(0x5EA1))))


def seal_events(margin: timedelta = SEAL_MARGIN) -> SealResult:
    """Extend the chain over the events committed since the last seal and older than
    ``margin``. Flushes; the caller commits."""
    if not _lock_sealing():
        return SealResult(0, None, "")
    last = _last_seal()
    head = last.hash if last else GENESIS
    after = last.event_id if last else 0
    sealed = 0
    last_id = last.event_id if last else None
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for event in _events_after(after):
        if event.at >= now - margin:
            # stop, not skip: sealing a later id past a younger one would leave that one
            # looking "inserted after sealing" (clocks of two app servers differ a little)
            break
        head = chain_hash(head, event)
        rows.append({"event_id": event.id, "hash": head, "sealed_at": now})
        last_id = event.id
        if len(rows) == _BATCH:
            sealed += _insert_seals(rows)
    sealed += _insert_seals(rows)
    return SealResult(sealed, last_id, head)


def _insert_seals(rows: list[dict[str, Any]]) -> int:
    """One multi-row INSERT for a batch (the ORM's unit of work per row is 3x slower)."""
    count = len(rows)
    if rows:
        db.session.execute(insert(AuditSeal), rows)
        rows.clear()
    return count


@dataclass(frozen=True)
class Breach:
    event_id: int
    reason: str


def _seals() -> Iterator[tuple[int, str]]:
    after = 0
    while True:
        batch = db.session.execute(
            select(AuditSeal.event_id, AuditSeal.hash)
            .where(AuditSeal.event_id > after)
            .order_by(AuditSeal.event_id)
            .limit(_BATCH)
        ).all()
        yield from ((row[0], row[1]) for row in batch)
        if len(batch) < _BATCH:
            return
        after = batch[-1][0]


def _pairs(sealed_upto: int) -> Iterator[tuple[int, AuditEvent | None, str | None]]:
    """(id, event, seal hash) over every id that has an event or a seal, up to the last seal."""
    seals = _seals()
    events = _events_after(0, upto=sealed_upto)
    seal = next(seals, None)
    event = next(events, None)
    while seal is not None or event is not None:
        seal_id = seal[0] if seal is not None else None
        event_id = event.id if event is not None else None
        if event_id is None or (seal_id is not None and seal_id < event_id):
            assert seal is not None
            yield seal[0], None, seal[1]
            seal = next(seals, None)
        elif seal_id is None or event_id < seal_id:
            yield event_id, event, None
            event = next(events, None)
        else:
            assert seal is not None
            yield event_id, event, seal[1]
            seal, event = next(seals, None), next(events, None)


def verify_chain() -> tuple[int, Breach | None]:
    """Walk the sealed part of the log: (events checked, the first breach or None)."""
    last = _last_seal()
    if last is None:
        return 0, None
    head = GENESIS
    checked = 0
    for event_id, event, stored in _pairs(last.event_id):
        if event is None:
            return checked, Breach(event_id, "deleted")
        if stored is None:
            return checked, Breach(event_id, "inserted after sealing")
        head = chain_hash(head, event)
        if head != stored:
            return checked, Breach(event_id, "changed")
        checked += 1
    return checked, None
