"""The worker's part of a photo: clean versions and a thumbnail."""

from __future__ import annotations

from celery import Task, shared_task

from fieldwork.core.storage import StorageError
from fieldwork.extensions import db
from fieldwork.photos.models import Photo
from fieldwork.photos.services import fail_photo, process_photo

MAX_RETRIES = 8


@shared_task(name="photos.process", bind=True, max_retries=MAX_RETRIES)
def process(self: Task, photo_id: int) -> str:
    """Downscale, strip every EXIF field, make the thumbnail. Safe to run twice. Storage
    that cannot be reached is tried again, a little later each time; after the last try the
    photo is marked failed, never left "processing" for ever."""
    try:
        status = process_photo(photo_id)
    except StorageError as exc:
        db.session.rollback()
        if self.request.retries >= MAX_RETRIES:
            photo = db.session.get(Photo, photo_id, with_for_update=True)
            status = fail_photo(photo, f"storage: {exc}") if photo is not None else "gone"
            db.session.commit()
            return status
        # at most 4 minutes: below the broker's visibility timeout (README, "Workers"), or
        # Redis would hand the waiting retry to a second worker
        raise self.retry(exc=exc, countdown=min(240, 5 * 2**self.request.retries)) from exc
    db.session.commit()
    return status
