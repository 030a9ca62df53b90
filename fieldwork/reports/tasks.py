"""The worker makes the printable neighbourhood report."""

from __future__ import annotations

from celery import Task, shared_task
from sqlalchemy.exc import IntegrityError

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


@shared_task(name="reports.import_indicators", bind=True, max_retries=3)
def import_indicators(self: Task, job_id: int) -> str:
    """Read one uploaded indicator file. Another import storing the same figures at the same
    moment makes this one try again (it then updates what the other added)."""
    from fieldwork.reports.indicators import fail_indicator_import, run_indicator_import

    try:
        job = run_indicator_import(job_id)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if self.request.retries >= (self.max_retries or 0):
            status = fail_indicator_import(job_id, str(exc.orig))
            db.session.commit()
            return status
        raise self.retry(exc=exc, countdown=2) from exc
    except Exception as exc:  # never leave the page waiting for a job that will not end
        db.session.rollback()
        fail_indicator_import(job_id, f"{type(exc).__name__}: {exc}")
        db.session.commit()
        raise
    return job.status if job is not None else "gone"
