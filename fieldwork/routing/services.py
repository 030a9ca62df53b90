"""Route a signal: rule → owner → the resident's one open case. Idempotent."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fieldwork.auth.models import User
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.services import notify
from fieldwork.routing.engine import (
    Facts,
    RuleSpec,
    age_from_birth_year,
    describe,
    first_match,
    pick_least_loaded,
)
from fieldwork.routing.hooks import signal_routed
from fieldwork.routing.models import Absence, RoutingRule, Team
from fieldwork.signals.models import Signal


def add_working_days(start: datetime, days: int) -> datetime:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def open_case_load(user_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Case.owner_id, func.count())
        .where(Case.owner_id.in_(user_ids), Case.closed_at.is_(None))
        .group_by(Case.owner_id)
    ).all()
    return {owner: count for owner, count in rows if owner is not None}


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


def assign_in_team(team: Team, on: date) -> User:
    members = [m.user for m in team.members if m.user.active and absence_of(m.user, on) is None]
    if not members:
        raise LookupError(f"team {team.name} has no active members")
    ids = [m.id for m in members]
    position, user_id = pick_least_loaded(ids, open_case_load(ids), team.last_assigned_position)
    team.last_assigned_position = position
    return next(m for m in members if m.id == user_id)


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


def decide(signal: Signal) -> tuple[User | None, Team | None, int, str]:
    """(owner, team, first-contact days, reason) for a signal under the current rules."""
    rules = list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.position)))
    facts = facts_for(signal)
    index = first_match([RuleSpec(r.name, r.conditions or {}, r.enabled) for r in rules], facts)
    if index is not None:
        rule = rules[index]
        team = rule.assign_team
        today = utcnow().date()
        owner, note = None, ""
        if team is not None:
            with contextlib.suppress(LookupError):  # everybody away: the coordinator
                owner = assign_in_team(team, today)
        elif rule.assign_user is not None and rule.assign_user.active:
            owner, note = present_or_deputy(rule.assign_user, today)
        if owner is not None:
            reason = (
                describe(
                    index + 1,
                    rule.conditions or {},
                    facts,
                    signal.neighbourhood.name,
                    owner.display_name,
                )
                + note
            )
            return owner, team, rule.first_contact_days, reason
    coordinator = default_coordinator()
    name = coordinator.display_name if coordinator else "?"
    return coordinator, None, 5, f"geen regel past → {name} (regisseur)"


def may_open_case(signal: Signal) -> bool:
    """Contact needs consent that was not withdrawn — or a case marked urgent."""
    if signal.resident is None:
        return False
    consent = signal.consent
    return (consent is not None and consent.withdrawn_at is None) or signal.urgency == "urgent"


def route_signal(signal_id: int) -> Signal | None:
    """Route once. A second run (redelivery, retry) finds the signal routed and does nothing;
    the unique (signal_id, 'routed') event stops a concurrent duplicate in the database."""
    signal = db.session.get(Signal, signal_id, with_for_update=True)
    if signal is None or signal.routed_at is not None:
        return signal
    now = utcnow()
    if not may_open_case(signal):
        signal.routed_at, signal.routing_reason = now, "geen toestemming: enkel geteld"
        signal_routed.send(signal, opened=None)  # reports: the rollups
        return signal
    opened = None
    case = db.session.scalar(
        select(Case).where(Case.resident_id == signal.resident_id, Case.closed_at.is_(None))
    )
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
        owner, team, days, reason = decide(signal)
        case = Case(
            resident_id=signal.resident_id,
            status="assigned" if owner else "new",
            urgency=signal.urgency,
            owner=owner,
            team_id=team.id if team else None,
            due_at=add_working_days(now, days),
        )
        db.session.add(case)
        db.session.flush()
        opened = case
        db.session.add(
            CaseEvent(
                case_id=case.id,
                type="assigned",
                detail={"owner": owner.email if owner else None, "reason": reason},
            )
        )
        if owner is not None:
            notify(
                owner,
                "assigned",
                f"case:{case.id}:assigned:{owner.id}",
                "Nieuw dossier in je wachtrij",
                f"Er staat een nieuw dossier voor je klaar ({reason}). "
                f"Eerste contact tegen {case.due_at:%d/%m/%Y}.",
                case.id,
            )
    db.session.add(
        CaseEvent(case_id=case.id, type="routed", signal_id=signal.id, detail={"reason": reason})
    )
    signal.case_id, signal.routed_at, signal.routing_reason = case.id, now, reason
    signal_routed.send(signal, opened=opened)
    db.session.flush()
    return signal


def route_signal_once(signal_id: int, attempts: int = 3) -> None:
    """Task body: route and commit. A duplicate delivery that lost the race is not an error;
    a signal that lost the race for its resident's first open case routes again and joins
    the case the other signal opened."""
    for attempt in range(attempts):
        try:
            route_signal(signal_id)
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
            signal = db.session.get(Signal, signal_id)
            if signal is not None and signal.routed_at is not None:
                return
            if attempt == attempts - 1:
                raise
