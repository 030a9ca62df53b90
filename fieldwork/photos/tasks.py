"""The worker's part of a photo: clean versions and a thumbnail."""

from __future__ import annotations

from celery import shared_task

from fieldwork.core.storage import StorageError
from fieldwork.extensions import db
from fieldwork.photos.services import process_photo


@shared_task(name="photos.process", autoretry_for=(StorageError,), retry_backoff=5,
             max_retries=5)
def process(photo_id: int) -> str:
    """Downscale, strip every EXIF field, make the thumbnail. Safe to run twice."""
    status = process_photo(photo_id)
    db.session.commit()
    return status
