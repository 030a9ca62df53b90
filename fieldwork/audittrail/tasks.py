from __future__ import annotations

from celery import shared_task

from fieldwork.core.audit import seal_events
from fieldwork.extensions import db


@shared_task(name="audittrail.seal")
def seal() -> int:
    """Periodic (Celery beat): seal the audit events committed since the last run."""
    sealed = seal_events().sealed
    db.session.commit()
    return sealed
