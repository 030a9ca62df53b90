"""Near-matches between residents (a typo, a missing house number): offered to the contact
person to merge, never merged silently (the merge, which moves cases too, is
``fieldwork.cases.services.merge_residents``)."""

from __future__ import annotations

from difflib import SequenceMatcher

from sqlalchemy import select

from fieldwork.extensions import db
from fieldwork.signals.models import Resident

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
