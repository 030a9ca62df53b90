from __future__ import annotations

from celery import shared_task

from fieldwork.cases.deadlines import check_deadlines as check
from fieldwork.db import utcnow
from fieldwork.extensions import db


@shared_task(name="cases.check_deadlines")
def check_deadlines() -> dict[str, int]:
    """Periodic (Celery beat): reminders and escalations for first-contact deadlines."""
    counts = check(utcnow())
    db.session.commit()
    return counts
