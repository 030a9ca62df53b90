"""Photo assignments: create one, this week's prompt, and receive a resident's photo (stored
as sent until the worker makes the clean versions). Flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fieldwork.areas.models import Municipality, Neighbourhood, Sector, Street
from fieldwork.areas.resolve import resolve
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.core.dates import not_plausible_message, plausible
from fieldwork.core.errors import ServiceError
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.core.pictures import PictureError
from fieldwork.core.storage import storage
from fieldwork.db import local_today, savepoint
from fieldwork.extensions import db
from fieldwork.photos.models import AGE_GROUPS, CONSENTS, SIDES, Photo, PhotoAssignment
from fieldwork.photos.uploads import check_photo, render

MAX_WEEKS = 52
MAX_PROMPTS = 52


__all__ = ["PhotoError", "PictureError"]


class PhotoError(ServiceError):
    """An assignment or a photo refused."""


def clean_prompts(prompts: list[dict[str, Any]]) -> list[dict[str, str]]:
    cleaned = []
    for entry in prompts:
        prompt = " ".join(str(entry.get("prompt") or "").split())[:300]
        contrast = " ".join(str(entry.get("contrast") or "").split())[:300]
        if not prompt and contrast:
            raise PhotoError(_("A contrast needs a prompt beside it."), "prompts")
        if prompt:
            cleaned.append({"prompt": prompt, "contrast": contrast})
    if not cleaned:
        raise PhotoError(_("Write at least one prompt."), "prompts")
    if len(cleaned) > MAX_PROMPTS:
        raise PhotoError(_("At most 52 prompts."), "prompts")
    return cleaned


def create_assignment(
    municipality: Municipality,
    title: str,
    prompts: list[dict[str, Any]],
    neighbourhood_ids: list[int],
    starts_on: date,
    ends_on: date,
    user: User | None,
) -> PhotoAssignment:
    """A photo assignment: a prompt for each week (the last one repeats), neighbourhoods,
    a period; a random public link."""
    title = " ".join(title.split())[:120]
    if not title:
        raise PhotoError(_("Give the assignment a title."), "title")
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not plausible(day):
            raise PhotoError(not_plausible_message(), name)
    if ends_on < starts_on:
        raise PhotoError(_("The period ends before it starts."), "ends_on")
    if (ends_on - starts_on).days > MAX_WEEKS * 7:
        raise PhotoError(_("At most a year."), "ends_on")
    hoods = list(
        db.session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.id.in_(neighbourhood_ids),
                Neighbourhood.is_unlocatable.is_(False),
                Neighbourhood.municipality_id == municipality.id,
            )
        )
    )
    if not neighbourhood_ids or len(hoods) != len(set(neighbourhood_ids)):
        raise PhotoError(_("Choose neighbourhoods of this municipality."), "neighbourhoods")
    assignment = PhotoAssignment(
        municipality_id=municipality.id,
        title=title,
        prompts=clean_prompts(prompts),
        starts_on=starts_on,
        ends_on=ends_on,
        token=secrets.token_urlsafe(12),
        created_by_id=user.id if user else None,
        neighbourhoods=hoods,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def by_token(token: str) -> PhotoAssignment | None:
    if not token or len(token) > 32:
        return None
    return db.session.scalar(select(PhotoAssignment).where(PhotoAssignment.token == token))


def is_open(assignment: PhotoAssignment, day: date | None = None) -> bool:
    day = day or local_today()
    return assignment.closed_at is None and assignment.starts_on <= day <= assignment.ends_on


def week_of(assignment: PhotoAssignment, day: date | None = None) -> int:
    """1 in the first week of the period; clamped to the period."""
    day = min(max(day or local_today(), assignment.starts_on), assignment.ends_on)
    return (day - assignment.starts_on).days // 7 + 1


def weeks(assignment: PhotoAssignment) -> int:
    return (assignment.ends_on - assignment.starts_on).days // 7 + 1


def prompt_for(assignment: PhotoAssignment, week: int) -> dict[str, str]:
    """The prompt of that week: a new one each week, the last one repeating."""
    prompts = assignment.prompts or [{"prompt": assignment.title, "contrast": ""}]
    return prompts[min(max(week, 1), len(prompts)) - 1]


def week_dates(assignment: PhotoAssignment, week: int) -> tuple[date, date]:
    first = assignment.starts_on + timedelta(days=7 * (week - 1))
    return first, first + min(timedelta(days=6), assignment.ends_on - first)


@dataclass
class Submission:
    raw: bytes
    side: str = "main"
    caption: str = ""
    neighbourhood_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    street: str = ""
    age_group: str | None = None
    consent: str = ""
    idempotency_key: str | None = None


def _neighbourhood(assignment: PhotoAssignment, sent: Submission) -> int | None:
    """The neighbourhood the resident chose, else where the pin or the street lies, else
    the assignment's only one; None when none of that says."""
    allowed = {n.id for n in assignment.neighbourhoods}
    if sent.neighbourhood_id is not None:
        if sent.neighbourhood_id not in allowed:
            raise PhotoError(
                _("Choose one of the neighbourhoods of this assignment."), "neighbourhood_id"
            )
        return sent.neighbourhood_id
    if sent.lat is not None and sent.lon is not None:
        found = resolve(lat=sent.lat, lon=sent.lon)
        if found is not None and found.neighbourhood.id in allowed:
            return found.neighbourhood.id
    if sent.street.strip():
        hoods = set(
            db.session.scalars(
                select(Sector.neighbourhood_id)
                .join(Street, Street.sector_id == Sector.id)
                .where(
                    Street.street_key == street_key(sent.street),
                    Sector.neighbourhood_id.in_(allowed),
                )
            )
        )
        if len(hoods) == 1:
            return hoods.pop()
    return next(iter(allowed)) if len(allowed) == 1 else None


