"""The neighbourhood analysis: attention points and quotes the coordinator writes, and the
printable report the worker makes. Flush, never commit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.core.errors import ServiceError
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.core.storage import StorageError, storage
from fieldwork.db import NO_KEY_UPDATE, local, local_today, utcnow
from fieldwork.extensions import db
from fieldwork.photos.models import Photo
from fieldwork.reports.models import AttentionPoint, NeighbourhoodReport, Quote
from fieldwork.reports.pdf import ReportData, render_report
from fieldwork.reports.social_map import facilities_by_hood
from fieldwork.signals.vocabulary import SOURCES, THEMES, label


class AnalysisError(ServiceError):
    pass


def attention_points(neighbourhood_id: int) -> list[AttentionPoint]:
    return list(
        db.session.scalars(
            select(AttentionPoint)
            .where(AttentionPoint.neighbourhood_id == neighbourhood_id)
            .order_by(AttentionPoint.position, AttentionPoint.id)
        )
    )


def add_attention_point(
    neighbourhood: Neighbourhood,
    title: str,
    text: str,
    themes: list[str],
    photo_ids: list[int],
    indicators: list[str],
    user: User,
) -> AttentionPoint:
    """An attention point for the neighbourhood plan, linked to the findings behind it."""
    title = " ".join(title.split())[:200]
    if not title:
        raise AnalysisError(_("Give the attention point a title."), "title")
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        raise AnalysisError(_("Unknown theme: %(theme)s.", theme=unknown[0][:40]), "themes")
    indicator_choices, photo_choices = linkable_findings(neighbourhood)
    if set(indicators) - {name for name, _label in indicator_choices}:
        raise AnalysisError(_("Choose indicators imported for this municipality."), "indicators")
    if set(photo_ids) - {photo.id for photo in photo_choices}:
        raise AnalysisError(_("Choose approved photos of this neighbourhood."), "photos")
    position = len(attention_points(neighbourhood.id))
    point = AttentionPoint(
        neighbourhood_id=neighbourhood.id,
        title=title,
        text=text.strip()[:4000],
        position=position,
        created_by_id=user.id,
        findings={
            "themes": list(dict.fromkeys(themes)),
            "photos": sorted(set(photo_ids))[:50],
            "indicators": list(dict.fromkeys(indicators))[:20],
        },
    )
    db.session.add(point)
    db.session.flush()
    return point


def linkable_findings(neighbourhood: Neighbourhood) -> tuple[list[tuple[str, str]], list[Photo]]:
    """What an attention point may be based on besides themes: the indicators imported for
    the municipality (name, label) and the neighbourhood's approved photos."""
    from fieldwork.photos.moderation import photos_for
    from fieldwork.reports.indicators import indicator_label, indicators_for

    indicators = [
        (name, str(indicator_label(name)))
        for name, _years in indicators_for(neighbourhood.municipality)
    ]
    return indicators, photos_for("analysis", neighbourhood_id=neighbourhood.id)


def described_findings(point: AttentionPoint, photos: dict[int, Photo]) -> list[str]:
    """The findings behind a point in words: theme and indicator names, photo captions."""
    from fieldwork.reports.indicators import indicator_label
    from fieldwork.signals.vocabulary import label

    findings = point.findings or {}
    words = [str(label("theme", theme)) for theme in findings.get("themes", [])]
    words += [str(indicator_label(name)) for name in findings.get("indicators", [])]
    for photo_id in findings.get("photos", []):
        photo = photos.get(photo_id)
        if photo is not None:
            words.append(_("photo “%(caption)s”", caption=photo.caption or photo.prompt))
    return words


def quotes(neighbourhood_id: int) -> list[Quote]:
    return list(
        db.session.scalars(
            select(Quote).where(Quote.neighbourhood_id == neighbourhood_id).order_by(Quote.id)
        )
    )


def add_quote(
    neighbourhood: Neighbourhood, text: str, theme: str | None, source: str, user: User
) -> Quote:
    """What was heard, written down anonymised by the coordinator (no names, no addresses:
    the form says so; the coordinator is responsible for it)."""
    text = " ".join(text.split())[:600]
    if not text:
        raise AnalysisError(_("Write down what was heard."), "text")
    if theme and theme not in THEMES:
        raise AnalysisError(_("Unknown theme: %(theme)s.", theme=theme[:40]), "theme")
    if source not in (*SOURCES, "manual"):
        raise AnalysisError(_("Unknown source."), "source")
    quote = Quote(
        neighbourhood_id=neighbourhood.id,
        text=text,
        theme=theme or None,
        source=source,
        created_by_id=user.id,
    )
    db.session.add(quote)
    db.session.flush()
    return quote


