"""Near-matches between residents (a typo, a missing house number): offered to the contact
person to merge, never merged silently (the merge, which moves cases too, is
``fieldwork.cases.services.merge_residents``)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from sqlalchemy import or_, select, true

from fieldwork.extensions import db
from fieldwork.signals.models import Resident

NAME_SIMILARITY = 0.85


def _street_part(resident: Resident) -> str:
    return resident.address_key.split("|", 1)[0]


def _number_part(resident: Resident) -> str:
    return resident.address_key.split("|")[1]


def _building(number: str) -> str:
    """The house number without its box ("12bus1", "12b1", "12/1" → "12"): the same door."""
    return re.split(r"bus|box|/", number, maxsplit=1)[0]


def _same_words(a: Resident, b: Resident) -> bool:
    """ "CLAES Maria" and "Maria Claes": a surname written first, as on many lists."""
    return sorted(a.name_key.split()) == sorted(b.name_key.split())


def _same_place(a: Resident, b: Resident) -> bool:
    """The same street; a postcode one capture left out (a street the street list does not
    know) does not make it another."""
    if _street_part(a) != _street_part(b):
        return False
    return a.postcode == b.postcode or not a.postcode or not b.postcode


def is_near_match(a: Resident, b: Resident) -> bool:
    if a.id == b.id or a.municipality_id != b.municipality_id:
        return False
    if a.birth_year and b.birth_year and a.birth_year != b.birth_year:
        return False
    if not _same_place(a, b):
        return False
    numbers = {_number_part(a), _number_part(b)}
    same_door = len(numbers) == 1 or "" in numbers or len({_building(n) for n in numbers}) == 1
    if a.name_key == b.name_key or _same_words(a, b):
        return same_door  # a missing house number, a box on one list, the surname first
    similar_name = SequenceMatcher(None, a.name_key, b.name_key).ratio() >= NAME_SIMILARITY
    return similar_name and len(numbers) == 1  # a typo in the name, same address


def near_matches(resident: Resident) -> list[Resident]:
    same_postcode = (
        or_(
            Resident.postcode == resident.postcode,
            Resident.postcode.is_(None),
            Resident.postcode == "",
        )
        if resident.postcode
        else true()
    )
    candidates = db.session.scalars(
        select(Resident).where(
            Resident.municipality_id == resident.municipality_id,
            Resident.id != resident.id,
            Resident.address_key.startswith(f"{_street_part(resident)}|", autoescape=True),
            same_postcode,
        )
    )
    return [c for c in candidates if is_near_match(resident, c)]
