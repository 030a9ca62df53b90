"""Referral cards' part of the reconciliation sweep (fieldwork.core.reconcile): a series
whose printable PDF is still waiting a few minutes after it was made (or was cut off while
"running") is rendered again.

Idempotent: the task leaves a series whose PDF is "done" alone and otherwise renders it from
the start; the PDF is kept per series (one row, merged)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from fieldwork.core.reconcile import BATCH, running_cutoff
from fieldwork.extensions import db
from fieldwork.referrals.models import CardSeries


def unprinted_series(cutoff: datetime) -> list[list[Any]]:
    return [
        [series_id]
        for series_id in db.session.scalars(
            select(CardSeries.id)
            .where(
                or_(
                    and_(CardSeries.pdf_status == "pending", CardSeries.created_at <= cutoff),
                    and_(
                        CardSeries.pdf_status == "running",
                        CardSeries.pdf_started_at <= running_cutoff(cutoff),
                    ),
                )
            )
            .order_by(CardSeries.id)
            .limit(BATCH)
        )
    ]
