"""Trivial task used by the health check and the worker round-trip test."""

from __future__ import annotations

from celery import shared_task

from fieldwork.core.hooks import worker_ping
from fieldwork.extensions import db


@shared_task(name="fieldwork.core.ping")
def ping(token: str) -> dict[str, object]:
    """Echo ``token`` with what this worker sees: its database backend and the counts the
    packages answer to the ``worker-ping`` hook (areas: neighbourhoods)."""
    pong: dict[str, object] = {"pong": token, "database": db.engine.dialect.name}
    for _receiver, counts in worker_ping.send(None):
        pong.update(counts)
    return pong


@shared_task(name="fieldwork.core.flush_outbox")
def flush_outbox(min_age_seconds: int = 30) -> int:
    """Publish outbox rows that were not sent after their commit (broker was down); a row
    that keeps failing is dead-lettered after ``OUTBOX_MAX_ATTEMPTS`` (see core/outbox.py)."""
    from datetime import timedelta

    from fieldwork.core.outbox import publish, unsent_ids

    return publish(unsent_ids(timedelta(seconds=min_age_seconds)))


@shared_task(name="fieldwork.core.reconcile")
def reconcile_effects() -> dict[str, int]:
    """Re-enqueue every effect still missing a few minutes after its capture (a message lost
    by the broker or with a killed worker); see fieldwork.core.reconcile. Idempotent."""
    from fieldwork.core.reconcile import reconcile

    results = reconcile()
    db.session.commit()
    return {name: result.enqueued for name, result in results.items()}
