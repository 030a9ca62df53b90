"""Near-matches between residents (a typo, a missing house number): offered to the contact
person to merge, never merged silently."""

from __future__ import annotations

from difflib import SequenceMatcher

from sqlalchemy import select

from fieldwork.cases.models import Case, CaseEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Consent, Resident, Signal

NAME_SIMILARITY = 0.85


def _street_part(resident: Resident) -> str:
    return resident.address_key.split("|", 1)[0]


def _number_part(resident: Resident) -> str:
    return resident.address_key.split("|")[1]


def is_near_match(a: Resident, b: Resident) -> bool:
    if a.id == b.id or a.municipality_id != b.municipality_id:
        return False
    if a.birth_year and b.birth_year and a.birth_year != b.birth_year:
        return False
    same_street = _street_part(a) == _street_part(b) and a.postcode == b.postcode
    if not same_street:
        return False
    numbers = {_number_part(a), _number_part(b)}
    similar_name = SequenceMatcher(None, a.name_key, b.name_key).ratio() >= NAME_SIMILARITY
    if a.name_key == b.name_key:
        return len(numbers) == 1 or "" in numbers  # a missing house number
    return similar_name and len(numbers) == 1  # a typo in the name, same address


def near_matches(resident: Resident) -> list[Resident]:
    candidates = db.session.scalars(
        select(Resident).where(
            Resident.municipality_id == resident.municipality_id,
            Resident.id != resident.id,
            Resident.postcode == resident.postcode,
        )
    )
    return [c for c in candidates if is_near_match(resident, c)]


def merge_residents(keep: Resident, duplicate: Resident, by_id: int) -> None:
    """Move the duplicate's signals, consents and open case onto ``keep``. Flushes."""
    if not is_near_match(keep, duplicate):
        raise ValueError("These residents are not a near-match.")
    keep_case = db.session.scalar(
        select(Case).where(Case.resident_id == keep.id, Case.closed_at.is_(None))
    )
    dup_case = db.session.scalar(
        select(Case).where(Case.resident_id == duplicate.id, Case.closed_at.is_(None))
    )
    for consent in db.session.scalars(select(Consent).where(Consent.resident_id == duplicate.id)):
        consent.resident_id = keep.id
    for signal in db.session.scalars(select(Signal).where(Signal.resident_id == duplicate.id)):
        signal.resident_id = keep.id
        if dup_case is not None and keep_case is not None and signal.case_id == dup_case.id:
            signal.case_id = keep_case.id
    if dup_case is not None and keep_case is not None:
        dup_case.status, dup_case.closed_at = "closed", utcnow()
        db.session.add(
            CaseEvent(
                case_id=dup_case.id, type="merged", by_id=by_id, detail={"into_case": keep_case.id}
            )
        )
        db.session.add(
            CaseEvent(
                case_id=keep_case.id, type="merged", by_id=by_id, detail={"from_case": dup_case.id}
            )
        )
        if dup_case.urgency == "urgent":
            keep_case.urgency = "urgent"
    elif dup_case is not None:
        db.session.flush()
        dup_case.resident_id = keep.id
    db.session.flush()
    for case in db.session.scalars(select(Case).where(Case.resident_id == duplicate.id)):
        case.resident_id = keep.id  # closed history follows the person
    keep.phone = keep.phone or duplicate.phone
    keep.birth_year = keep.birth_year or duplicate.birth_year
    db.session.flush()
    db.session.delete(duplicate)
    db.session.flush()
