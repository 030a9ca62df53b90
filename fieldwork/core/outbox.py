"""Side effects after commit, through an outbox table.

``enqueue_after_commit(task_name, *ids)`` writes an outbox row in the caller's transaction;
once that transaction commits, the row is published to Celery. If the broker is down the row
stays unsent and the periodic ``fieldwork.core.flush_outbox`` task publishes it later —
the capture is durable before any message is sent, and nothing is lost.

A message that keeps failing is not re-sent forever: after ``OUTBOX_MAX_ATTEMPTS`` failed
publishes (default 5; beat flushes every minute, so about five minutes) it is *dead-lettered*
(``dead_at`` set, its last error kept). The coordinator sees it on the "Storingen" page
(``/storingen``) and retries it (back to pending, attempts reset) or discards it (kept for the
record); ``/healthz`` reports ``degraded`` while one waits there. What counts as an attempt:

* a publish that raised for this message (in the embedded mode, where the task runs in the
  request, also the task itself raising);
* a task name that is not a registered Celery task is dead at once — no retry can help it.
  ``enqueue_after_commit`` refuses such a name before writing anything (:class:`UnknownTask`),
  so only rows from older code or typed into the database get there;
* a broker that cannot be reached is *not* the message's fault: its error is kept, the attempt
  is not counted and the round stops (the next messages would wait for the same timeout). A
  Redis outage longer than the cap must not dead-letter every capture made meanwhile;
  ``/healthz`` already reports the broker.

The flush takes pending messages fewest attempts first, then oldest: messages that keep
failing cannot fill the batch and hold back new ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Integer, String, Text, event, func, inspect, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db

log = logging.getLogger(__name__)
_PENDING_KEY = "fieldwork_outbox_pending"
FLUSH_BATCH = 500
DEFAULT_MAX_ATTEMPTS = 5


class UnknownTask(LookupError):
    """``enqueue_after_commit`` with a name no Celery task is registered under."""


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(120))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # when the last attempt failed (a broker outage included)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # dead-lettered: no more automatic re-sends until a coordinator retries it
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # a dead letter the coordinator discarded: never sent, kept for the record
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> str:
        if self.sent_at is not None:
            return "sent"
        if self.discarded_at is not None:
            return "discarded"
        if self.dead_at is not None:
            return "dead"
        return "pending"


def _celery() -> Any:
    return current_app.extensions["celery"]


def max_attempts() -> int:
    return max(1, int(current_app.config.get("OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def enqueue_after_commit(task_name: str, *args: Any) -> OutboxMessage:
    """Write the message in the caller's transaction; it is published after the commit.
    Raises :class:`UnknownTask` (nothing written) for a name that is not a Celery task.
    The row is written with the caller's next flush (no flush of its own)."""
    if task_name not in _celery().tasks:
        raise UnknownTask(
            f"{task_name!r} is not a registered Celery task: "
            "check the name in the task's @shared_task(name=...)"
        )
    message = OutboxMessage(task_name=task_name, args=list(args), attempts=0)
    db.session.add(message)
    _after_commit(message)
    return message


@dataclass(frozen=True)
class _Unsent:
    """What publishing a message needs, kept when it was enqueued: after the commit the row
    is not read again."""

    message: OutboxMessage
    task_name: str
    args: list[Any]
    attempts: int

    @property
    def id(self) -> int | None:
        """The row's id (its identity survives the commit's expiry: no SELECT to learn it);
        None if the row was never written (taken out of the session before the commit)."""
        identity = inspect(self.message).identity
        return int(identity[0]) if identity else None


def _after_commit(message: OutboxMessage) -> None:
    db.session.info.setdefault(_PENDING_KEY, []).append(
        _Unsent(message, message.task_name, list(message.args), message.attempts or 0)
    )


def _broker_unreachable(exc: Exception) -> bool:
    """The broker, not the message, failed (only with a real broker: in the embedded mode
    the task runs here and its own OSError is the message's failure)."""
    if _celery().conf.task_always_eager:
        return False
    from kombu.exceptions import OperationalError

    return isinstance(exc, OperationalError | OSError)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def publish(message_ids: list[int]) -> int:
    """Send the given outbox rows to Celery (those still pending, read in one query); mark
    each sent, or count its failed attempt and dead-letter it after
    ``OUTBOX_MAX_ATTEMPTS``. Returns how many were sent."""
    if not message_ids:
        return 0
    with db.engine.connect() as conn:
        rows = {
            row.id: row
            for row in conn.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.task_name,
                    OutboxMessage.args,
                    OutboxMessage.attempts,
                ).where(OutboxMessage.id.in_(message_ids), *_pending())
            )
        }
    return _send(
        [
            (
                message_id,
                rows[message_id].task_name,
                rows[message_id].args,
                rows[message_id].attempts,
            )
            for message_id in message_ids
            if message_id in rows
        ]
    )


