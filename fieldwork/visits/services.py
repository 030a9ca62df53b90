"""Visit rounds: create, assign addresses to volunteers, the volunteer's walking list, the
findings sheet into the core, and the round's progress. Flush, never commit."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.core.dates import not_plausible_message, plausible
from fieldwork.core.errors import ServiceError
from fieldwork.core.forms import small_id
from fieldwork.core.models import AuditEvent
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.db import local, local_today, utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Signal
from fieldwork.signals.services import SignalError, create_signals
from fieldwork.visits.hooks import visit_undone
from fieldwork.visits.models import OUTCOMES, VISIT_FLAGS, Visit, VisitAddress, VisitRound
from fieldwork.volunteers.gate import account_refusal

OPEN = ("to_visit", "not_home")
FINAL_FOR_OUTCOME = {
    "spoken": "visited",
    "refused": "refused",
    "moved": "moved",
    "deceased": "deceased",
}


class VisitError(ServiceError):
    """A round, assignment or findings sheet refused."""


def create_round(
    municipality: Municipality,
    name: str,
    neighbourhood_ids: list[int],
    starts_on: date,
    ends_on: date,
    info_material: list[str],
    max_attempts: int,
    by: User | None,
) -> VisitRound:
    if not name.strip():
        raise VisitError(_("Give the round a name."), "name")
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not plausible(day):
            raise VisitError(not_plausible_message(), name)
    if ends_on < starts_on:
        raise VisitError(_("The round ends before it starts."), "ends_on")
    if not 1 <= max_attempts <= 10:
        raise VisitError(_("Between 1 and 10 attempts."), "max_attempts")
    neighbourhoods = list(
        db.session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.id.in_(neighbourhood_ids),
                Neighbourhood.municipality_id == municipality.id,
            )
        )
    )
    if not neighbourhoods or len(neighbourhoods) != len(set(neighbourhood_ids)):
        raise VisitError(
            _("Choose one or more neighbourhoods of this municipality."), "neighbourhoods"
        )
    visit_round = VisitRound(
        municipality_id=municipality.id,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        max_attempts=max_attempts,
        neighbourhoods=neighbourhoods,
        info_material=[item.strip()[:80] for item in info_material if item.strip()][:20],
        created_by_id=by.id if by else None,
    )
    db.session.add(visit_round)
    db.session.flush()
    return visit_round


def _volunteer(user: User | None, field_name: str) -> User | None:
    if user is None:
        return None
    if user.role != "volunteer" or not user.active:
        raise VisitError(_("Choose an active volunteer."), field_name)
    reason = account_refusal(user)
    if reason:
        raise VisitError(reason, field_name)
    return user


def assign(addresses: list[VisitAddress], volunteer: User, partner: User | None = None) -> int:
    """Give these addresses (still open) to a volunteer, or a pair. Returns how many."""
    _volunteer(volunteer, "volunteer")
    _volunteer(partner, "partner")
    if partner is not None and partner.id == volunteer.id:
        raise VisitError(_("A pair is two different volunteers."), "partner")
    count = 0
    for address in addresses:
        if address.status in OPEN:
            address.volunteer_id = volunteer.id
            address.partner_id = partner.id if partner else None
            count += 1
    db.session.flush()
    return count


def unassign(addresses: list[VisitAddress]) -> int:
    """Take open addresses back from whoever had them (they return to the coordinator)."""
    count = 0
    for address in addresses:
        if address.status in OPEN and address.volunteer_id is not None:
            address.volunteer_id = address.partner_id = None
            count += 1
    db.session.flush()
    return count


def addresses_in_street(visit_round: VisitRound, street: str) -> list[VisitAddress]:
    """A street's addresses: ``street`` is a name, or a key from :func:`streets_of`
    ("kerkstraat@12"), which keeps two villages' Kerkstraat apart."""
    key, _, neighbourhood = street.partition("@")
    query = select(VisitAddress).where(
        VisitAddress.round_id == visit_round.id, VisitAddress.street_key == street_key(key)
    )
    if (hood_id := small_id(neighbourhood)) is not None:
        query = query.where(VisitAddress.neighbourhood_id == hood_id)
    return list(db.session.scalars(query))


