"""Import a visit round's target list (CSV from the population register) in the worker.

Every row is checked: a report names rejected rows by line and reason, duplicates (of an earlier
row or an address already in the round) and addresses that could not be placed in a
neighbourhood — those are kept, flagged, and on the coordinator's fix-up list."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from fieldwork.areas.models import AddressFixup
from fieldwork.areas.resolve import Resolution, place_in_municipality, resolve
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.core.csvfiles import match_columns, read_records, record_cells, sniff_delimiter
from fieldwork.core.errors import ServiceError
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.identity import address_key, name_key
from fieldwork.visits.models import VisitAddress, VisitImport, VisitRound

log = logging.getLogger(__name__)
MAX_IMPORT_BYTES = 10 * 1024 * 1024
REPORT_LIMIT = 1000
COLUMNS = {  # our field: the headings people use for it
    "name": ("naam", "name", "naam bewoner", "volledige naam"),
    "first_name": ("voornaam", "first_name", "first name"),
    "last_name": ("familienaam", "achternaam", "last_name", "last name"),
    "street": ("straat", "street", "straatnaam"),
    "house_number": ("huisnummer", "nummer", "nr", "number", "house_number"),
    "postcode": ("postcode", "postal_code", "post code"),
    "birth_year": ("geboortejaar", "birth_year", "jaar"),
    "phone": ("telefoon", "tel", "phone", "gsm"),
    "sector": ("sector", "statsec", "statistische sector", "statistische_sector"),
}
_POSTCODE = re.compile(r"[1-9][0-9]{3}")  # ASCII digits only: str.isdigit() takes '²'
_YEAR = re.compile(r"[0-9]{4}")


class VisitImportError(ServiceError):
    def __init__(self, message: str, field: str = "file", status: int = 422) -> None:
        super().__init__(message, field, status)


def unreadable_upload(raw: bytes) -> str | None:
    """Why an uploaded list cannot be read at all (empty, too big), or None."""
    if not raw.strip():
        return "Het bestand is leeg."
    if len(raw) > MAX_IMPORT_BYTES:
        return "Het bestand is te groot (hoogstens 10 MB)."
    return None


def start_import(
    visit_round: VisitRound, filename: str, raw: bytes, by: User | None, enqueue: bool = True
) -> VisitImport:
    """Keep the upload and let the worker read it after commit. Flush, never commit."""
    if refused := unreadable_upload(raw):
        raise VisitImportError(refused)
    job = VisitImport(
        round_id=visit_round.id,
        filename=(filename or "lijst.csv")[:200],
        data=raw,
        created_by_id=by.id if by else None,
        report={},
    )
    db.session.add(job)
    db.session.flush()
    if enqueue:  # the demo reads its small list at once, whatever the broker
        enqueue_after_commit("visits.import_targets", job.id)
    return job


def visit_list_columns(header: list[str]) -> dict[str, int]:
    found = match_columns(header, COLUMNS)
    if "name" not in found and {"first_name", "last_name"} <= found.keys():
        found["name"] = -1  # joined below
    for ours, label in (
        ("name", "naam"),
        ("street", "straat"),
        ("house_number", "huisnummer"),
        ("postcode", "postcode"),
    ):
        if ours not in found:
            raise VisitImportError(f"De kolom '{label}' ontbreekt in de eerste regel.")
    return found


@dataclass
class _Row:
    line: int
    name: str
    street: str
    house_number: str
    postcode: str
    birth_year: int | None
    phone: str | None
    sector: str | None


def cell_text(cells: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    if index is None or index < 0 or index >= len(cells):
        return ""
    return " ".join(cells[index].split())


def parse_visit_row(line: int, cells: list[str], columns: dict[str, int]) -> _Row:
    """A checked row, or ValueError with the reason in Dutch."""
    name = (
        cell_text(cells, columns, "name")
        if columns["name"] >= 0
        else " ".join(
            part
            for part in (
                cell_text(cells, columns, "first_name"),
                cell_text(cells, columns, "last_name"),
            )
            if part
        )
    )
    street = cell_text(cells, columns, "street")
    number = cell_text(cells, columns, "house_number")
    postcode = cell_text(cells, columns, "postcode")
    year_text = cell_text(cells, columns, "birth_year")
    phone = cell_text(cells, columns, "phone") or None
    sector = cell_text(cells, columns, "sector").upper() or None
    if not name:
        raise ValueError("naam ontbreekt")
    if len(name) > 200:
        raise ValueError("naam is te lang")
    if not street or len(street) > 200:
        raise ValueError("straat ontbreekt" if not street else "straat is te lang")
    if not number or len(number) > 20:
        raise ValueError("huisnummer ontbreekt" if not number else "huisnummer is te lang")
    if not _POSTCODE.fullmatch(postcode):
        raise ValueError(f"postcode '{postcode[:20]}' is geen Belgische postcode")
    birth_year = None
    if year_text:
        if not _YEAR.fullmatch(year_text) or not 1900 <= int(year_text) <= utcnow().year:
            raise ValueError(f"geboortejaar '{year_text[:20]}' klopt niet")
        birth_year = int(year_text)
    if phone and len(phone) > 40:
        raise ValueError("telefoonnummer is te lang")
    if sector and len(sector) > 12:
        raise ValueError("sectorcode is te lang")
    return _Row(line, name, street, number, postcode, birth_year, phone, sector)


@dataclass
class ImportReport:
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"rejected": 0, "duplicates": 0, "unresolved": 0}
    )

    def add(self, kind: str, entry: dict[str, Any]) -> None:
        self.counts[kind] += 1
        entries = getattr(self, kind)
        if len(entries) < REPORT_LIMIT:
            entries.append(entry)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "unresolved": self.unresolved,
            "counts": dict(self.counts),
        }


def _set(job_id: int, **values: Any) -> None:
    db.session.execute(update(VisitImport).where(VisitImport.id == job_id).values(**values))
    db.session.commit()


def run_import(import_id: int, progress_every: int = 500) -> VisitImport | None:
    """Worker side; an import that is done or failed is left alone. One that is still
    'running' was cut off (the worker was stopped; the task is delivered again): the rows it
    already stored count as accepted again, not as duplicates. Any other error fails the
    import with a message for the coordinator; what was stored up to then stays."""
    job = db.session.get(VisitImport, import_id)
    if job is None or job.status in ("done", "failed") or job.data is None:
        return job
    try:
        return _run(job, max(1, progress_every))
    except Exception:
        db.session.rollback()
        log.exception("visit import %s failed", import_id)
        stored = (
            db.session.scalar(select(VisitImport.accepted).where(VisitImport.id == import_id)) or 0
        )
        _set(
            import_id,
            status="failed",
            data=None,
            finished_at=utcnow(),
            report={
                "error": f"Het inlezen liep onverwacht fout. {stored} adressen "
                "zijn al opgeslagen; laad het bestand opnieuw op om de rest in te lezen "
                "(wat al is opgeslagen, wordt als dubbel overgeslagen)."
            },
        )
        return db.session.get(VisitImport, import_id)


def _run(job: VisitImport, progress_every: int) -> VisitImport | None:
    import_id = job.id
    visit_round = db.session.get_one(VisitRound, job.round_id)
    lines = read_records(job.data or b"")
    header_at, header_line = lines[0] if lines else (0, "")
    delimiter = sniff_delimiter(header_line)
    try:
        columns = visit_list_columns(record_cells(header_line, delimiter) or [])
    except VisitImportError as exc:
        _set(
            import_id, status="failed", report={"error": str(exc)}, data=None, finished_at=utcnow()
        )
        return db.session.get(VisitImport, import_id)
    rows = [(number, record_cells(line, delimiter)) for number, line in lines if number > header_at]
    _set(import_id, status="running", total=len(rows), processed=0, accepted=0)
    report = ImportReport()
    seen: dict[tuple[str, str], int | None] = {}
    mine: dict[tuple[str, str], tuple[int | None, bool]] = {}  # stored by a cut-off run
    for key_name, key_address, owner, line_no, flagged in db.session.execute(
        select(
            VisitAddress.name_key,
            VisitAddress.address_key,
            VisitAddress.import_id,
            VisitAddress.line_no,
            VisitAddress.flagged,
        ).where(VisitAddress.round_id == visit_round.id)
    ):
        if owner == import_id:
            mine[(key_name, key_address)] = (line_no, flagged)
        else:
            seen[(key_name, key_address)] = None
    places: dict[tuple[str | None, str, str], Resolution | None] = {}
    fixups: list[tuple[AddressFixup, VisitAddress]] = []
    accepted = 0
    for done, (line, cells) in enumerate(rows, start=1):
        try:
            if cells is None:
                raise ValueError("deze regel kan niet gelezen worden (een cel is te lang)")
            row = parse_visit_row(line, cells, columns)
        except ValueError as exc:
            report.add("rejected", {"line": line, "reason": str(exc)})
        else:
            key = (name_key(row.name), address_key(row.street, row.house_number, row.postcode))
            if key in seen:
                report.add("duplicates", {"line": line, "of_line": seen[key]})
            elif key in mine and mine[key][0] == line:
                seen[key] = line
                accepted += 1
                if mine[key][1]:
                    report.add("unresolved", {"line": line, "address": _address(row)})
            else:
                seen[key] = line
                accepted += _store(visit_round, import_id, row, key, places, fixups, report)
        if done % progress_every == 0:
            _link(fixups)
            _set(import_id, processed=done, accepted=accepted)
    _link(fixups)
    _set(
        import_id,
        status="done",
        processed=len(rows),
        accepted=accepted,
        report=report.as_dict(),
        data=None,
        finished_at=utcnow(),
    )
    return db.session.get(VisitImport, import_id)


def _address(row: _Row) -> str:
    return f"{row.street} {row.house_number}, {row.postcode}"


def _link(fixups: list[tuple[AddressFixup, VisitAddress]]) -> None:
    """Flush, and point each new fix-up at its address (so that placing the fix-up can move
    the address) — once per batch, not a flush per address."""
    db.session.flush()
    for fixup, address in fixups:
        fixup.source_id = str(address.id)
    fixups.clear()
    db.session.flush()


def _store(
    visit_round: VisitRound,
    job_id: int,
    row: _Row,
    key: tuple[str, str],
    places: dict[tuple[str | None, str, str], Resolution | None],
    fixups: list[tuple[AddressFixup, VisitAddress]],
    report: ImportReport,
) -> int:
    lookup = (row.sector, street_key(row.street), row.postcode)
    if lookup not in places:
        places[lookup] = resolve(statsec=row.sector, street=row.street, postcode=row.postcode)
    found = places[lookup]
    sure = (
        found is not None
        and not found.ambiguous
        and found.municipality.id == visit_round.municipality_id
    )
    if (
        sure
        and found is not None
        and found.neighbourhood.id not in {n.id for n in visit_round.neighbourhoods}
    ):
        report.add(
            "rejected",
            {
                "line": row.line,
                "reason": f"ligt in {found.neighbourhood.name}, buiten de buurten van deze ronde",
            },
        )
        return 0
    if not sure:
        found = place_in_municipality(
            visit_round.municipality,
            found,
            statsec=row.sector,
            street=row.street,
            house_number=row.house_number,
            postcode=row.postcode,
            source_type="visit_address",
        )
        report.add("unresolved", {"line": row.line, "address": _address(row)})
    assert found is not None
    address = VisitAddress(
        round_id=visit_round.id,
        import_id=job_id,
        line_no=row.line,
        name=row.name,
        name_key=key[0],
        street=row.street,
        street_key=street_key(row.street),
        house_number=row.house_number,
        postcode=row.postcode,
        address_key=key[1],
        birth_year=row.birth_year,
        phone=row.phone,
        sector_id=found.sector.id if found.sector and sure else None,
        neighbourhood_id=found.neighbourhood.id,
        flagged=not sure,
    )
    db.session.add(address)
    if found.fixup is not None:
        fixups.append((found.fixup, address))
    return 1
