"""Trivial task used by the health check and the worker round-trip test."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import func, select

from fieldwork.extensions import db


@shared_task(name="fieldwork.core.ping")
def ping(token: str) -> dict[str, object]:
    """Echo ``token`` with what this worker sees: its database backend and area counts."""
    from fieldwork.areas.models import Neighbourhood

    count = db.session.scalar(select(func.count()).select_from(Neighbourhood))
    return {"pong": token, "database": db.engine.dialect.name, "neighbourhoods": count}


@shared_task(name="fieldwork.core.flush_outbox")
def flush_outbox(min_age_seconds: int = 30) -> int:
    """Publish outbox rows that were not sent after their commit (broker was down)."""
    from datetime import timedelta

    from fieldwork.core.outbox import publish, unsent_ids

    return publish(unsent_ids(timedelta(seconds=min_age_seconds)))
