"""Erasing a resident: every personal field of theirs, in every table and in stored files, is
removed or replaced by a pseudonym; the rows stay with their ids, so every count, rollup and
export total stays what it was.

Two passes. The targeted pass follows the links (resident id, their consents, signals and
cases, and the target lists that name the same person by name and address key). The sweep
then looks for what is left of the person's name, phone and address in every text, JSON and
binary column of every table (found by introspecting the metadata, so a table added later is
covered too) and blanks it. The audit log is left as it is: it is append-only and records ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Table, Text, cast, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from fieldwork.areas.models import AddressFixup
from fieldwork.calls.goodmorning import stop
from fieldwork.calls.models import (
    Alert,
    CallAttempt,
    CallCampaign,
    CallCandidate,
    CallTarget,
    GoodMorningCall,
    GoodMorningSchedule,
)
from fieldwork.cases.hooks import case_consent_withdrawn
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import ServiceError
from fieldwork.core.storage import StorageError, storage
from fieldwork.db import NO_KEY_UPDATE, utcnow
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from fieldwork.notifications.services import ERASED
from fieldwork.onward.models import OnwardReferral
from fieldwork.onward.services import end_for_resident
from fieldwork.photos.models import Photo
from fieldwork.privacy.ledger import ErasureEntry, add_entry
from fieldwork.referrals.models import ReferralSubmission, referral_submission_signals
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.visits.models import Visit, VisitAddress
from fieldwork.volunteers.models import BuurtgezelMatch, BuurtgezelRequest, Volunteer

BLANK = ""
# what a swept occurrence becomes in free text
REDACTED = "[gewist]"
# the keys of a case event's detail that hold words someone typed; "reason" too, except in
# the routing's own events, where it names the rule that matched
EVENT_FREE_TEXT = ("text", "note", "partner", "reason")
ROUTING_EVENTS = ("routed", "assigned")
# never swept: the append-only audit log (ids only, see fieldwork.core.audit), the ledger
# itself, Alembic's bookkeeping, staff accounts and the area reference tables (a resident
# sharing a name with a colleague or a street must not blank those)
NOT_SWEPT = frozenset(
    {
        "audit_events",
        "erasure_ledger",
        "alembic_version",
        "residents",  # the targeted pass erased the person's row; the others are other people
        "users",
        "api_tokens",
        "municipalities",
        "sub_municipalities",
        "sectors",
        "neighbourhoods",
        "streets",
        # caring neighbours are other people (their own data, their own consent); their
        # links to signals hold ids only. Sweeping would blank a neighbour who shares a name
        # or a street with the erased resident.
        "caring_neighbours",
        "caring_neighbour_streets",
    }
)
MIN_NEEDLE = 4  # shorter strings ("Jan", "12") would blank innocent text everywhere


class ErasureError(ServiceError):
    """No such resident (404), or erased already (409)."""


@dataclass
class Erased:
    """What an erasure or a purge touched, per kind: counts only."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, number: int) -> None:
        if number:
            self.counts[kind] = self.counts.get(kind, 0) + number


def erased_name(resident_id: int) -> str:
    return f"Gewiste bewoner #{resident_id}"


def erased_key(kind: str, row_id: int) -> str:
    # unique per row (target lists are unique on name and address key) and never the key of
    # a real name: keys are folded words, without '#'
    return f"#gewist-{kind}-{row_id}"


def is_erased(resident: Resident) -> bool:
    return resident.name_key == erased_key("resident", resident.id)


def erase_resident(resident_id: int, by_user_id: int | None, reason: str) -> Erased:
    """Erase one resident, write the ledger row and the audit event. Flushes, never commits."""
    # two erasures at once: the second waits for the first's lock, then finds its ledger row
    resident = db.session.get(Resident, resident_id, with_for_update=NO_KEY_UPDATE)
    if resident is None:
        raise ErasureError("No such resident.", "resident", 404)
    if db.session.scalar(select(ErasureEntry.id).where(ErasureEntry.resident_id == resident_id)):
        raise ErasureError("This resident was erased already.", "resident", 409)
    erased = pseudonymise_residents([resident])
    # no more contact: a capture about her being saved at this moment (its consent given
    # before now) opens no case either (routing.may_open_case)
    _update(
        Consent,
        Consent.resident_id == resident_id,
        Consent.withdrawn_at.is_(None),
        withdrawn_at=utcnow(),
    )
    _finish_routing(resident_id)
    _close_open_cases(resident_id, by_user_id, reason)
    add_entry(resident_id, by_user_id, reason)
    record_audit("resident_erased", "resident", resident_id, user_id=by_user_id, reason=reason)
    db.session.flush()
    return erased


