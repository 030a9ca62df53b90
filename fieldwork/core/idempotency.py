"""Idempotency-Key for capture POSTs: the same key again returns the first response and
stores nothing new (a double tap, a retry on a flaky phone connection)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, jsonify, request
from flask_smorest import abort
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db

#: The header in the OpenAPI document of every POST that takes it.
KEY_PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": "Idempotency-Key",
    "schema": {"type": "string", "maxLength": 200},
    "required": False,
}


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replay(stored: IdempotencyKey, request_hash: str) -> Response:
    if stored.request_hash != request_hash or stored.endpoint != request.path:
        abort(
            422,
            message="This Idempotency-Key was already used for a different request.",
            errors={"Idempotency-Key": ["Use a new key for a new request."]},
        )
    response = jsonify(stored.response)
    response.status_code = stored.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _replay_the_winner(user_id: int, key: str, request_hash: str, error: Exception) -> Response:
    """After losing a race to the same key: roll back and answer as the request that won
    did; raise ``error`` when there is no such answer."""
    db.session.rollback()
    stored = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if stored is None:
        raise error
    return _replay(stored, request_hash)


def idempotent(
    user_id: int, payload: Any, create: Callable[[], tuple[dict[str, Any], int]]
) -> Response:
    """Run ``create`` (which flushes, never commits) at most once per Idempotency-Key and
    commit its result together with the stored response."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > 200:
        abort(
            422,
            message="Idempotency-Key is too long.",
            errors={"Idempotency-Key": ["At most 200 characters."]},
        )
    request_hash = _request_hash(payload)
    if key:
        stored = db.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        if stored is not None:
            return _replay(stored, request_hash)
    try:
        body, status = create()
    except HTTPException as exc:
        # A retry that arrived while the first request with this key was still running waits
        # for it and then conflicts (the card is filed): answer as the first request did.
        if not key or exc.code != 409:
            raise
        return _replay_the_winner(user_id, key, request_hash, exc)
    if key:
        db.session.add(
            IdempotencyKey(
                user_id=user_id,
                key=key,
                endpoint=request.path,
                request_hash=request_hash,
                status_code=status,
                response=body,
            )
        )
    try:
        db.session.commit()
    except IntegrityError as exc:
        # The same key arrived twice at once: the other request won; answer as it did.
        return _replay_the_winner(user_id, key, request_hash, exc)
    response = jsonify(body)
    response.status_code = status
    return response
