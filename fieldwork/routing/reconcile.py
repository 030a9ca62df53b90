"""Routing's part of the reconciliation sweep (fieldwork.core.reconcile): signals still
unrouted a few minutes after capture are routed again.

Idempotent: ``route_signal`` locks the signal and does nothing once ``routed_at`` is set, the
unique (signal, "routed") case event stops a concurrent twin, and a twin that lost the race
for the resident's first open case routes again into that case (``route_signal_once``);
notifications have a unique ``dedup_key``. So a re-enqueued signal makes one case, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from fieldwork.core.reconcile import BATCH
from fieldwork.extensions import db
from fieldwork.signals.models import Signal


def unrouted_signals(cutoff: datetime) -> list[list[Any]]:
    return [
        [signal_id]
        for signal_id in db.session.scalars(
            select(Signal.id)
            .where(Signal.routed_at.is_(None), Signal.created_at <= cutoff)
            .order_by(Signal.id)
            .limit(BATCH)
        )
    ]
