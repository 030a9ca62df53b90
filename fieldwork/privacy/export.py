"""Access request (GDPR art. 15): everything the system holds about one resident.

Rows are dumped column by column rather than through hand-picked fields, so that a column
added later to one of these tables shows up in the export without anyone remembering to."""

from __future__ import annotations

import base64
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect, or_, select

from fieldwork.calls.models import CallAttempt, CallTarget, GoodMorningCall, GoodMorningSchedule
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.extensions import db
from fieldwork.onward.models import OnwardReferral
from fieldwork.photos.models import Photo
from fieldwork.referrals.models import ReferralSubmission, referral_submission_signals
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.visits.models import Visit, VisitAddress
from fieldwork.volunteers.models import BuurtgezelMatch, BuurtgezelRequest

# the order of the export's sections, in the JSON and in the PDF
SECTIONS = (
    "resident",
    "consents",
    "signals",
    "cases",
    "visits",
    "calls",
    "goodmorning",
    "buurtgezel",
    "referrals",
    "photos",
    "onward",
)


def plain(value: Any) -> Any:
    """A column value as JSON: times as ISO 8601, binary (signatures, strip photos) as
    base64, so that the resident receives the stored bytes themselves."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def row(obj: Any) -> dict[str, Any]:
    """Every mapped column of one row."""
    return {
        column.key: plain(getattr(obj, column.key)) for column in inspect(obj).mapper.column_attrs
    }


def _consents(resident: Resident) -> list[dict[str, Any]]:
    consents = db.session.scalars(
        select(Consent).where(Consent.resident_id == resident.id).order_by(Consent.id)
    )
    return [
        {
            **row(consent),
            "consent_text": consent.consent_text.text if consent.consent_text else None,
            "consent_text_version": consent.consent_text.version if consent.consent_text else None,
        }
        for consent in consents
    ]


def _cases(resident: Resident) -> list[dict[str, Any]]:
    cases = db.session.scalars(
        select(Case).where(Case.resident_id == resident.id).order_by(Case.id)
    )
    out = []
    for case in cases:
        events = db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        out.append({**row(case), "events": [row(event) for event in events]})
    return out


def _visits(resident: Resident, consent_ids: list[int]) -> list[dict[str, Any]]:
    """The resident's places on visit target lists (matched on the same identity keys the
    capture uses) and every findings sheet about them or under their consent."""
    addresses = list(
        db.session.scalars(
            select(VisitAddress)
            .where(
                VisitAddress.name_key == resident.name_key,
                VisitAddress.address_key == resident.address_key,
            )
            .order_by(VisitAddress.id)
        )
    )
    address_ids = [a.id for a in addresses]
    sheets = db.session.scalars(
        select(Visit)
        .where(or_(Visit.address_id.in_(address_ids), Visit.consent_id.in_(consent_ids)))
        .order_by(Visit.id)
    )
    by_address: dict[int, list[dict[str, Any]]] = {a.id: [] for a in addresses}
    loose: list[dict[str, Any]] = []
    for sheet in sheets:
        (by_address.get(sheet.address_id, loose)).append(row(sheet))
    out = [{**row(a), "visits": by_address[a.id]} for a in addresses]
    if loose:
        out.append({"visits": loose})
    return out


def _calls(resident: Resident) -> list[dict[str, Any]]:
    targets = db.session.scalars(
        select(CallTarget)
        .where(
            or_(
                CallTarget.resident_id == resident.id,
                (CallTarget.name_key == resident.name_key)
                & (CallTarget.address_key == resident.address_key),
            )
        )
        .order_by(CallTarget.id)
    )
    out = []
    for target in targets:
        attempts = db.session.scalars(
            select(CallAttempt).where(CallAttempt.target_id == target.id).order_by(CallAttempt.id)
        )
        out.append({**row(target), "call_attempts": [row(a) for a in attempts]})
    return out


def _goodmorning(resident: Resident) -> list[dict[str, Any]]:
    schedules = db.session.scalars(
        select(GoodMorningSchedule)
        .where(GoodMorningSchedule.resident_id == resident.id)
        .order_by(GoodMorningSchedule.id)
    )
    out = []
    for schedule in schedules:
        calls = list(
            db.session.scalars(
                select(GoodMorningCall)
                .where(GoodMorningCall.schedule_id == schedule.id)
                .order_by(GoodMorningCall.id)
            )
        )
        attempts = db.session.scalars(
            select(CallAttempt)
            .where(CallAttempt.goodmorning_call_id.in_([c.id for c in calls]))
            .order_by(CallAttempt.id)
        )
        out.append(
            {
                **row(schedule),
                "calls": [row(c) for c in calls],
                "call_attempts": [row(a) for a in attempts],
            }
        )
    return out


def _buurtgezel(resident: Resident) -> list[dict[str, Any]]:
    requests = db.session.scalars(
        select(BuurtgezelRequest)
        .where(BuurtgezelRequest.resident_id == resident.id)
        .order_by(BuurtgezelRequest.id)
    )
    out = []
    for request in requests:
        matches = db.session.scalars(
            select(BuurtgezelMatch)
            .where(BuurtgezelMatch.request_id == request.id)
            .order_by(BuurtgezelMatch.id)
        )
        out.append({**row(request), "matches": [row(m) for m in matches]})
    return out


def _referrals(signal_ids: list[int]) -> list[dict[str, Any]]:
    linked = select(referral_submission_signals.c.submission_id).where(
        referral_submission_signals.c.signal_id.in_(signal_ids)
    )
    submissions = db.session.scalars(
        select(ReferralSubmission)
        .where(ReferralSubmission.id.in_(linked))
        .order_by(ReferralSubmission.id)
    )
    return [
        {**row(s), "card_code": s.card.code, "signal_ids": [sig.id for sig in s.signals]}
        for s in submissions
    ]


def _photos(signal_ids: list[int]) -> list[dict[str, Any]]:
    photos = db.session.scalars(
        select(Photo).where(Photo.signal_id.in_(signal_ids)).order_by(Photo.id)
    )
    return [row(photo) for photo in photos]


def _onward(resident: Resident) -> list[dict[str, Any]]:
    """Referrals onward to a partner: to whom, why, the summary shared and what came back."""
    referrals = db.session.scalars(
        select(OnwardReferral)
        .join(Case, Case.id == OnwardReferral.case_id)
        .where(Case.resident_id == resident.id)
        .order_by(OnwardReferral.id)
    )
    return [
        {
            **{k: v for k, v in row(referral).items() if k != "link_nonce"},
            "partner": referral.organisation.name,
            "service": referral.service.name,
        }
        for referral in referrals
    ]


def resident_export(resident_id: int) -> dict[str, Any] | None:
    """Everything held about the resident, by section (SECTIONS); None for an unknown id."""
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        return None
    signals = list(
        db.session.scalars(
            select(Signal).where(Signal.resident_id == resident.id).order_by(Signal.id)
        )
    )
    signal_ids = [s.id for s in signals]
    consents = _consents(resident)
    return {
        "resident": {**row(resident), "neighbourhood": resident.neighbourhood.name},
        "consents": consents,
        "signals": [row(signal) for signal in signals],
        "cases": _cases(resident),
        "visits": _visits(resident, [c["id"] for c in consents]),
        "calls": _calls(resident),
        "goodmorning": _goodmorning(resident),
        "buurtgezel": _buurtgezel(resident),
        "referrals": _referrals(signal_ids),
        "photos": _photos(signal_ids),
        "onward": _onward(resident),
    }
