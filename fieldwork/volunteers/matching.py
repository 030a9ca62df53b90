"""Buurtgezellen: requests, suggested matches, matches and their follow-up.

A resident asks for a buurtgezel (on a doorstep visit, a call, from a case); the contact
person looks at the suggested volunteers, picks one, both sides are informed and the match is
recorded. The contact person then steps back but stays reachable: after some weeks a reminder
asks "loopt het goed?". Services flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.core.audit import record_audit
from fieldwork.db import local, local_today, savepoint, utcnow
from fieldwork.extensions import db
from fieldwork.notifications.services import notify
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.volunteers.gate import VolunteerError, refusal_for, volunteer_of
from fieldwork.volunteers.models import BuurtgezelMatch, BuurtgezelRequest, Volunteer
from fieldwork.volunteers.vocabulary import (
    FOLLOW_UP_RESULTS,
    HELP_KINDS,
    REQUEST_SOURCES,
    SLOTS,
    slot_label,
)

ROLE = "buurtgezel"
THEME = "buurtgezel"
FOLLOW_UP_WEEKS = 4  # "loopt het goed?" after four weeks, unless the contact person chooses
ATTENTION_WEEKS = 1  # a match that needs attention is looked at again a week later
MAX_FOLLOW_UP_WEEKS = 26
MAX_LANGUAGES = 10

# Points of the suggestion score: the neighbourhood weighs most (a buurtgezel lives nearby),
# then the help asked, the moments both have and a shared language; each current match of
# the volunteer costs a little, so the work is spread.
POINTS_SAME_NEIGHBOURHOOD = 40
POINTS_SAME_MUNICIPALITY = 10
POINTS_PER_HELP_KIND = 10
MAX_HELP_KIND_POINTS = 30
POINTS_PER_SLOT = 5
MAX_SLOT_POINTS = 25
POINTS_LANGUAGE = 15
PENALTY_PER_ACTIVE_MATCH = 5


# --------------------------------------------------------------------------- requests


def _clean_codes(values: Iterable[str], allowed: Iterable[str], field_name: str) -> list[str]:
    allowed = set(allowed)
    codes = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        raise VolunteerError(_("Unknown choice: %(codes)s.", codes=", ".join(unknown)), field_name)
    return codes


def clean_languages(values: Iterable[str]) -> list[str]:
    """Lower case, trimmed, each once ("Nederlands, frans" → ["nederlands", "frans"])."""
    languages = list(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))
    if len(languages) > MAX_LANGUAGES or any(len(lang) > 40 for lang in languages):
        raise VolunteerError(
            _("At most %(n)d languages of at most 40 characters.", n=MAX_LANGUAGES), "languages"
        )
    return languages


def has_consent(resident: Resident) -> bool:
    """The resident gave consent to be contacted and did not withdraw it."""
    return (
        db.session.scalar(
            select(Consent.id)
            .where(Consent.resident_id == resident.id, Consent.withdrawn_at.is_(None))
            .limit(1)
        )
        is not None
    )


def may_handle(user: User, resident: Resident) -> bool:
    """Coordinators: every resident. A contact person: a resident whose case they may see
    (theirs or their team's), or whose buurtgezel request they made or matched."""
    from fieldwork.cases.services import can_see_case

    if user.role == "coordinator":
        return True
    if user.role != "contact_person":
        return False
    if any(
        can_see_case(user, case)
        for case in db.session.scalars(select(Case).where(Case.resident_id == resident.id))
    ):
        return True
    matched_by_user = select(BuurtgezelMatch.request_id).where(
        BuurtgezelMatch.matched_by_id == user.id
    )
    return (
        db.session.scalar(
            select(BuurtgezelRequest.id)
            .where(
                BuurtgezelRequest.resident_id == resident.id,
                or_(
                    BuurtgezelRequest.created_by_id == user.id,
                    BuurtgezelRequest.id.in_(matched_by_user),
                ),
            )
            .limit(1)
        )
        is not None
    )


def request_for(user: User, request_id: int) -> BuurtgezelRequest | None:
    """The request, if there is one and this user may handle its resident."""
    found = db.session.get(BuurtgezelRequest, request_id)
    return found if found is not None and may_handle(user, found.resident) else None


def match_for(user: User, match_id: int) -> BuurtgezelMatch | None:
    found = db.session.get(BuurtgezelMatch, match_id)
    return found if found is not None and may_handle(user, found.request.resident) else None


def _end(match: BuurtgezelMatch, now: datetime, why: str) -> None:
    match.ended_at, match.follow_up_result, match.follow_up_note = now, "ended", why


def withdraw_for_resident(resident_id: int, user: User | None) -> int:
    """The resident withdrew consent: their waiting request closes and a current match ends
    (the volunteer no longer sees them). Returns how many requests were closed."""
    now, closed = utcnow(), 0
    for request in db.session.scalars(
        select(BuurtgezelRequest)
        .where(
            BuurtgezelRequest.resident_id == resident_id,
            BuurtgezelRequest.status.in_(("open", "matched")),
        )
        .with_for_update()
    ):
        for match in db.session.scalars(
            select(BuurtgezelMatch).where(
                BuurtgezelMatch.request_id == request.id, BuurtgezelMatch.ended_at.is_(None)
            )
        ):
            _end(match, now, "toestemming ingetrokken")
        request.status, request.closed_at = "withdrawn", now
        request.outcome_note = "toestemming ingetrokken"
        closed += 1
        record_audit(
            "buurtgezel_withdrawn",
            "buurtgezel_request",
            request.id,
            user_id=user.id if user else None,
        )
    db.session.flush()
    return closed


def end_matches_of(volunteer: Volunteer, user: User | None) -> int:
    """A volunteer stopped: their current matches end and the requests wait again."""
    ended = 0
    for match in db.session.scalars(
        select(BuurtgezelMatch).where(
            BuurtgezelMatch.volunteer_id == volunteer.id, BuurtgezelMatch.ended_at.is_(None)
        )
    ):
        _end(match, utcnow(), "vrijwilliger gestopt")
        if match.request.status == "matched":
            match.request.status = "open"
        ended += 1
        record_audit(
            "buurtgezel_match_ended",
            "buurtgezel_match",
            match.id,
            user_id=user.id if user else None,
            reason="volunteer_stopped",
        )
    db.session.flush()
    return ended


def open_request_of(resident: Resident) -> BuurtgezelRequest | None:
    """The resident's request that is waiting or matched, if any."""
    return db.session.scalar(
        select(BuurtgezelRequest).where(
            BuurtgezelRequest.resident_id == resident.id,
            BuurtgezelRequest.status.in_(("open", "matched")),
        )
    )


def _already_asked(existing: BuurtgezelRequest) -> VolunteerError:
    return VolunteerError(
        _(
            "This resident already has a buurtgezel request (number %(id)d); open that one.",
            id=existing.id,
        ),
        "resident_id",
        status=409,
    )


def create_request(
    resident: Resident,
    help_kinds: Iterable[str],
    availability: Iterable[str],
    languages: Iterable[str],
    note: str,
    source: str,
    user: User | None,
    signal: Signal | None = None,
    case: Case | None = None,
) -> BuurtgezelRequest:
    """A resident's wish for a buurtgezel. One waiting or matched request per resident: a
    second one is refused (409) — the first one is where to add what is new."""
    if source not in REQUEST_SOURCES:
        raise VolunteerError(_("Unknown source."), "source")
    kinds = _clean_codes(help_kinds, HELP_KINDS, "help_kinds")
    slots = _clean_codes(availability, SLOTS, "availability")
    langs = clean_languages(languages)
    if signal is not None and signal.resident_id != resident.id:
        raise VolunteerError(_("This signal is about another resident."), "signal_id")
    if not has_consent(resident):  # a buurtgezel gets the address: only with consent
        raise VolunteerError(
            _(
                "This resident has not given consent to be contacted (or "
                "withdrew it): no buurtgezel can be arranged."
            ),
            "resident_id",
            status=409,
        )
    existing = open_request_of(resident)
    if existing is not None:
        raise _already_asked(existing)
    request = BuurtgezelRequest(
        municipality_id=resident.municipality_id,
        neighbourhood_id=resident.neighbourhood_id,
        resident_id=resident.id,
        source=source,
        signal_id=signal.id if signal else None,
        case_id=case.id if case else (signal.case_id if signal else None),
        help_kinds=kinds,
        availability=slots,
        languages=langs,
        note=(note or "").strip()[:2000],
        status="open",
        created_by_id=user.id if user else None,
    )
    try:  # two contact persons at once: the partial unique index decides
        with savepoint(db.session):
            db.session.add(request)
            db.session.flush()
    except IntegrityError:
        existing = open_request_of(resident)
        if existing is None:
            raise
        raise _already_asked(existing) from None
    record_audit(
        "buurtgezel_request_created",
        "buurtgezel_request",
        request.id,
        user_id=user.id if user else None,
        resident_id=resident.id,
        source=source,
    )
    return request


def open_case_of(resident: Resident) -> Case | None:
    return db.session.scalar(
        select(Case).where(Case.resident_id == resident.id, Case.closed_at.is_(None))
    )


def request_for_resident(
    resident: Resident,
    user: User | None,
    help_kinds: Iterable[str],
    availability: Iterable[str],
    languages: Iterable[str],
    note: str = "",
) -> BuurtgezelRequest:
    """A request made by the contact person for a resident: from their open case when there
    is one (source "case"), otherwise "manual"."""
    case = open_case_of(resident)
    return create_request(
        resident,
        help_kinds,
        availability,
        languages,
        note,
        "case" if case else "manual",
        user,
        case=case,
    )


def source_for_signal(signal: Signal) -> str:
    if signal.source in ("visit", "call"):
        return signal.source
    return "case" if signal.case_id else "manual"


def request_from_signal(
    signal: Signal,
    user: User | None,
    help_kinds: Iterable[str] = (),
    availability: Iterable[str] = (),
    languages: Iterable[str] = (),
    note: str | None = None,
) -> BuurtgezelRequest:
    """A request from a buurtgezel signal (a visit or a call): the resident, the source and
    the case come from the signal; the note from the signal unless another is given."""
    if signal.theme != THEME:
        raise VolunteerError(_("This signal is not a wish for a buurtgezel."), "signal_id")
    if signal.resident is None:
        raise VolunteerError(
            _("This signal has no resident: without consent it only counts."), "signal_id"
        )
    if db.session.scalar(
        select(BuurtgezelRequest.id).where(BuurtgezelRequest.signal_id == signal.id)
    ):
        raise VolunteerError(
            _("A request was already made from this signal."), "signal_id", status=409
        )
    case = db.session.get(Case, signal.case_id) if signal.case_id else None
    return create_request(
        signal.resident,
        help_kinds,
        availability,
        languages,
        signal.note if note is None else note,
        source_for_signal(signal),
        user,
        signal=signal,
        case=case,
    )


def pending_signals(municipality_id: int | None = None) -> list[Signal]:
    """Buurtgezel wishes from visits and calls (with a resident, consent not withdrawn) that
    no request takes care of yet: none made from the signal, none for the resident since."""
    handled = exists().where(
        or_(
            BuurtgezelRequest.signal_id == Signal.id,
            (BuurtgezelRequest.resident_id == Signal.resident_id)
            & (BuurtgezelRequest.created_at >= Signal.created_at),
        )
    )
    withdrawn = exists().where(Consent.id == Signal.consent_id, Consent.withdrawn_at.is_not(None))
    query = (
        select(Signal)
        .join(Resident, Resident.id == Signal.resident_id)
        .where(Signal.theme == THEME, ~handled, ~withdrawn)
        .order_by(Signal.created_at, Signal.id)
    )
    if municipality_id is not None:
        query = query.where(Resident.municipality_id == municipality_id)
    signals: list[Signal] = []
    seen: set[int] = set()
    for signal in db.session.scalars(query):  # a resident asked twice: the first one counts
        if signal.resident_id not in seen:
            seen.add(signal.resident_id or 0)
            signals.append(signal)
    return signals


def waiting_since(request: BuurtgezelRequest) -> datetime:
    """When the request started waiting: made, or open again after its last match ended."""
    ended = db.session.scalar(
        select(func.max(BuurtgezelMatch.ended_at)).where(BuurtgezelMatch.request_id == request.id)
    )
    return max(request.created_at, ended) if ended else request.created_at


def waiting_days(request: BuurtgezelRequest, on: date | None = None) -> int | None:
    """Whole days an open request has waited for a match (Belgian calendar days); None for
    a request that is not waiting."""
    if request.status != "open":
        return None
    return max(0, ((on or local_today()) - local(waiting_since(request)).date()).days)


def list_requests(
    status: str = "open", municipality_id: int | None = None
) -> list[BuurtgezelRequest]:
    """Requests of one status; open ones longest waiting first."""
    query = select(BuurtgezelRequest).where(BuurtgezelRequest.status == status)
    if municipality_id is not None:
        query = query.where(BuurtgezelRequest.municipality_id == municipality_id)
    requests = list(
        db.session.scalars(query.order_by(BuurtgezelRequest.created_at, BuurtgezelRequest.id))
    )
    if status == "open":
        requests.sort(key=lambda r: (waiting_since(r), r.id))
    return requests


def current_match(request: BuurtgezelRequest) -> BuurtgezelMatch | None:
    """The match that has not ended, if any."""
    return db.session.scalar(
        select(BuurtgezelMatch)
        .where(BuurtgezelMatch.request_id == request.id, BuurtgezelMatch.ended_at.is_(None))
        .order_by(BuurtgezelMatch.id.desc())
    )


def matches_of(request: BuurtgezelRequest) -> list[BuurtgezelMatch]:
    return list(
        db.session.scalars(
            select(BuurtgezelMatch)
            .where(BuurtgezelMatch.request_id == request.id)
            .order_by(BuurtgezelMatch.id)
        )
    )


def close_other_solution(
    request: BuurtgezelRequest, note: str, user: User | None
) -> BuurtgezelRequest:
    """No buurtgezel, another answer (the local service centre, a paid service, family):
    the request closes with that outcome."""
    note = (note or "").strip()
    if not note:
        raise VolunteerError(_("Write down which other solution was found."), "note")
    _lock(request)
    if request.status != "open":
        raise VolunteerError(
            _("Only a request that is waiting can get another solution; end the match first."),
            "status",
            status=409,
        )
    request.status, request.outcome_note, request.closed_at = (
        "other_solution",
        note[:2000],
        utcnow(),
    )
    db.session.flush()
    record_audit(
        "buurtgezel_other_solution",
        "buurtgezel_request",
        request.id,
        user_id=user.id if user else None,
    )
    return request


def _lock(request: BuurtgezelRequest) -> None:
    db.session.refresh(request, with_for_update=True)


# --------------------------------------------------------------------------- suggestions


class RequestLike(Protocol):
    municipality_id: int
    neighbourhood_id: int
    help_kinds: list[str]
    availability: list[str]
    languages: list[str]


class VolunteerLike(Protocol):
    municipality_id: int
    neighbourhood_id: int | None
    help_kinds: list[str]
    availability: list[str]
    languages: list[str]


@dataclass
class Suggestion:
    """A volunteer who fits, with the score and the reasons in words."""

    volunteer: Volunteer
    score: int
    reasons: list[str] = field(default_factory=list)
    same_neighbourhood: bool = False
    shared_help_kinds: list[str] = field(default_factory=list)
    shared_slots: list[str] = field(default_factory=list)
    shared_languages: list[str] = field(default_factory=list)
    active_matches: int = 0

    def details(self) -> dict[str, Any]:
        """What is kept with a match: why it was suggested."""
        return {
            "score": self.score,
            "reasons": self.reasons,
            "same_neighbourhood": self.same_neighbourhood,
            "shared_help_kinds": self.shared_help_kinds,
            "shared_slots": self.shared_slots,
            "shared_languages": self.shared_languages,
            "active_matches": self.active_matches,
        }


@dataclass
class Score:
    points: int
    reasons: list[str]
    same_neighbourhood: bool
    shared_help_kinds: list[str]
    shared_slots: list[str]
    shared_languages: list[str]


def score(request: RequestLike, volunteer: VolunteerLike, active_matches: int = 0) -> Score:
    """How well a volunteer fits a request. Pure: no database, so it can be tested on its
    own. More in common never lowers the score; each current match lowers it a little."""
    reasons: list[str] = []
    points = 0
    same_hood = volunteer.neighbourhood_id == request.neighbourhood_id
    if same_hood:
        points += POINTS_SAME_NEIGHBOURHOOD
        reasons.append(_("Lives in the same neighbourhood"))
    elif volunteer.municipality_id == request.municipality_id:
        points += POINTS_SAME_MUNICIPALITY
        reasons.append(_("Lives in the same municipality"))
    kinds = [k for k in request.help_kinds if k in set(volunteer.help_kinds or [])]
    if kinds:
        points += min(MAX_HELP_KIND_POINTS, POINTS_PER_HELP_KIND * len(kinds))
        reasons.append(
            _(
                "Offers: %(kinds)s",
                kinds=", ".join(str(HELP_KINDS.get(k, k)).lower() for k in kinds),
            )
        )
    slots = [
        s
        for s in SLOTS
        if s in set(request.availability or []) and s in set(volunteer.availability or [])
    ]
    if slots:
        points += min(MAX_SLOT_POINTS, POINTS_PER_SLOT * len(slots))
        reasons.append(_("Both free: %(slots)s", slots=", ".join(slot_label(s) for s in slots)))
    languages = [
        lang
        for lang in request.languages or []
        if lang in {v.lower() for v in volunteer.languages or []}
    ]
    if languages:
        points += POINTS_LANGUAGE
        reasons.append(_("Speaks %(languages)s", languages=", ".join(languages)))
    if active_matches:
        points -= PENALTY_PER_ACTIVE_MATCH * active_matches
        reasons.append(_("Already a buurtgezel for %(n)d resident(s)", n=active_matches))
    else:
        reasons.append(_("No other buurtgezel match at the moment"))
    return Score(points, reasons, same_hood, kinds, slots, languages)


def eligibility_refusal(volunteer: Volunteer) -> str | None:
    """Why this volunteer may not be suggested or matched as a buurtgezel, or None."""
    reason = refusal_for(volunteer, volunteer.name)
    if reason:
        return reason
    if ROLE not in (volunteer.roles or []):
        return _(
            "%(who)s is not a buurtgezel: add the role in the volunteer pool first.",
            who=volunteer.name,
        )
    return None


def active_match_counts(volunteer_ids: Iterable[int]) -> dict[int, int]:
    ids = list(volunteer_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(BuurtgezelMatch.volunteer_id, func.count())
        .where(BuurtgezelMatch.volunteer_id.in_(ids), BuurtgezelMatch.ended_at.is_(None))
        .group_by(BuurtgezelMatch.volunteer_id)
    )
    return {volunteer_id: count for volunteer_id, count in rows}


def rank(
    request: RequestLike, volunteers: Iterable[Volunteer], counts: dict[int, int]
) -> list[Suggestion]:
    """Best first: the highest score, then the fewest current matches, then the name."""
    suggestions = []
    for volunteer in volunteers:
        result = score(request, volunteer, counts.get(volunteer.id, 0))
        suggestions.append(
            Suggestion(
                volunteer=volunteer,
                score=result.points,
                reasons=result.reasons,
                same_neighbourhood=result.same_neighbourhood,
                shared_help_kinds=result.shared_help_kinds,
                shared_slots=result.shared_slots,
                shared_languages=result.shared_languages,
                active_matches=counts.get(volunteer.id, 0),
            )
        )
    suggestions.sort(
        key=lambda s: (-s.score, s.active_matches, s.volunteer.name.lower(), s.volunteer.id)
    )
    return suggestions


def suggestions(request: BuurtgezelRequest, limit: int = 10) -> list[Suggestion]:
    """The volunteers to suggest for a request: active, model 2 checked, with the role
    buurtgezel, in the request's municipality, never one already matched to it."""
    before = select(BuurtgezelMatch.volunteer_id).where(BuurtgezelMatch.request_id == request.id)
    candidates = [
        v
        for v in db.session.scalars(
            select(Volunteer).where(
                Volunteer.municipality_id == request.municipality_id,
                Volunteer.status == "active",
                Volunteer.model2_checked_on.is_not(None),
                Volunteer.id.not_in(before),
            )
        )
        if eligibility_refusal(v) is None
    ]
    counts = active_match_counts(v.id for v in candidates)
    return rank(request, candidates, counts)[: max(0, limit)]


# --------------------------------------------------------------------------- matches


def _resident_line(resident: Resident) -> str:
    address = " ".join(p for p in (resident.street, resident.house_number) if p)
    parts = [resident.name, address, resident.phone or ""]
    return ", ".join(p for p in parts if p)


def make_match(
    request: BuurtgezelRequest,
    volunteer: Volunteer,
    user: User,
    resident_informed: bool,
    follow_up_weeks: int = FOLLOW_UP_WEEKS,
    on: date | None = None,
) -> BuurtgezelMatch:
    """Record the match the contact person chose. The volunteer is told in the app when they
    have an account; otherwise the match shows the contact person has to tell them. The
    follow-up ("loopt het goed?") is due ``follow_up_weeks`` weeks from today."""
    if not 1 <= follow_up_weeks <= MAX_FOLLOW_UP_WEEKS:
        raise VolunteerError(
            _("Follow up after 1 to %(n)d weeks.", n=MAX_FOLLOW_UP_WEEKS), "follow_up_weeks"
        )
    reason = eligibility_refusal(volunteer)
    if reason:
        raise VolunteerError(reason, "volunteer_id")
    if volunteer.municipality_id != request.municipality_id:
        raise VolunteerError(
            _("%(who)s volunteers in another municipality.", who=volunteer.name), "volunteer_id"
        )
    _lock(request)
    if request.status != "open":
        raise VolunteerError(
            _("This request is not waiting for a match (%(status)s).", status=request.status),
            "request_id",
            status=409,
        )
    if db.session.scalar(
        select(BuurtgezelMatch.id).where(
            BuurtgezelMatch.request_id == request.id, BuurtgezelMatch.volunteer_id == volunteer.id
        )
    ):
        raise VolunteerError(
            _("%(who)s was already matched with this resident before.", who=volunteer.name),
            "volunteer_id",
            status=409,
        )
    counts = active_match_counts([volunteer.id])
    ranked = rank(request, [volunteer], counts)[0]
    now = utcnow()
    match = BuurtgezelMatch(
        request_id=request.id,
        volunteer_id=volunteer.id,
        matched_by_id=user.id,
        matched_at=now,
        resident_informed_at=now if resident_informed else None,
        follow_up_on=(on or local_today()) + timedelta(weeks=follow_up_weeks),
        details={**ranked.details(), "follow_up_weeks": follow_up_weeks},
    )
    db.session.add(match)
    request.status = "matched"
    db.session.flush()
    account = volunteer.user
    if account is not None and account.active:
        # it may travel by e-mail: no name, address or phone of the resident in it
        kinds = ", ".join(str(HELP_KINDS.get(k, k)).lower() for k in request.help_kinds)
        notify(
            account,
            "buurtgezel_match",
            f"buurtgezel:{match.id}:volunteer",
            f"Je bent buurtgezel voor een buur (koppeling {match.id})",
            f"{user.display_name} bracht je in contact met een buur"
            f"{' (' + kinds + ')' if kinds else ''}. Wie en waar staat in de app onder "
            f"Mijn buurtgezellen (/mijn-buurtgezellen). "
            f"Vragen? Contacteer {user.display_name} ({user.email}).",
        )
        match.volunteer_informed_at = now
        match.details = {**match.details, "volunteer_informed_by": "app"}
    else:
        match.details = {**match.details, "volunteer_informed_by": "contact_person"}
    db.session.flush()
    record_audit(
        "buurtgezel_matched",
        "buurtgezel_match",
        match.id,
        user_id=user.id,
        request_id=request.id,
        volunteer_id=volunteer.id,
    )
    return match


def record_informed(
    match: BuurtgezelMatch, user: User, resident: bool = False, volunteer: bool = False
) -> BuurtgezelMatch:
    """The contact person told the resident and/or the volunteer (by phone, at the door)."""
    now = utcnow()
    if resident and match.resident_informed_at is None:
        match.resident_informed_at = now
    if volunteer and match.volunteer_informed_at is None:
        match.volunteer_informed_at = now
    db.session.flush()
    record_audit(
        "buurtgezel_informed",
        "buurtgezel_match",
        match.id,
        user_id=user.id,
        resident=resident,
        volunteer=volunteer,
    )
    return match


def record_follow_up(
    match: BuurtgezelMatch,
    result: str,
    note: str,
    user: User,
    next_weeks: int | None = None,
    on: date | None = None,
) -> BuurtgezelMatch:
    """The answer to "loopt het goed?". ``going_well``: the next follow-up in ``next_weeks``
    (default 4); ``needs_attention``: again in ``next_weeks`` (default 1); ``ended``: the
    match ends and the request waits again, visible on the list."""
    if result not in FOLLOW_UP_RESULTS:
        raise VolunteerError(_("Choose how it is going."), "result")
    if match.ended_at is not None:
        raise VolunteerError(_("This match has already ended."), "match_id", status=409)
    weeks = next_weeks or (ATTENTION_WEEKS if result == "needs_attention" else FOLLOW_UP_WEEKS)
    if not 1 <= weeks <= MAX_FOLLOW_UP_WEEKS:
        raise VolunteerError(
            _("Follow up after 1 to %(n)d weeks.", n=MAX_FOLLOW_UP_WEEKS), "follow_up_weeks"
        )
    now = utcnow()
    match.followed_up_at, match.follow_up_result = now, result
    match.follow_up_note = (note or "").strip()[:2000]
    if result == "ended":
        match.ended_at = now
        request = match.request
        _lock(request)
        if request.status == "matched":
            request.status = "open"
    else:
        match.follow_up_on = (on or local_today()) + timedelta(weeks=weeks)
        match.follow_up_sent_at = None  # the next reminder is a new one
    db.session.flush()
    record_audit(
        "buurtgezel_followed_up", "buurtgezel_match", match.id, user_id=user.id, result=result
    )
    return match


def my_matches(user: User) -> list[BuurtgezelMatch]:
    """A volunteer's own current matches; nothing of anyone else's."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        return []
    return list(
        db.session.scalars(
            select(BuurtgezelMatch)
            .where(BuurtgezelMatch.volunteer_id == volunteer.id, BuurtgezelMatch.ended_at.is_(None))
            .order_by(BuurtgezelMatch.matched_at.desc(), BuurtgezelMatch.id.desc())
        )
    )


def due_follow_ups(on: date | None = None) -> list[BuurtgezelMatch]:
    """Matches that have not ended whose follow-up day came and was not reminded yet."""
    return list(
        db.session.scalars(
            select(BuurtgezelMatch)
            .where(
                BuurtgezelMatch.ended_at.is_(None),
                BuurtgezelMatch.follow_up_sent_at.is_(None),
                BuurtgezelMatch.follow_up_on <= (on or local_today()),
            )
            .order_by(BuurtgezelMatch.id)
        )
    )


def send_follow_up_reminders(today: date | None = None) -> int:
    """Remind the contact person of each match whose follow-up day came ("loopt het
    goed?"), once per match. Returns how many reminders were sent."""
    day = today or local_today()
    query = (
        select(BuurtgezelMatch)
        .where(
            BuurtgezelMatch.ended_at.is_(None),
            BuurtgezelMatch.follow_up_sent_at.is_(None),
            BuurtgezelMatch.follow_up_on <= day,
        )
        .order_by(BuurtgezelMatch.id)
    )
    if db.engine.dialect.name == "postgresql":  # beat and a manual tick at once: one sends
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for match in db.session.scalars(query):
        notification = notify(  # by e-mail too: no names, the page has them
            match.matched_by,
            "buurtgezel_follow_up",
            # once per round: the same due day after the same last answer
            f"buurtgezel:{match.id}:follow-up:{match.follow_up_on.isoformat()}:"
            f"{match.followed_up_at.isoformat() if match.followed_up_at else 'first'}"[:200],
            f"Loopt het goed? Buurtgezel-koppeling {match.id}",
            f"Het is tijd om even na te gaan of het goed loopt met de buurtgezel-koppeling "
            f"{match.id} (gekoppeld op {local(match.matched_at):%d/%m/%Y}). Noteer het "
            f"resultaat op /buurtgezellen/{match.request_id}.",
            match.request.case_id,
        )
        match.follow_up_sent_at = utcnow()
        if notification is not None:
            sent += 1
    db.session.flush()
    return sent
