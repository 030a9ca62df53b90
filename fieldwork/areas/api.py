"""/api/v1/areas and /api/v1/neighbourhoods."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint, abort

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.resolve import municipality_for_postcode, resolve, unlocatable_bucket
from fieldwork.areas.schemas import (
    NeighbourhoodQuerySchema,
    NeighbourhoodSchema,
    NeighbourhoodUpdateSchema,
    ResolutionSchema,
    ResolveQuerySchema,
)
from fieldwork.areas.services import (
    AreaError,
    get_municipality,
    move_sectors,
    neighbourhoods_of,
    rename_neighbourhood,
)
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db

bp = Blueprint("api_areas", __name__, url_prefix="/api/v1", description="Areas and neighbourhoods")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@bp.get("/areas/resolve")
@api_roles()
@bp.arguments(ResolveQuerySchema, location="query")
@bp.response(200, ResolutionSchema)
@bp.alt_response(404, description="Outside every imported area")
@bp.doc(security=BEARER)
def resolve_area(args: dict[str, Any]) -> dict[str, Any]:
    """Resolve a sector code, a point or a street to its neighbourhood."""
    found = resolve(
        statsec=args.get("statsec"),
        lat=args.get("lat"),
        lon=args.get("lon"),
        street=args.get("street"),
        postcode=args.get("postcode"),
    )
    if found is None and args.get("postcode"):
        municipality = municipality_for_postcode(args["postcode"])
        if municipality is not None:
            found = unlocatable_bucket(municipality)
    if found is None:
        abort(404, message="This location is not inside any imported area.")
    return found.as_dict()


@bp.get("/neighbourhoods")
@api_roles()
@bp.arguments(NeighbourhoodQuerySchema, location="query")
@bp.response(200, NeighbourhoodSchema(many=True))
@bp.doc(security=BEARER)
def list_neighbourhoods(args: dict[str, str]) -> list[Neighbourhood]:
    """The neighbourhoods of one municipality, the unlocatable bucket last."""
    municipality = get_municipality(args["gemeente"])
    if municipality is None:
        abort(404, message=f"Municipality {args['gemeente']} has not been imported.")
    return neighbourhoods_of(municipality)


@bp.patch("/neighbourhoods/<int:neighbourhood_id>")
@api_roles(Role.COORDINATOR)
@bp.arguments(NeighbourhoodUpdateSchema)
@bp.response(200, NeighbourhoodSchema)
@bp.doc(security=BEARER)
def update_neighbourhood(changes: dict[str, Any], neighbourhood_id: int) -> Neighbourhood:
    """Rename a neighbourhood and/or move sectors into it (coordinator only)."""
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        abort(404, message="No such neighbourhood.")
    try:
        if "name" in changes:
            rename_neighbourhood(neighbourhood, changes["name"])
        if changes.get("add_sectors"):
            move_sectors(neighbourhood, changes["add_sectors"])
    except AreaError as exc:
        db.session.rollback()
        field = "add_sectors" if exc.field == "sectors" else exc.field
        abort(422, message=str(exc), errors={field: [str(exc)]})
    record_audit("neighbourhood_changed", "neighbourhood", neighbourhood.id, **changes)
    db.session.commit()
    return neighbourhood
