"""POST /api/v1/residents/<id>/erasure: a coordinator erases a resident."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, g, jsonify
from flask_smorest import Blueprint

from fieldwork.core.errors import refuse
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.privacy.erasure import ErasureError, erase_resident
from fieldwork.privacy.ledger import REASONS

bp = Blueprint(
    "api_privacy_erasure", __name__, url_prefix="/api/v1", description="Erasure of a resident"
)
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class ErasureInSchema(ma.Schema):
    reason = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(REASONS),
        metadata={"description": "why: a code, never free text (it could name the person)"},
    )


class ErasureOutSchema(ma.Schema):
    resident_id = ma.fields.Integer()
    reason = ma.fields.String()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


@bp.post("/residents/<int:resident_id>/erasure")
@api_roles(Role.COORDINATOR)
@bp.arguments(ErasureInSchema)
@bp.response(201, ErasureOutSchema)
@bp.doc(security=BEARER)
def post_erasure(data: dict[str, Any], resident_id: int) -> Response:
    """Erase every personal field of this resident in every table and stored file; the rows,
    and so every count, stay. Written to the erasure ledger (ids and the reason code)."""
    try:
        erased = erase_resident(resident_id, g.api_user.id, data["reason"])
    except ErasureError as exc:
        refuse(exc)
    db.session.commit()
    body = {"resident_id": resident_id, "reason": data["reason"], "counts": erased.counts}
    response = jsonify(ErasureOutSchema().dump(body))
    response.status_code = 201
    return response