def _volunteer_name() -> Any:
    """A volunteer's display name in SQL (User.display_name: the name, else the e-mail)."""
    return func.coalesce(func.nullif(User.name, ""), User.email)


def streets_of(visit_round: VisitRound) -> list[dict[str, Any]]:
    """Each street of the round: how many addresses, how many open, who has them. Counted
    by the database: a round of 20,000 addresses is not loaded to draw its page."""
    several = len(visit_round.neighbourhoods) > 1
    rows: dict[str, dict[str, Any]] = {}
    for key_street, hood_id, hood, street, who, count, still_open in db.session.execute(
        select(
            VisitAddress.street_key,
            VisitAddress.neighbourhood_id,
            Neighbourhood.name,
            func.min(VisitAddress.street),
            _volunteer_name(),
            func.count(),
            func.sum(case((VisitAddress.status.in_(OPEN), 1), else_=0)),
        )
        .join(Neighbourhood, Neighbourhood.id == VisitAddress.neighbourhood_id)
        .outerjoin(User, User.id == VisitAddress.volunteer_id)
        .where(VisitAddress.round_id == visit_round.id)
        .group_by(
            VisitAddress.street_key,
            VisitAddress.neighbourhood_id,
            Neighbourhood.name,
            User.name,
            User.email,
        )
        .order_by(VisitAddress.street_key)
    ):
        key = f"{key_street}@{hood_id}"
        row = rows.setdefault(
            key,
            {
                "key": key,
                "street": f"{street} ({hood})" if several else street,
                "count": 0,
                "open": 0,
                "volunteers": set(),
            },
        )
        row["count"] += count
        row["open"] += int(still_open or 0)
        if who is not None:
            row["volunteers"].add(who)
    return list(rows.values())


_NUMBER = re.compile(r"\d+")


def today() -> date:
    """Today in Belgium (a round ends at midnight there, not in UTC)."""
    return local_today()


def walking_key(address: VisitAddress) -> tuple[str, int, int, str]:
    """Up one side of the street (odd numbers rising), back along the other (even falling)."""
    match = _NUMBER.search(address.house_number or "")
    number = int(match.group()) if match else 0
    odd = number % 2 == 1
    return (
        address.street_key,
        0 if odd else 1,
        number if odd else -number,
        address.house_number or "",
    )


def _open_for(volunteer: User) -> Select[VisitAddress]:
    """The one definition of "on this volunteer's list": theirs (alone or as a pair), still
    open, attempts left, and the round not over (after it, names and phones are gone)."""
    return (
        select(VisitAddress)
        .join(VisitRound)
        .where(
            or_(VisitAddress.volunteer_id == volunteer.id, VisitAddress.partner_id == volunteer.id),
            VisitAddress.status.in_(OPEN),
            VisitAddress.attempts < VisitRound.max_attempts,
            VisitRound.ends_on >= today(),
        )
    )


def my_open_addresses(volunteer: User) -> list[VisitAddress]:
    """The volunteer's own open addresses, in walking order."""
    return sorted(db.session.scalars(_open_for(volunteer)), key=walking_key)


def count_open_addresses(volunteer: User) -> int:
    return db.session.scalar(select(func.count()).select_from(_open_for(volunteer).subquery())) or 0


def open_address_for(volunteer: User, address_id: int, lock: bool = False) -> VisitAddress:
    """An address the volunteer may visit now; the same 404 for someone else's and for none,
    so the list of addresses cannot be probed. ``lock`` before recording a visit: two taps
    at once then record one visit after the other, never a lost attempt."""
    query = _open_for(volunteer).where(VisitAddress.id == address_id)
    if lock:
        query = query.with_for_update(of=VisitAddress).execution_options(populate_existing=True)
    address = db.session.scalar(query)
    if address is None:
        raise VisitError(_("This address is not on your list."), "assignment_id", 404)
    return address


