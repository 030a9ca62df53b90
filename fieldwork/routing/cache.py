"""What routing reads for every new case — the rules, the teams and their members, who is
away today and who deputises, the coordinator, the team members' open-case loads — kept per
process for a few seconds instead of read again per signal (issue 18).

When a change applies:

* Rules, teams, team members, absences and accounts: at once. On PostgreSQL every routing
  checks a fingerprint of those tables (one small query: each row's id and ``xmin``, the
  version PostgreSQL gives a row on every insert and update; for teams their name and
  strategy, not the round-robin pointer that routing itself moves). Any change, made by any
  process, gives another fingerprint and the next signal reads everything again. Emptied
  and refilled tables (the tests do that between tests) count as changed too.
* The open-case loads that pick the least loaded team member: within ``WINDOW_SECONDS``.
  They are counted when the snapshot is read and this process adds the cases it assigns;
  cases other processes assign or close meanwhile count from the next snapshot on. A few
  seconds of approximate balance, instead of counting every member's open cases per signal.
* Everything, at the latest after ``WINDOW_SECONDS`` and at midnight (absences are by day).

On SQLite (the embedded mode: one process, a small office) there is no ``xmin``, so nothing
is kept: each routing reads a fresh snapshot, exactly as before."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, text

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.routing.engine import RuleSpec
from fieldwork.routing.models import Absence, RoutingRule, Team, TeamMember

WINDOW_SECONDS = 5.0

FINGERPRINT_SQL = text(
    """
SELECT md5(concat_ws('/',
    (SELECT string_agg(r.id || ':' || r.xmin, ',' ORDER BY r.id) FROM routing_rules r),
    (SELECT string_agg(concat_ws(':', t.id, t.name, t.strategy), ',' ORDER BY t.id)
        FROM teams t),
    (SELECT string_agg(m.team_id || ':' || m.user_id || ':' || m.xmin, ','
        ORDER BY m.team_id, m.user_id) FROM team_members m),
    (SELECT string_agg(a.id || ':' || a.xmin, ',' ORDER BY a.id) FROM absences a),
    (SELECT string_agg(u.id || ':' || u.xmin, ',' ORDER BY u.id) FROM users u)))
"""
)


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    assign_user_id: int | None
    assign_team_id: int | None
    first_contact_days: int


@dataclass
class TeamInfo:
    id: int
    name: str
    member_ids: list[int]  # by position
    last_position: int  # the round-robin pointer, as this process last moved it


@dataclass(frozen=True)
class Person:
    id: int
    active: bool
    display_name: str


@dataclass
class Snapshot:
    key: tuple[str, str | None, date]  # database, fingerprint, day
    taken: float  # time.monotonic()
    rules: list[Rule]
    teams: dict[int, TeamInfo]
    people: dict[int, Person]
    away: dict[int, int | None]  # user id → deputy id (or None), for absences today
    coordinator_id: int | None
    loads: dict[int, int] = field(default_factory=dict)  # open cases per team member


_lock = threading.Lock()
_current: Snapshot | None = None


def lock() -> threading.Lock:
    """Held while a snapshot's loads and team pointers are read or moved."""
    return _lock


def fingerprint() -> str | None:
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return db.session.scalar(FINGERPRINT_SQL)


def snapshot(today: date) -> Snapshot:
    """The routing configuration as of at most ``WINDOW_SECONDS`` ago (see the module's
    docstring for what applies when)."""
    global _current
    key = (db.engine.url.render_as_string(), fingerprint(), today)
    with _lock:
        current = _current
    if (
        current is not None
        and key[1] is not None
        and current.key == key
        and time.monotonic() - current.taken < WINDOW_SECONDS
    ):
        return current
    fresh = _read(key, today)
    if key[1] is not None:
        with _lock:
            _current = fresh
    return fresh


def count_assigned(user_id: int) -> None:
    """A case this process just opened for ``user_id``: one more in the kept loads (by a
    rule or a team, as both count when a team picks its least loaded member)."""
    with _lock:
        if _current is not None:
            _current.loads[user_id] = _current.loads.get(user_id, 0) + 1


def forget() -> None:
    """Drop the kept snapshot (tests; the next routing reads everything)."""
    global _current
    with _lock:
        _current = None


def _read(key: tuple[str, str | None, date], today: date) -> Snapshot:
    rules = [
        Rule(
            RuleSpec(r.name, r.conditions or {}, r.enabled),
            r.assign_user_id,
            r.assign_team_id,
            r.first_contact_days,
        )
        for r in db.session.execute(
            select(
                RoutingRule.name,
                RoutingRule.conditions,
                RoutingRule.enabled,
                RoutingRule.assign_user_id,
                RoutingRule.assign_team_id,
                RoutingRule.first_contact_days,
            ).order_by(RoutingRule.position, RoutingRule.id)
        )
    ]
    teams = {
        team_id: TeamInfo(team_id, name, [], last)
        for team_id, name, last in db.session.execute(
            select(Team.id, Team.name, Team.last_assigned_position)
        )
    }
    for team_id, user_id in db.session.execute(
        select(TeamMember.team_id, TeamMember.user_id).order_by(
            TeamMember.team_id, TeamMember.position
        )
    ):
        teams[team_id].member_ids.append(user_id)
    people = {
        user_id: Person(user_id, active, name or email)
        for user_id, active, name, email in db.session.execute(
            select(User.id, User.active, User.name, User.email)
        )
    }
    away: dict[int, int | None] = {}
    for user_id, deputy_id in db.session.execute(
        select(Absence.user_id, Absence.deputy_id)
        .where(Absence.starts_on <= today, Absence.ends_on >= today)
        .order_by(Absence.id)
    ):
        away.setdefault(user_id, deputy_id)
    coordinator_id = db.session.scalar(
        select(User.id).where(User.role == "coordinator", User.active.is_(True)).order_by(User.id)
    )
    members = sorted({m for team in teams.values() for m in team.member_ids})
    loads: dict[int, int] = {}
    if members:  # who else gets cases does not matter: only members are compared
        loads = {
            owner: count
            for owner, count in db.session.execute(
                select(Case.owner_id, func.count())
                .where(Case.owner_id.in_(members), Case.closed_at.is_(None))
                .group_by(Case.owner_id)
            )
            if owner is not None
        }
    return Snapshot(key, time.monotonic(), rules, teams, people, away, coordinator_id, loads)
