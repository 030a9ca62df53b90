"""/api/v1/buurtgezel: requests, suggestions and matches (the contact person), and a
volunteer's own matches."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Response, g
from flask_smorest import Blueprint, abort

from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.idempotency import KEY_PARAMETER, idempotent
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.signals.models import Resident, Signal
from fieldwork.volunteers import matching
from fieldwork.volunteers.gate import VolunteerError
from fieldwork.volunteers.matching_schemas import (
    BuurtgezelMatchInSchema,
    BuurtgezelMatchSchema,
    BuurtgezelRequestInSchema,
    BuurtgezelRequestSchema,
    BuurtgezelRequestsSchema,
    FollowUpInSchema,
    MyMatchesSchema,
    OtherSolutionInSchema,
    RequestQuerySchema,
    SuggestionQuerySchema,
    SuggestionsSchema,
)
from fieldwork.volunteers.models import BuurtgezelMatch, BuurtgezelRequest, Volunteer

bp = Blueprint("api_buurtgezel", __name__, url_prefix="/api/v1", description="Buurtgezellen")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
STAFF = (Role.CONTACT_PERSON, Role.COORDINATOR)
IDEMPOTENCY = [KEY_PARAMETER]


def resident_body(resident: Resident) -> dict[str, Any]:
    return {
        "id": resident.id,
        "name": resident.name,
        "street": resident.street,
        "house_number": resident.house_number,
        "postcode": resident.postcode,
        "phone": resident.phone,
        "birth_year": resident.birth_year,
    }


def match_body(match: BuurtgezelMatch) -> dict[str, Any]:
    return {
        "id": match.id,
        "request_id": match.request_id,
        "volunteer": {"id": match.volunteer.id, "name": match.volunteer.name},
        "matched_by": match.matched_by.email,
        "matched_at": match.matched_at,
        "resident_informed_at": match.resident_informed_at,
        "volunteer_informed_at": match.volunteer_informed_at,
        "volunteer_informed_by": (match.details or {}).get(
            "volunteer_informed_by", "contact_person"
        ),
        "follow_up_on": match.follow_up_on,
        "follow_up_sent_at": match.follow_up_sent_at,
        "followed_up_at": match.followed_up_at,
        "follow_up_result": match.follow_up_result,
        "follow_up_note": match.follow_up_note,
        "ended_at": match.ended_at,
        "details": match.details or {},
    }


def request_body(request: BuurtgezelRequest) -> dict[str, Any]:
    current = matching.current_match(request)
    return {
        "id": request.id,
        "status": request.status,
        "source": request.source,
        "resident": resident_body(request.resident),
        "neighbourhood": {"id": request.neighbourhood.id, "name": request.neighbourhood.name},
        "help_kinds": request.help_kinds,
        "availability": request.availability,
        "languages": request.languages,
        "note": request.note,
        "signal_id": request.signal_id,
        "case_id": request.case_id,
        "created_at": request.created_at,
        "waiting_days": matching.waiting_days(request),
        "outcome_note": request.outcome_note,
        "closed_at": request.closed_at,
        "match": match_body(current) if current else None,
    }


def _request_or_404(request_id: int) -> BuurtgezelRequest:
    """The request, if this user may handle its resident (else as if there were none)."""
    request = matching.request_for(g.api_user, request_id)
    if request is None:
        abort(404, message="No such buurtgezel request.")
    return request


def _match_or_404(match_id: int) -> BuurtgezelMatch:
    match = matching.match_for(g.api_user, match_id)
    if match is None:
        abort(404, message="No such match.")
    return match


def _unknown(field: str, message: str) -> NoReturn:
    abort(422, message=message, errors={field: [message]})


@bp.post("/buurtgezel/requests")
@api_roles(*STAFF)
@bp.arguments(BuurtgezelRequestInSchema)
@bp.response(201, BuurtgezelRequestSchema)
@bp.doc(security=BEARER)
def post_request(payload: dict[str, Any]) -> dict[str, Any]:
    """A resident's wish for a buurtgezel: from a buurtgezel signal of a visit or call
    (`signal_id`: resident, source and case come from it) or for a resident (`resident_id`,
    e.g. from their case). A resident with a waiting or matched request: 409."""
    user = g.api_user
    try:
        if payload["signal_id"] is not None:
            signal = db.session.get(Signal, payload["signal_id"])
            if signal is None or (
                signal.resident is not None and not matching.may_handle(user, signal.resident)
            ):
                _unknown("signal_id", "No such signal.")
            request = matching.request_from_signal(
                signal,
                user,
                payload["help_kinds"],
                payload["availability"],
                payload["languages"],
                payload["note"],
            )
        else:
            resident = db.session.get(Resident, payload["resident_id"])
            if resident is None or not matching.may_handle(user, resident):
                _unknown("resident_id", "No such resident.")
            request = matching.request_for_resident(
                resident,
                user,
                payload["help_kinds"],
                payload["availability"],
                payload["languages"],
                payload["note"] or "",
            )
    except VolunteerError as exc:
        refuse(exc)
    body = request_body(request)
    db.session.commit()
    return body


@bp.get("/buurtgezel/requests")
@api_roles(*STAFF)
@bp.arguments(RequestQuerySchema, location="query")
@bp.response(200, BuurtgezelRequestsSchema)
@bp.doc(security=BEARER)
def list_requests(args: dict[str, Any]) -> dict[str, Any]:
    """Requests of one status (default `open`: waiting for a match, longest waiting
    first, with the days waited)."""
    requests = [
        r
        for r in matching.list_requests(args["status"])
        if matching.may_handle(g.api_user, r.resident)
    ]
    items = [request_body(r) for r in requests]
    record_audit(
        "buurtgezel_requests_listed",
        "buurtgezel_request",
        None,
        ids=[r.id for r in requests],
        status=args["status"],
    )
    db.session.commit()
    return {"items": items}


@bp.get("/buurtgezel/requests/<int:request_id>")
@api_roles(*STAFF)
@bp.response(200, BuurtgezelRequestSchema)
@bp.doc(security=BEARER)
def get_request(request_id: int) -> dict[str, Any]:
    """One request with the resident, its current match and the days waited."""
    request = _request_or_404(request_id)
    body = request_body(request)
    record_audit(
        "buurtgezel_request_viewed",
        "buurtgezel_request",
        request.id,
        resident_id=request.resident_id,
    )
    db.session.commit()
    return body


@bp.get("/buurtgezel/requests/<int:request_id>/suggestions")
@api_roles(*STAFF)
@bp.arguments(SuggestionQuerySchema, location="query")
@bp.response(200, SuggestionsSchema)
@bp.doc(security=BEARER)
def get_suggestions(args: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Volunteers who fit, best first, with the score and the reasons: same neighbourhood
    (else same municipality), help kinds, shared moments, a shared language, fewer current
    matches. Only active buurtgezellen whose model 2 was checked; never one already matched
    to this request."""
    request = _request_or_404(request_id)
    items: list[dict[str, Any]] = [
        {
            "volunteer": {"id": s.volunteer.id, "name": s.volunteer.name},
            "neighbourhood": s.volunteer.neighbourhood.name if s.volunteer.neighbourhood else None,
            "score": s.score,
            "reasons": s.reasons,
            "same_neighbourhood": s.same_neighbourhood,
            "shared_help_kinds": s.shared_help_kinds,
            "shared_slots": s.shared_slots,
            "shared_languages": s.shared_languages,
            "active_matches": s.active_matches,
        }
        for s in matching.suggestions(request, args["limit"])
    ]
    record_audit(
        "buurtgezel_suggestions_viewed",
        "buurtgezel_request",
        request.id,
        volunteers=[i["volunteer"]["id"] for i in items],
    )
    db.session.commit()
    return {"request_id": request.id, "items": items}


