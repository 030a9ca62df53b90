"""The coordinator's side of a photo assignment: moderation (approve, hide, rotate, tag, a
signal for the neighbourhood), what each consent allows, galleries and counts. Every change
is audited. Flush, never commit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.core.storage import storage
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.photos.models import PHOTO_STATUSES, SIDES, Photo, PhotoAssignment
from fieldwork.photos.services import PhotoError, prompt_for, week_dates, weeks
from fieldwork.photos.uploads import render
from fieldwork.signals.models import Signal
from fieldwork.signals.vocabulary import THEME_DOMAINS, THEMES

# What each use of a photo may show: a consent allows what the ones before it allow.
USAGES: dict[str, tuple[str, ...]] = {
    "analysis": ("analysis", "report", "public"),
    "report": ("report", "public"),
    "public": ("public",),
}
ROTATIONS = (0, 90, 180, 270)
PHOTO_POLARITIES = ("strength", "concern")
MODERATED = ("new", "approved", "hidden")  # the worker made the stored versions


def public_link(assignment: PhotoAssignment) -> str:
    """The address residents open (printed as the flyer's QR code)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/f/{assignment.token}"


def get_photo(photo_id: int, lock: bool = False) -> Photo | None:
    """The photo, locked for the rest of the transaction when it is about to change."""
    return db.session.get(Photo, photo_id, with_for_update=True if lock else None)


# --- what each consent allows -------------------------------------------------------------


def photos_for(
    usage: str,
    assignment: PhotoAssignment | None = None,
    neighbourhood_id: int | None = None,
    week: int | None = None,
) -> list[Photo]:
    """Approved photos that may be used for ``usage``: "analysis" (staff views: every
    approved photo), "report" (the neighbourhood report: consent report or public) or
    "public" (shown without an account: consent public). Hidden, new, processing and
    failed photos are never in it. By week, side, then as they came in."""
    if usage not in USAGES:
        raise ValueError(f"unknown usage {usage!r}")
    query = select(Photo).where(Photo.status == "approved", Photo.consent.in_(USAGES[usage]))
    if assignment is not None:
        query = query.where(Photo.assignment_id == assignment.id)
    if neighbourhood_id is not None:
        query = query.where(Photo.neighbourhood_id == neighbourhood_id)
    if week is not None:
        query = query.where(Photo.week == week)
    return list(
        db.session.scalars(
            query.order_by(
                Photo.assignment_id, Photo.week, Photo.side.desc(), Photo.created_at, Photo.id
            )
        )
    )


def may_show(photo: Photo, usage: str) -> bool:
    """Whether this one photo may be used for ``usage`` (the same rule as photos_for)."""
    return photo.status == "approved" and photo.consent in USAGES.get(usage, ())


# --- moderation -----------------------------------------------------------------------------


def image_key(photo: Photo, kind: str) -> str | None:
    """Where the stored "full" photo or its "thumb" is, once the worker made them."""
    if photo.status not in MODERATED:
        return None
    return {"thumb": photo.thumb_key, "full": photo.original_key}.get(kind)


def _needs_versions(photo: Photo) -> None:
    if photo.status == "processing":
        raise PhotoError(_("This photo is still being processed."), "status", 409)
    if photo.status == "failed" or not photo.original_key or not photo.thumb_key:
        raise PhotoError(_("This photo could not be processed."), "status", 409)


def _moderated(photo: Photo, user: User | None, action: str, **detail: object) -> None:
    """Who moderated the photo and when, and the audit event of what they did."""
    photo.moderated_by_id = user.id if user else None
    photo.moderated_at = utcnow()
    record_audit(action, "photo", photo.id, user_id=photo.moderated_by_id, **detail)


def _set_status(photo: Photo, status: str, user: User | None, action: str) -> Photo:
    if photo.status != status:  # the same status again changes nothing (a double tap)
        before, photo.status = photo.status, status
        _moderated(photo, user, action, before=before)
    return photo


def approve(photo: Photo, user: User | None) -> Photo:
    """The photo may be used (as far as its consent allows)."""
    _needs_versions(photo)
    return _set_status(photo, "approved", user, "photo_approved")


def hide(photo: Photo, user: User | None) -> Photo:
    """The photo is in no gallery, report or export any more (it can be approved again)."""
    if photo.status == "processing":
        raise PhotoError(_("This photo is still being processed."), "status", 409)
    return _set_status(photo, "hidden", user, "photo_hidden")


def rotate(photo: Photo, rotation: int, user: User | None) -> Photo:
    """Turn the photo to ``rotation`` degrees clockwise from how it came in (0, 90, 180,
    270): the stored original and the thumbnail are drawn again from the stored original.
    Asking for the rotation it already has changes nothing (safe to send twice)."""
    if rotation not in ROTATIONS:
        raise PhotoError(
            _("Turn a photo by a quarter turn: 0, 90, 180 or 270 degrees."), "rotation"
        )
    _needs_versions(photo)
    step = (rotation - photo.rotation) % 360
    if not step:
        return photo
    files = storage()
    original_key, thumb_key = str(photo.original_key), str(photo.thumb_key)  # both checked
    original, thumb, width, height = render(files.get(original_key), step)
    files.put(original_key, original, "image/jpeg")
    files.put(thumb_key, thumb, "image/jpeg")
    before = photo.rotation
    photo.rotation, photo.width, photo.height = rotation, width, height
    _moderated(photo, user, "photo_rotated", before=before, rotation=rotation)
    return photo


def tag(photo: Photo, themes: list[str], polarity: str | None, user: User | None) -> Photo:
    """The themes the photo shows (the product's theme list) and whether it shows a
    strength or a concern (or neither: None)."""
    unknown = [theme for theme in themes if theme not in THEMES]
    if unknown:
        raise PhotoError(_("Unknown theme: %(theme)s.", theme=unknown[0]), "themes")
    if polarity is not None and polarity not in PHOTO_POLARITIES:
        raise PhotoError(_("A photo shows a strength or a concern."), "polarity")
    cleaned = list(dict.fromkeys(themes))
    if cleaned != list(photo.themes or []) or polarity != photo.polarity:
        photo.themes, photo.polarity = cleaned, polarity
        _moderated(photo, user, "photo_tagged", themes=cleaned, polarity=polarity)
    return photo


def make_signal(photo: Photo, theme: str, user: User | None) -> Signal:
    """A concern the photo shows becomes a signal for its neighbourhood — about a place,
    never a person: no resident, no note. Once per photo (409 the second time)."""
    if theme not in THEMES:
        raise PhotoError(_("Choose a theme."), "theme")
    if photo.signal_id is not None:
        raise PhotoError(_("This photo already became a signal."), "signal", 409)
    if photo.status not in ("new", "approved"):
        raise PhotoError(_("Only a photo that is not hidden can become a signal."), "status", 409)
    if photo.neighbourhood_id is None:
        raise PhotoError(
            _("This photo has no neighbourhood: a signal needs one."), "neighbourhood", 422
        )
    if photo.polarity == "strength":
        raise PhotoError(
            _("This photo shows a strength; only a concern becomes a signal."), "polarity", 422
        )
    signal = Signal(
        resident=None,
        neighbourhood_id=photo.neighbourhood_id,
        theme=theme,
        domain=THEME_DOMAINS[theme],
        urgency="normal",
        polarity="need",
        source="photo",
        note="",
        filed_by_id=user.id if user else None,
    )
    db.session.add(signal)
    db.session.flush()
    photo.signal_id = signal.id
    photo.polarity = "concern"
    if theme not in (photo.themes or []):
        photo.themes = [*(photo.themes or []), theme]
    _moderated(photo, user, "photo_signal_created", signal_id=signal.id, theme=theme)
    # no resident: routing only counts it for the neighbourhood, as every signal without one
    enqueue_after_commit("routing.route_signal", signal.id)
    return signal


# --- queues, galleries, counts ---------------------------------------------------------------


def photos_with_status(assignment: PhotoAssignment, status: str, limit: int = 100) -> list[Photo]:
    """The moderation queue of one status, oldest first (the first in is moderated first)."""
    if status not in PHOTO_STATUSES:
        return []
    return list(
        db.session.scalars(
            select(Photo)
            .where(Photo.assignment_id == assignment.id, Photo.status == status)
            .order_by(Photo.created_at, Photo.id)
            .limit(limit)
        )
    )


def status_counts(assignment: PhotoAssignment) -> dict[str, int]:
    """Photos of the assignment per status (every status present, 0 when none)."""
    rows = dict(
        db.session.execute(
            select(Photo.status, func.count())
            .where(Photo.assignment_id == assignment.id)
            .group_by(Photo.status)
        ).all()
    )
    return {status: int(rows.get(status, 0)) for status in PHOTO_STATUSES}


def counts_by_assignment() -> dict[int, dict[str, int]]:
    """{assignment id: {status: count}} for the list of assignments."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for assignment_id, status, count in db.session.execute(
        select(Photo.assignment_id, Photo.status, func.count()).group_by(
            Photo.assignment_id, Photo.status
        )
    ):
        counts[assignment_id][status] = int(count)
    return dict(counts)


@dataclass
class WeekSummary:
    """One week of the period, its prompt and how many photos came in for it."""

    week: int
    starts_on: date
    ends_on: date
    prompt: str
    contrast: str
    # {"main": {status: n}, "contrast": {status: n}}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def received(self, side: str = "main") -> int:
        return sum(n for status, n in self.counts.get(side, {}).items() if status != "failed")

    def approved(self, side: str = "main") -> int:
        return self.counts.get(side, {}).get("approved", 0)


def week_summaries(assignment: PhotoAssignment) -> list[WeekSummary]:
    """Every week of the period with its prompt and the photo counts per side and status."""
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for week, side, status, count in db.session.execute(
        select(Photo.week, Photo.side, Photo.status, func.count())
        .where(Photo.assignment_id == assignment.id)
        .group_by(Photo.week, Photo.side, Photo.status)
    ):
        counts[(week, side)][status] = int(count)
    summaries = []
    for week in range(1, weeks(assignment) + 1):
        prompt = prompt_for(assignment, week)
        first, last = week_dates(assignment, week)
        summaries.append(
            WeekSummary(
                week,
                first,
                last,
                prompt["prompt"],
                prompt.get("contrast") or "",
                {side: counts.get((week, side), {}) for side in SIDES},
            )
        )
    return summaries


@dataclass
class PromptCount:
    """Approved photos per prompt (as the residents saw it), for the neighbourhood report."""

    assignment_id: int
    week: int
    side: str
    prompt: str
    count: int


def prompt_counts(
    usage: str = "analysis",
    assignment: PhotoAssignment | None = None,
    neighbourhood_id: int | None = None,
) -> list[PromptCount]:
    """How many photos each prompt got that may be used for ``usage`` (see photos_for)."""
    if usage not in USAGES:
        raise ValueError(f"unknown usage {usage!r}")
    query = select(Photo.assignment_id, Photo.week, Photo.side, Photo.prompt, func.count()).where(
        Photo.status == "approved", Photo.consent.in_(USAGES[usage])
    )
    if assignment is not None:
        query = query.where(Photo.assignment_id == assignment.id)
    if neighbourhood_id is not None:
        query = query.where(Photo.neighbourhood_id == neighbourhood_id)
    rows = db.session.execute(
        query.group_by(Photo.assignment_id, Photo.week, Photo.side, Photo.prompt).order_by(
            Photo.assignment_id, Photo.week, Photo.side.desc()
        )
    )
    return [PromptCount(a, w, s, p, int(n)) for a, w, s, p, n in rows]


@dataclass
class GalleryWeek:
    """The photos of one week: the prompt's photos and the contrast's, side by side."""

    week: int
    prompt: str
    contrast: str
    main: list[Photo] = field(default_factory=list)
    contrasting: list[Photo] = field(default_factory=list)

    @property
    def paired(self) -> bool:
        return bool(self.contrast or self.contrasting)


def gallery(
    assignment: PhotoAssignment,
    usage: str,
    neighbourhood_id: int | None = None,
    week: int | None = None,
) -> list[GalleryWeek]:
    """The photos that may be shown for ``usage``, grouped per week (prompt); weeks without
    photos are left out."""
    grouped: dict[int, GalleryWeek] = {}
    for photo in photos_for(usage, assignment, neighbourhood_id, week):
        entry = grouped.get(photo.week)
        if entry is None:
            prompt = prompt_for(assignment, photo.week)
            entry = grouped[photo.week] = GalleryWeek(
                photo.week, prompt["prompt"], prompt.get("contrast") or ""
            )
        (entry.contrasting if photo.side == "contrast" else entry.main).append(photo)
    return [grouped[w] for w in sorted(grouped)]


def pinned(photos: list[Photo]) -> list[Photo]:
    """The photos the resident placed on the map."""
    return [p for p in photos if p.lat is not None and p.lon is not None]
