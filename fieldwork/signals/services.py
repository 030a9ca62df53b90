"""Store a signal with its resident and consent; routing follows after commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fieldwork.areas.models import Municipality
from fieldwork.areas.resolve import (
    Resolution,
    municipality_for_postcode,
    place_in_municipality,
    resolve,
    resolve_village,
    unlocatable_bucket,
)
from fieldwork.areas.services import get_municipality
from fieldwork.auth.models import User
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.extensions import db
from fieldwork.signals.hooks import CaseView
from fieldwork.signals.identity import address_key, lock_identity, name_key
from fieldwork.signals.models import Consent, ConsentText, Resident, Signal
from fieldwork.signals.vocabulary import THEME_DOMAINS, THEME_POLARITIES


class SignalError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def locate_resident(data: dict[str, Any], keep_address: bool = True) -> Resolution:
    """Where a resident's address (``data``: statsec, lat/lon, street, postcode, gemeente...)
    lies; raises SignalError when no imported municipality holds it. Without
    ``keep_address`` the address is counted in the municipality's unlocatable bucket."""
    found = resolve(
        statsec=data.get("statsec"),
        lat=data.get("lat"),
        lon=data.get("lon"),
        street=data.get("street"),
        postcode=data.get("postcode"),
    )
    if found is None and data.get("deelgemeente"):
        found = resolve_village(data["deelgemeente"])
    municipality: Municipality | None = None
    if data.get("gemeente"):
        municipality = get_municipality(data["gemeente"])
        if municipality is None:
            raise SignalError(
                f"Municipality {data['gemeente']} has not been imported.", "resident.gemeente"
            )
    if (
        found is not None
        and not found.ambiguous
        and (municipality is None or found.municipality.id == municipality.id)
    ):
        return found
    municipality = (
        municipality
        or (found.municipality if found else None)
        or (municipality_for_postcode(data["postcode"]) if data.get("postcode") else None)
    )
    if municipality is None:
        raise SignalError(
            "This address is in no imported municipality; add 'gemeente'.", "resident.gemeente"
        )
    if not keep_address:  # no consent: count it in the bucket, keep no address anywhere
        return unlocatable_bucket(municipality)
    return place_in_municipality(
        municipality,
        found,
        statsec=data.get("statsec"),
        lat=data.get("lat"),
        lon=data.get("lon"),
        street=data.get("street"),
        house_number=data.get("house_number"),
        postcode=data.get("postcode"),
        source_type="resident",
    )


def latest_consent_text(municipality_id: int, purpose: str) -> ConsentText | None:
    """The newest version of a municipality's consent wording for one purpose (the capture
    tool that asks for it: referral cards, calls, caring neighbours)."""
    return db.session.scalar(
        select(ConsentText)
        .where(ConsentText.municipality_id == municipality_id, ConsentText.purpose == purpose)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )


def find_or_create_resident(data: dict[str, Any], where: Resolution) -> Resident:
    """The same normalised name and address (and birth year when both have one) is the same
    resident; anything less is a new resident (near-matches are never merged silently).
    A new resident is written at once (flushed: it has its id)."""
    resident = _find_or_add_resident(data, where)
    db.session.flush()
    return resident


def _find_or_add_resident(data: dict[str, Any], where: Resolution) -> Resident:
    """As :func:`find_or_create_resident`, but a new resident is only added to the session:
    written with the caller's next flush, together with what refers to it."""
    key_name = name_key(data["name"])
    key_address = address_key(data.get("street"), data.get("house_number"), data.get("postcode"))
    # Without a street there is nothing to recognise the person by: a new resident (a
    # near-match the contact person may merge), never a silent match.
    recognisable = bool((data.get("street") or "").strip())
    if recognisable:  # a concurrent capture about the same person waits here (see there)
        lock_identity(where.municipality.id, key_name, key_address)
    candidates = (
        list[Resident]()
        if not recognisable
        else db.session.scalars(
            select(Resident).where(
                Resident.municipality_id == where.municipality.id,
                Resident.name_key == key_name,
                Resident.address_key == key_address,
            )
        )
    )
    for resident in candidates:
        if None in (resident.birth_year, data.get("birth_year")) or resident.birth_year == data.get(
            "birth_year"
        ):
            resident.birth_year = resident.birth_year or data.get("birth_year")
            resident.phone = data.get("phone") or resident.phone
            if where.fixup is not None:
                where.fixup.source_id = str(resident.id)
            return resident
    resident = Resident(
        municipality_id=where.municipality.id,
        name=" ".join(data["name"].split()),
        name_key=key_name,
        street=data.get("street"),
        house_number=data.get("house_number"),
        postcode=data.get("postcode"),
        address_key=key_address,
        birth_year=data.get("birth_year"),
        phone=data.get("phone"),
        sector_id=where.sector.id if where.sector else None,
        neighbourhood_id=where.neighbourhood.id,
    )
    db.session.add(resident)
    if where.fixup is not None:  # rare (an address to fix): the fix-up names the resident
        db.session.flush()
        where.fixup.source_id = str(resident.id)
    return resident


def create_signal(payload: dict[str, Any], filed_by: User | None, source: str = "manual") -> Signal:
    """One signal (one theme) about one resident; see :func:`create_signals`."""
    return create_signals(
        {**payload, "themes": [payload["theme"]], "domains": {payload["theme"]: payload["domain"]}},
        filed_by,
        source,
    )[0]


def create_signals(
    payload: dict[str, Any],
    filed_by: User | None,
    source: str,
    consent_text_id: int | None = None,
    urgent_opens_case: bool = True,
) -> list[Signal]:
    """One signal per theme about one resident, under one consent; routed after commit.

    Without consent (and, where ``urgent_opens_case``, not urgent) the signals only count for
    the neighbourhood: no resident, no address, no note is kept."""
    consent_data = payload["consent"]
    named = consent_data["given"] or (urgent_opens_case and payload["urgency"] == "urgent")
    where = locate_resident(payload["resident"], keep_address=named)
    resident: Resident | None = None
    consent: Consent | None = None
    if named:
        resident = _find_or_add_resident(payload["resident"], where)
        if consent_data["given"]:
            consent = Consent(
                resident=resident,
                method=consent_data["how"],
                reference=consent_data.get("reference"),
                recorded_by_id=filed_by.id if filed_by else None,
                consent_text_id=consent_text_id,
            )
            db.session.add(consent)
    domains = payload.get("domains") or {}
    signals = []
    for theme in payload["themes"]:
        signal = Signal(
            resident=resident,
            neighbourhood_id=where.neighbourhood.id,
            theme=theme,
            domain=domains.get(theme) or THEME_DOMAINS[theme],
            urgency=payload["urgency"],
            polarity=payload.get("polarity") or THEME_POLARITIES.get(theme, "need"),
            source=source,
            note=payload.get("note", "") if resident else "",
            consent=consent,
            filed_by_id=filed_by.id if filed_by else None,
        )
        db.session.add(signal)
        signals.append(signal)
    db.session.flush()  # the one write of the capture: resident, consent and signals
    for signal in signals:
        enqueue_after_commit("routing.route_signal", signal.id)
    return signals


def signal_status(signal: Signal, case: CaseView | None) -> str:
    """The filer's status word: received, routed, or what its case (``case_view``) says."""
    if case is not None:
        return case.status
    return "routed" if signal.routed_at else "received"
