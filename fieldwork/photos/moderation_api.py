"""/api/v1/photo-assignments (coordinator): assignments and moderation.

The public API of a link lives under /api/v1/photo-assignments/<token> (fieldwork.photos.api);
the routes here take an integer id, and Werkzeug's int converter wins for digits."""

from __future__ import annotations

from typing import Any

from flask import Response, g, url_for
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from fieldwork.areas.services import get_municipality
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.core.storage import StorageError, storage
from fieldwork.extensions import db
from fieldwork.photos import moderation
from fieldwork.photos.models import Photo, PhotoAssignment
from fieldwork.photos.moderation_schemas import (
    PhotoAssignmentInSchema,
    PhotoAssignmentSchema,
    PhotoListSchema,
    PhotoModerationInSchema,
    PhotoQuerySchema,
    PhotoSchema,
    PhotoSignalInSchema,
    PhotoSignalSchema,
)
from fieldwork.photos.services import PhotoError, create_assignment, is_open

bp = Blueprint(
    "api_photo_moderation",
    __name__,
    url_prefix="/api/v1",
    description="Photo assignments: coordinator",
)
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
STAFF = (Role.COORDINATOR,)  # photos may show people: analysts and others see none
LIST_LIMIT = 500


def assignment_body(assignment: PhotoAssignment) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "gemeente": assignment.municipality.code,
        "title": assignment.title,
        "prompts": assignment.prompts,
        "neighbourhoods": [{"id": n.id, "name": n.name} for n in assignment.neighbourhoods],
        "starts_on": assignment.starts_on,
        "ends_on": assignment.ends_on,
        "open": is_open(assignment),
        "closed_at": assignment.closed_at,
        "link": moderation.public_link(assignment),
        "flyer_url": url_for("photo_admin.flyer", assignment_id=assignment.id),
        "counts": moderation.status_counts(assignment),
        "weeks": [
            {
                "week": s.week,
                "starts_on": s.starts_on,
                "ends_on": s.ends_on,
                "prompt": s.prompt,
                "contrast": s.contrast,
                "counts": s.counts,
            }
            for s in moderation.week_summaries(assignment)
        ],
    }


def photo_body(photo: Photo) -> dict[str, Any]:
    has_files = photo.status in moderation.MODERATED and photo.original_key is not None
    body = {
        name: getattr(photo, name)
        for name in (
            "id",
            "assignment_id",
            "week",
            "side",
            "prompt",
            "neighbourhood_id",
            "caption",
            "lat",
            "lon",
            "street",
            "age_group",
            "consent",
            "status",
            "failure",
            "width",
            "height",
            "rotation",
            "themes",
            "polarity",
            "signal_id",
            "moderated_at",
            "created_at",
        )
    }
    for kind in ("thumb", "full"):
        body[f"{kind}_url"] = (
            url_for(
                "api_photo_moderation.get_photo_image",
                photo_id=photo.id,
                kind=kind,
                v=photo.rotation,
            )
            if has_files
            else None
        )
    return body


def _assignment_or_404(assignment_id: int) -> PhotoAssignment:
    assignment = db.session.get(PhotoAssignment, assignment_id)
    if assignment is None:
        abort(404, message="No such photo assignment.")
    return assignment


def _photo_or_404(photo_id: int, lock: bool = False) -> Photo:
    photo = moderation.get_photo(photo_id, lock=lock)
    if photo is None:
        abort(404, message="No such photo.")
    return photo


@bp.post("/photo-assignments")
@api_roles(*STAFF)
@bp.arguments(PhotoAssignmentInSchema)
@bp.response(201, PhotoAssignmentSchema)
@bp.doc(security=BEARER)
def post_assignment(payload: dict[str, Any]) -> dict[str, Any]:
    """Create a photo assignment: a prompt per week (the last repeats), neighbourhoods, a
    period. The answer carries the public link and the flyer's address."""
    municipality = get_municipality(payload["gemeente"])
    if municipality is None:
        abort(
            422,
            message="This municipality has not been imported.",
            errors={"gemeente": ["Not imported."]},
        )
    try:
        assignment = create_assignment(
            municipality,
            payload["title"],
            payload["prompts"],
            payload["neighbourhood_ids"],
            payload["starts_on"],
            payload["ends_on"],
            g.api_user,
        )
    except PhotoError as exc:
        refuse(exc)
    record_audit("photo_assignment_created", "photo_assignment", assignment.id)
    db.session.commit()
    return assignment_body(assignment)


