"""Call campaigns: create, select the call list, give callers their lists, the caller's next
person, and an attempt with its answers into the core. Flush, never commit."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.calls.models import CallAttempt, CallCampaign, CallCandidate, CallTarget
from fieldwork.calls.rules import AttemptRules, TargetState, after_attempt, may_call
from fieldwork.core.errors import ServiceError
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import ConsentText, Resident
from fieldwork.signals.services import (
    SignalError,
    create_signals,
    find_or_create_resident,
    latest_consent_text,
    locate_resident,
)
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.models import VisitAddress
from fieldwork.volunteers.gate import account_refusal

CALLER_ROLES = ("volunteer", "contact_person", "coordinator")
CONSENT_PURPOSE = "verbal_contact"
DEFAULT_CONSENT_TEXT = (
    "Mag ik uw naam, adres en telefoonnummer doorgeven aan de aanspreekpersoon van de "
    "gemeente, zodat die u kan opbellen over wat we besproken hebben? U kan dit altijd "
    "intrekken."
)
MAX_GUIDE_QUESTIONS = 30


class CallError(ServiceError):
    """A campaign, call list or attempt refused."""


def parse_guide(text: str) -> list[dict[str, Any]]:
    """The conversation guide from the coordinator's lines: 'question' is free text,
    'question | option; option' is multiple choice. Keys stay stable by position."""
    guide: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        question, _bar, options = line.partition("|")
        choices = [o.strip()[:80] for o in options.split(";") if o.strip()]
        if not question.strip():
            raise CallError(_("A line of the guide has options but no question."), "guide")
        guide.append(
            {
                "key": f"q{len(guide) + 1}",
                "text": question.strip()[:300],
                "kind": "choice" if choices else "text",
                "options": choices[:12],
            }
        )
    if len(guide) > MAX_GUIDE_QUESTIONS:
        raise CallError(_("At most 30 questions in the guide."), "guide")
    return guide


def guide_as_text(guide: list[dict[str, Any]]) -> str:
    return "\n".join(
        q["text"] + (" | " + "; ".join(q["options"]) if q["options"] else "") for q in guide
    )


def verbal_consent_text(
    municipality: Municipality, wording: str | None, by: User | None
) -> ConsentText:
    """The current wording for verbal consent; a changed wording is a new version."""
    current = latest_consent_text(municipality.id, CONSENT_PURPOSE)
    wording = " ".join((wording or "").split()) or (
        current.text if current else DEFAULT_CONSENT_TEXT
    )
    if len(wording) > 1000:
        raise CallError(
            _("The consent text is too long (at most 1000 characters)."), "consent_text"
        )
    if current is not None and current.text == wording:
        return current
    text = ConsentText(
        municipality_id=municipality.id,
        purpose=CONSENT_PURPOSE,
        version=(current.version + 1) if current else 1,
        text=wording,
        created_by_id=by.id if by else None,
    )
    db.session.add(text)
    db.session.flush()
    return text


def check_callers(ids: list[int]) -> list[User]:
    """The callers with these ids: active staff or volunteers who may call (campaigns and the
    good-morning call); CallError otherwise."""
    callers = list(
        db.session.scalars(
            select(User).where(User.id.in_(ids), User.active.is_(True), User.role.in_(CALLER_ROLES))
        )
    )
    if len(callers) != len(set(ids)):
        raise CallError(_("Choose callers among the active volunteers and staff."), "callers")
    for caller in callers:
        reason = account_refusal(caller)
        if reason:
            raise CallError(reason, "callers")
    return callers


def create_campaign(
    municipality: Municipality,
    name: str,
    neighbourhood_ids: list[int],
    guide: list[dict[str, Any]],
    caller_ids: list[int],
    max_attempts: int,
    min_gap_minutes: int,
    hours_from: time,
    hours_until: time,
    consent_wording: str | None,
    by: User | None,
) -> CallCampaign:
    if not name.strip():
        raise CallError(_("Give the campaign a name."), "name")
    neighbourhoods = list(
        db.session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.id.in_(neighbourhood_ids),
                Neighbourhood.municipality_id == municipality.id,
            )
        )
    )
    if not neighbourhoods or len(neighbourhoods) != len(set(neighbourhood_ids)):
        raise CallError(
            _("Choose one or more neighbourhoods of this municipality."), "neighbourhoods"
        )
    campaign = CallCampaign(
        municipality_id=municipality.id,
        name=name.strip()[:120],
        neighbourhoods=neighbourhoods,
        guide=guide,
        created_by_id=by.id if by else None,
    )
    set_rules(campaign, max_attempts, min_gap_minutes, hours_from, hours_until)
    campaign.callers = check_callers(caller_ids)
    campaign.consent_text = verbal_consent_text(municipality, consent_wording, by)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def set_rules(
    campaign: CallCampaign,
    max_attempts: int,
    min_gap_minutes: int,
    hours_from: time,
    hours_until: time,
) -> None:
    if not 1 <= max_attempts <= 10:
        raise CallError(_("Between 1 and 10 attempts."), "max_attempts")
    if not 0 <= min_gap_minutes <= 7 * 24 * 60:
        raise CallError(_("The time between attempts is at most a week."), "min_gap_minutes")
    if hours_from >= hours_until:
        raise CallError(_("The calling hours end before they start."), "hours_until")
    campaign.max_attempts, campaign.min_gap_minutes = max_attempts, min_gap_minutes
    campaign.hours_from, campaign.hours_until = hours_from, hours_until


def rules_of(campaign: CallCampaign) -> AttemptRules:
    return AttemptRules(
        campaign.max_attempts,
        timedelta(minutes=campaign.min_gap_minutes),
        campaign.hours_from,
        campaign.hours_until,
    )


def state_of(target: CallTarget) -> TargetState:
    return TargetState(target.status, target.attempts, target.last_attempt_at, target.call_back_at)


@dataclass
class Selection:
    added: int = 0
    already_listed: int = 0
    without_phone: int = 0
    moved_or_deceased: int = 0  # so a visit round found: never called


LIVING_ALONE_CHOICES = ("any", "yes", "no")


@dataclass(frozen=True)
class Criteria:
    """Who goes on the call list: an age band (by birth year), whether they live alone
    ("yes" leaves out whoever the list does not say it of; "no" keeps them) and some of the
    campaign's neighbourhoods (none chosen: all of them)."""

    min_age: int = 0
    max_age: int = 120
    living_alone: str = "any"
    neighbourhood_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.min_age <= self.max_age <= 120:
            raise CallError(_("Give an age band from 0 to 120, the lowest age first."), "min_age")
        if self.living_alone not in LIVING_ALONE_CHOICES:
            raise CallError(_("Choose yes, no or either for living alone."), "living_alone")