EVIDENCE_TOLERANCE = timedelta(minutes=5)  # phones' clocks drift


def late_visit_target(
    volunteer: User, address_id: int, observed_at: datetime | None
) -> tuple[VisitAddress, str] | None:
    """For an address :func:`open_address_for` refuses: may this volunteer still hand in a
    visit observed at ``observed_at`` (recorded offline, sent later)? Only when the address
    was on their list then — they opened its sheet (the "visit_address_viewed" audit event)
    at or before ``observed_at`` (five minutes' drift allowed) — and the round ran on that
    day (Belgian date). Then the address, locked FOR UPDATE, and the flag for
    :func:`record_visit`: "duplicate" when another volunteer's visit (any outcome but not
    home) is in already, "reassigned" when the address is still open but now someone
    else's (or no one's), "closed" otherwise (attempts used up, round over, a final
    status). None otherwise, also for an address still open and theirs (use
    :func:`open_address_for`): the caller answers the same 404, the list cannot be probed.
    ``observed_at`` must be aware (:func:`fieldwork.core.observed.clamp_observed_at`)."""
    if observed_at is None:
        return None
    if observed_at.tzinfo is None:
        raise ValueError("observed_at must be aware; see fieldwork.core.observed")
    seen = db.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.user_id == volunteer.id,
            AuditEvent.action == "visit_address_viewed",
            AuditEvent.subject_type == "visit_address",
            AuditEvent.subject_id == str(address_id),
            AuditEvent.at <= observed_at + EVIDENCE_TOLERANCE,
        )
        .limit(1)
    )
    if seen is None:
        return None
    address = db.session.scalar(
        select(VisitAddress)
        .where(VisitAddress.id == address_id)
        .with_for_update(of=VisitAddress)
        .execution_options(populate_existing=True)
    )
    if address is None:
        return None
    visit_round = address.round
    if not visit_round.starts_on <= local(observed_at).date() <= visit_round.ends_on:
        return None
    still_open = (
        address.status in OPEN
        and address.attempts < visit_round.max_attempts
        and visit_round.ends_on >= today()
    )
    theirs = volunteer.id in (address.volunteer_id, address.partner_id)
    if still_open and theirs:
        return None
    other_visit = db.session.scalar(
        select(Visit.id)
        .where(
            Visit.address_id == address.id,
            or_(Visit.volunteer_id.is_(None), Visit.volunteer_id != volunteer.id),
            Visit.outcome != "not_home",
        )
        .limit(1)
    )
    if other_visit is not None:
        return address, "duplicate"
    return address, "reassigned" if still_open else "closed"


@dataclass
class Findings:
    outcome: str
    themes: dict[str, str] = field(default_factory=dict)
    info_given: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    card_left: bool = False
    wants_buurtgezel: bool = False
    wants_to_volunteer: bool = False
    wants_contact: bool = False
    consent: dict[str, Any] = field(default_factory=lambda: {"given": False})
    urgent: bool = False
    note: str = ""


