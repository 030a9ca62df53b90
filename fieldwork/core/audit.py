"""Record reads and changes of personal data. Joins the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from fieldwork.core.models import AuditEvent
from fieldwork.core.permissions import acting_user_id
from fieldwork.extensions import db


def record_audit(
    action: str,
    subject_type: str,
    subject_id: object = None,
    user_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit makes it durable."""
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        user_id=user_id
        if user_id is not None
        else (acting_user_id() if has_request_context() else None),
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