# A report still pending after this long was lost (a worker killed mid-render): a new one may
# be asked for. Within it, asking again (a double tap, an impatient second click) takes it.
REPORT_IN_THE_MAKING = timedelta(minutes=10)


def request_report(neighbourhood: Neighbourhood, user: User) -> NeighbourhoodReport | None:
    """A new report PDF, made by the worker after commit; None while one for the neighbourhood
    is still being made."""
    db.session.refresh(neighbourhood, with_for_update=NO_KEY_UPDATE)  # two taps at once: one
    being_made = latest_report(neighbourhood.id)
    if (
        being_made is not None
        and being_made.status in ("pending", "running")
        and utcnow() - being_made.created_at < REPORT_IN_THE_MAKING
    ):
        return None
    report = NeighbourhoodReport(neighbourhood_id=neighbourhood.id, requested_by_id=user.id)
    db.session.add(report)
    db.session.flush()
    enqueue_after_commit("reports.render_report", report.id)
    return report


def latest_report(neighbourhood_id: int) -> NeighbourhoodReport | None:
    return db.session.scalar(
        select(NeighbourhoodReport)
        .where(NeighbourhoodReport.neighbourhood_id == neighbourhood_id)
        .order_by(NeighbourhoodReport.id.desc())
        .limit(1)
    )


def _report_period(neighbourhood: Neighbourhood, today: date) -> str:
    """The report counts everything so far: from the neighbourhood's first signal."""
    from fieldwork.signals.models import Signal

    first = db.session.scalar(
        select(func.min(Signal.created_at)).where(Signal.neighbourhood_id == neighbourhood.id)
    )
    if first is None:
        return f"alles tot en met {today:%d/%m/%Y} (nog geen signalen)"
    return f"alles van {local(first):%d/%m/%Y} tot en met {today:%d/%m/%Y}"


def report_data(neighbourhood: Neighbourhood) -> ReportData:
    from fieldwork.photos.moderation import photos_for
    from fieldwork.reports.figures import neighbourhood_figures
    from fieldwork.reports.hood_answers import neighbourhood_answers
    from fieldwork.reports.indicators import latest_comparisons
    from fieldwork.reports.theme_table import suppressed_figures

    figures = suppressed_figures(
        {neighbourhood.id: neighbourhood_figures(neighbourhood.id)},
        neighbourhood.municipality_id,
        None,
        None,
    )[neighbourhood.id]
    comparisons = latest_comparisons(neighbourhood)
    files = storage()
    photos = []
    printable = photos_for("report", neighbourhood_id=neighbourhood.id)
    for photo in printable[:12]:
        if photo.thumb_key:
            try:
                photos.append((photo.caption, files.get(photo.thumb_key)))
            except StorageError:  # one unreadable photo does not stop the report
                continue
    from fieldwork.reports.models import IndicatorValue

    sources = sorted(
        set(
            db.session.scalars(
                select(IndicatorValue.source)
                .where(IndicatorValue.municipality_id == neighbourhood.municipality_id)
                .distinct()
            )
        )
        - {""}
    )
    points = attention_points(neighbourhood.id)
    by_id = {photo.id: photo for photo in printable}  # a caption without report consent
    today = local_today()
    return ReportData(  # stays out of the report
        municipality=neighbourhood.municipality.name,
        neighbourhood=neighbourhood.name,
        made_on=today,
        period=_report_period(neighbourhood, today),
        figures=figures,
        indicators=comparisons,
        quotes=quotes(neighbourhood.id),
        points=points,
        photos=photos,
        sources=sources,
        findings={point.id: described_findings(point, by_id) for point in points},
        answers=neighbourhood_answers(neighbourhood.id),
        facilities=_facility_lines(neighbourhood),
    )


def _facility_lines(neighbourhood: Neighbourhood) -> tuple[list[str], list[str], list[str]] | None:
    hood = facilities_by_hood({neighbourhood.municipality_id}).get(neighbourhood.id)
    if hood is None:
        return None
    return (
        [f"{s.name} ({s.organisation.name})" for s in hood.services],
        [o.name for o in hood.located],
        [label("theme", t) for t in hood.themes_without],
    )


def render_report_job(report_id: int) -> str:
    """The worker: make the PDF, keep it in storage. Safe to run twice."""
    report = db.session.get(NeighbourhoodReport, report_id, with_for_update=True)
    if report is None:
        return "gone"
    if report.status == "done":
        return report.status
    report.status = "running"
    key = f"reports/{uuid.uuid4().hex}.pdf"
    try:
        storage().put(key, render_report(report_data(report.neighbourhood)), "application/pdf")
    except Exception as exc:  # the coordinator sees why and can ask again
        report.status, report.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
        report.finished_at = utcnow()
        return report.status
    report.storage_key, report.status, report.finished_at = key, "done", utcnow()
    return report.status
