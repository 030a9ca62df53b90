"""/api/v1/residents/<id>/export: the access request as JSON, for the coordinator only."""

from __future__ import annotations

import marshmallow as ma
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


def _records(description: str) -> ma.fields.List:
    return ma.fields.List(ma.fields.Dict(), metadata={"description": description})


class ResidentExportSchema(ma.Schema):
    """Every stored column of every row, by section; times in ISO 8601, images base64."""

    resident = ma.fields.Dict(metadata={"description": "the resident and their neighbourhood"})
    consents = _records("consent records, each with the consent text the resident agreed to")
    signals = _records("every signal about the resident")
    cases = _records("cases, each with its timeline under 'events'")
    visits = _records("places on visit target lists, each with its findings sheets")
    calls = _records("places on call lists, each with its call attempts")
    goodmorning = _records("good-morning schedules with their calls and attempts")
    buurtgezel = _records("buurtgezel requests, each with its matches")
    referrals = _records("referral card submissions linked to the resident's signals")
    photos = _records("photos linked to the resident's signals")
    onward = _records(
        "referrals onward to a partner: partner, service, purpose, the summary shared, answers"
    )


@bp.get("/residents/<int:resident_id>/export")
@api_roles(Role.COORDINATOR)
@bp.response(200, ResidentExportSchema)
@bp.doc(security=BEARER)
def export_resident(resident_id: int) -> Response:
    """Everything the system holds about one resident: the resident, consents with their
    texts, signals, cases with their timeline, visits, calls, buurtgezel requests and
    matches, referral cards, linked photos and referrals onward. The export itself is
    audited."""
    data = resident_export(resident_id)
    if data is None:
        abort(404, message="No such resident.")
    record_audit("resident_exported", "resident", resident_id, format="json")
    db.session.commit()
    return jsonify(data)
