"""/api/v1/residents/<id>/export: the access request as JSON, for the coordinator only."""

from __future__ import annotations

from flask import Response, jsonify
from flask_smorest import Blueprint, abort

from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.privacy.export import resident_export

bp = Blueprint(
    "api_privacy", __name__, url_prefix="/api/v1", description="Access requests (GDPR art. 15)"
)
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@bp.get("/residents/<int:resident_id>/export")
@api_roles(Role.COORDINATOR)
@bp.doc(security=BEARER)
def export_resident(resident_id: int) -> Response:
    """Everything the system holds about one resident: the resident, consents with their
    texts, signals, cases with their timeline, visits, calls, buurtgezel requests and
    matches, referral cards and linked photos. The export itself is audited."""
    data = resident_export(resident_id)
    if data is None:
        abort(404, message="No such resident.")
    record_audit("resident_exported", "resident", resident_id, format="json")
    db.session.commit()
    return jsonify(data)
