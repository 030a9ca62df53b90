from __future__ import annotations

import smtplib

from celery import Task, shared_task

from fieldwork.notifications.services import send_email as send_email_once


@shared_task(
    name="notifications.send_email",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=30,
    retry_backoff_max=240,  # below the broker's visibility timeout (README, "Workers")
    max_retries=10,
    bind=True,
)
def send_email(self: Task, notification_id: int) -> bool:
    """E-mail one notification (by id). Safe to run twice."""
    return send_email_once(
        notification_id, last_try=self.request.retries >= (self.max_retries or 0)
    )
