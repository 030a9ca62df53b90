"""When two signals are about the same resident: normalised name and address."""

from __future__ import annotations

import re
import unicodedata

from fieldwork.areas.streets import street_key


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def address_key(street: str | None, house_number: str | None, postcode: str | None) -> str:
    number = re.sub(r"\s+", "", (house_number or "").casefold())
    return f"{street_key(street or '')}|{number}|{(postcode or '').strip()}"