def record_visit(
    address: VisitAddress,
    volunteer: User,
    findings: Findings,
    observed_at: datetime | None = None,
    flag: str | None = None,
) -> Visit:
    """Store a findings sheet, move the address on, and turn concerns and strengths into
    signals for the core (routed after commit). Without consent they only count.

    ``observed_at``: when it happened at the door (a sheet recorded offline arrives later).
    ``flag`` (see :func:`late_visit_target`): "reassigned" is applied as usual (the attempt
    counts, the status moves on, so the new volunteer does not ring the same door again);
    "closed" and "duplicate" are stored with their signals and consent but count no attempt
    and never move the status back: only an open address moves on to a final outcome's
    status (a late "not home" never reopens a visited address). The visit keeps its flag
    for the coordinator ("Na te kijken")."""
    if findings.outcome not in OUTCOMES:
        raise VisitError(_("Choose what happened at the door."), "outcome")
    if flag is not None and flag not in VISIT_FLAGS:
        raise ValueError(f"unknown visit flag {flag!r}")
    spoken = findings.outcome == "spoken"
    if findings.wants_contact and spoken and not findings.consent.get("given"):
        raise VisitError(
            _(
                "Contact needs the resident's consent: a signature or the number "
                "of the signed form."
            ),
            "consent",
        )
    moment = observed_at or utcnow()
    if flag in (None, "reassigned"):
        address.attempts += 1
        _visited_at(address, moment)
        if findings.outcome == "not_home":
            address.status = "not_home"
        else:
            address.status = FINAL_FOR_OUTCOME[findings.outcome]
    elif address.status in OPEN and findings.outcome != "not_home":
        # closed or a duplicate: no attempt counted; only forward, to a final status
        _visited_at(address, moment)
        address.status = FINAL_FOR_OUTCOME[findings.outcome]
    visit = Visit(
        address_id=address.id,
        volunteer_id=volunteer.id,
        outcome=findings.outcome,
        attempt=address.attempts,
        observed_at=observed_at,
        flag=flag,
        card_left=findings.card_left and not spoken,
        info_given=findings.info_given if spoken else [],
        themes=findings.themes if spoken else {},
        interests=findings.interests if spoken else [],
        wants_buurtgezel=spoken and findings.wants_buurtgezel,
        wants_to_volunteer=spoken and findings.wants_to_volunteer,
        wants_contact=spoken and findings.wants_contact,
        urgent=findings.urgent,
        # a free-text note names people: kept only with consent or when urgent
        note=findings.note.strip()[:2000]
        if findings.urgent or (spoken and findings.wants_contact and findings.consent.get("given"))
        else "",
    )
    db.session.add(visit)
    db.session.flush()
    signals = _signals_for(address, volunteer, visit, findings) if spoken or findings.urgent else []
    visit.consent_id = next((s.consent_id for s in signals if s.consent_id), None)
    db.session.flush()
    enqueue_after_commit("reports.count_capture", "visit", visit.id)
    return visit


def _visited_at(address: VisitAddress, moment: datetime) -> None:
    """The last visit's moment: a late sheet never moves it back."""
    if address.last_visit_at is None or moment > address.last_visit_at:
        address.last_visit_at = moment


def _signals_for(
    address: VisitAddress, volunteer: User, visit: Visit, findings: Findings
) -> list[Signal]:
    themes = [code for code, answer in findings.themes.items() if answer == "concern"]
    if findings.wants_buurtgezel:
        themes.append("buurtgezel")
    if findings.wants_to_volunteer:
        themes.append("vrijwilliger")
    if findings.urgent and not themes:
        themes.append("onbeantwoorde_nood")
    if visit.wants_contact and not themes:  # asked for contact about nothing in particular
        themes.append("informatie")
    if not themes:
        return []
    consent = findings.consent if visit.wants_contact else {"given": False}
    note = findings.note.strip()[:2000] if consent.get("given") or findings.urgent else ""
    payload = {
        "resident": {
            "name": address.name,
            "street": address.street,
            "house_number": address.house_number or None,
            "postcode": address.postcode,
            "birth_year": address.birth_year,
            "phone": address.phone,
            "lat": None,
            "lon": None,
            "statsec": address.sector.code if address.sector is not None else None,
            "gemeente": address.round.municipality.code,
            "deelgemeente": None,
        },
        "themes": list(dict.fromkeys(themes)),
        "urgency": "urgent" if findings.urgent else "normal",
        "note": note,
        "consent": {
            "given": bool(consent.get("given")),
            "how": consent.get("how"),
            "reference": consent.get("reference"),
        },
    }
    try:
        return create_signals(payload, volunteer, source="visit")
    except SignalError as exc:
        raise VisitError(str(exc), exc.field) from exc