def _hoods_of(campaign: CallCampaign, criteria: Criteria) -> list[int]:
    own = [n.id for n in campaign.neighbourhoods]
    if not criteria.neighbourhood_ids:
        return own
    if not set(criteria.neighbourhood_ids) <= set(own):
        raise CallError(_("Choose among the campaign's neighbourhoods."), "neighbourhoods")
    return [hood for hood in own if hood in criteria.neighbourhood_ids]


def _candidates(
    campaign: CallCampaign, criteria: Criteria, hood_ids: list[int], born: tuple[int, int]
) -> list[CallCandidate]:
    query = select(CallCandidate).where(
        CallCandidate.campaign_id == campaign.id,
        CallCandidate.neighbourhood_id.in_(hood_ids),
        CallCandidate.birth_year.between(*born),
    )
    if criteria.living_alone == "yes":
        query = query.where(CallCandidate.living_alone.is_(True))
    elif criteria.living_alone == "no":
        query = query.where(
            or_(CallCandidate.living_alone.is_(False), CallCandidate.living_alone.is_(None))
        )
    return list(db.session.scalars(query.order_by(CallCandidate.id)))


def _known_people(hood_ids: list[int], born: tuple[int, int]) -> list[Resident | VisitAddress]:
    """Residents of the core and the visit rounds' lists: neither says who lives alone."""
    return [
        *db.session.scalars(
            select(Resident)
            .where(Resident.neighbourhood_id.in_(hood_ids), Resident.birth_year.between(*born))
            .order_by(Resident.id)
        ),
        *db.session.scalars(
            select(VisitAddress)
            .where(
                VisitAddress.neighbourhood_id.in_(hood_ids),
                VisitAddress.birth_year.between(*born),
            )
            .order_by(VisitAddress.id)
        ),
    ]


