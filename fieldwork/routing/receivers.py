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
from fieldwork.extensions import db
from fieldwork.routing.models import RoutingRule, TeamMember


def rules_name(neighbourhood: Neighbourhood, **_: Any) -> bool:
    return any(
        neighbourhood.id in (rule.conditions or {}).get("neighbourhoods", [])
        for rule in db.session.scalars(select(RoutingRule))
    )


def leave_teams(user: User, **_: Any) -> None:
    db.session.execute(delete(TeamMember).where(TeamMember.user_id == user.id))


def is_team_member(_sender: None, team_id: int, user_id: int, **_: Any) -> bool:
    return db.session.get(TeamMember, (team_id, user_id)) is not None


neighbourhood_in_use.connect(rules_name, weak=False)
user_deactivated.connect(leave_teams, weak=False)
team_membership.connect(is_team_member, weak=False)