@bp.get("/photo-assignments/<int:assignment_id>")
@api_roles(*STAFF)
@bp.response(200, PhotoAssignmentSchema)
@bp.doc(security=BEARER)
def get_assignment(assignment_id: int) -> dict[str, Any]:
    """An assignment with its weeks and the photo counts per status."""
    return assignment_body(_assignment_or_404(assignment_id))


@bp.get("/photo-assignments/<int:assignment_id>/photos")
@api_roles(*STAFF)
@bp.arguments(PhotoQuerySchema, location="query")
@bp.response(200, PhotoListSchema)
@bp.doc(security=BEARER)
def get_photos(query: dict[str, Any], assignment_id: int) -> dict[str, Any]:
    """The photos of an assignment, oldest first (at most 500), by status, neighbourhood and
    week."""
    assignment = _assignment_or_404(assignment_id)
    statement = select(Photo).where(Photo.assignment_id == assignment.id)
    if query["status"] is not None:
        statement = statement.where(Photo.status == query["status"])
    if query["neighbourhood"] is not None:
        statement = statement.where(Photo.neighbourhood_id == query["neighbourhood"])
    if query["week"] is not None:
        statement = statement.where(Photo.week == query["week"])
    photos = db.session.scalars(
        statement.order_by(Photo.created_at, Photo.id).limit(LIST_LIMIT)
    ).all()
    record_audit("photos_listed", "photo_assignment", assignment.id, ids=[p.id for p in photos])
    db.session.commit()
    return {"photos": [photo_body(p) for p in photos]}


@bp.post("/photos/<int:photo_id>/moderation")
@api_roles(*STAFF)
@bp.arguments(PhotoModerationInSchema)
@bp.response(200, PhotoSchema)
@bp.doc(security=BEARER)
def post_moderation(payload: dict[str, Any], photo_id: int) -> dict[str, Any]:
    """Approve, hide or turn a photo; "themes" and "polarity" (strength | concern | null),
    when sent, are saved first. 409 while the worker is still processing it."""
    photo = _photo_or_404(photo_id, lock=True)
    user = g.api_user
    try:
        if "themes" in payload or "polarity" in payload:
            moderation.tag(
                photo,
                payload.get("themes", list(photo.themes or [])),
                payload.get("polarity", photo.polarity),
                user,
            )
        if payload["action"] == "approve":
            moderation.approve(photo, user)
        elif payload["action"] == "hide":
            moderation.hide(photo, user)
        else:
            rotation = payload.get("rotation")
            moderation.rotate(
                photo, (photo.rotation + 90) % 360 if rotation is None else rotation, user
            )
    except PhotoError as exc:
        refuse(exc)
    except StorageError:
        db.session.rollback()
        abort(503, message="The stored photo could not be read; try again later.")
    db.session.commit()
    return photo_body(photo)


@bp.post("/photos/<int:photo_id>/signal")
@api_roles(*STAFF)
@bp.arguments(PhotoSignalInSchema)
@bp.response(201, PhotoSignalSchema)
@bp.doc(security=BEARER)
def post_signal(payload: dict[str, Any], photo_id: int) -> dict[str, Any]:
    """A concern the photo shows becomes a signal for its neighbourhood (no resident, no
    note). Once per photo: 409 the second time; 422 when the photo has no neighbourhood."""
    photo = _photo_or_404(photo_id, lock=True)
    try:
        signal = moderation.make_signal(photo, payload["theme"], g.api_user)
    except PhotoError as exc:
        refuse(exc)
    db.session.commit()
    return {"signal_id": signal.id, "photo": photo_body(photo)}


@bp.get("/photos/<int:photo_id>/image/<kind>")
@api_roles(*STAFF)
@bp.response(200, description="image/jpeg, without metadata")
@bp.doc(security=BEARER)
def get_photo_image(photo_id: int, kind: str) -> Response:
    """The stored photo ("full") or its thumbnail ("thumb")."""
    photo = _photo_or_404(photo_id)
    key = moderation.image_key(photo, kind)
    if not key:
        abort(404, message="No such image.")
    try:
        data = storage().get(key)
    except StorageError:
        abort(404, message="No such image.")
    if kind == "full":
        record_audit("photo_viewed", "photo", photo.id)
        db.session.commit()
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