def _moved_or_deceased(hood_ids: list[int]) -> set[tuple[str, str]]:
    """(name key, address key) of the people a visit round found had moved or died: the
    core's resident of the same name and address, and a campaign's own list, may not know."""
    return {
        (name, address)
        for name, address in db.session.execute(
            select(VisitAddress.name_key, VisitAddress.address_key).where(
                VisitAddress.neighbourhood_id.in_(hood_ids),
                VisitAddress.status.in_(("moved", "deceased")),
            )
        )
    }


def select_targets(campaign: CallCampaign, criteria: Criteria, today_year: int) -> Selection:
    """Add the people who match ``criteria`` to the call list: first the campaign's own
    imported list, then the people already known in its neighbourhoods (residents of the core
    and the visit rounds' population-register lists — unknown whether they live alone, so
    left out when "yes" is asked). The same name and address is one person."""
    hood_ids = _hoods_of(campaign, criteria)
    born = (today_year - criteria.max_age, today_year - criteria.min_age)
    seen = {
        (k, a)
        for k, a in db.session.execute(
            select(CallTarget.name_key, CallTarget.address_key).where(
                CallTarget.campaign_id == campaign.id
            )
        )
    }
    gone = _moved_or_deceased(hood_ids)
    result = Selection()
    people: list[CallCandidate | Resident | VisitAddress] = [
        *_candidates(campaign, criteria, hood_ids, born),
        *(_known_people(hood_ids, born) if criteria.living_alone != "yes" else []),
    ]
    for person in people:
        key = (
            name_key(person.name),
            address_key(person.street, person.house_number, person.postcode),
        )
        if key in seen:
            result.already_listed += 1
            continue
        seen.add(key)
        if key in gone:
            result.moved_or_deceased += 1
            continue
        if not (person.phone or "").strip():
            result.without_phone += 1
            continue
        db.session.add(_target(campaign, person, key))
        result.added += 1
    db.session.flush()
    return result


def _target(
    campaign: CallCampaign,
    person: CallCandidate | Resident | VisitAddress,
    key: tuple[str, str],
) -> CallTarget:
    return CallTarget(
        campaign_id=campaign.id,
        resident_id=person.id if isinstance(person, Resident) else None,
        name=person.name,
        name_key=key[0],
        street=person.street,
        house_number=person.house_number,
        postcode=person.postcode,
        address_key=key[1],
        birth_year=person.birth_year,
        phone=(person.phone or "").strip(),
        sector_id=person.sector_id,
        neighbourhood_id=person.neighbourhood_id,
    )


