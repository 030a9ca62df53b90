"""When two signals are about the same resident: normalised name and address."""

from __future__ import annotations

import re

from fieldwork.areas.streets import folded_words, street_key


def name_key(name: str) -> str:
    return " ".join(folded_words(name))


def address_key(street: str | None, house_number: str | None, postcode: str | None) -> str:
    number = re.sub(r"\s+", "", (house_number or "").casefold())
    return f"{street_key(street or '')}|{number}|{(postcode or '').strip()}"
