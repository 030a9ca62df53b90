"""Visits' part of the reconciliation sweep (fieldwork.core.reconcile): an uploaded target
list still waiting a few minutes after the upload (or cut off while "running") is read again.

Idempotent: ``run_import`` leaves a done or failed import alone; one cut off while running
counts the addresses it already stored as accepted again, not as duplicates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fieldwork.core.reconcile import stalled_jobs
from fieldwork.visits.models import VisitImport


def unread_imports(cutoff: datetime) -> list[list[Any]]:
    return stalled_jobs(
        VisitImport.id,
        VisitImport.status,
        VisitImport.created_at,
        cutoff,
        None,
        VisitImport.data.is_not(None),
    )