def _send(messages: list[tuple[int, str, list[Any], int]]) -> int:
    """Publish (id, task name, args, attempts so far) in order, then record the results in
    one short transaction. Stops at the first broker outage (the rest would wait for the
    same timeout; the periodic flush sends them)."""
    celery = _celery()
    limit = max_attempts()
    sent: list[int] = []
    failed: dict[int, dict[str, Any]] = {}
    for message_id, task_name, args, attempts in messages:
        now = utcnow()
        task = celery.tasks.get(task_name)
        if task is None:
            log.error("outbox %s dead-lettered: unknown task %r", message_id, task_name)
            failed[message_id] = {
                "attempts": OutboxMessage.attempts + 1,
                "last_error": f"UnknownTask: {task_name!r} is not a registered Celery task",
                "last_attempt_at": now,
                "dead_at": now,
            }
            continue
        try:
            # retry=False: fail fast when the broker is down; the periodic flush re-sends.
            task.apply_async(args=args, retry=False, ignore_result=True)
            sent.append(message_id)
        except Exception as exc:
            values: dict[str, Any] = {"last_error": _error_text(exc), "last_attempt_at": now}
            if _broker_unreachable(exc):
                log.warning("outbox %s not published, broker unreachable: %s", message_id, exc)
                failed[message_id] = values  # not the message's fault: no attempt counted
                break
            values["attempts"] = OutboxMessage.attempts + 1
            if attempts + 1 >= limit:
                log.error(
                    "outbox %s dead-lettered after %d attempts: %s", message_id, attempts + 1, exc
                )
                values["dead_at"] = now
            else:
                log.warning("outbox %s not published: %s", message_id, exc)
            failed[message_id] = values
    _record(sent, failed)
    return len(sent)


def _record(sent: list[int], failed: dict[int, dict[str, Any]]) -> None:
    """The results, in one transaction. On PostgreSQL without waiting for the disk
    (synchronous_commit off): a mark lost in a database crash only means the message is
    published again by the periodic flush, and every task is safe to run twice — while a
    capture should not wait for a second fsync after its own."""
    if not sent and not failed:
        return
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
        if sent:
            conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(sent))
                .values(sent_at=utcnow(), attempts=OutboxMessage.attempts + 1)
            )
        for message_id, values in failed.items():
            conn.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
            )


def _pending() -> Any:
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.dead_at.is_(None),
        OutboxMessage.discarded_at.is_(None),
    )


def unsent_ids(older_than: timedelta = timedelta(seconds=0)) -> list[int]:
    """Pending messages to re-send (not sent, not dead, not discarded), at most a batch:
    fewest attempts first, then oldest, so failing ones never hold back new ones."""
    cutoff = utcnow() - older_than
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(*_pending(), OutboxMessage.created_at <= cutoff)
            .order_by(OutboxMessage.attempts, OutboxMessage.id)
            .limit(FLUSH_BATCH)
        )
    )


def count_dead() -> int:
    """Dead-lettered messages waiting for the coordinator (discarded ones not counted)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dead_at.is_not(None), OutboxMessage.discarded_at.is_(None))
        )
        or 0
    )


def dead_letters(limit: int = 200) -> list[OutboxMessage]:
    """The dead-lettered messages, newest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dead_at.is_not(None), OutboxMessage.discarded_at.is_(None))
            .order_by(OutboxMessage.dead_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def _dead_letter(message_id: int) -> OutboxMessage | None:
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.state != "dead":
        return None
    return message


def retry_dead_letter(message_id: int) -> OutboxMessage | None:
    """Back to pending with its attempts reset; published after the caller's commit.
    None when it is not (or no longer) a dead letter. Flushes, never commits."""
    message = _dead_letter(message_id)
    if message is None:
        return None
    message.dead_at = None
    message.attempts = 0
    db.session.flush()
    _after_commit(message)
    return message


def discard_dead_letter(message_id: int) -> OutboxMessage | None:
    """Marks a dead letter discarded (never sent; the row stays for the record). None when it
    is not (or no longer) a dead letter. Flushes, never commits."""
    message = _dead_letter(message_id)
    if message is None:
        return None
    message.discarded_at = utcnow()
    db.session.flush()
    return message


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        # a SAVEPOINT was released (SQLAlchemy sends after_commit for it too): the rows are
        # not committed yet, so publishing now would find nothing and drop the message
        return
    pending: list[_Unsent] | None = session.info.pop(_PENDING_KEY, None)
    if pending:
        _send(
            [
                (message_id, unsent.task_name, unsent.args, unsent.attempts)
                for unsent in pending
                if (message_id := unsent.id) is not None
            ]
        )


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
