"""Keep and search the social map. Flush, never commit."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.resolve import resolve
from fieldwork.core.csvfiles import (
    match_columns,
    read_records,
    record_cells,
    sniff_delimiter,
    unmark_text,
)
from fieldwork.core.errors import ServiceError
from fieldwork.core.phones import PhoneError, normalise_phone
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.partners.models import Organisation, PartnerService
from fieldwork.partners.vocabulary import KINDS, TARGET_GROUPS
from fieldwork.signals.identity import name_key
from fieldwork.signals.vocabulary import THEMES


class PartnerError(ServiceError):
    pass


@dataclass
class OrganisationData:
    name: str
    kind: str
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    opening_hours: str = ""


@dataclass
class ServiceData:
    name: str
    description: str = ""
    themes: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    neighbourhood_ids: list[int] = field(default_factory=list)
    how_to_reach: str = ""
    cost: str = ""
    languages: str = ""


def _key(text: str) -> str:
    return name_key(text)[:200]


def _check_organisation(data: OrganisationData) -> None:
    if not data.name.strip():
        raise PartnerError("Een organisatie heeft een naam nodig.", "name")
    if data.kind not in KINDS:
        raise PartnerError(f"Onbekende soort organisatie: {data.kind!r}.", "kind")
    if data.phone:
        try:
            data.phone = normalise_phone(data.phone)
        except PhoneError as exc:
            raise PartnerError(str(exc), "phone") from exc


def _place(organisation: Organisation) -> None:
    """The neighbourhood the address lies in, when the area resolution knows the street."""
    found = (
        resolve(street=organisation.street, postcode=organisation.postcode)
        if organisation.street
        else None
    )
    in_municipality = found is not None and found.municipality.id == organisation.municipality_id
    organisation.neighbourhood_id = found.neighbourhood.id if found and in_municipality else None


def save_organisation(
    municipality: Municipality, data: OrganisationData, organisation: Organisation | None = None
) -> Organisation:
    """Create (``organisation`` None) or update an organisation; refuses a second one with the
    same name in the municipality."""
    _check_organisation(data)
    key = _key(data.name)
    same = db.session.scalar(
        select(Organisation).where(
            Organisation.municipality_id == municipality.id, Organisation.name_key == key
        )
    )
    if same is not None and same is not organisation:
        raise PartnerError("Er is al een organisatie met die naam.", "name", 409)
    if organisation is None:
        organisation = Organisation(municipality_id=municipality.id)
        db.session.add(organisation)
    organisation.name = " ".join(data.name.split())[:200]
    organisation.name_key = key
    organisation.kind = data.kind
    organisation.street = (data.street or "").strip() or None
    organisation.house_number = (data.house_number or "").strip() or None
    organisation.postcode = (data.postcode or "").strip() or None
    organisation.phone = data.phone or None
    organisation.email = (data.email or "").strip() or None
    organisation.website = (data.website or "").strip() or None
    organisation.opening_hours = data.opening_hours.strip()
    organisation.updated_at = utcnow()
    _place(organisation)
    db.session.flush()
    return organisation


def _check_service(organisation: Organisation, data: ServiceData) -> list[Neighbourhood]:
    if not data.name.strip():
        raise PartnerError("Een aanbod heeft een naam nodig.", "name")
    if unknown := [t for t in data.themes if t not in THEMES]:
        raise PartnerError(f"Onbekend thema: {', '.join(unknown)}.", "themes")
    if unknown := [g for g in data.target_groups if g not in TARGET_GROUPS]:
        raise PartnerError(f"Onbekende doelgroep: {', '.join(unknown)}.", "target_groups")
    hoods = list(
        db.session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.id.in_(data.neighbourhood_ids),
                Neighbourhood.municipality_id == organisation.municipality_id,
            )
        )
    )
    if len(hoods) != len(set(data.neighbourhood_ids)):
        raise PartnerError("Kies buurten van de eigen gemeente.", "neighbourhoods")
    return hoods


def save_service(
    organisation: Organisation, data: ServiceData, service: PartnerService | None = None
) -> PartnerService:
    hoods = _check_service(organisation, data)
    key = _key(data.name)
    same = next((s for s in organisation.services if s.name_key == key), None)
    if same is not None and same is not service:
        raise PartnerError("Deze organisatie heeft al een aanbod met die naam.", "name", 409)
    if service is None:
        service = PartnerService(organisation=organisation)
        db.session.add(service)
    service.name = " ".join(data.name.split())[:200]
    service.name_key = key
    service.description = data.description.strip()
    service.themes = sorted(set(data.themes))
    service.target_groups = sorted(set(data.target_groups))
    service.neighbourhoods = hoods
    service.how_to_reach = data.how_to_reach.strip()
    service.cost = data.cost.strip()[:200]
    service.languages = data.languages.strip()[:200]
    service.updated_at = utcnow()
    db.session.flush()
    return service


def organisations_of(municipality: Municipality) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.municipality_id == municipality.id)
            .options(
                selectinload(Organisation.services).selectinload(PartnerService.neighbourhoods)
            )
            .order_by(Organisation.name_key)
        )
    )


def municipality_with_a_map() -> str | None:
    """Where the search opens without a choice: the municipality with the most services."""
    return db.session.scalar(
        select(Municipality.code)
        .join(Organisation, Organisation.municipality_id == Municipality.id)
        .join(PartnerService)
        .group_by(Municipality.code)
        .order_by(func.count().desc(), Municipality.code)
        .limit(1)
    )


def offer_lines(municipality: Municipality, phones: bool = True, limit: int = 1500) -> list[str]:
    """The social map as the lines of a printed offer ("Service (Organisation): phone"), for
    the referral card series and a visit round's information handed out to start from; as
    many as fit in ``limit`` characters (the forms' limit)."""
    lines: list[str] = []
    used = 0
    for service in search_services(municipality):
        line = f"{service.name} ({service.organisation.name})"
        if phones and service.organisation.phone:
            line += f": {service.organisation.phone}"
        used += len(line) + 1
        if used > limit:
            break
        lines.append(line)
    return lines


def serves(service: PartnerService, neighbourhood_id: int | None) -> bool:
    """A service without neighbourhoods serves its whole municipality."""
    return (
        neighbourhood_id is None
        or not service.neighbourhoods
        or any(n.id == neighbourhood_id for n in service.neighbourhoods)
    )


def search_services(
    municipality: Municipality,
    theme: str | None = None,
    neighbourhood_id: int | None = None,
    target_group: str | None = None,
) -> list[PartnerService]:
    """Active services of active organisations matching every filter given. A service for
    "everyone" matches any target group. A municipality's map holds hundreds of services at
    most: read in one query with what they show, filtered here."""
    found = []
    for organisation in organisations_of(municipality):
        if not organisation.active:
            continue
        for service in organisation.services:
            if not service.active or (theme and theme not in service.themes):
                continue
            if target_group and not (
                target_group in service.target_groups or "iedereen" in service.target_groups
            ):
                continue
            if serves(service, neighbourhood_id):
                found.append(service)
    return sorted(found, key=lambda s: (s.name_key, s.organisation.name_key))


# --- the register as a CSV: one row per service, with its organisation ----------------------

COLUMNS: dict[str, tuple[str, ...]] = {
    "organisation": ("organisatie", "organisation", "naam organisatie"),
    "kind": ("soort", "kind", "type"),
    "service": ("aanbod", "dienst", "service"),
    "description": ("beschrijving", "description", "omschrijving"),
    "themes": ("themas", "thema's", "thema", "themes"),
    "target_groups": ("doelgroepen", "doelgroep", "target groups"),
    "neighbourhoods": ("buurten", "buurt", "neighbourhoods"),
    "street": ("straat", "street"),
    "house_number": ("huisnummer", "nummer", "house number"),
    "postcode": ("postcode", "postal code"),
    "phone": ("telefoon", "phone", "tel"),
    "email": ("e-mail", "email", "mail"),
    "website": ("website", "site"),
    "opening_hours": ("openingsuren", "opening hours"),
    "how_to_reach": ("bereikbaarheid", "hoe bereiken", "how to reach"),
    "cost": ("kostprijs", "kosten", "cost"),
    "languages": ("talen", "languages"),
}
EXPORT_HEADINGS = [names[0] for names in COLUMNS.values()]
_LIST_SPLIT = re.compile(r"\s*[|,]\s*")


def _codes(vocabulary: dict[str, Any]) -> dict[str, str]:
    """Code, English label and Dutch label (lower case) → code."""
    lookup: dict[str, str] = {}
    for code, label in vocabulary.items():
        lookup[code.casefold()] = code
        for locale in ("nl", "en"):
            with force_locale(locale):
                lookup[str(label).casefold()] = code
    return lookup


def _listed(text: str, lookup: dict[str, str], what: str) -> list[str]:
    codes = []
    for item in filter(None, _LIST_SPLIT.split(text.strip())):
        code = lookup.get(item.casefold())
        if code is None:
            raise PartnerError(f"{what} '{item[:40]}' is onbekend", what)
        codes.append(code)
    return codes


@dataclass
class ImportReport:
    organisations: int = 0
    services: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def import_register(municipality: Municipality, raw: bytes) -> ImportReport:
    """Add or update organisations and services from a CSV (Excel encodings, `;` or `,`).
    The same organisation (by name) and the same service of it are updated, never doubled,
    so the file can be sent again after a correction. Rows that cannot be read are listed
    with their line and reason; the others are kept."""
    records = read_records(raw)
    if not records:
        raise PartnerError("Het bestand is leeg.", "file")
    delimiter = sniff_delimiter(records[0][1])
    header = record_cells(records[0][1], delimiter) or []
    columns = match_columns(header, COLUMNS)
    if missing := {"organisation", "kind", "service"} - columns.keys():
        raise PartnerError(
            "Deze kolommen ontbreken: "
            + ", ".join(names[0] for key, names in COLUMNS.items() if key in missing),
            "file",
        )
    hoods = {name_key(n.name): n.id for n in municipality.neighbourhoods}
    lookups = {
        "themes": _codes(THEMES),
        "target_groups": _codes(TARGET_GROUPS),
        "kind": _codes(KINDS),
    }
    report = ImportReport()
    seen_orgs: set[int] = set()
    for number, line in records[1:]:
        cells = record_cells(line, delimiter)
        if cells is None:
            report.rejected.append((number, "de regel kan niet gelezen worden"))
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            index = columns.get(name)
            text = cells[index] if index is not None and index < len(cells) else ""
            return unmark_text(text.strip())

        try:
            with db.session.begin_nested():
                organisation = _import_row(municipality, cell, lookups, hoods)
        except PartnerError as exc:
            report.rejected.append((number, str(exc)))
            continue
        if organisation.id not in seen_orgs:
            seen_orgs.add(organisation.id)
            report.organisations += 1
        report.services += 1
    return report


def _import_row(
    municipality: Municipality,
    cell: Any,
    lookups: dict[str, dict[str, str]],
    hoods: dict[str, int],
) -> Organisation:
    kind = lookups["kind"].get(cell("kind").casefold())
    if kind is None:
        raise PartnerError(f"soort '{cell('kind')[:40]}' is onbekend", "kind")
    neighbourhood_ids = []
    for name in filter(None, _LIST_SPLIT.split(cell("neighbourhoods"))):
        if name_key(name) not in hoods:
            raise PartnerError(f"buurt '{name[:40]}' bestaat niet in deze gemeente", "buurten")
        neighbourhood_ids.append(hoods[name_key(name)])
    existing = db.session.scalar(
        select(Organisation).where(
            Organisation.municipality_id == municipality.id,
            Organisation.name_key == _key(cell("organisation")),
        )
    )
    organisation = save_organisation(
        municipality,
        OrganisationData(
            name=cell("organisation"),
            kind=kind,
            street=cell("street") or (existing.street if existing else None),
            house_number=cell("house_number") or (existing.house_number if existing else None),
            postcode=cell("postcode") or (existing.postcode if existing else None),
            phone=cell("phone") or (existing.phone if existing else None),
            email=cell("email") or (existing.email if existing else None),
            website=cell("website") or (existing.website if existing else None),
            opening_hours=cell("opening_hours") or (existing.opening_hours if existing else ""),
        ),
        existing,
    )
    same = next((s for s in organisation.services if s.name_key == _key(cell("service"))), None)
    save_service(
        organisation,
        ServiceData(
            name=cell("service"),
            description=cell("description"),
            themes=_listed(cell("themes"), lookups["themes"], "thema"),
            target_groups=_listed(cell("target_groups"), lookups["target_groups"], "doelgroep"),
            neighbourhood_ids=neighbourhood_ids,
            how_to_reach=cell("how_to_reach"),
            cost=cell("cost"),
            languages=cell("languages"),
        ),
        same,
    )
    return organisation


def export_rows(municipality: Municipality) -> Iterable[list[str]]:
    """The register as the import reads it (Dutch labels), one row per service."""
    yield EXPORT_HEADINGS
    with force_locale("nl"):
        for organisation in organisations_of(municipality):
            for service in organisation.services:
                yield [
                    organisation.name,
                    str(KINDS[organisation.kind]),
                    service.name,
                    service.description,
                    " | ".join(str(THEMES[t]) for t in service.themes),
                    " | ".join(str(TARGET_GROUPS[g]) for g in service.target_groups),
                    " | ".join(n.name for n in service.neighbourhoods),
                    organisation.street or "",
                    organisation.house_number or "",
                    organisation.postcode or "",
                    organisation.phone or "",
                    organisation.email or "",
                    organisation.website or "",
                    organisation.opening_hours,
                    service.how_to_reach,
                    service.cost,
                    service.languages,
                ]
