"""Retention: personal data the programme no longer needs is pseudonymised by the same code
as an erasure; rows, and so every count, stay.

Settings (environment, ``FIELDWORK_`` prefix, months unless said otherwise):

* ``RETENTION_CLOSED_CASE_MONTHS`` (24): a resident whose cases are all closed, the last one
  this long ago (and with no signal since).
* ``RETENTION_TARGET_LIST_MONTHS`` (6): the target list of a visit round after its end date,
  the call list and imported candidates of a campaign after it was closed.
* ``RETENTION_UNUSED_LINK_DAYS`` (30): a referrer's one-time link never used, this many days
  after it expired (the referrer's name and e-mail go).
* ``RETENTION_CANDIDATE_MONTHS`` (6): an "ik wil helpen" candidate never followed up (still
  a candidate, no account), and a caring neighbour who joined on the public page and was never
  confirmed (their role is ended, which forgets name, e-mail, phone and note).
* ``RETENTION_PHOTO_ORIGINAL_MONTHS`` (12): a photo's full-size file after its assignment
  ended; the thumbnail, the pin and the counts stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from celery import shared_task
from flask import current_app
from sqlalchemy import ColumnElement, Select, exists, func, not_, select

from fieldwork.calls.models import CallCampaign, CallCandidate, CallImport, CallTarget
from fieldwork.cases.models import Case
from fieldwork.core.audit import record_audit
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.neighbours.models import CaringNeighbour
from fieldwork.neighbours.services import end_role
from fieldwork.photos.models import Photo, PhotoAssignment
from fieldwork.privacy.erasure import (
    Erased,
    delete_files,
    erase_call_candidates,
    erase_call_targets,
    erase_visit_addresses,
    erased_key,
    pseudonymise_residents,
)
from fieldwork.privacy.ledger import ErasureEntry, add_entry
from fieldwork.referrals.models import ReferralLink
from fieldwork.signals.models import Resident, Signal
from fieldwork.visits.models import VisitAddress, VisitImport, VisitRound
from fieldwork.volunteers.models import Volunteer

DEFAULTS = {
    "RETENTION_CLOSED_CASE_MONTHS": 24,
    "RETENTION_TARGET_LIST_MONTHS": 6,
    "RETENTION_UNUSED_LINK_DAYS": 30,
    "RETENTION_CANDIDATE_MONTHS": 6,
    "RETENTION_PHOTO_ORIGINAL_MONTHS": 12,
}
ERASED_LINK_NAME = "[gewist]"
BATCH = 200  # residents pseudonymised in one sweep


def setting(name: str) -> int:
    value = current_app.config.get(name, DEFAULTS[name])
    return int(value)


def months_ago(now: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months earlier (the month's last day when shorter)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    for day in range(now.day, 27, -1) if now.day > 28 else (now.day,):
        try:
            return now.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    return now.replace(year=year, month=month + 1, day=28)


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    ids: Callable[[datetime], Select[Any]]
    purge: Callable[[list[int]], Erased]


# --- which rows are due --------------------------------------------------------------------


def residents_due(now: datetime) -> Select[Any]:
    """Residents whose cases are all closed, the last before the cut-off, with no later
    signal, and not erased yet."""
    cutoff = months_ago(now, setting("RETENTION_CLOSED_CASE_MONTHS"))
    last_closed = (
        select(Case.resident_id, func.max(Case.closed_at).label("closed"))
        .group_by(Case.resident_id)
        .having(func.count() == func.count(Case.closed_at))  # no open case
        .subquery()
    )
    newer_signal = exists().where(Signal.resident_id == Resident.id, Signal.created_at >= cutoff)
    return (
        select(Resident.id)
        .join(last_closed, last_closed.c.resident_id == Resident.id)
        .where(last_closed.c.closed < cutoff, not_(newer_signal), _not_erased())
        .order_by(Resident.id)
    )


def _not_erased() -> Any:
    return not_(exists().where(ErasureEntry.resident_id == Resident.id))


def visit_addresses_due(now: datetime) -> Select[Any]:
    cutoff = months_ago(now, setting("RETENTION_TARGET_LIST_MONTHS")).date()
    return (
        select(VisitAddress.id)
        .join(VisitRound, VisitRound.id == VisitAddress.round_id)
        .where(VisitRound.ends_on < cutoff, not_(VisitAddress.name_key.startswith("#gewist")))
        .order_by(VisitAddress.id)
    )


def call_targets_due(now: datetime) -> Select[Any]:
    cutoff = months_ago(now, setting("RETENTION_TARGET_LIST_MONTHS"))
    return (
        select(CallTarget.id)
        .join(CallCampaign, CallCampaign.id == CallTarget.campaign_id)
        .where(CallCampaign.closed_at < cutoff, not_(CallTarget.name_key.startswith("#gewist")))
        .order_by(CallTarget.id)
    )


def call_candidates_due(now: datetime) -> Select[Any]:
    cutoff = months_ago(now, setting("RETENTION_TARGET_LIST_MONTHS"))
    return (
        select(CallCandidate.id)
        .join(CallCampaign, CallCampaign.id == CallCandidate.campaign_id)
        .where(CallCampaign.closed_at < cutoff, not_(CallCandidate.name_key.startswith("#gewist")))
        .order_by(CallCandidate.id)
    )


def links_due(now: datetime) -> Select[Any]:
    cutoff = now - timedelta(days=setting("RETENTION_UNUSED_LINK_DAYS"))
    return (
        select(ReferralLink.id)
        .where(
            ReferralLink.used_at.is_(None),
            ReferralLink.expires_at < cutoff,
            ReferralLink.referrer_name != ERASED_LINK_NAME,
        )
        .order_by(ReferralLink.id)
    )


def candidates_due(now: datetime) -> Select[Any]:
    cutoff = months_ago(now, setting("RETENTION_CANDIDATE_MONTHS"))
    return (
        select(Volunteer.id)
        .where(
            Volunteer.status == "candidate",
            Volunteer.user_id.is_(None),
            Volunteer.intake_at.is_(None),
            Volunteer.status_changed_at < cutoff,
            not_(Volunteer.name.startswith("Gewiste kandidaat")),
        )
        .order_by(Volunteer.id)
    )


def unconfirmed_neighbours_due(now: datetime) -> Select[Any]:
    cutoff = months_ago(now, setting("RETENTION_CANDIDATE_MONTHS"))
    return (
        select(CaringNeighbour.id)
        .where(CaringNeighbour.status == "pending", CaringNeighbour.created_at < cutoff)
        .order_by(CaringNeighbour.id)
    )


def photo_originals_due(now: datetime) -> Select[Any]:
    cutoff: date = months_ago(now, setting("RETENTION_PHOTO_ORIGINAL_MONTHS")).date()
    return (
        select(Photo.id)
        .join(PhotoAssignment, PhotoAssignment.id == Photo.assignment_id)
        .where(PhotoAssignment.ends_on < cutoff, Photo.original_key.is_not(None))
        .order_by(Photo.id)
    )


# --- how they go ---------------------------------------------------------------------------


def purge_residents(ids: list[int]) -> Erased:
    erased = Erased()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        residents = list(db.session.scalars(select(Resident).where(Resident.id.in_(chunk))))
        for kind, number in pseudonymise_residents(residents).counts.items():
            erased.add(kind, number)
        for resident_id in chunk:
            # in the ledger too: a restore must not bring back what retention removed
            add_entry(resident_id, None, "retention")
    return erased


def purge_visit_addresses(ids: list[int]) -> Erased:
    erased = Erased()
    erase_visit_addresses(ids, erased)
    rounds = select(VisitAddress.round_id).where(VisitAddress.id.in_(ids))
    erased.add("visit_imports", _scrub_reports(VisitImport, VisitImport.round_id.in_(rounds)))
    return erased


def purge_call_targets(ids: list[int]) -> Erased:
    erased = Erased()
    erase_call_targets(ids, erased)
    campaigns = select(CallTarget.campaign_id).where(CallTarget.id.in_(ids))
    erased.add("call_imports", _scrub_reports(CallImport, CallImport.campaign_id.in_(campaigns)))
    return erased


def _scrub_reports(model: Any, owned: ColumnElement[bool]) -> int:
    """A list gone by retention: its import reports keep the counts and which lines were
    refused, not the addresses and values of those lines."""
    scrubbed = 0
    for job in db.session.scalars(select(model).where(owned)):
        report = job.report or {}
        job.report = {
            kind: [_line_only(entry) for entry in value] if isinstance(value, list) else value
            for kind, value in report.items()
        }
        scrubbed += job.report != report
    return scrubbed


def _line_only(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    return {key: value for key, value in entry.items() if key in ("line", "of_line")}


def purge_call_candidates(ids: list[int]) -> Erased:
    erased = Erased()
    erase_call_candidates(ids, erased)
    return erased


def purge_links(ids: list[int]) -> Erased:
    erased = Erased()
    for link in db.session.scalars(select(ReferralLink).where(ReferralLink.id.in_(ids))):
        link.referrer_name, link.organisation, link.email = ERASED_LINK_NAME, "", None
        erased.add("referral_links", 1)
    return erased


def purge_candidates(ids: list[int]) -> Erased:
    erased = Erased()
    for volunteer in db.session.scalars(select(Volunteer).where(Volunteer.id.in_(ids))):
        volunteer.name = f"Gewiste kandidaat #{volunteer.id}"
        volunteer.email = volunteer.phone = None
        volunteer.talents = volunteer.energy = volunteer.motivation = ""
        volunteer.experience = volunteer.support_note = volunteer.other_role = ""
        erased.add("volunteers", 1)
    return erased


def purge_unconfirmed_neighbours(ids: list[int]) -> Erased:
    erased = Erased()
    for neighbour in db.session.scalars(select(CaringNeighbour).where(CaringNeighbour.id.in_(ids))):
        end_role(neighbour)
        erased.add("caring_neighbours", 1)
    return erased


def purge_photo_originals(ids: list[int]) -> Erased:
    erased = Erased()
    for photo in db.session.scalars(select(Photo).where(Photo.id.in_(ids))):
        delete_files([photo.original_key])
        photo.original_key = None
        erased.add("photos", 1)
    return erased


CATEGORIES = (
    Category("closed_cases", "residents of cases closed long ago", residents_due, purge_residents),
    Category(
        "visit_lists", "visit-round target addresses", visit_addresses_due, purge_visit_addresses
    ),
    Category("call_lists", "call-campaign targets", call_targets_due, purge_call_targets),
    Category(
        "call_candidates",
        "call-campaign imported candidates",
        call_candidates_due,
        purge_call_candidates,
    ),
    Category("unused_links", "one-time links never used", links_due, purge_links),
    Category(
        "intake_candidates",
        "volunteer candidates never followed up",
        candidates_due,
        purge_candidates,
    ),
    Category(
        "unconfirmed_neighbours",
        "caring neighbours never confirmed",
        unconfirmed_neighbours_due,
        purge_unconfirmed_neighbours,
    ),
    Category(
        "photo_originals", "full-size photo files", photo_originals_due, purge_photo_originals
    ),
)


def due(now: datetime | None = None) -> dict[str, list[int]]:
    """Per category, the ids that would go now."""
    moment = now or utcnow()
    return {c.key: list(db.session.scalars(c.ids(moment))) for c in CATEGORIES}


def purge(now: datetime | None = None) -> dict[str, int]:
    """Pseudonymise everything past its retention period; per category, how many rows.
    Flushes, never commits."""
    moment = now or utcnow()
    counts: dict[str, int] = {}
    for category in CATEGORIES:
        ids = list(db.session.scalars(category.ids(moment)))
        if ids:
            category.purge(ids)
        counts[category.key] = len(ids)
    record_audit("retention_purged", "privacy", None, **counts)
    db.session.flush()
    return counts


@shared_task(name="privacy.purge")
def purge_task() -> dict[str, int]:
    """Daily (Celery beat): the retention purge."""
    counts = purge()
    db.session.commit()
    return counts


__all__ = ["CATEGORIES", "DEFAULTS", "due", "erased_key", "purge", "purge_task"]
