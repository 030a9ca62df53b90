"""Working a case: contact attempts, status changes, closing, reassigning, notes.

Every change is an append-only CaseEvent (who, when, why). Illegal moves raise CaseError
and change nothing. Flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased, contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from fieldwork.auth.models import User
from fieldwork.cases.hooks import case_consent_withdrawn, in_team
from fieldwork.cases.models import OUTCOMES, Case, CaseEvent
from fieldwork.core.paging import Paged
from fieldwork.db import NO_KEY_UPDATE, utcnow
from fieldwork.extensions import db
from fieldwork.signals.duplicates import is_near_match
from fieldwork.signals.models import Consent, Resident, Signal

ATTEMPT_RESULTS = ("reached", "no_answer", "call_back_at")
# Where a case may go by hand; closing has its own action with an outcome.
TRANSITIONS = {
    "new": {"assigned"},
    "assigned": {"contacted", "in_progress"},
    "contacted": {"in_progress"},
    "in_progress": {"contacted"},
}


class CaseError(ValueError):
    def __init__(self, message: str, field: str = "_schema") -> None:
        super().__init__(message)
        self.field = field


def _event(case: Case, type_: str, by: User | None, **detail: Any) -> CaseEvent:
    event = CaseEvent(case_id=case.id, type=type_, by_id=by.id if by else None, detail=detail)
    db.session.add(event)
    return event


def _require_open(case: Case) -> None:
    """Locks the case until the transaction ends: two actions on it at the same moment (a
    close and a withdrawal, two reassignments) take turns, and the second sees the first's."""
    db.session.refresh(case, with_for_update=NO_KEY_UPDATE)
    if case.closed_at is not None:
        raise CaseError(_("This case is closed."))


def consent_withdrawn(case: Case) -> bool:
    consents = list(
        db.session.scalars(select(Consent).where(Consent.resident_id == case.resident_id))
    )
    return bool(consents) and all(c.withdrawn_at is not None for c in consents)


def log_contact_attempt(
    case: Case, by: User, result: str, note: str = "", call_back_at: datetime | None = None
) -> CaseEvent:
    _require_open(case)
    if consent_withdrawn(case):
        raise CaseError(_("The resident withdrew consent: no more contact."))
    if result not in ATTEMPT_RESULTS:
        raise CaseError(_("Unknown result."), "result")
    if result == "call_back_at" and call_back_at is None:
        raise CaseError(_("Give the time to call back."), "call_back_at")
    if call_back_at is not None and not (
        utcnow() - timedelta(days=1) <= call_back_at <= utcnow() + timedelta(days=366)
    ):
        raise CaseError(_("Choose a moment to call back within the next year."), "call_back_at")
    event = _event(
        case,
        "contact_attempt",
        by,
        result=result,
        note=note,
        call_back_at=call_back_at.isoformat() if call_back_at else None,
    )
    if result == "reached" and case.status in ("new", "assigned"):
        _event(case, "status_change", by, old=case.status, new="contacted")
        case.status = "contacted"
    db.session.flush()
    return event


def change_status(case: Case, by: User, new: str, reason: str = "") -> CaseEvent:
    _require_open(case)
    if new not in TRANSITIONS.get(case.status, set()):
        raise CaseError(
            _("A case cannot go from %(old)s to %(new)s.", old=case.status, new=new), "status"
        )
    event = _event(case, "status_change", by, old=case.status, new=new, reason=reason)
    case.status = new
    db.session.flush()
    return event


def has_contact_attempt(case: Case) -> bool:
    attempt = select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.type == "contact_attempt"
    )
    return db.session.scalar(attempt.limit(1)) is not None


def _require_contact_or_confirmation(case: Case, outcome: str, confirmed: bool) -> None:
    """ "Helped" without ever trying to reach the resident is most likely a slip of the
    hand (the referrer then reads "closed"): it needs an explicit confirmation."""
    if outcome == "helped" and not confirmed and not has_contact_attempt(case):
        raise CaseError(
            _("No contact attempt has been logged yet: confirm to close as helped anyway."),
            "confirm_without_contact",
        )


