"""Side effects after commit, through an outbox table.

``enqueue_after_commit(task_name, *ids)`` writes an outbox row in the caller's transaction;
once that transaction commits, the row is published to Celery. If the broker is down the row
stays unsent and the periodic ``fieldwork.core.flush_outbox`` task publishes it later —
the capture is durable before any message is sent, and nothing is lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Integer, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db

log = logging.getLogger(__name__)
_PENDING_KEY = "fieldwork_outbox_pending"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(120))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


def enqueue_after_commit(task_name: str, *args: Any) -> OutboxMessage:
    message = OutboxMessage(task_name=task_name, args=list(args))
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append(message.id)
    return message


def publish(message_ids: list[int]) -> int:
    """Send the given outbox rows to Celery; mark each sent. Returns how many were sent."""
    celery = current_app.extensions["celery"]
    sent = 0
    for message_id in message_ids:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(OutboxMessage.task_name, OutboxMessage.args, OutboxMessage.sent_at).where(
                    OutboxMessage.id == message_id
                )
            ).one_or_none()
        if row is None or row.sent_at is not None:
            continue
        values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1}
        try:
            # retry=False: fail fast when the broker is down; the periodic flush re-sends.
            celery.tasks[row.task_name].apply_async(args=row.args, retry=False, ignore_result=True)
            values["sent_at"] = utcnow()
            sent += 1
        except Exception as exc:
            log.warning("outbox %s not published: %s", message_id, exc)
            values["last_error"] = f"{type(exc).__name__}: {exc}"[:2000]
        with db.engine.begin() as conn:
            conn.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
            )
    return sent


def unsent_ids(older_than: timedelta = timedelta(seconds=0)) -> list[int]:
    cutoff = utcnow() - older_than
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at <= cutoff)
            .order_by(OutboxMessage.id)
            .limit(500)
        )
    )


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
