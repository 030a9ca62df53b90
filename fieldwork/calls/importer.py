"""Import a call campaign's own call list (CSV) in the worker: the same reading as the visit
round's target list (Excel encodings, `;` or `,`, the same headings), plus a phone number that
can be called (required) and whether the person lives alone (optional).

All or nothing: the rows are read and stored in one transaction, so a file that fails half-way
leaves nothing behind. A row is rejected with its line and reason when its phone number is
missing or wrong, or its address is not a known street in one of the campaign's
neighbourhoods (a call list has no fix-up list: the coordinator corrects the file).

The same person (name and address, as everywhere in fieldwork) is stored once per campaign:
a second row or a second import of the same file counts as a duplicate. Not the phone
number: a couple on one landline are two people to call, and a number changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from fieldwork.areas.resolve import Resolution, resolve
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.calls.models import CallCampaign, CallCandidate, CallImport
from fieldwork.core.csvfiles import match_columns, read_records, record_cells, sniff_delimiter
from fieldwork.core.errors import ServiceError
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.core.phones import PhoneError, normalise_phone
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.identity import address_key, name_key
from fieldwork.visits.importer import (
    ImportReport,
    VisitImportError,
    cell_text,
    parse_visit_row,
    unreadable_upload,
    visit_list_columns,
)

log = logging.getLogger(__name__)
LIVING_ALONE_HEADINGS = {
    "living_alone": (
        "alleenwonend",
        "alleen wonend",
        "woont alleen",
        "living_alone",
        "living alone",
    )
}
YES = frozenset({"ja", "j", "yes", "y", "1", "x", "waar", "true"})
NO = frozenset({"nee", "neen", "n", "no", "0", "onwaar", "false"})
FAILED = "Het inlezen liep onverwacht fout; er is niets opgeslagen. Laad het bestand opnieuw op."


class CallImportError(ServiceError):
    def __init__(self, message: str, field: str = "file", status: int = 422) -> None:
        super().__init__(message, field, status)


def start_call_import(
    campaign: CallCampaign, filename: str, raw: bytes, by: User | None, enqueue: bool = True
) -> CallImport:
    """Keep the upload and let the worker read it after commit. Flush, never commit."""
    if campaign.closed_at is not None:
        raise CallImportError("Deze belactie is afgesloten.")
    if refused := unreadable_upload(raw):
        raise CallImportError(refused)
    job = CallImport(
        campaign_id=campaign.id,
        filename=(filename or "bellijst.csv")[:200],
        data=raw,
        created_by_id=by.id if by else None,
        report={},
    )
    db.session.add(job)
    db.session.flush()
    if enqueue:  # the demo reads its small list at once, whatever the broker
        enqueue_after_commit("calls.import_list", job.id)
    return job


def call_list_columns(header: list[str]) -> dict[str, int]:
    """The visit list's columns, a phone column (required) and the living-alone column."""
    try:
        found = visit_list_columns(header)
    except VisitImportError as exc:
        raise CallImportError(str(exc)) from exc
    if "phone" not in found:
        raise CallImportError("De kolom 'telefoon' ontbreekt in de eerste regel.")
    return found | match_columns(header, LIVING_ALONE_HEADINGS)


def parse_living_alone(text: str) -> bool | None:
    """ja/nee, yes/no, 1/0, x; empty is unknown (None)."""
    word = text.strip().casefold()
    if not word:
        return None
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValueError(f"alleenwonend '{text[:20]}' is geen ja of nee")


@dataclass
class CallRow:
    line: int
    name: str
    street: str
    house_number: str
    postcode: str
    birth_year: int | None
    phone: str
    living_alone: bool | None
    sector: str | None


def parse_call_row(line: int, cells: list[str], columns: dict[str, int]) -> CallRow:
    """A checked row, or ValueError with the reason in Dutch."""
    row = parse_visit_row(line, cells, columns)
    if not row.phone:
        raise ValueError("telefoonnummer ontbreekt")
    try:
        phone = normalise_phone(row.phone)
    except PhoneError:
        raise ValueError("telefoonnummer is geen geldig nummer") from None  # not the number
    living_alone = parse_living_alone(cell_text(cells, columns, "living_alone"))
    return CallRow(
        line,
        row.name,
        row.street,
        row.house_number,
        row.postcode,
        row.birth_year,
        phone,
        living_alone,
        row.sector,
    )


