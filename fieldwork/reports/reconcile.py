"""Reports' part of the reconciliation sweep (fieldwork.core.reconcile): indicator imports
and neighbourhood reports still waiting a few minutes after they were asked for (or cut off
while "running"), and captures (visits, calls, cards, photos) not yet counted into the
rollups.

Idempotent: ``run_indicator_import`` leaves a done or failed job alone (the values are
upserted on their unique key); ``render_report_job`` locks the report and leaves a done one
alone; ``count_capture`` adds the capture to the ``rollup_counted`` ledger (primary key kind +
id) first and counts nothing when it is already there."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from fieldwork.core.reconcile import BATCH, stalled_jobs
from fieldwork.extensions import db
from fieldwork.reports.models import IndicatorImport, NeighbourhoodReport, RollupCounted
from fieldwork.reports.rollups import CAPTURES


def unread_indicator_imports(cutoff: datetime) -> list[list[Any]]:
    return stalled_jobs(
        IndicatorImport.id,
        IndicatorImport.status,
        IndicatorImport.created_at,
        cutoff,
        None,
        IndicatorImport.data.is_not(None),
    )


def unrendered_reports(cutoff: datetime) -> list[list[Any]]:
    return stalled_jobs(
        NeighbourhoodReport.id, NeighbourhoodReport.status, NeighbourhoodReport.created_at, cutoff
    )


def uncounted_captures(cutoff: datetime) -> list[list[Any]]:
    """Captures the rollups' own query sees (id, neighbourhood, moment, …) that are not in
    the ledger: their count_capture task was lost (or never sent, for captures from before)."""
    found: list[list[Any]] = []
    for kind, capture in CAPTURES.items():
        rows = capture.rows().subquery()
        columns = list(rows.c)  # (id, neighbourhood, moment, …)
        source_id, moment = columns[0], columns[2]
        counted = select(RollupCounted.source_id).where(RollupCounted.kind == kind)
        found += [
            [kind, found_id]
            for found_id in db.session.scalars(
                select(source_id)
                .distinct()
                .where(moment <= cutoff, source_id.not_in(counted))
                .order_by(source_id)
                .limit(BATCH - len(found))
            )
        ]
        if len(found) >= BATCH:
            break
    return found
