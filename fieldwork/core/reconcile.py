"""Effects, not publishes, are the truth: the reconciliation sweep.

An outbox row marked ``sent_at`` only says the message was handed to the broker. A broker that
restarts without persistence, or a worker killed while it held a message, loses it — and the
outbox will not send it again. So what counts is the task's *effect*: a routed signal, an
e-mailed notification, a processed photo, a finished import or report, a counted capture.

Each package that owns such an effect registers a :class:`Sweep` here from its ``init_app``
(:func:`add_sweep`): the task that makes the effect and a query for the ids whose effect is
still missing although they were stored before a cutoff. :func:`reconcile` (Celery beat's
``fieldwork.core.reconcile``, every two minutes, and a step of ``flask tasks tick``) writes a
new outbox row for each of them, and the outbox publishes it after the commit.

Re-enqueueing is harmless because every one of these tasks is idempotent (each sweep says
why, next to its query): a second delivery finds the effect made and does nothing.

An item is left alone while a message for it is younger than ``RECONCILE_AFTER_SECONDS``
(default 300: a message that is merely waiting in a long queue is not doubled) or still unsent
(the outbox's own retry is on it). After ``RECONCILE_MAX_ENQUEUES`` messages for the same item
(default 10) the sweep stops re-sending it and logs an error: a task that fails every time is a
poison message for the coordinator, not something to repeat for ever."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Text, and_, cast, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from fieldwork.core.outbox import OutboxMessage, enqueue_after_commit
from fieldwork.db import utcnow
from fieldwork.extensions import db

log = logging.getLogger(__name__)
SWEEPS = "fieldwork.sweeps"
#: At most this many items per sweep and effect; the next sweep takes the rest.
BATCH = 500


@dataclass(frozen=True)
class Sweep:
    """``missing(cutoff)`` answers the task arguments (one list per item) of the effects that
    should exist by now: stored before ``cutoff`` and not made yet. At most :data:`BATCH`."""

    name: str
    task_name: str
    missing: Callable[[datetime], Sequence[list[Any]]]


@dataclass
class SweepResult:
    missing: int = 0
    enqueued: int = 0
    given_up: int = 0


def add_sweep(
    app: Flask, name: str, task_name: str, missing: Callable[[datetime], Sequence[list[Any]]]
) -> None:
    """Register one more effect to reconcile on this app (from a package's ``init_app``)."""
    app.extensions.setdefault(SWEEPS, []).append(Sweep(name, task_name, missing))


def running_cutoff(cutoff: datetime) -> datetime:
    """For jobs marked "running": cut off (worker killed, message lost) when they started
    before this — ``RECONCILE_RUNNING_AFTER_SECONDS`` instead of ``RECONCILE_AFTER_SECONDS``
    before the sweep, far longer than any job runs, so a job at work is not started twice."""
    config = current_app.config
    extra = int(config["RECONCILE_RUNNING_AFTER_SECONDS"]) - int(config["RECONCILE_AFTER_SECONDS"])
    return cutoff - timedelta(seconds=max(0, extra))


def stalled_jobs(
    job_id: InstrumentedAttribute[int],
    status: InstrumentedAttribute[str],
    asked_at: InstrumentedAttribute[datetime],
    cutoff: datetime,
    started_at: InstrumentedAttribute[datetime | None] | None = None,
    *conditions: ColumnElement[bool],
) -> list[list[Any]]:
    """Jobs (imports, PDFs, reports) still "pending" though asked for before ``cutoff``, or
    still "running" since before :func:`running_cutoff`: each as its task's arguments."""
    running_since = asked_at if started_at is None else started_at
    query = (
        select(job_id)
        .where(
            *conditions,
            or_(
                and_(status == "pending", asked_at <= cutoff),
                and_(status == "running", running_since <= running_cutoff(cutoff)),
            ),
        )
        .order_by(job_id)
        .limit(BATCH)
    )
    return [[found] for found in db.session.scalars(query)]


def _args_key(args: list[Any]) -> str:
    # How SQLAlchemy's JSON type writes the list (json.dumps), and how PostgreSQL's json
    # (not jsonb) and SQLite's text keep it: the text compares equal in both.
    return json.dumps(list(args))


def _messages_for(task_name: str, keys: list[str]) -> list[tuple[str, datetime, datetime | None]]:
    rows: list[tuple[str, datetime, datetime | None]] = []
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        rows += [
            (key, created_at, sent_at)
            for key, created_at, sent_at in db.session.execute(
                select(
                    cast(OutboxMessage.args, Text),
                    OutboxMessage.created_at,
                    OutboxMessage.sent_at,
                ).where(
                    OutboxMessage.task_name == task_name,
                    cast(OutboxMessage.args, Text).in_(chunk),
                )
            )
        ]
    return rows


def sweep_one(sweep: Sweep, now: datetime | None = None) -> SweepResult:
    """Re-enqueue this sweep's missing effects (flush, no commit: the caller commits and the
    outbox publishes after the commit)."""
    config = current_app.config
    cutoff = (now or utcnow()) - timedelta(seconds=int(config["RECONCILE_AFTER_SECONDS"]))
    most = int(config["RECONCILE_MAX_ENQUEUES"])
    result = SweepResult()
    items = list(sweep.missing(cutoff))
    if not items:
        return result
    result.missing = len(items)
    keys = [_args_key(args) for args in items]
    count: Counter[str] = Counter()
    busy: set[str] = set()
    for key, created_at, sent_at in _messages_for(sweep.task_name, keys):
        count[key] += 1
        if sent_at is None or created_at > cutoff:
            busy.add(key)  # waiting in the outbox, or sent a moment ago: not lost (yet)
    for args, key in zip(items, keys, strict=True):
        if key in busy:
            continue
        if count[key] >= most:
            result.given_up += 1
            log.error(
                "reconcile %s: %s%s still not done after %d messages; not re-sent",
                sweep.name,
                sweep.task_name,
                args,
                count[key],
            )
            continue
        enqueue_after_commit(sweep.task_name, *args)
        result.enqueued += 1
    if result.enqueued:
        log.warning(
            "reconcile %s: %d of %d missing effects re-enqueued (%s)",
            sweep.name,
            result.enqueued,
            result.missing,
            sweep.task_name,
        )
    return result


def reconcile(now: datetime | None = None) -> dict[str, SweepResult]:
    """Every registered sweep, in the order the packages registered them."""
    return {sweep.name: sweep_one(sweep, now) for sweep in current_app.extensions.get(SWEEPS, [])}


def summary(results: dict[str, SweepResult]) -> str:
    """The ``tasks tick`` part: how many effects were re-enqueued (and given up on)."""
    enqueued = sum(r.enqueued for r in results.values())
    given_up = sum(r.given_up for r in results.values())
    text = f"reconcile: {enqueued} re-enqueued"
    if enqueued:
        text += " (" + ", ".join(f"{n} {r.enqueued}" for n, r in results.items() if r.enqueued)
        text += ")"
    if given_up:
        text += f", {given_up} given up"
    return text
