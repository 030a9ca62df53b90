"""First-contact deadlines: a reminder to the owner when contact is due, an escalation to
the coordinators when it is overdue — each once per case."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from fieldwork.auth.models import User
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.extensions import db
from fieldwork.notifications.services import notify

REMIND_BEFORE = timedelta(days=1)


def _has_event(case: Case, kind: str) -> bool:
    return any(e.type == kind for e in case.events)


def check_deadlines(now: datetime) -> dict[str, int]:
    """Send what is due at ``now``. Flushes; the caller commits."""
    waiting = db.session.scalars(
        select(Case).where(
            Case.closed_at.is_(None),
            Case.due_at.is_not(None),
            Case.due_at <= now + REMIND_BEFORE,
            ~exists().where(CaseEvent.case_id == Case.id, CaseEvent.type == "contact_attempt"),
        )
    )
    counts = {"reminders": 0, "escalations": 0}
    coordinators = list(
        db.session.scalars(select(User).where(User.role == "coordinator", User.active.is_(True)))
    )
    for case in waiting:
        if case.due_at is None:  # the query leaves these out; this tells the type checker
            continue
        if case.owner is not None and not _has_event(case, "reminder_sent"):
            notify(
                case.owner,
                "reminder",
                f"case:{case.id}:reminder",
                f"Herinnering: eerste contact voor dossier {case.id}",
                f"Het eerste contact voor dossier {case.id} is voorzien tegen "
                f"{case.due_at:%d/%m/%Y}.",
                case.id,
            )
            db.session.add(
                CaseEvent(case_id=case.id, type="reminder_sent", detail={"to": case.owner.email})
            )
            counts["reminders"] += 1
        if now > case.due_at and not _has_event(case, "escalated"):
            for coordinator in coordinators:
                notify(
                    coordinator,
                    "escalation",
                    f"case:{case.id}:escalation:{coordinator.id}",
                    f"Over tijd: dossier {case.id}",
                    f"Dossier {case.id} heeft nog geen contactpoging; de termijn "
                    f"liep af op {case.due_at:%d/%m/%Y}.",
                    case.id,
                )
            db.session.add(
                CaseEvent(
                    case_id=case.id,
                    type="escalated",
                    detail={"to": [c.email for c in coordinators]},
                )
            )
            counts["escalations"] += 1
    db.session.flush()
    return counts