def _finish_routing(resident_id: int) -> None:
    """A signal filed before the erasure and not routed yet opens no case afterwards (the
    worker skips a routed signal); it is only counted. Before the open cases are closed: a
    worker routing one right now holds its signal, this waits, and its case is closed next."""
    db.session.execute(
        update(Signal)
        .where(Signal.resident_id == resident_id, Signal.routed_at.is_(None))
        .values(routed_at=utcnow(), routing_reason="bewoner gewist: enkel geteld")
    )


def _close_open_cases(resident_id: int, by_user_id: int | None, reason: str) -> None:
    """An erased resident is contacted no more: an open case closes (no queue, no reminder),
    and what else would contact them stops as on a withdrawal (calls, buddies, partners)."""
    outcome = "moved_or_deceased" if reason == "deceased" else "declined"
    now = utcnow()
    for case in db.session.scalars(
        select(Case)
        .where(Case.resident_id == resident_id, Case.closed_at.is_(None))
        .with_for_update(key_share=True)
    ):
        db.session.add(
            CaseEvent(
                case_id=case.id,
                type="status_change",
                by_id=by_user_id,
                detail={"old": case.status, "new": "closed", "outcome": outcome, "erased": True},
            )
        )
        case.status, case.outcome, case.closed_at = "closed", outcome, now
        case_consent_withdrawn.send(case, by=None)


def pseudonymise_residents(residents: Sequence[Resident]) -> Erased:
    """Both passes for these residents (the purge's batch and an erasure's one)."""
    erased = Erased()
    needles: set[str] = set()
    for resident in residents:
        needles |= needles_of(resident)
        _erase_links(resident, erased)
    db.session.flush()
    sweep(needles, erased)
    return erased


def needles_of(resident: Resident) -> set[str]:
    """The strings that identify the person in free text."""
    found = {resident.name.strip(), (resident.phone or "").strip()}
    if resident.street and resident.house_number:
        found.add(f"{resident.street} {resident.house_number}".strip())
    phone_digits = re.sub(r"\D", "", resident.phone or "")
    found.add(phone_digits)
    return {needle for needle in found if len(needle) >= MIN_NEEDLE}


# --- the targeted pass ------------------------------------------------------------------


def _erase_links(resident: Resident, erased: Erased) -> None:
    name_key, address_key = resident.name_key, resident.address_key
    consent_ids = list(
        db.session.scalars(select(Consent.id).where(Consent.resident_id == resident.id))
    )
    signal_ids = list(
        db.session.scalars(select(Signal.id).where(Signal.resident_id == resident.id))
    )
    case_ids = list(db.session.scalars(select(Case.id).where(Case.resident_id == resident.id)))
    _erase_resident_row(resident, erased)
    erased.add(
        "consents",
        _update(Consent, Consent.id.in_(consent_ids), reference=None),
    )
    erased.add("signals", _update(Signal, Signal.id.in_(signal_ids), note=BLANK))
    _erase_case_events(case_ids, erased)
    _erase_visits(name_key, address_key, consent_ids, erased)
    _erase_calls(resident.id, name_key, address_key, erased)
    _erase_referrals(signal_ids, consent_ids, erased)
    # what staff and partners were told about the cases (a reassignment's reason, a partner's
    # answer), before the partners are told to stop (that notice names no one and is kept)
    erased.add(
        "notifications", _update(Notification, Notification.case_id.in_(case_ids), body=ERASED)
    )
    _erase_onward(resident.id, case_ids, erased)
    _erase_volunteering(resident.id, signal_ids, erased)
    _erase_photos(signal_ids, erased)
    erased.add("address_fixups", _erase_fixups("resident", resident.id))


