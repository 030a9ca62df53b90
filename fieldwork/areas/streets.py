"""The municipality's street table: normalised street names, and the CSV loader."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select

from fieldwork.areas.models import Sector, Street
from fieldwork.core.csvfiles import decode_upload, sniff_delimiter
from fieldwork.extensions import db

_ABBREVIATIONS = {"str": "straat", "stwg": "steenweg", "ln": "laan", "pl": "plein"}
_NON_WORD = re.compile(r"[^\w]+")
POSTCODE = re.compile(r"^[1-9]\d{3}$")


def folded_words(text: str) -> list[str]:
    """Words without case, accents or punctuation: 'Émile  D'Hondt' → ['emile', 'd', 'hondt']."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _NON_WORD.sub(" ", text).split()


KEY_LENGTH = 200  # the street_key and name_key columns


def street_key(street: str) -> str:
    """Compare street names as a person would: no case, accents, punctuation or double spaces,
    common abbreviations written out ('Kerkstr.' = 'Kerkstraat')."""
    words = folded_words(street)
    if words:
        last = words[-1]
        for short, full in _ABBREVIATIONS.items():
            if last.endswith(short):
                words[-1] = last[: -len(short)] + full
                break
    # folding can lengthen a name ("ß" → "ss"): the key fits its columns (String(200))
    return "".join(words)[:KEY_LENGTH]


@dataclass
class StreetLoadReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _StreetRow:
    line: int
    street: str
    postcode: str
    sector: Sector


def _parse(text: str, report: StreetLoadReport) -> list[_StreetRow]:
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    header: list[str] | None = None
    parsed: list[_StreetRow] = []
    seen: dict[tuple[str, str], int] = {}
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    for line_no, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if header is None:
            header = [c.lower() for c in cells]
            missing = {"street", "postcode", "statsec"} - set(header)
            if missing:
                report.rejected.append(
                    (
                        line_no,
                        "header needs columns street;postcode;statsec "
                        f"(missing: {', '.join(sorted(missing))})",
                    )
                )
                return []
            continue
        report.rows += 1
        row = dict(zip(header, cells, strict=False))
        street, postcode = row.get("street", ""), row.get("postcode", "")
        statsec = row.get("statsec", "").upper()
        if not street:
            report.rejected.append((line_no, "street is empty"))
        elif not POSTCODE.match(postcode):
            report.rejected.append((line_no, f"postcode '{postcode}' is not a Belgian postcode"))
        elif statsec not in sectors:
            report.rejected.append((line_no, f"sector '{statsec}' is not an imported sector"))
        elif (street_key(street), postcode) in seen:
            first = seen[(street_key(street), postcode)]
            report.rejected.append((line_no, f"duplicate of line {first}"))
        else:
            seen[(street_key(street), postcode)] = line_no
            parsed.append(_StreetRow(line_no, street, postcode, sectors[statsec]))
    return parsed


def load_streets(raw: bytes, *, skip_invalid: bool = False) -> StreetLoadReport:
    """Upsert street → sector rows. With any invalid row nothing is written unless
    ``skip_invalid``; the report names each rejected line and why."""
    report = StreetLoadReport()
    rows = _parse(decode_upload(raw), report)
    if report.rejected and not skip_invalid:
        return report
    existing = {(s.street_key, s.postcode): s for s in db.session.scalars(select(Street))}
    for row in rows:
        key = (street_key(row.street), row.postcode)
        street = existing.get(key)
        if street is None:
            db.session.add(
                Street(
                    street=row.street, street_key=key[0], postcode=row.postcode, sector=row.sector
                )
            )
            report.created += 1
        elif street.sector_id != row.sector.id or street.street != row.street:
            street.sector, street.street = row.sector, row.street
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report