def _narrow_consent(photo: Photo, consent: str) -> None:
    """The same photo sent again with a narrower consent: the narrower one holds (a wider
    one never replaces what was agreed first)."""
    if consent in CONSENTS and CONSENTS.index(consent) < CONSENTS.index(photo.consent):
        photo.consent = consent


def not_started(assignment: PhotoAssignment, day: date | None = None) -> bool:
    """Not open yet (rather than ended): its first day still lies ahead."""
    return assignment.closed_at is None and assignment.starts_on > (day or local_today())


def receive_photo(
    assignment: PhotoAssignment, sent: Submission, day: date | None = None
) -> tuple[Photo, bool]:
    """Keep a resident's photo (the worker makes the clean versions after commit). The same
    file again for this assignment — or the same Idempotency-Key — is the photo already
    there: (photo, False)."""
    if not is_open(assignment, day):
        if not_started(assignment, day):
            raise PhotoError(_("This photo assignment has not started yet."), "token", 410)
        raise PhotoError(_("This photo assignment has ended. Thank you for looking!"), "token", 410)
    if sent.idempotency_key is not None and len(sent.idempotency_key) > 200:
        raise PhotoError(_("The Idempotency-Key is too long."), "Idempotency-Key", 400)
    digest = hashlib.sha256(sent.raw).hexdigest()
    for column, value in ((Photo.idempotency_key, sent.idempotency_key), (Photo.sha256, digest)):
        if value is None:
            continue
        earlier = db.session.scalar(
            select(Photo).where(Photo.assignment_id == assignment.id, column == value)
        )
        if earlier is not None:
            if column is Photo.idempotency_key and earlier.sha256 != digest:
                raise PhotoError(
                    _("This Idempotency-Key was already used for another photo."),
                    "Idempotency-Key",
                    422,
                )
            _narrow_consent(earlier, sent.consent)
            return earlier, False
    checked = check_photo(sent.raw)
    if sent.consent not in CONSENTS:
        raise PhotoError(_("Choose what we may do with your photo."), "consent")
    if sent.age_group is not None and sent.age_group not in AGE_GROUPS:
        raise PhotoError(_("Unknown age group."), "age_group")
    week = week_of(assignment, day)
    prompt = prompt_for(assignment, week)
    if sent.side not in SIDES or (sent.side == "contrast" and not prompt["contrast"]):
        raise PhotoError(_("This week's prompt has no contrast."), "side")
    pinned = False
    if sent.lat is not None and sent.lon is not None:
        if not (-90 <= sent.lat <= 90 and -180 <= sent.lon <= 180):
            raise PhotoError(_("The pin is not on the map."), "lat")
        pinned = True
    key = f"photos/{assignment.token}/{uuid.uuid4().hex}"
    upload_key = f"{key}-upload"
    photo = Photo(
        assignment_id=assignment.id,
        week=week,
        side=sent.side,
        prompt=prompt["contrast"] if sent.side == "contrast" else prompt["prompt"],
        neighbourhood_id=_neighbourhood(assignment, sent),
        caption=" ".join(sent.caption.split())[:500],
        lat=sent.lat if pinned else None,
        lon=sent.lon if pinned else None,
        street=" ".join(sent.street.split())[:200] or None,
        age_group=sent.age_group,
        consent=sent.consent,
        sha256=digest,
        idempotency_key=sent.idempotency_key,
        status="processing",
        upload_key=upload_key,
        size_bytes=len(sent.raw),
    )
    try:  # the same file or key at the same moment: the unique constraints decide
        with savepoint(db.session):
            db.session.add(photo)
            db.session.flush()
    except IntegrityError:
        if db.engine.dialect.name != "postgresql":
            db.session.rollback()  # no savepoint there; this request wrote nothing else yet
        earlier = db.session.scalar(
            select(Photo).where(
                Photo.assignment_id == assignment.id,
                (Photo.sha256 == digest) | (Photo.idempotency_key == sent.idempotency_key),
            )
        )
        if earlier is None:
            raise
        if earlier.sha256 != digest:
            raise PhotoError(
                _("This Idempotency-Key was already used for another photo."),
                "Idempotency-Key",
                422,
            ) from None
        return earlier, False
    storage().put(upload_key, sent.raw, checked.content_type)
    enqueue_after_commit("photos.process", photo.id)
    return photo, True


