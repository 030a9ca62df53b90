"""Photos' part of the reconciliation sweep (fieldwork.core.reconcile): a photo still
"processing" a few minutes after it was sent in is processed again.

Idempotent: ``process_photo`` locks the photo and leaves one that is no longer "processing"
(or has no upload left) as it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from fieldwork.core.reconcile import BATCH
from fieldwork.extensions import db
from fieldwork.photos.models import Photo


def unprocessed_photos(cutoff: datetime) -> list[list[Any]]:
    return [
        [photo_id]
        for photo_id in db.session.scalars(
            select(Photo.id)
            .where(
                Photo.status == "processing",
                Photo.upload_key.is_not(None),
                Photo.created_at <= cutoff,
            )
            .order_by(Photo.id)
            .limit(BATCH)
        )
    ]
