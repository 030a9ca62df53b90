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
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Integer, String, Text, event, func, select, update
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
    Raises :class:`UnknownTask` (nothing written) for a name that is not a Celery task."""
    if task_name not in _celery().tasks:
        raise UnknownTask(
            f"{task_name!r} is not a registered Celery task: "
            "check the name in the task's @shared_task(name=...)"
        )
    message = OutboxMessage(task_name=task_name, args=list(args))
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append(message.id)
    return message


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
    """Send the given outbox rows to Celery; mark each sent, or count its failed attempt and
    dead-letter it after ``OUTBOX_MAX_ATTEMPTS``. Returns how many were sent."""
    celery = _celery()
    limit = max_attempts()
    sent = 0
    for message_id in message_ids:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(
                    OutboxMessage.task_name,
                    OutboxMessage.args,
                    OutboxMessage.sent_at,
                    OutboxMessage.dead_at,
                    OutboxMessage.discarded_at,
                    OutboxMessage.attempts,
                ).where(OutboxMessage.id == message_id)
            ).one_or_none()
        if row is None or any((row.sent_at, row.dead_at, row.discarded_at)):
            continue
        now = utcnow()
        values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1}
        broker_down = False
        task = celery.tasks.get(row.task_name)
        if task is None:
            log.error("outbox %s dead-lettered: unknown task %r", message_id, row.task_name)
            values.update(
                last_error=f"UnknownTask: {row.task_name!r} is not a registered Celery task",
                last_attempt_at=now,
                dead_at=now,
            )
        else:
            try:
                # retry=False: fail fast when the broker is down; the periodic flush re-sends.
                task.apply_async(args=row.args, retry=False, ignore_result=True)
                values["sent_at"] = utcnow()
                sent += 1
            except Exception as exc:
                values.update(last_error=_error_text(exc), last_attempt_at=now)
                if _broker_unreachable(exc):
                    log.warning("outbox %s not published, broker unreachable: %s", message_id, exc)
                    broker_down = True
                    del values["attempts"]
                elif row.attempts + 1 >= limit:
                    log.error(
                        "outbox %s dead-lettered after %d attempts: %s",
                        message_id,
                        row.attempts + 1,
                        exc,
                    )
                    values["dead_at"] = now
                else:
                    log.warning("outbox %s not published: %s", message_id, exc)
        with db.engine.begin() as conn:
            conn.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
            )
        if broker_down:
            break  # the rest would wait for the same timeout; the next flush sends them
    return sent


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
    db.session.info.setdefault(_PENDING_KEY, []).append(message.id)
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
    pending = session.info.pop(_PENDING_KEY, None)
    if pending:
        publish(pending)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