def share_out(
    campaign: CallCampaign, caller_ids: list[int], neighbourhood_id: int | None = None
) -> int:
    """Share the campaign's unassigned open targets (of one neighbourhood, or all) among the
    chosen callers, round-robin street by street so that each caller keeps a village."""
    callers = check_callers(caller_ids)
    if not callers:
        raise CallError(_("Choose at least one caller."), "callers")
    for caller in callers:
        if caller not in campaign.callers:
            campaign.callers.append(caller)
    query = select(CallTarget).where(
        CallTarget.campaign_id == campaign.id,
        CallTarget.caller_id.is_(None),
        CallTarget.status == "to_call",
    )
    if neighbourhood_id is not None:
        query = query.where(CallTarget.neighbourhood_id == neighbourhood_id)
    targets = list(
        db.session.scalars(
            query.order_by(CallTarget.neighbourhood_id, CallTarget.address_key).with_for_update()
        )
    )
    for index, target in enumerate(targets):
        target.caller_id = callers[index * len(callers) // len(targets)].id
    db.session.flush()
    return len(targets)


def _mine(user: User, open_only: bool = True) -> Any:
    query = (
        select(CallTarget)
        .join(CallCampaign)
        .where(CallTarget.caller_id == user.id, CallCampaign.closed_at.is_(None))
    )
    return query.where(CallTarget.status == "to_call") if open_only else query


def count_my_targets(user: User) -> int:
    """Open campaign targets of this caller."""
    return int(db.session.scalar(select(func.count()).select_from(_mine(user).subquery())) or 0)


def my_targets(user: User, now: datetime | None = None) -> list[tuple[CallTarget, bool]]:
    """My open targets, each with whether I may call them now; those I may call first,
    call-backs by their time."""
    now = now or utcnow()
    rows = [
        (t, may_call(rules_of(t.campaign), state_of(t), now))
        for t in db.session.scalars(_mine(user).order_by(CallTarget.id))
    ]
    return sorted(
        rows, key=lambda row: (not row[1], row[0].call_back_at or now, row[0].attempts, row[0].id)
    )


def target_for(
    user: User, target_id: int, lock: bool = False, open_only: bool = True
) -> CallTarget:
    """One of my open targets (locked for an attempt), or a 404 refusal; ``open_only=False``
    also finds one I already finished, so a second tap can be told it was saved."""
    query = _mine(user, open_only).where(CallTarget.id == target_id)
    if lock:
        query = query.with_for_update(of=CallTarget).execution_options(populate_existing=True)
    target = db.session.scalar(query)
    if target is None:
        raise CallError(_("This person is not on your call list."), "target_id", 404)
    return target


def late_target_for(user: User, target_id: int, observed_at: datetime | None) -> CallTarget | None:
    """For a target :func:`target_for` refuses because its campaign closed meanwhile: a call
    made offline before the close (the phone's ``observed_at``), while the person was on this
    caller's list still to call, is kept — an urgent need or a consent in it is not lost.
    The target, locked; None otherwise (the same 404: the list cannot be probed)."""
    if observed_at is None:
        return None
    return db.session.scalar(
        select(CallTarget)
        .join(CallCampaign)
        .where(
            CallTarget.id == target_id,
            CallTarget.caller_id == user.id,
            CallTarget.status == "to_call",
            CallCampaign.closed_at.is_not(None),
            CallCampaign.closed_at > observed_at,
        )
        .with_for_update(of=CallTarget)
        .execution_options(populate_existing=True)
    )


def previous_attempts(target_ids: list[int]) -> dict[int, list[CallAttempt]]:
    found: dict[int, list[CallAttempt]] = defaultdict(list)
    for attempt in db.session.scalars(
        select(CallAttempt).where(CallAttempt.target_id.in_(target_ids)).order_by(CallAttempt.id)
    ):
        found[attempt.target_id or 0].append(attempt)
    return found


@dataclass
class Conversation:
    """An attempt as the caller fills it in."""

    outcome: str
    call_back_at: datetime | None = None
    answers: dict[str, str] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)
    wants_regular_calls: bool = False
    wants_contact: bool = False
    consent_given: bool = False
    urgent: bool = False
    note: str = ""


def _checked_answers(guide: list[dict[str, Any]], answers: dict[str, str]) -> dict[str, str]:
    questions = {q["key"]: q for q in guide}
    checked = {}
    for key, value in answers.items():
        value = " ".join(str(value).split())[:1000]
        if not value:
            continue
        question = questions.get(key)
        if question is None:
            raise CallError(_("This question is not in the conversation guide."), f"answers.{key}")
        if question["kind"] == "choice" and value not in question["options"]:
            raise CallError(_("Choose one of the options."), f"answers.{key}")
        checked[key] = value
    return checked


def record_attempt(
    target: CallTarget, caller: User, talk: Conversation, now: datetime | None = None
) -> tuple[CallAttempt, int]:
    """Store one call to a (locked) target and move it on; when reached, the answers, the
    needs form and — with verbal consent — a request for contact go into the core.
    Returns the attempt and how many signals it passed on."""
    now = now or utcnow()
    campaign = target.campaign
    if talk.outcome not in (
        "reached",
        "no_answer",
        "voicemail",
        "wrong_number",
        "call_back_at",
        "refused",
    ):
        raise CallError(_("Choose how the call went."), "outcome")
    if talk.outcome == "call_back_at" and (
        talk.call_back_at is None or not now < talk.call_back_at <= now + timedelta(days=60)
    ):
        raise CallError(_("Choose a moment to call back, in the next 60 days."), "call_back_at")
    reached = talk.outcome == "reached"
    if reached and talk.wants_contact and not talk.consent_given:
        raise CallError(
            _(
                "Contact needs the resident's consent: read the text aloud and "
                "tick that they agreed."
            ),
            "consent",
        )
    bad = [
        code
        for code, answer in talk.themes.items()
        if code not in THEMES or answer not in ("ok", "concern", "not_discussed")
    ]
    if bad:
        raise CallError(_("Unknown theme or answer."), f"themes.{bad[0]}")
    answers = _checked_answers(campaign.guide, talk.answers) if reached else {}
    state = after_attempt(
        rules_of(campaign), state_of(target), talk.outcome, now, talk.call_back_at
    )
    target.status, target.attempts = state.status, state.attempts
    target.last_attempt_at, target.call_back_at = state.last_attempt_at, state.call_back_at
    consented = reached and talk.wants_contact and talk.consent_given
    attempt = CallAttempt(
        target_id=target.id,
        caller_id=caller.id,
        outcome=talk.outcome,
        call_back_at=state.call_back_at,
        answers=answers,
        themes={k: v for k, v in talk.themes.items() if v != "not_discussed"} if reached else {},
        wants_regular_calls=reached and talk.wants_regular_calls,
        wants_contact=consented,
        urgent=talk.urgent,
        # a free-text note names people: kept only with consent or when urgent
        note=talk.note.strip()[:2000] if consented or talk.urgent else "",
        created_at=now,
    )
    db.session.add(attempt)
    db.session.flush()
    signals = _signals_for(target, caller, attempt, consented) if reached or talk.urgent else []
    attempt.consent_id = next((s.consent_id for s in signals if s.consent_id), None)
    db.session.flush()
    enqueue_after_commit("reports.count_capture", "call", attempt.id)
    return attempt, len(signals)