def _erase_fixups(source_type: str, source_id: int) -> int:
    """The address an unresolved row left on the coordinator's fix-up list."""
    return _update(
        AddressFixup,
        AddressFixup.source_type == source_type,
        AddressFixup.source_id == str(source_id),
        street=None,
        house_number=None,
        lat=None,
        lon=None,
    )


def _update(model: Any, *where: ColumnElement[bool], **values: Any) -> int:
    result = db.session.execute(
        update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_resident_row(resident: Resident, erased: Erased) -> None:
    # birth year, sector and neighbourhood stay: the figures count by age band and area,
    # and none of them names a person
    resident.name = erased_name(resident.id)
    resident.name_key = erased_key("resident", resident.id)
    resident.address_key = erased_key("resident", resident.id)
    resident.street = resident.house_number = resident.phone = None
    erased.add("residents", 1)


def _erase_case_events(case_ids: list[int], erased: Erased) -> None:
    if not case_ids:
        return
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))):
        keys = [k for k in EVENT_FREE_TEXT if k != "reason" or event.type not in ROUTING_EVENTS]
        if any(event.detail.get(key) for key in keys):
            event.detail = {**event.detail, **{key: BLANK for key in keys if key in event.detail}}
            erased.add("case_events", 1)


def _erase_visits(name_key: str, address_key: str, consent_ids: list[int], erased: Erased) -> None:
    by_identity = select(VisitAddress.id).where(
        VisitAddress.name_key == name_key, VisitAddress.address_key == address_key
    )
    by_consent = select(Visit.address_id).where(Visit.consent_id.in_(consent_ids))
    address_ids = set(db.session.scalars(by_identity)) | set(db.session.scalars(by_consent))
    erase_visit_addresses(address_ids, erased)


def erase_visit_addresses(address_ids: Iterable[int], erased: Erased) -> None:
    """Target-list rows and their findings sheets (also the retention of ended rounds)."""
    for address in db.session.scalars(
        select(VisitAddress).where(VisitAddress.id.in_(list(address_ids)))
    ):
        address.name = erased_name(address.id)
        address.name_key = erased_key("visit", address.id)
        address.address_key = erased_key("visit", address.id)
        address.street = address.street_key = BLANK
        address.house_number = BLANK
        address.phone = None
        erased.add("visit_addresses", 1)
        erased.add(
            "visits",
            _update(Visit, Visit.address_id == address.id, note=BLANK, signature_png=None),
        )
        erased.add("address_fixups", _erase_fixups("visit_address", address.id))


def _erase_calls(resident_id: int, name_key: str, address_key: str, erased: Erased) -> None:
    target_ids = set(
        db.session.scalars(
            select(CallTarget.id).where(
                or_(
                    CallTarget.resident_id == resident_id,
                    (CallTarget.name_key == name_key) & (CallTarget.address_key == address_key),
                )
            )
        )
    )
    erase_call_targets(target_ids, erased)
    candidate_ids = db.session.scalars(
        select(CallCandidate.id).where(
            CallCandidate.name_key == name_key, CallCandidate.address_key == address_key
        )
    )
    erase_call_candidates(list(candidate_ids), erased)
    for schedule in db.session.scalars(
        select(GoodMorningSchedule).where(GoodMorningSchedule.resident_id == resident_id)
    ):
        stop(schedule)  # an erased resident is called no more
        schedule.escalation_name = schedule.escalation_phone = BLANK
        schedule.pause_reason = BLANK
        erased.add("goodmorning_schedules", 1)
        calls = select(GoodMorningCall.id).where(GoodMorningCall.schedule_id == schedule.id)
        erased.add(
            "call_attempts",
            _update(
                CallAttempt, CallAttempt.goodmorning_call_id.in_(calls), note=BLANK, answers={}
            ),
        )
        erased.add("alerts", _update(Alert, Alert.goodmorning_call_id.in_(calls), ack_note=BLANK))


