"""/api/v1/signals: manual intake and the filer's status view."""

from __future__ import annotations

from typing import Any

from flask import Response, g, url_for
from flask_smorest import Blueprint, abort

from fieldwork.core.audit import record_audit
from fieldwork.core.idempotency import KEY_PARAMETER, idempotent
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.signals.hooks import case_view
from fieldwork.signals.models import Signal
from fieldwork.signals.schemas import SignalCreatedSchema, SignalInSchema, SignalStatusSchema
from fieldwork.signals.services import SignalError, create_signal, signal_status

bp = Blueprint("api_signals", __name__, url_prefix="/api/v1", description="Signals")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@bp.post("/signals")
@api_roles(Role.CONTACT_PERSON, Role.COORDINATOR)
@bp.arguments(SignalInSchema)
@bp.response(201, SignalCreatedSchema)
@bp.doc(
    security=BEARER,
    parameters=[KEY_PARAMETER],
)
def post_signal(payload: dict[str, Any]) -> Response:
    """Manual intake: a signal received by phone or at the desk. Routed in the background."""
    user = g.api_user

    def create() -> tuple[dict[str, Any], int]:
        try:
            signal = create_signal(payload, user)
        except SignalError as exc:
            db.session.rollback()
            abort(422, message=str(exc), errors={exc.field: [str(exc)]})
        record_audit("signal_created", "signal", signal.id)
        return {
            "id": signal.id,
            "status_url": url_for("api_signals.get_status", signal_id=signal.id),
        }, 201

    return idempotent(user.id, payload, create)


@bp.get("/signals/<int:signal_id>/status")
@api_roles()
@bp.response(200, SignalStatusSchema)
@bp.doc(security=BEARER)
def get_status(signal_id: int) -> dict[str, Any]:
    """Status for whoever filed the signal; staff also see the case and the routing reason."""
    signal = db.session.get(Signal, signal_id)
    user = g.api_user
    case = case_view(signal, user) if signal is not None else None  # cases answers
    is_staff = case.visible if case is not None else user.role == "coordinator"
    if signal is None or not (is_staff or signal.filed_by_id == user.id):
        abort(404, message="No such signal.")
    body: dict[str, Any] = {"status": signal_status(signal, case)}
    if is_staff:
        if signal.case_id is not None:
            body["case_id"] = signal.case_id
        if signal.routing_reason:
            body["routing_reason"] = signal.routing_reason
    return body