UNDO_WINDOW = timedelta(seconds=60)


def address_label(address: VisitAddress) -> str:
    return f"{address.street} {address.house_number}".strip()


def address_state(address: VisitAddress) -> dict[str, Any]:
    """What recording a visit changes on its address. Taken just before, and kept in the
    "visit_recorded" audit event, so that an undo puts back exactly this."""
    return {
        "status": address.status,
        "attempts": address.attempts,
        "last_visit_at": address.last_visit_at.isoformat() if address.last_visit_at else None,
    }


def may_be_undone(visit: Visit) -> bool:
    """Only a plain "not at home": it made no signals, consent or flag to take back."""
    return (
        visit.outcome == "not_home"
        and visit.flag is None
        and not visit.urgent
        and visit.consent_id is None
    )


def _recorded_after(visit: Visit) -> bool:
    return (
        db.session.scalar(
            select(Visit.id)
            .where(Visit.address_id == visit.address_id, Visit.id > visit.id)
            .limit(1)
        )
        is not None
    )


def _state_before(visit: Visit) -> dict[str, Any] | None:
    """The address as it was before ``visit``, from the audit event that recorded it (the
    address's latest: nothing was recorded on it since)."""
    detail = db.session.scalar(
        select(AuditEvent.detail)
        .where(
            AuditEvent.action == "visit_recorded",
            AuditEvent.subject_type == "visit_address",
            AuditEvent.subject_id == str(visit.address_id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if not detail or detail.get("visit_id") != visit.id:
        return None
    before: dict[str, Any] | None = detail.get("before")
    return before


def undoable_visit(volunteer: User) -> Visit | None:
    """The visit the volunteer recorded last, if it is a "not at home" they may still undo.
    Found through the audit events of the last minute (indexed by time; visits are not)."""
    detail = db.session.scalar(
        select(AuditEvent.detail)
        .where(
            AuditEvent.at >= utcnow() - UNDO_WINDOW,
            AuditEvent.action == "visit_recorded",
            AuditEvent.user_id == volunteer.id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    visit_id = detail.get("visit_id") if detail else None
    visit = db.session.get(Visit, visit_id) if visit_id else None
    if (
        visit is None
        or visit.volunteer_id != volunteer.id
        or utcnow() - visit.created_at > UNDO_WINDOW
        or not may_be_undone(visit)
        or _recorded_after(visit)
    ):
        return None
    return visit


def undo_visit(volunteer: User, visit_id: int) -> VisitAddress:
    """Take back a "not at home" the volunteer recorded less than :data:`UNDO_WINDOW` ago,
    when nothing else was recorded on the address since: the visit is deleted, the address
    gets its status, attempts and last visit back, the rollups lose its count (the
    ``visit_undone`` hook). Returns the address."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:  # never there, or a second tap on "undo"
        raise VisitError(_("This visit is no longer there: it was undone already."), "visit", 404)
    if visit.volunteer_id != volunteer.id:
        raise VisitError(_("This visit is not yours to undo."), "visit", 403)
    address = db.session.scalar(
        select(VisitAddress)
        .where(VisitAddress.id == visit.address_id)
        .with_for_update(of=VisitAddress)
        .execution_options(populate_existing=True)
    )
    # read again under the lock: a second tap on "undo" finds it gone
    visit = db.session.get(Visit, visit_id, populate_existing=True)
    if visit is None or address is None:
        raise VisitError(_("This visit was already undone."), "visit", 409)
    if utcnow() - visit.created_at > UNDO_WINDOW:
        raise VisitError(
            _("Too late to undo: a visit can only be undone in the first minute."), "visit", 409
        )
    before = _state_before(visit)
    unchanged = (address.status, address.attempts) == ("not_home", visit.attempt)
    if not (may_be_undone(visit) and unchanged and before) or _recorded_after(visit):
        raise VisitError(
            _("This visit can no longer be undone: the address changed since."), "visit", 409
        )
    visit_undone.send(visit)
    address.status = before["status"]
    address.attempts = before["attempts"]
    last = before["last_visit_at"]
    address.last_visit_at = datetime.fromisoformat(last) if last else None
    db.session.delete(visit)
    db.session.flush()
    return address


def round_progress(visit_round: VisitRound) -> dict[str, Any]:
    """Per neighbourhood and per volunteer: to visit, visited, not home, refused, moved or
    deceased — and addresses with attempts left count as still to visit. Counted by the
    database (the round page refreshes while an import runs)."""
    state = case(
        (
            and_(
                VisitAddress.status == "not_home", VisitAddress.attempts < visit_round.max_attempts
            ),
            "not_home_again",
        ),
        else_=VisitAddress.status,
    )
    per_neighbourhood: dict[str, Counter[str]] = defaultdict(Counter)
    per_volunteer: dict[str, Counter[str]] = defaultdict(Counter)
    for hood, who, status, count in db.session.execute(
        select(Neighbourhood.name, _volunteer_name(), state, func.count())
        .join(Neighbourhood, Neighbourhood.id == VisitAddress.neighbourhood_id)
        .outerjoin(User, User.id == VisitAddress.volunteer_id)
        .where(VisitAddress.round_id == visit_round.id)
        .group_by(Neighbourhood.name, User.name, User.email, state)
    ):
        for counter in (per_neighbourhood[hood], per_volunteer[who or "—"]):
            counter[status] += count
            counter["total"] += count
    return {
        "neighbourhoods": {k: dict(v) for k, v in sorted(per_neighbourhood.items())},
        "volunteers": {k: dict(v) for k, v in sorted(per_volunteer.items())},
    }


def _unreviewed() -> Any:
    return and_(Visit.flag.is_not(None), Visit.flag_reviewed_at.is_(None))


def flagged_visits(visit_round: VisitRound) -> list[Visit]:
    """The round's late visits the coordinator has not looked at yet, oldest first."""
    return list(
        db.session.scalars(
            select(Visit)
            .join(VisitAddress, VisitAddress.id == Visit.address_id)
            .where(VisitAddress.round_id == visit_round.id, _unreviewed())
            .options(joinedload(Visit.address), joinedload(Visit.volunteer))
            .order_by(Visit.created_at, Visit.id)
        )
    )


def count_flagged(round_ids: list[int]) -> dict[int, int]:
    """Per round: how many late visits wait for the coordinator (rounds with none left out)."""
    if not round_ids:
        return {}
    return {
        round_id: count
        for round_id, count in db.session.execute(
            select(VisitAddress.round_id, func.count(Visit.id))
            .join(VisitAddress, VisitAddress.id == Visit.address_id)
            .where(VisitAddress.round_id.in_(round_ids), _unreviewed())
            .group_by(VisitAddress.round_id)
        )
    }


def flagged_visit(visit_round: VisitRound, visit_id: int, lock: bool = False) -> Visit | None:
    """One of the round's flagged visits (reviewed or not), or None. ``lock`` before marking
    it reviewed: two coordinators at once, the second finds it done."""
    query = (
        select(Visit)
        .join(VisitAddress, VisitAddress.id == Visit.address_id)
        .where(
            Visit.id == visit_id,
            VisitAddress.round_id == visit_round.id,
            Visit.flag.is_not(None),
        )
    )
    if lock:
        query = query.with_for_update(of=Visit).execution_options(populate_existing=True)
    return db.session.scalar(query)


def mark_reviewed(visit: Visit, by: User) -> bool:
    """The coordinator looked at a flagged visit. False when someone did so already."""
    if visit.flag is None:
        raise VisitError(_("This visit needs no review."), "visit")
    if visit.flag_reviewed_at is not None:
        return False
    visit.flag_reviewed_at = utcnow()
    visit.flag_reviewed_by_id = by.id
    db.session.flush()
    return True