def erase_call_targets(target_ids: Iterable[int], erased: Erased) -> None:
    """Call-list rows and what was said in their calls (also the retention of campaigns)."""
    for target in db.session.scalars(select(CallTarget).where(CallTarget.id.in_(list(target_ids)))):
        target.name = erased_name(target.id)
        target.name_key = target.address_key = erased_key("call", target.id)
        target.street = target.house_number = None
        target.phone = BLANK
        erased.add("call_targets", 1)
        choices = _choice_questions(target.campaign)
        for attempt in db.session.scalars(
            select(CallAttempt).where(CallAttempt.target_id == target.id)
        ):
            attempt.note = BLANK
            # choices are counted per option; a typed answer is the person's own words, counted
            # only as "answered": it stays answered, without the words
            attempt.answers = {
                k: v if k in choices or not v else REDACTED for k, v in attempt.answers.items()
            }
            erased.add("call_attempts", 1)


def _choice_questions(campaign: CallCampaign) -> set[str]:
    return {q.get("key", "") for q in campaign.guide if q.get("kind") == "choice"}


def erase_call_candidates(candidate_ids: list[int], erased: Erased) -> None:
    for candidate in db.session.scalars(
        select(CallCandidate).where(CallCandidate.id.in_(candidate_ids))
    ):
        candidate.name = erased_name(candidate.id)
        candidate.name_key = candidate.address_key = erased_key("candidate", candidate.id)
        candidate.street = candidate.house_number = candidate.phone = BLANK
        erased.add("call_candidates", 1)


def _erase_referrals(signal_ids: list[int], consent_ids: list[int], erased: Erased) -> None:
    via_signals = select(referral_submission_signals.c.submission_id).where(
        referral_submission_signals.c.signal_id.in_(signal_ids)
    )
    erased.add(
        "referral_submissions",
        _update(
            ReferralSubmission,
            or_(
                ReferralSubmission.id.in_(via_signals),
                ReferralSubmission.consent_id.in_(consent_ids),
            ),
            signature_png=None,
            strip_photo=None,
            best_time=BLANK,
        ),
    )


def _erase_onward(resident_id: int, case_ids: list[int], erased: Erased) -> None:
    """What was shared with partners, and what they answered; an open referral ends (its
    link shows nothing more) and its partner is told to stop, open case or not."""
    end_for_resident(resident_id, None, withdrawn=False)  # perhaps deceased: no reason given
    in_cases = OnwardReferral.case_id.in_(case_ids)
    erased.add(
        "onward_referrals",
        _update(
            OnwardReferral,
            in_cases,
            purpose=BLANK,
            summary=BLANK,
            decline_reason=None,
            outcome=None,
        ),
    )


def _erase_volunteering(resident_id: int, signal_ids: list[int], erased: Erased) -> None:
    requests = select(BuurtgezelRequest.id).where(BuurtgezelRequest.resident_id == resident_id)
    erased.add(
        "buurtgezel_requests",
        _update(
            BuurtgezelRequest,
            BuurtgezelRequest.resident_id == resident_id,
            note=BLANK,
            outcome_note=BLANK,
        ),
    )
    erased.add(
        "buurtgezel_matches",
        _update(
            BuurtgezelMatch,
            BuurtgezelMatch.request_id.in_(requests),
            follow_up_note=BLANK,
            details={},
        ),
    )
    # the resident asked to volunteer (a visit or call sheet made them a candidate): the
    # pool's row is the same person, unless they have since become a volunteer with an account
    for volunteer in db.session.scalars(
        select(Volunteer).where(
            Volunteer.lead_signal_id.in_(signal_ids), Volunteer.user_id.is_(None)
        )
    ):
        volunteer.name = f"Gewiste kandidaat #{volunteer.id}"
        volunteer.email = volunteer.phone = None
        volunteer.talents = volunteer.energy = volunteer.motivation = BLANK
        volunteer.experience = volunteer.support_note = BLANK
        erased.add("volunteers", 1)


def _erase_photos(signal_ids: list[int], erased: Erased) -> None:
    for photo in db.session.scalars(select(Photo).where(Photo.signal_id.in_(signal_ids))):
        delete_files([photo.upload_key, photo.original_key, photo.thumb_key])
        photo.upload_key = photo.original_key = photo.thumb_key = None
        photo.caption = BLANK
        photo.street = None
        photo.lat = photo.lon = None
        photo.idempotency_key = None
        # the status stays, so the photo counts stay; without files it shows nothing
        erased.add("photos", 1)


