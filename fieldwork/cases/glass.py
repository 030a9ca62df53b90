"""Break the glass: a coordinator may open every case, but a case outside their own queue and
their teams only after giving a short reason, which is audited with the read.

The grant is the audit event itself (``case_glass_broken`` by this user on this case in the
last ``BREAK_GLASS_MINUTES``, default 30): one source of truth, the same for pages and the
API (a bearer token has no session), and nothing to keep in sync. Contact persons see only
their own and their team's cases (``can_see_case``), so they never meet the glass. A case
nobody owns yet (no owner, no team) is the coordinator's own triage work: no reason asked.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.cases.hooks import in_team
from fieldwork.cases.models import Case
from fieldwork.cases.services import CaseError
from fieldwork.core.audit import record_audit
from fieldwork.core.models import AuditEvent
from fieldwork.core.roles import Role
from fieldwork.db import utcnow
from fieldwork.extensions import db

GLASS_BROKEN = "case_glass_broken"
REASON_HEADER = "X-Access-Reason"
REASON_MIN, REASON_MAX = 5, 200


def grant_minutes() -> int:
    return int(current_app.config.get("BREAK_GLASS_MINUTES", 30))


def is_own_case(user: User, case: Case, my_teams: Container[int] | None = None) -> bool:
    """``my_teams``: the user's teams among those of a page of cases, asked once for all."""
    if case.owner_id is None and case.team_id is None:
        return True
    if case.owner_id == user.id:
        return True
    if case.team_id is None:
        return False
    return case.team_id in my_teams if my_teams is not None else in_team(case.team_id, user.id)


def has_grant(user: User, case: Case) -> bool:
    since = utcnow() - timedelta(minutes=grant_minutes())
    found = db.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.subject_type == "case",
            AuditEvent.subject_id == str(case.id),
            AuditEvent.action == GLASS_BROKEN,
            AuditEvent.user_id == user.id,
            AuditEvent.at >= since,
        )
        .limit(1)
    )
    return found is not None


def behind_glass(user: User, cases: list[Case]) -> set[int]:
    """Of a page of the queue, the cases this user must give a reason for before reading
    them: the queue shows those without the resident's name and address. Two queries at
    most (the teams a page names, and the grants), whatever the page's size."""
    if user.role != Role.COORDINATOR:
        return set()
    teams = {case.team_id for case in cases if case.team_id is not None}
    mine = {team_id for team_id in teams if in_team(team_id, user.id)}
    outside = [case.id for case in cases if not is_own_case(user, case, mine)]
    if not outside:
        return set()
    since = utcnow() - timedelta(minutes=grant_minutes())
    granted = db.session.scalars(
        select(AuditEvent.subject_id).where(
            AuditEvent.subject_type == "case",
            AuditEvent.subject_id.in_([str(case_id) for case_id in outside]),
            AuditEvent.action == GLASS_BROKEN,
            AuditEvent.user_id == user.id,
            AuditEvent.at >= since,
        )
    )
    return set(outside) - {int(subject_id or 0) for subject_id in granted}


def needs_reason(user: User, case: Case) -> bool:
    """True when this read must first be given a reason."""
    if user.role != Role.COORDINATOR:
        return False
    return not is_own_case(user, case) and not has_grant(user, case)


def break_glass(user: User, case: Case, reason: str) -> None:
    """Record why ``user`` opens ``case``; the grant holds for ``grant_minutes``. Flushes."""
    reason = " ".join(reason.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise CaseError(
            _(
                "Give a reason of %(min)d to %(max)d characters.",
                min=REASON_MIN,
                max=REASON_MAX,
            ),
            "reason",
        )
    record_audit(GLASS_BROKEN, "case", case.id, user_id=user.id, reason=reason)
    db.session.flush()
