"""/api/v1/photo-assignments/<token> (public, no account): the prompt and the upload."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_smorest import Blueprint, abort

from fieldwork.core.errors import refuse
from fieldwork.core.permissions import public
from fieldwork.extensions import db, limiter
from fieldwork.photos import services
from fieldwork.photos.models import PhotoAssignment
from fieldwork.photos.schemas import (
    AssignmentPublicSchema,
    PhotoFileSchema,
    PhotoFormSchema,
    PhotoReceivedSchema,
)
from fieldwork.photos.uploads import MAX_UPLOAD_BYTES

bp = Blueprint(
    "api_photos", __name__, url_prefix="/api/v1", description="Photo assignments: residents"
)


def assignment_or_404(token: str) -> PhotoAssignment:
    assignment = services.by_token(token)
    if assignment is None:
        abort(404, message="No such photo assignment: check the link.")
    return assignment


def public_body(assignment: PhotoAssignment) -> dict[str, Any]:
    week = services.week_of(assignment)
    prompt = services.prompt_for(assignment, week)
    return {
        "title": assignment.title,
        "municipality": assignment.municipality.name,
        "open": services.is_open(assignment),
        "starts_on": assignment.starts_on,
        "ends_on": assignment.ends_on,
        "week": week,
        "weeks": services.weeks(assignment),
        "prompt": prompt["prompt"],
        "contrast": prompt["contrast"],
        "neighbourhoods": [{"id": n.id, "name": n.name} for n in assignment.neighbourhoods],
    }


@bp.get("/photo-assignments/<token>")
@public
@bp.response(200, AssignmentPublicSchema)
def get_assignment(token: str) -> dict[str, Any]:
    """This week's prompt (and its contrast), the period and the neighbourhoods."""
    return public_body(assignment_or_404(token))


def upload_rate_limit() -> str:
    return str(current_app.config["PHOTO_UPLOAD_RATE_LIMIT"])


def read_upload(storage_file: Any) -> bytes:
    """The uploaded bytes, reading one byte past the bound so that too big is noticed."""
    return bytes(storage_file.read(MAX_UPLOAD_BYTES + 1))


def submission(form: dict[str, Any], raw: bytes, key: str | None) -> services.Submission:
    return services.Submission(
        raw=raw,
        side=form["side"],
        caption=form["caption"],
        neighbourhood_id=form["neighbourhood_id"],
        lat=form["lat"],
        lon=form["lon"],
        street=form["street"],
        age_group=form["age_group"],
        consent=form["consent"],
        idempotency_key=key,
    )


@bp.post("/photo-assignments/<token>/photos")
@public
@limiter.shared_limit(upload_rate_limit, scope="photo-upload")
@bp.arguments(PhotoFormSchema, location="form")
@bp.arguments(PhotoFileSchema, location="files")
@bp.response(201, PhotoReceivedSchema)
@bp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
        }
    ]
)
def post_photo(form: dict[str, Any], files: dict[str, Any], token: str) -> Any:
    """A resident's photo (multipart/form-data: `photo` and the fields). A retry with the
    same Idempotency-Key, or the same file again, is stored once (200, duplicate)."""
    assignment = assignment_or_404(token)
    key = request.headers.get("Idempotency-Key") or None
    try:
        photo, created = services.receive_photo(
            assignment, submission(form, read_upload(files["photo"]), key)
        )
    except (services.PictureError, services.PhotoError) as exc:
        refuse(exc)
    db.session.commit()
    response = jsonify({"id": photo.id, "status": photo.status, "duplicate": not created})
    response.status_code = 201 if created else 200
    return response