def delete_files(keys: Iterable[str | None]) -> int:
    deleted = 0
    for key in keys:
        if not key:
            continue
        try:
            storage().delete(key)
            deleted += 1
        except (StorageError, FileNotFoundError):
            continue  # already gone: what erasure wants
    return deleted


# --- the sweep --------------------------------------------------------------------------


def swept_tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in NOT_SWEPT]


def sweep(needles: Iterable[str], erased: Erased) -> None:
    """Blank every remaining occurrence of the needles, case-insensitively, in every text and
    JSON column; drop a nullable binary value (an uploaded list, an image) that holds one.
    One query per table: the rows where any of its columns matches."""
    wanted = sorted({n for n in needles if len(n) >= MIN_NEEDLE})
    if not wanted:
        return
    for table in swept_tables():
        erased.add(table.name, _sweep_table(table, wanted))


def _sweep_table(table: Table, needles: list[str]) -> int:
    matchers = {
        column.name: matcher
        for column in table.columns
        if not (column.primary_key or column.foreign_keys)
        and (matcher := _matcher(column, needles)) is not None
    }
    if not matchers:
        return 0
    pk = list(table.primary_key.columns)
    columns = [table.c[name] for name in matchers]
    rows = db.session.execute(select(*pk, *columns).where(or_(*matchers.values()))).all()
    changed = 0
    for row in rows:
        values = {
            column.name: cleaned
            for offset, column in enumerate(columns, start=len(pk))
            if (cleaned := _cleaned(column, row[offset], needles)) is not UNCHANGED
        }
        if values:
            db.session.execute(
                update(table).where(*(c == row[i] for i, c in enumerate(pk))).values(values)
            )
            changed += 1
    return changed


def _matcher(column: Any, needles: list[str]) -> ColumnElement[bool] | None:
    kind = column.type
    if isinstance(kind, JSON):
        variants = needles + [json.dumps(n)[1:-1] for n in needles]
        return _contains(cast(column, Text), variants)
    if isinstance(kind, String | Text):
        return _contains(column, needles)
    if isinstance(kind, LargeBinary) and column.nullable:
        return or_(*(_blob_contains(column, n) for n in needles))
    return None


def _contains(value: Any, variants: list[str]) -> ColumnElement[bool]:
    return or_(*(func.lower(value).contains(v.lower(), autoescape=True) for v in variants))


def _blob_contains(column: Any, needle: str) -> ColumnElement[bool]:
    if db.engine.dialect.name == "postgresql":
        # bytea as text with non-printable bytes escaped (\ooo): the needle escaped the same
        escaped = "".join(_bytea_escaped(b) for b in needle.encode())
        return func.encode(column, "escape").icontains(escaped, autoescape=True)
    return or_(
        *(func.instr(column, variant) > 0 for variant in {needle.encode(), needle.lower().encode()})
    )


def _pattern(needles: list[str]) -> re.Pattern[str]:
    """The needles as whole words: erasing "Jan Peeters" leaves "Jan Peetersen" alone (the
    SQL's LIKE only finds the candidate rows)."""
    alternatives = "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _bytea_escaped(byte: int) -> str:
    if byte == 92:
        return "\\\\"
    return chr(byte) if 32 <= byte < 127 else f"\\{byte:03o}"


UNCHANGED = object()


def _cleaned(column: Any, value: Any, needles: list[str]) -> Any:
    """The column's value without the needles, or UNCHANGED."""
    if value is None:
        return UNCHANGED
    pattern = _pattern(needles)
    if isinstance(column.type, LargeBinary):
        text_value = bytes(value).decode("utf-8", errors="replace")
        return None if pattern.search(text_value) else UNCHANGED
    if isinstance(column.type, JSON):
        new = json.loads(pattern.sub(REDACTED, json.dumps(value, ensure_ascii=False)))
    else:
        new = pattern.sub(REDACTED, value)
    return new if new != value else UNCHANGED