def close_case(
    case: Case,
    by: User,
    outcome: str,
    partner: str = "",
    reason: str = "",
    confirm_without_contact: bool = False,
) -> CaseEvent:
    _require_open(case)
    if outcome not in OUTCOMES:
        raise CaseError(_("Choose an outcome."), "outcome")
    if outcome == "referred_onward" and not partner.strip():
        raise CaseError(_("Name the partner the resident was referred to."), "partner")
    _require_contact_or_confirmation(case, outcome, confirm_without_contact)
    event = _event(
        case,
        "status_change",
        by,
        old=case.status,
        new="closed",
        outcome=outcome,
        partner=partner.strip() or None,
        reason=reason,
    )
    case.status, case.outcome, case.closed_at = "closed", outcome, utcnow()
    db.session.flush()
    return event


def reassign(case: Case, by: User, to: User, reason: str) -> CaseEvent:
    _require_open(case)
    if not reason.strip():
        raise CaseError(_("Say why the case is reassigned."), "reason")
    if not to.active or to.role not in ("contact_person", "coordinator"):
        raise CaseError(_("Choose an active contact person."), "to")
    if case.owner_id == to.id:
        raise CaseError(_("This person already owns the case."), "to")
    event = _event(
        case,
        "reassigned",
        by,
        old=case.owner.email if case.owner else None,
        new=to.email,
        reason=reason.strip(),
    )
    case.owner = to
    if case.team_id is not None and not in_team(case.team_id, to.id):
        case.team_id = None  # the old team no longer sees it
    db.session.flush()
    from fieldwork.notifications.services import notify

    notify(
        to,
        "reassigned",
        f"event:{event.id}",
        "Een dossier werd aan jou doorgegeven",
        f"{by.display_name} gaf dossier {case.id} aan jou door: {reason.strip()}",
        case.id,
    )
    return event


def withdraw_consent(case: Case, by: User, reason: str = "") -> CaseEvent:
    """The resident withdrew consent: no more contact, and the case closes (declined)."""
    _require_open(case)
    now = utcnow()
    for consent in db.session.scalars(
        select(Consent).where(
            Consent.resident_id == case.resident_id, Consent.withdrawn_at.is_(None)
        )
    ):
        consent.withdrawn_at = now
    event = _event(
        case,
        "status_change",
        by,
        old=case.status,
        new="closed",
        outcome="declined",
        reason=reason.strip() or "toestemming ingetrokken",
    )
    case.status, case.outcome, case.closed_at = "closed", "declined", now
    case_consent_withdrawn.send(case, by=by)  # volunteers: a buurtgezel no longer sees them
    db.session.flush()
    return event


def add_note(case: Case, by: User, text: str) -> CaseEvent:
    if not text.strip():
        raise CaseError(_("The note is empty."), "text")
    event = _event(case, "note", by, text=text.strip())
    db.session.flush()
    return event


def can_see_case(user: User, case: Case) -> bool:
    """Coordinators see every case; a contact person the cases they own or their team's."""
    if user.role == "coordinator":
        return True
    if user.role != "contact_person":
        return False
    if case.owner_id == user.id:
        return True
    if case.team_id is None:
        return False
    return in_team(case.team_id, user.id)


QUEUE_PAGE_SIZE = 50
QUEUE_MAX_PAGE_SIZE = 100


def _queue_select(
    user: User, neighbourhood_id: int | None = None, theme: str | None = None
) -> Select[Case]:
    """The open cases this user's queue shows, filtered, not yet ordered."""
    query = select(Case).where(Case.closed_at.is_(None))
    if user.role != "coordinator":
        query = query.where(Case.owner_id == user.id)
    if neighbourhood_id:
        # every case has its resident (a required key): the join only filters by the buurt
        query = query.join(Resident, Resident.id == Case.resident_id).where(
            Resident.neighbourhood_id == neighbourhood_id
        )
    if theme:
        query = query.where(Case.id.in_(select(Signal.case_id).where(Signal.theme == theme)))
    return query


# Urgent first, then by due date of first contact, then by id (a stable order for pages).
QUEUE_ORDER = (sql_case((Case.urgency == "urgent", 0), else_=1), Case.due_at, Case.id)


