"""GET /healthz: database and broker status, for load balancers and the IT person; and the
outbox's dead letters, for the IT person and the coordinator."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from fieldwork.core.permissions import public
from fieldwork.extensions import db

bp = Blueprint("health", __name__)


def database_status() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "backend": db.engine.dialect.name, "error": type(exc).__name__}


def broker_status() -> dict[str, Any]:
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return {"ok": True, "backend": "eager", "detail": "tasks run in-process (no REDIS_URL)"}
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return {"ok": True, "backend": "redis"}
    except redis.RedisError as exc:
        return {"ok": False, "backend": "redis", "error": type(exc).__name__}


def outbox_status() -> dict[str, Any]:
    """Dead-lettered outbox messages and the other failures waiting on the "Storingen" page
    (e-mails refused for good, …): none, ok."""
    from fieldwork.core.failures import failure_counts
    from fieldwork.core.outbox import count_dead

    try:
        waiting = {"dead_letters": count_dead(), **failure_counts()}
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": not any(waiting.values()), **waiting}


@bp.get("/healthz")
@public
def healthz() -> Any:
    """``status`` is "degraded" when any part is not ok. The HTTP status is 503 only when this
    node cannot serve (database or broker down): dead letters need a person, not a load
    balancer taking every web node out — captures must still be accepted meanwhile."""
    status = {"database": database_status(), "broker": broker_status()}
    serving = all(part["ok"] for part in status.values())
    status["outbox"] = outbox_status() if status["database"]["ok"] else {"ok": False}
    healthy = all(part["ok"] for part in status.values())
    return jsonify({"status": "ok" if healthy else "degraded", **status}), 200 if serving else 503
