"""/api/v1/visits (the volunteer's phone) and /api/v1/visit-rounds (the coordinator)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request, url_for
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from fieldwork.areas.services import get_municipality
from fieldwork.auth.services import find_user_by_email
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.idempotency import KEY_PARAMETER, idempotent
from fieldwork.core.permissions import api_roles
from fieldwork.core.pictures import PictureError, decode_signature
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.visits.models import VisitAddress, VisitImport, VisitRound
from fieldwork.visits.schemas import (
    AssignedOutSchema,
    AssignInSchema,
    ImportSchema,
    MyVisitsSchema,
    PageQuerySchema,
    RoundAddressesSchema,
    RoundInSchema,
    RoundSchema,
    VisitCreatedSchema,
    VisitInSchema,
)
from fieldwork.visits.services import (
    Findings,
    VisitError,
    address_state,
    addresses_in_street,
    assign,
    create_round,
    my_open_addresses,
    open_address_for,
    record_visit,
    round_progress,
    unassign,
)

bp = Blueprint("api_visits", __name__, url_prefix="/api/v1", description="Visit rounds")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@bp.get("/visits/my")
@api_roles(Role.VOLUNTEER)
@bp.response(200, MyVisitsSchema)
@bp.doc(security=BEARER)
def my_visits() -> dict[str, Any]:
    """My open addresses, in walking order (street by street, one side up, the other back)."""
    items = my_open_addresses(g.api_user)
    record_audit("visit_list_viewed", "visit_address", None, ids=[a.id for a in items])
    db.session.commit()
    return {"items": items}


def findings_from(payload: dict[str, Any]) -> Findings:  # the API's JSON → the sheet
    return Findings(
        **{
            key: payload[key]
            for key in (
                "outcome",
                "themes",
                "info_given",
                "interests",
                "card_left",
                "wants_buurtgezel",
                "wants_to_volunteer",
                "wants_contact",
                "consent",
                "urgent",
                "note",
            )
        }
    )


@bp.post("/visits")
@api_roles(Role.VOLUNTEER)
@bp.arguments(VisitInSchema)
@bp.response(201, VisitCreatedSchema)
@bp.doc(
    security=BEARER,
    parameters=[KEY_PARAMETER],
)
def post_visit(payload: dict[str, Any]) -> Response:
    """A findings sheet for one of my addresses. Send an Idempotency-Key: a sheet sent twice
    from a flaky phone is stored once."""
    user = g.api_user

    def create() -> tuple[dict[str, Any], int]:
        try:
            address = open_address_for(user, payload["assignment_id"], lock=True)
            if payload.get("attempt") is not None and payload["attempt"] != address.attempts:
                raise VisitError("This visit was already recorded.", "attempt", 409)
            consent = payload["consent"]
            signature = (
                decode_signature(consent["signature"])
                if (consent.get("given") and consent.get("how") == "signature")
                else None
            )
            before = address_state(address)
            visit = record_visit(address, user, findings_from(payload))
            visit.signature_png = signature if visit.consent_id else None
        except (VisitError, PictureError) as exc:
            refuse(exc)
        record_audit(
            "visit_recorded",
            "visit_address",
            address.id,
            outcome=visit.outcome,
            visit_id=visit.id,
            before=before,
        )
        return {
            "id": visit.id,
            "assignment_id": address.id,
            "address_status": address.status,
            "attempts": address.attempts,
        }, 201

    return idempotent(user.id, payload, create)


def _round_or_404(round_id: int) -> VisitRound:
    visit_round = db.session.get(VisitRound, round_id)
    if visit_round is None:
        abort(404, message="No such visit round.")
    return visit_round


def round_body(visit_round: VisitRound) -> dict[str, Any]:
    return {
        "id": visit_round.id,
        "name": visit_round.name,
        "municipality": visit_round.municipality,
        "neighbourhoods": [n.name for n in visit_round.neighbourhoods],
        "starts_on": visit_round.starts_on,
        "ends_on": visit_round.ends_on,
        "max_attempts": visit_round.max_attempts,
        "info_material": visit_round.info_material,
        "progress": round_progress(visit_round),
    }


@bp.post("/visit-rounds")
@api_roles(Role.COORDINATOR)
@bp.arguments(RoundInSchema)
@bp.response(201, RoundSchema)
@bp.doc(security=BEARER)
def post_round(payload: dict[str, Any]) -> dict[str, Any]:
    """A visit round for one or more neighbourhoods of a municipality."""
    municipality = get_municipality(payload["gemeente"])
    if municipality is None:
        abort(
            422,
            message="This municipality has not been imported.",
            errors={"gemeente": ["Not imported."]},
        )
    try:
        visit_round = create_round(
            municipality,
            payload["name"],
            payload["neighbourhoods"],
            payload["starts_on"],
            payload["ends_on"],
            payload["info_material"],
            payload["max_attempts"],
            g.api_user,
        )
    except VisitError as exc:
        refuse(exc)
    record_audit("visit_round_created", "visit_round", visit_round.id)
    db.session.commit()
    return round_body(visit_round)


@bp.get("/visit-rounds/<int:round_id>")
@api_roles(Role.COORDINATOR)
@bp.response(200, RoundSchema)
@bp.doc(security=BEARER)
def get_round(round_id: int) -> dict[str, Any]:
    """A round with its progress per neighbourhood and per volunteer."""
    return round_body(_round_or_404(round_id))


@bp.post("/visit-rounds/<int:round_id>/imports")
@api_roles(Role.COORDINATOR)
@bp.response(202, ImportSchema)
@bp.doc(security=BEARER, description="multipart/form-data with the CSV as `file`")
def post_import(round_id: int) -> Response:
    """Import the target list (CSV from the population register) in the background."""
    from fieldwork.visits.importer import VisitImportError, start_import

    visit_round = _round_or_404(round_id)
    upload = request.files.get("file")
    if upload is None:
        abort(422, message="Send the CSV as the form field 'file'.", errors={"file": ["Missing."]})
    try:
        job = start_import(visit_round, upload.filename or "", upload.read(), g.api_user)
    except VisitImportError as exc:
        refuse(exc)
    record_audit("visit_import_started", "visit_round", visit_round.id, import_id=job.id)
    db.session.commit()
    response = Response(ImportSchema().dumps(job), status=202, mimetype="application/json")
    response.headers["Location"] = url_for("api_visits.get_import", import_id=job.id)
    return response


@bp.get("/visit-imports/<int:import_id>")
@api_roles(Role.COORDINATOR)
@bp.response(200, ImportSchema)
@bp.doc(security=BEARER)
def get_import(import_id: int) -> VisitImport:
    """An import's progress and its report: rejected rows (line, reason), duplicates,
    addresses that could not be placed."""
    job = db.session.get(VisitImport, import_id)
    if job is None:
        abort(404, message="No such import.")
    return job


@bp.post("/visit-rounds/<int:round_id>/assignments")
@api_roles(Role.COORDINATOR)
@bp.arguments(AssignInSchema)
@bp.response(200, AssignedOutSchema)
@bp.doc(security=BEARER)
def post_assignments(payload: dict[str, Any], round_id: int) -> dict[str, Any]:
    """Give a street (all its open addresses) or chosen addresses to a volunteer or a pair;
    assigning again reassigns."""
    visit_round = _round_or_404(round_id)
    volunteer = find_user_by_email(payload["volunteer"]) if payload["volunteer"] else None
    partner = find_user_by_email(payload["partner"]) if payload.get("partner") else None
    if (payload["volunteer"] and volunteer is None) or (payload.get("partner") and partner is None):
        abort(422, message="Unknown volunteer.", errors={"volunteer": ["No such account."]})
    if payload.get("street"):
        addresses = addresses_in_street(visit_round, payload["street"])
    else:
        addresses = list(
            db.session.scalars(
                select(VisitAddress).where(
                    VisitAddress.round_id == visit_round.id,
                    VisitAddress.id.in_(payload["address_ids"]),
                )
            )
        )
    if not addresses:
        abort(422, message="No addresses of this round match.", errors={"street": ["None."]})
    try:
        count = assign(addresses, volunteer, partner) if volunteer else unassign(addresses)
    except VisitError as exc:
        refuse(exc)
    record_audit(
        "visit_addresses_assigned",
        "visit_round",
        visit_round.id,
        to_user=volunteer.id if volunteer else None,
        count=count,
    )
    db.session.commit()
    return {"assigned": count} if volunteer else {"unassigned": count}


ADDRESS_PAGE = 500


@bp.get("/visit-rounds/<int:round_id>/addresses")
@api_roles(Role.COORDINATOR)
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, RoundAddressesSchema)
@bp.doc(security=BEARER)
def get_addresses(args: dict[str, Any], round_id: int) -> dict[str, Any]:
    """The round's target list, 500 a page (ids for assigning by hand), in walking order."""
    from fieldwork.areas.streets import street_key

    visit_round = _round_or_404(round_id)
    query = select(VisitAddress).where(VisitAddress.round_id == visit_round.id)
    if args.get("street"):
        query = query.where(VisitAddress.street_key == street_key(args["street"]))
    rows = list(
        db.session.scalars(
            query.order_by(VisitAddress.street_key, VisitAddress.id)
            .offset((args["page"] - 1) * ADDRESS_PAGE)
            .limit(ADDRESS_PAGE + 1)
        )
    )
    record_audit("visit_addresses_viewed", "visit_round", round_id, count=len(rows))
    db.session.commit()
    return {"items": rows[:ADDRESS_PAGE], "page": args["page"], "more": len(rows) > ADDRESS_PAGE}
