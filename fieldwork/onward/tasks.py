from __future__ import annotations

from celery import shared_task

from fieldwork.extensions import db
from fieldwork.onward.services import remind_due


@shared_task(name="onward.remind")
def remind_task() -> int:
    """Beat, hourly: partners reminded of referrals left unanswered (once per period)."""
    reminded = remind_due()
    db.session.commit()
    return reminded
