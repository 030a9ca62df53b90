"""Replacing the rule set and the teams (coordinator), and the dry run. Flush, never commit."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.auth.services import find_user_by_email
from fieldwork.cases.models import Case
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.routing.engine import RuleSpec, describe, first_match
from fieldwork.routing.models import Absence, RoutingRule, Team, TeamMember
from fieldwork.routing.services import default_coordinator, facts_for, present_or_deputy
from fieldwork.signals.models import Signal

ASSIGNABLE_ROLES = ("contact_person", "coordinator")


class RoutingConfigError(ValueError):
    """Refused as a whole; ``status`` is what the API answers: 422 for an invalid list, 409
    when the list is fine but conflicts with what is stored (a team cases still point to)."""

    def __init__(self, errors: dict[str, Any], status: int = 422) -> None:
        super().__init__("invalid routing configuration")
        self.errors = errors
        self.status = status


def _assignable(email: str) -> User | None:
    user = find_user_by_email(email)
    return user if user and user.active and user.role in ASSIGNABLE_ROLES else None


def rules_as_dicts() -> list[dict[str, Any]]:
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.position))
    return [
        {
            "name": r.name,
            "conditions": r.conditions or {},
            "assign_to": (
                {"team": r.assign_team.name}
                if r.assign_team
                else {"user": r.assign_user.email if r.assign_user else None}
            ),
            "first_contact_days": r.first_contact_days,
            "enabled": r.enabled,
        }
        for r in rules
    ]


def teams_as_dicts() -> list[dict[str, Any]]:
    teams = db.session.scalars(select(Team).order_by(Team.name))
    return [
        {"name": t.name, "strategy": t.strategy, "members": [m.user.email for m in t.members]}
        for t in teams
    ]


def _check_rules(
    rules: list[dict[str, Any]], team_names: set[str]
) -> list[tuple[dict[str, Any], User | None, str | None]]:
    errors: dict[str, Any] = {}
    resolved = []
    known_neighbourhoods = set(db.session.scalars(select(Neighbourhood.id)))
    for index, rule in enumerate(rules):
        target = rule["assign_to"]
        user = None
        if "user" in target:
            user = _assignable(target["user"])
            if user is None:
                errors[f"rules.{index}.assign_to.user"] = [
                    f"{target['user']} is not an active contact person or coordinator."
                ]
        elif target["team"] not in team_names:
            errors[f"rules.{index}.assign_to.team"] = [f"No team called {target['team']}."]
        unknown = sorted(set(rule["conditions"].get("neighbourhoods") or []) - known_neighbourhoods)
        if unknown:
            errors[f"rules.{index}.conditions.neighbourhoods"] = [
                f"Unknown neighbourhood id(s): {unknown}"
            ]
        resolved.append((rule, user, target.get("team")))
    if errors:
        raise RoutingConfigError(errors)
    return resolved


def replace_rules(rules: list[dict[str, Any]]) -> None:
    teams = {t.name: t for t in db.session.scalars(select(Team))}
    resolved = _check_rules(rules, set(teams))
    db.session.execute(delete(RoutingRule))
    for position, (rule, user, team_name) in enumerate(resolved, start=1):
        db.session.add(
            RoutingRule(
                position=position,
                name=rule["name"],
                conditions=rule["conditions"],
                assign_user=user,
                assign_team=teams[team_name] if team_name else None,
                first_contact_days=rule["first_contact_days"],
                enabled=rule["enabled"],
            )
        )
    db.session.flush()


def replace_teams(teams: list[dict[str, Any]]) -> None:
    errors: dict[str, Any] = {}
    names = [t["name"] for t in teams]
    if len(set(names)) != len(names):
        errors["teams"] = ["Team names must be unique."]
    members: dict[str, list[User]] = {}
    for index, team in enumerate(teams):
        users = []
        for email in team["members"]:
            user = _assignable(email)
            if user is None:
                errors.setdefault(f"teams.{index}.members", []).append(
                    f"{email} is not an active contact person or coordinator."
                )
            elif user not in users:  # listed twice (or spelled twice): one member
                users.append(user)
        members[team["name"]] = users
    in_use = set(
        db.session.scalars(
            select(Team.name).join(RoutingRule, RoutingRule.assign_team_id == Team.id)
        )
    )
    if removed := sorted(in_use - set(names)):
        errors["teams"] = [f"Rules still use: {', '.join(removed)}. Change the rules first."]
    if errors:
        raise RoutingConfigError(errors)
    # A case keeps the team it was routed to (its history and the team's queue), so a team
    # any case points to stays: checked before anything is deleted, never a foreign-key crash.
    with_cases = set(
        db.session.scalars(select(Team.name).join(Case, Case.team_id == Team.id).distinct())
    )
    if removed := sorted(with_cases - set(names)):
        message = _(
            "Cases still belong to: %(teams)s. A team with cases cannot be removed.",
            teams=", ".join(removed),
        )
        raise RoutingConfigError({"teams": [message]}, status=409)
    existing = {t.name: t for t in db.session.scalars(select(Team))}
    for name, old in existing.items():
        if name not in members:
            db.session.delete(old)
    for spec in teams:
        row = existing.get(spec["name"]) or Team(name=spec["name"])
        row.strategy = spec["strategy"]
        db.session.add(row)
        db.session.flush()
        db.session.execute(delete(TeamMember).where(TeamMember.team_id == row.id))
        for position, user in enumerate(members[spec["name"]]):
            db.session.add(TeamMember(team_id=row.id, user_id=user.id, position=position))
    db.session.flush()
    db.session.expire_all()


def _routed_target(signal: Signal) -> tuple[str | None, str | None]:
    """(team name, owner e-mail) the signal's case was first given to."""
    case = db.session.get_one(Case, signal.case_id)
    if case.team_id is not None:
        return db.session.get_one(Team, case.team_id).name, None
    assigned = next((e for e in case.events if e.type == "assigned"), None)
    return None, (assigned.detail or {}).get("owner") if assigned else None


