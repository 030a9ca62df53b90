"""routing's answers to the hooks of areas, auth and cases; connected once per process by
``init_app``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from fieldwork.areas.hooks import neighbourhood_in_use
from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.hooks import user_deactivated
from fieldwork.auth.models import User
from fieldwork.cases.hooks import team_membership
from fieldwork.cases.models import Case
from fieldwork.cases.services import reassign
from fieldwork.extensions import db
from fieldwork.routing.models import RoutingRule, TeamMember
from fieldwork.routing.services import default_coordinator


def rules_name(neighbourhood: Neighbourhood, **_: Any) -> bool:
    return any(
        neighbourhood.id in (rule.conditions or {}).get("neighbourhoods", [])
        for rule in db.session.scalars(select(RoutingRule))
    )


def leave_teams(user: User, by: User | None = None, **_: Any) -> None:
    """A deactivated person leaves every team, and their open cases are handed over."""
    db.session.execute(delete(TeamMember).where(TeamMember.user_id == user.id))
    hand_over_open_cases(user, by)


def hand_over_open_cases(user: User, by: User | None = None) -> None:
    """A deactivated contact person's open cases go to the coordinator (who passes them on):
    no resident waits in a queue nobody reads, and a new signal joins an owned case."""
    coordinator = default_coordinator()
    if coordinator is None or coordinator.id == user.id:
        return
    for case in db.session.scalars(
        select(Case).where(Case.owner_id == user.id, Case.closed_at.is_(None)).order_by(Case.id)
    ):
        reassign(
            case, by or coordinator, coordinator, f"account van {user.display_name} gedeactiveerd"
        )


def is_team_member(_sender: None, team_id: int, user_id: int, **_: Any) -> bool:
    return db.session.get(TeamMember, (team_id, user_id)) is not None


neighbourhood_in_use.connect(rules_name, weak=False)
user_deactivated.connect(leave_teams, weak=False)
team_membership.connect(is_team_member, weak=False)