def queue_for(
    user: User, neighbourhood_id: int | None = None, theme: str | None = None
) -> list[Case]:
    """Open cases for this user: urgent first, then by due date of first contact."""
    query = (
        _queue_select(user, neighbourhood_id, theme)
        # the queue shows resident, neighbourhood and "overdue" (events) for every row
        .options(
            selectinload(Case.events),
            selectinload(Case.resident).selectinload(Resident.neighbourhood),
        )
        .order_by(*QUEUE_ORDER)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class QueuePage(Paged):
    items: list[Case]
    total: int
    page: int
    per_page: int


def queue_counts(user: User) -> tuple[int, int]:
    """How many cases this user's queue holds, and how many of them are overdue (no contact
    attempt and the first-contact deadline passed), counted by the database in one query:
    the home page must not load a queue of 20,000 cases to say so."""
    attempted = (
        select(CaseEvent.id)
        .where(CaseEvent.case_id == Case.id, CaseEvent.type == "contact_attempt")
        .exists()
    )
    overdue = and_(Case.due_at.is_not(None), Case.due_at <= utcnow(), ~attempted)
    cases = _queue_select(user).subquery()
    total, late = db.session.execute(
        select(func.count(), func.coalesce(func.sum(sql_case((overdue, 1), else_=0)), 0))
        .select_from(Case)
        .where(Case.id.in_(select(cases.c.id)))
    ).one()
    return int(total), int(late)


def queue_page(
    user: User,
    neighbourhood_id: int | None = None,
    theme: str | None = None,
    page: int = 1,
    per_page: int = QUEUE_PAGE_SIZE,
) -> QueuePage:
    """One page of ``queue_for``, in the same order, in a fixed number of statements
    whatever the queue's size: the count, the page with its residents and neighbourhoods,
    and which cases on the page had a contact attempt (for "overdue", instead of loading
    every case's events)."""
    page = max(1, page)
    per_page = min(max(1, per_page), QUEUE_MAX_PAGE_SIZE)
    base = _queue_select(user, neighbourhood_id, theme)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    # The page (the sort and LIMIT over the open cases alone), then joined to its residents
    # and neighbourhoods by primary key: one statement, where a batched load of each took two
    # more (and most of the request's ORM time).
    paged = aliased(
        Case,
        base.order_by(*QUEUE_ORDER).limit(per_page).offset((page - 1) * per_page).subquery(),
    )
    query = (
        select(paged)
        .join(paged.resident)
        .join(Resident.neighbourhood)
        .options(contains_eager(paged.resident).contains_eager(Resident.neighbourhood))
        .order_by(sql_case((paged.urgency == "urgent", 0), else_=1), paged.due_at, paged.id)
    )
    items = list(db.session.scalars(query))
    if items:
        attempted = set(
            db.session.scalars(
                select(CaseEvent.case_id)
                .where(
                    CaseEvent.case_id.in_([c.id for c in items]),
                    CaseEvent.type == "contact_attempt",
                )
                .distinct()
            )
        )
        for case in items:
            set_committed_value(case, "contact_attempted", case.id in attempted)
    return QueuePage(items, total, page, per_page)


def signals_of(case: Case) -> list[Signal]:
    return list(
        db.session.scalars(select(Signal).where(Signal.case_id == case.id).order_by(Signal.id))
    )


def apply_case_event(case: Case, user: User, data: dict[str, Any]) -> None:
    """One action on a case, from the API's JSON or the case page's forms."""
    from fieldwork.auth.services import find_user_by_email

    kind = data["type"]
    if kind == "contact_attempt":
        if not data.get("result"):
            raise CaseError(_("Give the result of the attempt."), "result")
        log_contact_attempt(
            case, user, data["result"], data.get("note") or "", data.get("call_back_at")
        )
    elif kind == "status_change":
        change_status(case, user, data.get("status") or "", data.get("reason") or "")
    elif kind == "close":
        close_case(
            case,
            user,
            data.get("outcome") or "",
            data.get("partner") or "",
            data.get("reason") or "",
            bool(data.get("confirm_without_contact")),
        )
    elif kind == "reassigned":
        target = find_user_by_email(data["to"]) if data.get("to") else None
        if target is None:
            raise CaseError(_("Give the e-mail of the new owner."), "to")
        reassign(case, user, target, data.get("reason") or "")
    elif kind == "withdraw_consent":
        withdraw_consent(case, user, data.get("reason") or "")
    else:
        add_note(case, user, data.get("note") or "")


def merge_residents(keep: Resident, duplicate: Resident, by_id: int) -> None:
    """Move the duplicate's signals, consents and open case onto ``keep``. Flushes."""
    if not is_near_match(keep, duplicate):
        raise ValueError("These residents are not a near-match.")
    # the duplicate's signals first, as routing does (it locks a signal, then inserts the
    # case that refers to the resident): a signal being routed now is waited for, and its
    # new case is found below; the other order deadlocked with the worker
    db.session.execute(
        select(Signal.id)
        .where(Signal.resident_id == duplicate.id)
        .order_by(Signal.id)
        .with_for_update(**NO_KEY_UPDATE)
    ).all()
    # two merges at once: the second waits here, then finds the duplicate gone
    if (
        db.session.scalar(select(Resident.id).where(Resident.id == duplicate.id).with_for_update())
        is None
    ):
        raise ValueError("Merged meanwhile.")
    # the cases are locked before the consents move: a withdrawal takes the same order
    keep_case = db.session.scalar(
        select(Case)
        .where(Case.resident_id == keep.id, Case.closed_at.is_(None))
        .with_for_update(key_share=True)
    )
    dup_case = db.session.scalar(
        select(Case)
        .where(Case.resident_id == duplicate.id, Case.closed_at.is_(None))
        .with_for_update(key_share=True)
    )
    for consent in db.session.scalars(select(Consent).where(Consent.resident_id == duplicate.id)):
        consent.resident_id = keep.id
    for signal in db.session.scalars(select(Signal).where(Signal.resident_id == duplicate.id)):
        signal.resident_id = keep.id
        if dup_case is not None and keep_case is not None and signal.case_id == dup_case.id:
            signal.case_id = keep_case.id
    if dup_case is not None and keep_case is not None:
        dup_case.status, dup_case.closed_at = "closed", utcnow()
        db.session.add(
            CaseEvent(
                case_id=dup_case.id, type="merged", by_id=by_id, detail={"into_case": keep_case.id}
            )
        )
        db.session.add(
            CaseEvent(
                case_id=keep_case.id, type="merged", by_id=by_id, detail={"from_case": dup_case.id}
            )
        )
        if dup_case.urgency == "urgent":
            keep_case.urgency = "urgent"
    elif dup_case is not None:
        db.session.flush()
        dup_case.resident_id = keep.id
    db.session.flush()
    for case in db.session.scalars(select(Case).where(Case.resident_id == duplicate.id)):
        case.resident_id = keep.id  # closed history follows the person
    keep.phone = keep.phone or duplicate.phone
    keep.birth_year = keep.birth_year or duplicate.birth_year
    db.session.flush()
    db.session.delete(duplicate)
    db.session.flush()
    left_open = keep_case if keep_case is not None else dup_case  # the duplicate's moves over
    if _carry_withdrawal(keep) and left_open is not None and consent_withdrawn(left_open):
        withdraw_consent(left_open, db.session.get_one(User, by_id), "toestemming ingetrokken")


def _carry_withdrawal(resident: Resident) -> bool:
    """A withdrawal speaks for the whole person: after a merge, a consent given before the
    person's latest withdrawal (on the other record) is withdrawn too. True when any was."""
    consents = list(db.session.scalars(select(Consent).where(Consent.resident_id == resident.id)))
    withdrawals = [c.withdrawn_at for c in consents if c.withdrawn_at is not None]
    if not withdrawals:
        return False
    latest = max(withdrawals)
    earlier = [c for c in consents if c.withdrawn_at is None and c.given_at <= latest]
    for consent in earlier:
        consent.withdrawn_at = latest
    return bool(earlier)
