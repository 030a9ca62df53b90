"""The worker makes the printable neighbourhood report."""

from __future__ import annotations

from celery import shared_task

from fieldwork.extensions import db
from fieldwork.reports.analysis import render_report_job


@shared_task(name="reports.render_report")
def render_report(report_id: int) -> str:
    status = render_report_job(report_id)
    db.session.commit()
    return status


@shared_task(name="reports.rebuild_rollups")
def rebuild_rollups() -> int:
    """Nightly (Celery beat): the rollups rebuilt exactly from the source tables."""
    from fieldwork.reports.rollups import rebuild

    differed = rebuild()
    db.session.commit()
    return differed


@shared_task(name="reports.count_capture")
def count_capture(kind: str, source_id: int) -> bool:
    """After a visit, a call, a referral card or a photo: its counts into the rollups."""
    from fieldwork.reports.rollups import count_capture as count

    counted = count(kind, source_id)
    db.session.commit()
    return counted