def dry_run(rules: list[dict[str, Any]], last: int) -> list[dict[str, Any]]:
    """Where the last ``last`` routed signals would go under ``rules`` (nothing is saved).
    'Changed' compares targets: the team, or the person (after absences)."""
    teams = {t.name: t for t in db.session.scalars(select(Team))}
    resolved = _check_rules(rules, set(teams))
    specs = [RuleSpec(r["name"], r["conditions"], r["enabled"]) for r, _, _ in resolved]
    signals = db.session.scalars(
        select(Signal).where(Signal.case_id.is_not(None)).order_by(Signal.id.desc()).limit(last)
    )
    today = utcnow().date()
    coordinator = default_coordinator()
    items = []
    for signal in signals:
        facts = facts_for(signal)
        index = first_match(specs, facts)
        team_name: str | None = None
        person: User | None = coordinator
        if index is None:
            proposed = f"geen regel past → {coordinator.display_name if coordinator else '?'}"
        else:
            rule, user, team_name = resolved[index]
            if user is not None:
                person = present_or_deputy(user, today)[0] or coordinator
            target = person.display_name if user and person else f"team {team_name}"
            proposed = describe(
                index + 1, rule["conditions"], facts, signal.neighbourhood.name, target
            )
        current_team, current_owner = _routed_target(signal)
        if team_name or current_team:
            changed = team_name != current_team
        else:
            changed = (person.email if person else None) != current_owner
        items.append(
            {
                "signal_id": signal.id,
                "current": signal.routing_reason,
                "proposed": proposed,
                "changed": changed,
            }
        )
    return items


def absences_as_dicts() -> list[dict[str, Any]]:
    return [
        {
            "user": a.user.email,
            "starts_on": a.starts_on,
            "ends_on": a.ends_on,
            "deputy": a.deputy.email if a.deputy else None,
        }
        for a in db.session.scalars(select(Absence).order_by(Absence.starts_on))
    ]


def replace_absences(absences: list[dict[str, Any]]) -> None:
    errors: dict[str, Any] = {}
    rows = []
    for index, spec in enumerate(absences):
        user = find_user_by_email(spec["user"])
        deputy = _assignable(spec["deputy"]) if spec.get("deputy") else None
        if user is None:
            errors[f"absences.{index}.user"] = [f"No user {spec['user']}."]
        if spec.get("deputy") and deputy is None:
            errors[f"absences.{index}.deputy"] = [
                f"{spec['deputy']} is not an active contact person or coordinator."
            ]
        if user is not None and deputy is not None and user.id == deputy.id:
            errors[f"absences.{index}.deputy"] = ["Nobody can be their own deputy."]
        rows.append(
            Absence(user=user, deputy=deputy, starts_on=spec["starts_on"], ends_on=spec["ends_on"])
        )
    if errors:
        raise RoutingConfigError(errors)
    db.session.execute(delete(Absence))
    db.session.add_all(rows)
    db.session.flush()
