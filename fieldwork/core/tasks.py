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