def process_photo(photo_id: int) -> str:
    """The worker: make the upright, downscaled original and the thumbnail, both without
    metadata, and drop the upload as it was sent. Returns the photo's status."""
    photo = db.session.get(Photo, photo_id, with_for_update=True)
    if photo is None:
        return "gone"
    if photo.status != "processing" or photo.upload_key is None:
        return photo.status
    files = storage()
    raw = files.get(photo.upload_key)  # a storage outage raises: the task is tried again
    try:
        original, thumb, width, height = render(raw)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # a file the checks let through but Pillow cannot draw after all: nothing of it is
        # kept (it may carry EXIF), only why
        return fail_photo(photo, f"{type(exc).__name__}: {exc}")
    base = photo.upload_key.removesuffix("-upload")
    files.put(f"{base}.jpg", original, "image/jpeg")
    files.put(f"{base}-thumb.jpg", thumb, "image/jpeg")
    files.delete(photo.upload_key)
    photo.original_key, photo.thumb_key = f"{base}.jpg", f"{base}-thumb.jpg"
    photo.width, photo.height, photo.upload_key = width, height, None
    photo.status = "new"
    enqueue_after_commit("reports.count_capture", "photo", photo.id)
    return photo.status


def fail_photo(photo: Photo, why: str) -> str:
    """Give up on a photo: the upload as sent goes, the reason stays for the coordinator."""
    if photo.upload_key is not None:
        storage().delete(photo.upload_key)
    photo.status, photo.failure, photo.upload_key = "failed", why[:300], None
    return photo.status
