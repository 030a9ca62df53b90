"""/api/v1/neighbours: the coordinator's list of caring neighbours, and pausing, taking up
again or ending a neighbour's role."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint, abort

from fieldwork.areas.services import get_municipality
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.neighbours import services
from fieldwork.neighbours.models import CaringNeighbour
from fieldwork.neighbours.schemas import (
    NeighbourListSchema,
    NeighbourPatchSchema,
    NeighbourQuerySchema,
    NeighbourSchema,
)
from fieldwork.neighbours.services import NeighbourError

bp = Blueprint("api_neighbours", __name__, url_prefix="/api/v1", description="Caring neighbours")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def neighbour_body(neighbour: CaringNeighbour, filed: int) -> dict[str, Any]:
    return {
        "id": neighbour.id,
        "name": neighbour.name,
        "municipality": neighbour.municipality.code,
        "neighbourhood_id": neighbour.neighbourhood_id,
        "neighbourhood": neighbour.neighbourhood.name,
        "streets": neighbour.street_names,
        "can_do": list(neighbour.can_do or []),
        "can_do_note": neighbour.can_do_note,
        "email": neighbour.email,
        "phone": neighbour.phone,
        "status": neighbour.status,
        "joined_via": neighbour.joined_via,
        "joined_at": neighbour.created_at,
        "data_consent_at": neighbour.data_consent_at,
        "consent_text_version": neighbour.consent_text.version,
        "signals_filed": filed,
    }


@bp.get("/neighbours")
@api_roles(Role.COORDINATOR)
@bp.arguments(NeighbourQuerySchema, location="query")
@bp.response(200, NeighbourListSchema)
@bp.doc(security=BEARER)
def get_neighbours(query: dict[str, Any]) -> dict[str, Any]:
    """The caring neighbours, by municipality, neighbourhood or status."""
    municipality = None
    if query.get("gemeente"):
        municipality = get_municipality(query["gemeente"])
        if municipality is None:
            abort(
                422,
                message="This municipality has not been imported.",
                errors={"gemeente": ["Not imported."]},
            )
    found = services.neighbours_list(
        municipality, query.get("neighbourhood_id"), query.get("status")
    )
    filed = services.signals_filed_counts([n.id for n in found])
    record_audit("caring_neighbours_listed", "caring_neighbour", None, count=len(found))
    db.session.commit()
    return {
        "neighbours": [neighbour_body(n, filed.get(n.id, 0)) for n in found],
        "total": len(found),
    }


@bp.patch("/neighbours/<int:neighbour_id>")
@api_roles(Role.COORDINATOR)
@bp.arguments(NeighbourPatchSchema)
@bp.response(200, NeighbourSchema)
@bp.doc(security=BEARER)
def patch_neighbour(payload: dict[str, Any], neighbour_id: int) -> dict[str, Any]:
    """Pause, take up again or end the role: a paused or ended neighbour's link, code and
    session stop working at once."""
    neighbour = db.session.get(CaringNeighbour, neighbour_id)
    if neighbour is None:
        abort(404, message="No such caring neighbour.")
    try:
        changed = services.change_status(neighbour, payload["status"])
    except NeighbourError as exc:
        refuse(exc)
    if changed:
        record_audit(
            "caring_neighbour_status", "caring_neighbour", neighbour.id, status=neighbour.status
        )
    db.session.commit()
    return neighbour_body(
        neighbour, services.signals_filed_counts([neighbour.id]).get(neighbour.id, 0)
    )
