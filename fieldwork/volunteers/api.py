"""/api/v1/volunteers: the intake (public form and staff), the pool search, the model-2
check, status changes with the account invitation, and trainings."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from flask import current_app, g, jsonify, request, url_for
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.services import get_municipality, neighbourhoods_of
from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.forms import small_id
from fieldwork.core.idempotency import idempotent
from fieldwork.core.permissions import api_roles, authorise_token, bearer_token, public
from fieldwork.core.roles import Role
from fieldwork.extensions import db, limiter
from fieldwork.volunteers import intake, pool
from fieldwork.volunteers.gate import VolunteerError, refusal_for, volunteer_of
from fieldwork.volunteers.models import Training, TrainingAttendance, Volunteer
from fieldwork.volunteers.schemas import (
    IntakeCreatedSchema,
    IntakeFormSchema,
    IntakeInSchema,
    Model2InSchema,
    PoolQuerySchema,
    PoolSchema,
    StatusInSchema,
    StatusSchema,
    TrainingInSchema,
    TrainingSchema,
    VolunteerSchema,
)
from fieldwork.volunteers.spam import accepted, form_token, help_form_limit, looks_human
from fieldwork.volunteers.vocabulary import MOBILITY, ROLES, SLOTS, SUPPORT

bp = Blueprint("api_volunteers", __name__, url_prefix="/api/v1", description="Volunteers")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
STAFF = (Role.CONTACT_PERSON, Role.COORDINATOR)
ABOUT_FIELDS = [f.name for f in dataclass_fields(intake.About)]
# what a candidate may tell on the public form; the rest is for the intake conversation
PUBLIC_FIELDS = (
    "name",
    "email",
    "phone",
    "neighbourhood_id",
    "talents",
    "motivation",
    "languages",
    "availability",
    "roles",
    "data_consent",
)


def municipality_for(code: str | None) -> Municipality:
    """The municipality asked for; without a code, the only one there is."""
    if code:
        municipality = get_municipality(code)
        if municipality is None:
            abort(
                422,
                message="This municipality has not been imported.",
                errors={"gemeente": ["Not imported."]},
            )
        return municipality
    municipalities = db.session.scalars(select(Municipality).limit(2)).all()
    if len(municipalities) != 1:
        abort(422, message="Say which municipality.", errors={"gemeente": ["Required."]})
    return municipalities[0]


def volunteer_body(volunteer: Volunteer) -> dict[str, Any]:
    return {
        **{
            key: getattr(volunteer, key)
            for key in (
                "id",
                "name",
                "email",
                "phone",
                "status",
                "source",
                "neighbourhood_id",
                "talents",
                "tags",
                "energy",
                "motivation",
                "experience",
                "languages",
                "availability",
                "mobility",
                "support",
                "support_note",
                "roles",
                "other_role",
                "help_kinds",
                "model2_checked_on",
                "created_at",
            )
        },
        "municipality": volunteer.municipality.name,
        "neighbourhood": volunteer.neighbourhood.name if volunteer.neighbourhood else None,
        "may_meet_residents": refusal_for(volunteer, volunteer.name) is None,
        "has_account": volunteer.user_id is not None,
        "trainings": [
            {"id": t.id, "title": t.title, "held_on": t.held_on.isoformat()}
            for t in intake.trainings_of(volunteer)
        ],
    }


def _volunteer_or_404(volunteer_id: int) -> Volunteer:
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        abort(404, message="No such volunteer.")
    return volunteer


def _staff_user() -> User | None:
    """The staff member behind a bearer token; None without one (the public form)."""
    token = bearer_token()
    if token is None:
        if request.headers.get("Authorization"):
            abort(401, message="Send 'Authorization: Bearer <token>'.")
        return None
    return authorise_token(token, frozenset(STAFF))


@bp.get("/volunteers/intake")
@public
@bp.response(200, IntakeFormSchema)
def get_intake_form() -> dict[str, Any]:
    """What the public 'Ik wil helpen' form needs: a form token (send it back with the
    form, no sooner than a few seconds later), the neighbourhoods and the choices."""
    municipality = municipality_for(request.args.get("gemeente"))
    return {
        "form_token": form_token(),
        "neighbourhoods": [
            {"id": n.id, "name": n.name}
            for n in neighbourhoods_of(municipality)
            if not n.is_unlocatable
        ],
        "roles": {k: str(v) for k, v in ROLES.items()},
        "availability": list(SLOTS),
        "mobility": {k: str(v) for k, v in MOBILITY.items()},
        "support": {k: str(v) for k, v in SUPPORT.items()},
    }


@bp.post("/volunteers/intake")
@public
@limiter.limit(
    help_form_limit, exempt_when=lambda: bearer_token() is not None, deduct_when=accepted
)
@bp.arguments(IntakeInSchema)
@bp.response(201, IntakeCreatedSchema)
@bp.doc(security=[{}, {"bearerAuth": []}])
def post_intake(payload: dict[str, Any]) -> Any:
    """A volunteer intake. Without a token: the public 'Ik wil helpen' form (rate limited;
    a candidate for the coordinator to follow up). With a contact person's or coordinator's
    token: the whole inclusive intake from the conversation (Idempotency-Key honoured)."""
    user = _staff_user()
    municipality = municipality_for(payload["gemeente"])
    if user is None:
        if not looks_human(payload["form_token"], payload["website"]):
            abort(
                422,
                message="The form expired or was sent too quickly: load it again.",
                errors={"form_token": ["Load the form again."]},
            )
        about = intake.About(**{key: payload[key] for key in PUBLIC_FIELDS})
        try:
            intake.submit_candidate(municipality, about, "public_form")
        except VolunteerError as exc:
            refuse(exc)
        db.session.commit()
        # the same answer whether this person was known or not: the form tells nobody who
        # is in the pool
        return jsonify({"status": "received"}), 201

    def create() -> tuple[dict[str, Any], int]:
        about = intake.About(**{key: payload[key] for key in ABOUT_FIELDS})
        try:
            volunteer, created = intake.submit_candidate(municipality, about, "staff")
            intake.record_intake(volunteer, about, user)
        except VolunteerError as exc:
            refuse(exc)
        record_audit("volunteer_intake_recorded", "volunteer", volunteer.id)
        return {"id": volunteer.id, "status": volunteer.status, "created": created}, (
            201 if created else 200
        )

    return idempotent(user.id, payload, create)


def _neighbourhood_id(municipality: Municipality, wanted: str) -> int | None:
    if not wanted:
        return None
    query = select(Neighbourhood.id).where(Neighbourhood.municipality_id == municipality.id)
    if (wanted_id := small_id(wanted)) is not None:
        found = db.session.scalar(query.where(Neighbourhood.id == wanted_id))
    else:
        found = db.session.scalar(query.where(Neighbourhood.name == wanted))
    if found is None:
        abort(
            422,
            message="No such neighbourhood in this municipality.",
            errors={"neighbourhood": ["Unknown neighbourhood."]},
        )
    return found


@bp.get("/volunteers")
@api_roles(*STAFF)
@bp.arguments(PoolQuerySchema, location="query")
@bp.response(200, PoolSchema)
@bp.doc(security=BEARER)
def get_volunteers(query: dict[str, Any]) -> dict[str, Any]:
    """The volunteer pool: every filter given must match (talent is free text over
    talents, tags and experience; slot is e.g. tue_morning)."""
    municipality = municipality_for(query["gemeente"])
    wanted = pool.PoolFilter(
        talent=query["talent"],
        role=query["role"],
        neighbourhood_id=_neighbourhood_id(municipality, query["neighbourhood"]),
        slot=query["slot"],
        mobility=query["mobility"],
        language=query["language"],
        status=query["status"],
    )
    rows, total = pool.search_volunteers(municipality, wanted, query["page"])
    record_audit("volunteer_pool_viewed", "volunteer", None, ids=[v.id for v in rows])
    db.session.commit()
    return {"total": total, "page": query["page"], "volunteers": [volunteer_body(v) for v in rows]}


@bp.get("/volunteers/me")
@api_roles(Role.VOLUNTEER)
@bp.response(200, VolunteerSchema)
@bp.doc(security=BEARER)
def get_me() -> dict[str, Any]:
    """What the pool holds about me (and nothing about anybody else)."""
    volunteer = volunteer_of(g.api_user)
    if volunteer is None:
        abort(404, message="There is no intake for this account.")
    return volunteer_body(volunteer)


@bp.get("/volunteers/<int:volunteer_id>")
@api_roles(*STAFF)
@bp.response(200, VolunteerSchema)
@bp.doc(security=BEARER)
def get_volunteer(volunteer_id: int) -> dict[str, Any]:
    volunteer = _volunteer_or_404(volunteer_id)
    record_audit("volunteer_viewed", "volunteer", volunteer.id)
    db.session.commit()
    return volunteer_body(volunteer)


@bp.put("/volunteers/<int:volunteer_id>/intake")
@api_roles(*STAFF)
@bp.arguments(IntakeInSchema)
@bp.response(200, VolunteerSchema)
@bp.doc(security=BEARER)
def put_intake(payload: dict[str, Any], volunteer_id: int) -> dict[str, Any]:
    """The intake conversation with a candidate (or an update later on)."""
    volunteer = _volunteer_or_404(volunteer_id)
    try:
        intake.record_intake(
            volunteer, intake.About(**{k: payload[k] for k in ABOUT_FIELDS}), g.api_user
        )
    except VolunteerError as exc:
        refuse(exc)
    record_audit("volunteer_intake_recorded", "volunteer", volunteer.id)
    db.session.commit()
    return volunteer_body(volunteer)


@bp.post("/volunteers/<int:volunteer_id>/model2")
@api_roles(Role.COORDINATOR)
@bp.arguments(Model2InSchema)
@bp.response(200, VolunteerSchema)
@bp.doc(security=BEARER)
def post_model2(payload: dict[str, Any], volunteer_id: int) -> dict[str, Any]:
    """Record that the criminal-record extract (model 2) was seen, with its date."""
    volunteer = _volunteer_or_404(volunteer_id)
    try:
        intake.record_model2(volunteer, payload["checked_on"], g.api_user)
    except VolunteerError as exc:
        refuse(exc)
    record_audit(
        "volunteer_model2_recorded",
        "volunteer",
        volunteer.id,
        checked_on=payload["checked_on"].isoformat(),
    )
    db.session.commit()
    return volunteer_body(volunteer)


def invitation_url(token: str) -> str:
    return (
        f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}"
        f"{url_for('volunteers.invitation', token=token)}"
    )


@bp.post("/volunteers/<int:volunteer_id>/status")
@api_roles(Role.COORDINATOR)
@bp.arguments(StatusInSchema)
@bp.response(200, StatusSchema)
@bp.doc(security=BEARER)
def post_status(payload: dict[str, Any], volunteer_id: int) -> dict[str, Any]:
    """Move a volunteer on. Active needs the model-2 check for roles that meet residents;
    a visitor or caller then gets an account and a one-time invitation link."""
    volunteer = _volunteer_or_404(volunteer_id)
    try:
        token = intake.change_status(volunteer, payload["status"], g.api_user)
    except VolunteerError as exc:
        refuse(exc)
    record_audit(
        "volunteer_status_changed",
        "volunteer",
        volunteer.id,
        status=volunteer.status,
        invited=token is not None,
    )
    db.session.commit()
    return {
        "id": volunteer.id,
        "status": volunteer.status,
        "has_account": volunteer.user_id is not None,
        "invitation_url": invitation_url(token) if token else None,
    }


@bp.post("/volunteers/<int:volunteer_id>/invitation")
@api_roles(Role.COORDINATOR)
@bp.response(201, StatusSchema)
@bp.doc(security=BEARER)
def post_invitation(volunteer_id: int) -> Any:
    """A new invitation link (a lost e-mail, an expired link); earlier links stop working."""
    volunteer = _volunteer_or_404(volunteer_id)
    try:
        token = intake.create_invitation(volunteer, g.api_user)
    except VolunteerError as exc:
        refuse(exc)
    record_audit("volunteer_invited", "volunteer", volunteer.id)
    db.session.commit()
    return {
        "id": volunteer.id,
        "status": volunteer.status,
        "has_account": True,
        "invitation_url": invitation_url(token),
    }


@bp.post("/trainings")
@api_roles(Role.COORDINATOR)
@bp.arguments(TrainingInSchema)
@bp.response(201, TrainingSchema)
@bp.doc(security=BEARER)
def post_training(payload: dict[str, Any]) -> dict[str, Any]:
    """A training session with its date and attendees (volunteer ids)."""
    municipality = municipality_for(payload["gemeente"])
    try:
        training = intake.create_training(
            municipality, payload["title"], payload["held_on"], payload["attendees"], g.api_user
        )
    except VolunteerError as exc:
        refuse(exc)
    db.session.commit()
    return training_body(training)


def training_body(training: Training) -> dict[str, Any]:
    return {
        "id": training.id,
        "title": training.title,
        "held_on": training.held_on,
        "attendees": list(
            db.session.scalars(
                select(TrainingAttendance.volunteer_id).where(
                    TrainingAttendance.training_id == training.id
                )
            )
        ),
    }


@bp.get("/trainings")
@api_roles(*STAFF)
@bp.response(200, TrainingSchema(many=True))
@bp.doc(security=BEARER)
def get_trainings() -> list[dict[str, Any]]:
    municipality = municipality_for(request.args.get("gemeente"))
    return [
        training_body(t)
        for t in db.session.scalars(
            select(Training)
            .where(Training.municipality_id == municipality.id)
            .order_by(Training.held_on.desc())
        )
    ]
