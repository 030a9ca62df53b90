"""Calls' part of the reconciliation sweep (fieldwork.core.reconcile): an uploaded call list
still waiting a few minutes after the upload is read again.

Idempotent: ``run_call_import`` leaves a done or failed import alone, and reads a list in one
transaction, so one cut off half-way stored nothing and is simply read again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fieldwork.calls.models import CallImport
from fieldwork.core.reconcile import stalled_jobs


def unread_call_lists(cutoff: datetime) -> list[list[Any]]:
    return stalled_jobs(
        CallImport.id,
        CallImport.status,
        CallImport.created_at,
        cutoff,
        None,
        CallImport.data.is_not(None),
    )