Places = dict[tuple[str | None, str, str], Resolution | None]


def place_in_campaign(campaign: CallCampaign, row: CallRow, places: Places) -> Resolution:
    """Where the row lives, found as for the visit list (sector code, then the street
    table); ValueError when that is not in one of the campaign's neighbourhoods."""
    lookup = (row.sector, street_key(row.street), row.postcode)
    if lookup not in places:
        places[lookup] = resolve(statsec=row.sector, street=row.street, postcode=row.postcode)
    found = places[lookup]
    if found is None or found.ambiguous:
        raise ValueError(
            f"adres onbekend: geen straat '{row.street[:60]}' met postcode {row.postcode}"
        )
    if found.municipality.id != campaign.municipality_id:
        raise ValueError(f"ligt in {found.municipality.name}, niet in {campaign.municipality.name}")
    if found.neighbourhood.id not in {n.id for n in campaign.neighbourhoods}:
        raise ValueError(f"ligt in {found.neighbourhood.name}, buiten de buurten van deze belactie")
    return found


def run_call_import(import_id: int) -> CallImport | None:
    """Worker side; an import that is done or failed is left alone. The job row is locked
    while it is read, so a second delivery waits and then finds it done."""
    job = db.session.get(CallImport, import_id, with_for_update=True)
    if job is None or job.status != "pending" or job.data is None:
        db.session.rollback()
        return db.session.get(CallImport, import_id)
    try:
        _read(job)
        db.session.commit()
    except CallImportError as exc:
        db.session.rollback()
        _fail(import_id, str(exc))
    except Exception:
        db.session.rollback()
        log.exception("call list import %s failed", import_id)
        _fail(import_id, FAILED)
    return db.session.get(CallImport, import_id)


def _fail(import_id: int, message: str) -> None:
    db.session.execute(
        update(CallImport)
        .where(CallImport.id == import_id, CallImport.status == "pending")
        .values(status="failed", data=None, report={"error": message}, finished_at=utcnow())
    )
    db.session.commit()


def _read(job: CallImport) -> None:
    campaign = db.session.get_one(CallCampaign, job.campaign_id)
    lines = read_records(job.data or b"")
    header_at, header_line = lines[0] if lines else (0, "")
    delimiter = sniff_delimiter(header_line)
    columns = call_list_columns(record_cells(header_line, delimiter) or [])
    rows = [(number, record_cells(line, delimiter)) for number, line in lines if number > header_at]
    seen: dict[tuple[str, str], int | None] = {
        (key_name, key_address): None
        for key_name, key_address in db.session.execute(
            select(CallCandidate.name_key, CallCandidate.address_key).where(
                CallCandidate.campaign_id == campaign.id
            )
        )
    }
    report, accepted = ImportReport(), 0
    places: Places = {}
    for line, cells in rows:
        try:
            if cells is None:
                raise ValueError("deze regel kan niet gelezen worden (een cel is te lang)")
            row = parse_call_row(line, cells, columns)
            place = place_in_campaign(campaign, row, places)
        except ValueError as exc:
            report.add("rejected", {"line": line, "reason": str(exc)})
            continue
        key = (name_key(row.name), address_key(row.street, row.house_number, row.postcode))
        if key in seen:
            report.add("duplicates", {"line": line, "of_line": seen[key]})
            continue
        seen[key] = line
        db.session.add(_candidate(job, row, key, place))
        accepted += 1
    job.status, job.total, job.accepted = "done", len(rows), accepted
    job.report, job.data, job.finished_at = report.as_dict(), None, utcnow()


def _candidate(
    job: CallImport, row: CallRow, key: tuple[str, str], place: Resolution
) -> CallCandidate:
    return CallCandidate(
        campaign_id=job.campaign_id,
        import_id=job.id,
        line_no=row.line,
        name=row.name,
        name_key=key[0],
        street=row.street,
        house_number=row.house_number,
        postcode=row.postcode,
        address_key=key[1],
        birth_year=row.birth_year,
        phone=row.phone,
        living_alone=row.living_alone,
        sector_id=place.sector.id if place.sector else None,
        neighbourhood_id=place.neighbourhood.id,
    )
