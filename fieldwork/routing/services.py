"""Route a signal: rule → owner → the resident's one open case. Idempotent."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from fieldwork.auth.models import User
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.services import notify
from fieldwork.routing import cache
from fieldwork.routing.engine import (
    Facts,
    age_from_birth_year,
    describe,
    first_match,
    pick_least_loaded,
)
from fieldwork.routing.hooks import signals_routed
from fieldwork.routing.models import Absence, Team
from fieldwork.signals.models import Consent, Signal

log = logging.getLogger(__name__)

#: Signals one routing task routes in its transaction: its own, then others still waiting.
BATCH = 50
#: Only signals captured this recently join another's batch; older ones that are still
#: unrouted are the reconciliation's (so one that always fails cannot slow every batch).
BATCH_RECENT = timedelta(minutes=5)


def add_working_days(start: datetime, days: int) -> datetime:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def absence_of(user: User, on: date) -> Absence | None:
    return db.session.scalar(
        select(Absence).where(
            Absence.user_id == user.id, Absence.starts_on <= on, Absence.ends_on >= on
        )
    )


def present_or_deputy(user: User, on: date) -> tuple[User | None, str]:
    """The owner, or their deputy while they are away; None when neither can take it."""
    absence = absence_of(user, on)
    if absence is None:
        return user, ""
    deputy = absence.deputy
    if deputy is not None and deputy.active and absence_of(deputy, on) is None:
        return deputy, f" (vervangt {user.display_name}, afwezig)"
    return None, ""


def default_coordinator() -> User | None:
    return db.session.scalar(
        select(User).where(User.role == "coordinator", User.active.is_(True)).order_by(User.id)
    )


def facts_for(signal: Signal) -> Facts:
    resident = signal.resident
    return Facts(
        neighbourhood_id=signal.neighbourhood_id,
        theme=signal.theme,
        domain=signal.domain,
        source=signal.source,
        urgency=signal.urgency,
        age=age_from_birth_year(resident.birth_year if resident else None),
    )


@dataclass
class Run:
    """One routing transaction: the snapshot it routes by (read once, when the first case
    is opened), the team pointers it moved (written at its end) and what it routed (told
    to the hook at its end)."""

    today: date
    routed: list[tuple[Signal, Case | None]] = field(default_factory=list)
    pointers: dict[int, int] = field(default_factory=dict)
    _known: cache.Snapshot | None = None

    def known(self) -> cache.Snapshot:
        if self._known is None:
            self._known = cache.snapshot(self.today)
        return self._known

    def finish(self) -> None:
        """Last, just before the commit, so that the rows they write stay locked only for
        the commit: the teams' round-robin pointers this run moved, then the hook (reports
        adds every routed signal to the rollups in one statement)."""
        for team_id, position in sorted(self.pointers.items()):
            db.session.execute(
                update(Team).where(Team.id == team_id).values(last_assigned_position=position)
            )
        if self.routed:
            signals_routed.send(None, routed=self.routed)


def decide(signal: Signal, run: Run) -> tuple[User | None, int | None, int, str]:
    """(owner, team id, first-contact days, reason) for a signal under the current rules,
    from the routing snapshot (:mod:`fieldwork.routing.cache`: rules apply at once, team
    loads within a few seconds)."""
    known = run.known()
    facts = facts_for(signal)
    index = first_match([rule.spec for rule in known.rules], facts)
    if index is not None:
        rule = known.rules[index]
        team = known.teams.get(rule.assign_team_id) if rule.assign_team_id else None
        owner_id, note = None, ""
        if team is not None:
            owner_id = _assign_in_team(known, team, run)  # None: everybody away, the coordinator
        elif rule.assign_user_id is not None:
            person = known.people.get(rule.assign_user_id)
            if person is not None and person.active:
                owner_id, note = _present_or_deputy(known, person)
        owner = db.session.get(User, owner_id) if owner_id is not None else None
        if owner is not None:
            reason = (
                describe(
                    index + 1,
                    rule.spec.conditions,
                    facts,
                    signal.neighbourhood.name,
                    owner.display_name,
                )
                + note
            )
            return owner, team.id if team else None, rule.first_contact_days, reason
    coordinator = (
        db.session.get(User, known.coordinator_id) if known.coordinator_id is not None else None
    )
    name = coordinator.display_name if coordinator else "?"
    return coordinator, None, 5, f"geen regel past → {name} (regisseur)"


def _present_or_deputy(known: cache.Snapshot, person: cache.Person) -> tuple[int | None, str]:
    """As :func:`present_or_deputy`, from the snapshot."""
    if person.id not in known.away:
        return person.id, ""
    deputy = known.people.get(known.away[person.id] or 0)
    if deputy is not None and deputy.active and deputy.id not in known.away:
        return deputy.id, f" (vervangt {person.display_name}, afwezig)"
    return None, ""


def _assign_in_team(known: cache.Snapshot, team: cache.TeamInfo, run: Run) -> int | None:
    """The least loaded team member who is active and not away (ties round-robin), from the
    snapshot; moves the team's pointer (in the database too, at the end of the run). None
    when nobody can take it."""
    with cache.lock():
        members = [
            m
            for m in team.member_ids
            if (person := known.people.get(m)) is not None and person.active and m not in known.away
        ]
        if not members:
            return None
        position, user_id = pick_least_loaded(members, known.loads, team.last_position)
        team.last_position = position
    run.pointers[team.id] = position
    return user_id


def may_open_case(signal: Signal, withdrawn_since: bool = False) -> bool:
    """Contact needs consent that was not withdrawn — or a case marked urgent. A withdrawal
    speaks for the whole person: a consent given before her latest withdrawal counts as
    withdrawn too (``withdrawn_since``: a capture saved at the moment she said no and
    committed just after it; an erasure withdraws every consent)."""
    if signal.resident is None:
        return False
    consent = signal.consent
    may = consent is not None and consent.withdrawn_at is None and not withdrawn_since
    return may or signal.urgency == "urgent"


def _withdrawn_since_consent() -> ColumnElement[bool]:
    """For the signal's row: her consents hold a withdrawal at or after its consent's."""
    given = (
        select(Consent.given_at)
        .where(Consent.id == Signal.consent_id)
        .correlate(Signal)
        .scalar_subquery()
    )
    other = aliased(Consent)
    return exists().where(other.resident_id == Signal.resident_id, other.withdrawn_at >= given)


def _locked_signal(signal_id: int) -> tuple[Signal | None, Case | None, bool]:
    """The signal, locked, with what routing reads of it — its resident, consent and
    neighbourhood, the resident's open case with its owner, and whether she withdrew since
    its consent — in one query. (Only the signal is locked, as before: a case another worker
    opens meanwhile is refused by the one-open-case index, and the retry finds it.)"""
    row = db.session.execute(
        select(Signal, Case, _withdrawn_since_consent())
        .outerjoin(Case, and_(Case.resident_id == Signal.resident_id, Case.closed_at.is_(None)))
        .where(Signal.id == signal_id)
        .options(
            joinedload(Signal.resident),
            joinedload(Signal.consent),
            joinedload(Signal.neighbourhood),
            joinedload(Case.owner),
        )
        .with_for_update(of=Signal)
        .execution_options(populate_existing=True)
    ).one_or_none()
    return (row[0], row[1], bool(row[2])) if row is not None else (None, None, False)


def route_signal(signal_id: int, run: Run) -> Signal | None:
    """Route once, as part of ``run`` (whose :meth:`Run.finish` the caller calls before it
    commits). A second run (redelivery, retry) finds the signal routed and does nothing;
    the unique (signal_id, 'routed') event stops a concurrent duplicate in the database.

    Few statements: the signal with its resident, consent and open case in one query, the
    rules and teams from the snapshot (:mod:`.cache`), one flush
    for the events and the signal; the rollup increments and the team pointers at the end
    of the run."""
    signal, case, withdrawn_since = _locked_signal(signal_id)
    if signal is None or signal.routed_at is not None:
        return signal
    now = utcnow()
    if not may_open_case(signal, withdrawn_since):
        signal.routed_at, signal.routing_reason = now, "geen toestemming: enkel geteld"
        db.session.flush()
        run.routed.append((signal, None))
        return signal
    opened = None
    if case is not None:  # a new signal joins the resident's open case and its owner
        reason = f"bij open dossier {case.id} → {case.owner.display_name if case.owner else '?'}"
        if signal.urgency == "urgent" and case.urgency != "urgent":
            case.urgency = "urgent"
            if case.owner is not None:
                notify(
                    case.owner,
                    "urgent",
                    f"signal:{signal.id}:urgent",
                    "Dringend signaal bij een dossier",
                    f"Een dringend signaal werd toegevoegd aan dossier {case.id}.",
                    case.id,
                )
    else:
        owner, team_id, days, reason = decide(signal, run)
        case = Case(
            resident=signal.resident,
            status="assigned" if owner else "new",
            urgency=signal.urgency,
            owner=owner,
            team_id=team_id,
            due_at=add_working_days(now, days),
            opened_at=now,
        )
        db.session.add(case)
        db.session.flush()  # its id, for the events and the notification
        opened = case
        if owner is not None:
            cache.count_assigned(owner.id)
            notify(
                owner,
                "assigned",
                f"case:{case.id}:assigned:{owner.id}",
                "Nieuw dossier in je wachtrij",
                f"Er staat een nieuw dossier voor je klaar ({reason}). "
                f"Eerste contact tegen {case.due_at:%d/%m/%Y}.",
                case.id,
            )
        db.session.add(  # after notify()'s flushes: both events in one INSERT
            CaseEvent(
                case_id=case.id,
                type="assigned",
                at=now,
                detail={"owner": owner.email if owner else None, "reason": reason},
            )
        )
    db.session.add(
        CaseEvent(
            case_id=case.id, type="routed", at=now, signal_id=signal.id, detail={"reason": reason}
        )
    )
    signal.case_id, signal.routed_at, signal.routing_reason = case.id, now, reason
    db.session.flush()
    run.routed.append((signal, opened))
    return signal


def route_signal_once(signal_id: int, attempts: int = 3) -> int:
    """Route this one signal and commit: 1 when it routed it now, 0 when it was routed
    before. A duplicate delivery that lost the race is not an error; a signal that lost the
    race for its resident's first open case routes again and joins the case the other
    signal opened."""
    for attempt in range(attempts):
        try:
            return _route_and_commit(signal_id)
        except IntegrityError:
            db.session.rollback()
            signal = db.session.get(Signal, signal_id)
            if signal is not None and signal.routed_at is not None:
                return 0
            if attempt == attempts - 1:
                raise
    return 0


def route_with_waiting(signal_id: int, batch: int = BATCH) -> int:
    """Task body: route this signal and, in the same transaction, up to ``batch - 1`` other
    signals captured in the last minutes that are still waiting for their own task — so
    that a worker behind a burst of captures catches up in a few commits instead of one per
    signal (issue 18). Returns how many it routed.

    The others are claimed with ``FOR UPDATE SKIP LOCKED``: a signal another worker is
    routing is left to it, nobody waits. Their own tasks come later, find them routed and do
    nothing. If anything goes wrong in the batch (a race for a resident's first open case, a
    deadlock, a bad signal), the whole batch is rolled back and only this signal is routed,
    on its own, as before; the others wait for their own tasks. On SQLite (one process,
    tasks run at once) there is never anything waiting: one signal, as before."""
    if batch <= 1 or db.session.get_bind().dialect.name != "postgresql":
        return route_signal_once(signal_id)
    try:
        return _route_and_commit(signal_id, waiting=batch - 1)
    except Exception:
        db.session.rollback()
        log.warning(
            "routing batch with signal %s failed; routing it on its own", signal_id, exc_info=True
        )
    return route_signal_once(signal_id)


def _route_and_commit(signal_id: int, waiting: int = 0) -> int:
    """One transaction: this signal, then up to ``waiting`` others still waiting; committed.
    How many it routed."""
    run = Run(utcnow().date())
    route_signal(signal_id, run)
    for other in _claim_waiting(signal_id, waiting) if waiting else ():
        route_signal(other, run)
    run.finish()
    db.session.commit()
    return len(run.routed)


def _claim_waiting(signal_id: int, limit: int) -> list[int]:
    """Unrouted signals (other than this one) captured within :data:`BATCH_RECENT`, oldest
    first, locked; those another transaction holds are skipped."""
    return list(
        db.session.scalars(
            select(Signal.id)
            .where(
                Signal.routed_at.is_(None),
                Signal.id != signal_id,
                Signal.created_at >= utcnow() - BATCH_RECENT,
            )
            .order_by(Signal.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