@bp.post("/buurtgezel/matches")
@api_roles(*STAFF)
@bp.arguments(BuurtgezelMatchInSchema)
@bp.response(201, BuurtgezelMatchSchema)
@bp.doc(security=BEARER, parameters=IDEMPOTENCY)
def post_match(payload: dict[str, Any]) -> Response:
    """Match a waiting request with a volunteer. The volunteer must be an active buurtgezel
    whose model 2 was checked (else 422 on `volunteer_id`). With an account they get an
    inbox message; otherwise `volunteer_informed_by` is `contact_person`. Send an
    Idempotency-Key: a double tap matches once."""
    user = g.api_user

    def create() -> tuple[dict[str, Any], int]:
        request = matching.request_for(user, payload["request_id"])
        if request is None:
            _unknown("request_id", "No such buurtgezel request.")
        volunteer = db.session.get(Volunteer, payload["volunteer_id"])
        if volunteer is None:
            _unknown("volunteer_id", "No such volunteer.")
        try:
            match = matching.make_match(
                request, volunteer, user, payload["resident_informed"], payload["follow_up_weeks"]
            )
        except VolunteerError as exc:
            refuse(exc)
        return BuurtgezelMatchSchema().dump(match_body(match)), 201

    return idempotent(user.id, payload, create)


