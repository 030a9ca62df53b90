from __future__ import annotations

from celery import shared_task

from fieldwork.visits.importer import run_import


@shared_task(name="visits.import_targets")
def import_targets(import_id: int) -> int:
    """Read one uploaded target list (by id). Safe to run twice."""
    job = run_import(import_id)
    return job.accepted if job is not None else 0
