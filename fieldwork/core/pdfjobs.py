"""A PDF made by the worker into its own row (an info card, a printed plan): made once,
marked running while it is made, failed with the reason, done with the bytes. The reconciliation
sweep (fieldwork.core.reconcile.stalled_jobs) re-sends a job left pending or running."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fieldwork.db import utcnow
from fieldwork.extensions import db

Job = TypeVar("Job")


def render_once(model: type[Job], job_id: int, render: Callable[[Job], bytes]) -> bool:
    """Make the job's PDF; a finished job is left alone (the task may run twice). The row
    needs ``status``, ``data``, ``error`` and ``finished_at``."""
    job: Any = db.session.get(model, job_id)
    if job is None or job.status == "done":
        return False
    job.status = "running"
    db.session.commit()
    try:
        job.data = render(job)
    except Exception as exc:
        db.session.rollback()
        job = db.session.get_one(model, job_id)
        job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise
    job.status, job.finished_at, job.error = "done", utcnow(), None
    db.session.commit()
    return True
