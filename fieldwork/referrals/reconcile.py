"""Referral cards' part of the reconciliation sweep (fieldwork.core.reconcile): a series
whose printable PDF is still waiting a few minutes after it was made (or was cut off while
"running") is rendered again.

Idempotent: the task leaves a series whose PDF is "done" alone and otherwise renders it from
the start; the PDF is kept per series (one row, merged)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fieldwork.core.reconcile import stalled_jobs
from fieldwork.referrals.models import CardSeries


def unprinted_series(cutoff: datetime) -> list[list[Any]]:
    return stalled_jobs(
        CardSeries.id,
        CardSeries.pdf_status,
        CardSeries.created_at,
        cutoff,
        CardSeries.pdf_started_at,
    )
