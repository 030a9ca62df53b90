"""Visits' part of the reconciliation sweep (fieldwork.core.reconcile): an uploaded target
list still waiting a few minutes after the upload (or cut off while "running") is read again.

Idempotent: ``run_import`` leaves a done or failed import alone; one cut off while running
counts the addresses it already stored as accepted again, not as duplicates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from fieldwork.core.reconcile import BATCH, running_cutoff
from fieldwork.extensions import db
from fieldwork.visits.models import VisitImport


def unread_imports(cutoff: datetime) -> list[list[Any]]:
    return [
        [import_id]
        for import_id in db.session.scalars(
            select(VisitImport.id)
            .where(
                VisitImport.data.is_not(None),
                or_(
                    and_(VisitImport.status == "pending", VisitImport.created_at <= cutoff),
                    and_(
                        VisitImport.status == "running",
                        VisitImport.created_at <= running_cutoff(cutoff),
                    ),
                ),
            )
            .order_by(VisitImport.id)
            .limit(BATCH)
        )
    ]
