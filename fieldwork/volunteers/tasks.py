"""Buurtgezel follow-up reminders (Celery beat, hourly)."""

from __future__ import annotations

from celery import shared_task

from fieldwork.extensions import db
from fieldwork.volunteers.matching import send_follow_up_reminders


@shared_task(name="volunteers.match_follow_ups")
def match_follow_ups() -> int:
    sent = send_follow_up_reminders()
    db.session.commit()
    return sent
