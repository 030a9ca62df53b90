"""GET /healthz: database and broker status, for load balancers and the IT person."""

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


@bp.get("/healthz")
@public
def healthz() -> Any:
    status = {"database": database_status(), "broker": broker_status()}
    healthy = all(part["ok"] for part in status.values())
    return jsonify({"status": "ok" if healthy else "degraded", **status}), 200 if healthy else 503