@bp.post("/buurtgezel/matches/<int:match_id>/follow-up")
@api_roles(*STAFF)
@bp.arguments(FollowUpInSchema)
@bp.response(200, BuurtgezelMatchSchema)
@bp.doc(security=BEARER)
def post_follow_up(payload: dict[str, Any], match_id: int) -> dict[str, Any]:
    """ "Loopt het goed?": `going_well` (next follow-up in 4 weeks or `follow_up_weeks`),
    `needs_attention` (again in a week), `ended` (the request waits for a match again)."""
    match = _match_or_404(match_id)
    try:
        matching.record_follow_up(
            match, payload["result"], payload["note"], g.api_user, payload["follow_up_weeks"]
        )
    except VolunteerError as exc:
        refuse(exc)
    body = match_body(match)
    db.session.commit()
    return body


@bp.post("/buurtgezel/requests/<int:request_id>/other-solution")
@api_roles(*STAFF)
@bp.arguments(OtherSolutionInSchema)
@bp.response(200, BuurtgezelRequestSchema)
@bp.doc(security=BEARER)
def post_other_solution(payload: dict[str, Any], request_id: int) -> dict[str, Any]:
    """No buurtgezel: the request closes with another solution (written in `note`). Only a
    waiting request (a matched one: 409)."""
    request = _request_or_404(request_id)
    try:
        matching.close_other_solution(request, payload["note"], g.api_user)
    except VolunteerError as exc:
        refuse(exc)
    body = request_body(request)
    db.session.commit()
    return body


def my_match_body(match: BuurtgezelMatch) -> dict[str, Any]:
    request, contact = match.request, match.matched_by
    return {
        "id": match.id,
        "resident": {
            "name": request.resident.name,
            "phone": request.resident.phone,
            "street": request.resident.street,
            "house_number": request.resident.house_number,
            "postcode": request.resident.postcode,
        },
        "help_kinds": request.help_kinds,
        "availability": request.availability,
        "languages": request.languages,
        "matched_at": match.matched_at,
        "contact_person": {"name": contact.display_name, "email": contact.email},
    }


@bp.get("/buurtgezel/my-matches")
@api_roles(Role.VOLUNTEER)
@bp.response(200, MyMatchesSchema)
@bp.doc(security=BEARER)
def my_matches() -> dict[str, Any]:
    """The volunteer's own current matches: whom to help, with what, and whom to ask.
    Nothing about other volunteers or the resident's case."""
    matches = matching.my_matches(g.api_user)
    record_audit(
        "buurtgezel_my_matches_viewed", "buurtgezel_match", None, ids=[m.id for m in matches]
    )
    items = [my_match_body(m) for m in matches]
    db.session.commit()
    return {"items": items}
