from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy import select, update

from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.referrals.codes import display
from fieldwork.referrals.models import CardSeries, CardSeriesPdf, ReferralCard
from fieldwork.referrals.pdf import PrintedCard, SeriesPrint, render_series_pdf

log = logging.getLogger(__name__)
PROGRESS_EVERY = 40  # cards between progress commits (10 pages)


def _set(series_id: int, **values: object) -> None:
    db.session.execute(update(CardSeries).where(CardSeries.id == series_id).values(**values))
    db.session.commit()


@shared_task(name="referrals.render_series_pdf")
def render_series_pdf_task(series_id: int) -> int:
    """Make the printable sheets of a series, with progress on the series page. Safe to run
    twice: a finished series is left alone. Returns the size in bytes."""
    from fieldwork.referrals.services import card_url

    series = db.session.get(CardSeries, series_id)
    if series is None or series.pdf_status == "done":
        return 0
    _set(series_id, pdf_status="running", pdf_done=0, pdf_error=None, pdf_started_at=utcnow())
    codes = list(
        db.session.scalars(
            select(ReferralCard.code)
            .where(ReferralCard.series_id == series_id)
            .order_by(ReferralCard.id)
        )
    )
    printed = SeriesPrint(
        municipality=series.municipality.name,
        title=series.name,
        service_offer=[
            (item.get("name", ""), item.get("phone", "")) for item in series.service_offer or []
        ],
        consent_text=series.consent_text.text,
        consent_version=series.consent_text.version,
    )
    last = [0]

    def progress(done: int) -> None:
        if done - last[0] >= PROGRESS_EVERY or done == len(codes):
            last[0] = done
            _set(series_id, pdf_done=done)

    try:
        data = render_series_pdf(
            printed, (PrintedCard(display(code), card_url(code)) for code in codes), progress
        )
    except Exception as exc:
        db.session.rollback()
        log.exception("series %s: PDF failed", series_id)
        _set(series_id, pdf_status="failed", pdf_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    db.session.merge(CardSeriesPdf(series_id=series_id, data=data, created_at=utcnow()))
    db.session.execute(
        update(CardSeries)
        .where(CardSeries.id == series_id)
        .values(pdf_status="done", pdf_done=len(codes), pdf_finished_at=utcnow())
    )
    db.session.commit()
    return len(data)


@shared_task(name="referrals.clean_strip_photo")
def clean_strip_photo_task(submission_id: int) -> str:
    """Decode a filed card's strip photo in the worker (never in the web request) and keep
    a small JPEG without metadata. Safe to run twice."""
    from fieldwork.referrals.services import clean_strip_photo

    status = clean_strip_photo(submission_id)
    db.session.commit()
    return status


@shared_task(name="referrals.requeue_strip_photos")
def requeue_strip_photos_task() -> int:
    """Beat, every 5 minutes: strip photos whose task was lost get it again."""
    from fieldwork.referrals.services import requeue_pending_strip_photos

    count = requeue_pending_strip_photos()
    db.session.commit()
    return count
