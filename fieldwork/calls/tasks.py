from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from fieldwork.calls.goodmorning import tick
from fieldwork.calls.importer import run_call_import
from fieldwork.extensions import db


@shared_task(name="calls.goodmorning_tick")
def goodmorning_tick() -> dict[str, int]:
    """Periodic (Celery beat, every minute): make today's good-morning calls and raise the
    alerts that are due. Also sent when a worker starts, so that days missed while no
    worker ran are caught up."""
    counts = tick()
    db.session.commit()
    return counts


@worker_ready.connect
def catch_up_on_start(sender: Any = None, **_kwargs: Any) -> None:
    if sender is not None:
        sender.app.send_task("calls.goodmorning_tick")


@shared_task(name="calls.import_list")
def import_list(import_id: int) -> int:
    """Read one uploaded call list (by id). Safe to run twice."""
    job = run_call_import(import_id)
    return job.accepted if job is not None else 0