def _signals_for(
    target: CallTarget, caller: User, attempt: CallAttempt, consented: bool
) -> list[Any]:
    themes = [code for code, answer in attempt.themes.items() if answer == "concern"]
    if attempt.urgent and not themes:
        themes.append("onbeantwoorde_nood")
    if consented and not themes:
        themes.append("informatie")
    if not themes:
        return []
    campaign = target.campaign
    payload = {
        "resident": {
            "name": target.name,
            "street": target.street,
            "house_number": target.house_number,
            "postcode": target.postcode,
            "birth_year": target.birth_year,
            "phone": target.phone,
            "lat": None,
            "lon": None,
            "statsec": target.sector.code if target.sector else None,
            "gemeente": campaign.municipality.code,
            "deelgemeente": None,
        },
        "themes": themes,
        "urgency": "urgent" if attempt.urgent else "normal",
        "note": attempt.note,
        "consent": {
            "given": consented,
            "how": "verbal",
            "reference": f"{campaign.name[:80]} #{attempt.id}",
        },
    }
    try:
        return create_signals(
            payload,
            caller,
            source="call",
            consent_text_id=campaign.consent_text_id if consented else None,
        )
    except SignalError as exc:
        raise CallError(str(exc), exc.field) from exc


def resident_for_target(target: CallTarget) -> Resident:
    """The core resident for someone on the call list (made when they ask for more)."""
    if target.resident_id is not None:
        return db.session.get_one(Resident, target.resident_id)
    data = {
        "name": target.name,
        "street": target.street,
        "house_number": target.house_number,
        "postcode": target.postcode,
        "birth_year": target.birth_year,
        "phone": target.phone,
        "gemeente": target.campaign.municipality.code,
        "statsec": target.sector.code if target.sector else None,
    }
    try:
        resident = find_or_create_resident(data, locate_resident(data))
    except SignalError as exc:
        raise CallError(str(exc), "resident_id") from exc
    target.resident_id = resident.id
    return resident


def campaign_progress(campaign: CallCampaign) -> dict[str, Any]:
    """Per neighbourhood and per caller: to call, reached, refused, wrong number,
    unreachable — counted by the database."""
    per_hood: dict[str, Counter[str]] = defaultdict(Counter)
    per_caller: dict[str, Counter[str]] = defaultdict(Counter)
    for hood, caller, email, status, count in db.session.execute(
        select(Neighbourhood.name, User.name, User.email, CallTarget.status, func.count())
        .join(Neighbourhood, Neighbourhood.id == CallTarget.neighbourhood_id)
        .outerjoin(User, User.id == CallTarget.caller_id)
        .where(CallTarget.campaign_id == campaign.id)
        .group_by(Neighbourhood.name, User.name, User.email, CallTarget.status)
    ):
        who = (caller or email) if email else "—"
        for counter in (per_hood[hood], per_caller[who]):
            counter[status] += count
            counter["total"] += count
    return {
        "neighbourhoods": {k: dict(v) for k, v in sorted(per_hood.items())},
        "callers": {k: dict(v) for k, v in sorted(per_caller.items())},
    }


PHONE = re.compile(r"[^0-9+]")


def tel_href(phone: str) -> str:
    """A ``tel:`` link target: digits and a leading plus only."""
    return "tel:" + PHONE.sub("", phone)
