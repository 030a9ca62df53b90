"""Notifications' part of the reconciliation sweep (fieldwork.core.reconcile): an e-mail not
sent (and not failed) a few minutes after its notification was made is sent again.

Idempotent: ``send_email`` locks the notification and skips one with ``emailed_at`` set. (A
worker killed between the SMTP hand-over and the commit may send a mail twice; it cannot be
made exactly-once over SMTP. A notification with ``email_error`` was refused for good or its
task's retries ran out, and is not sent again here: it waits on the "Storingen" page. An
attempt that failed and will be retried writes no error, so a lost retry is found here.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from fieldwork.core.reconcile import BATCH
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification


def unsent_emails(cutoff: datetime) -> list[list[Any]]:
    if not current_app.config.get("MAIL_SERVER"):
        return []  # inbox only: nothing to send
    return [
        [notification_id]
        for notification_id in db.session.scalars(
            select(Notification.id)
            .where(
                Notification.emailed_at.is_(None),
                Notification.email_error.is_(None),
                Notification.created_at <= cutoff,
            )
            .order_by(Notification.id)
            .limit(BATCH)
        )
    ]
