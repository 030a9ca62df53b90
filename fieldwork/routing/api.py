"""/api/v1/routing: rules, teams and the dry run (coordinator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint, abort

from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import ErrorSchema, db
from fieldwork.routing.admin import (
    RoutingConfigError,
    absences_as_dicts,
    dry_run,
    replace_absences,
    replace_rules,
    replace_teams,
    rules_as_dicts,
    teams_as_dicts,
)
from fieldwork.routing.schemas import (
    AbsencesSchema,
    DryRunResultSchema,
    DryRunSchema,
    RulesSchema,
    TeamsSchema,
)

bp = Blueprint(
    "api_routing", __name__, url_prefix="/api/v1/routing", description="Routing rules and teams"
)
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _invalid(exc: RoutingConfigError) -> None:
    db.session.rollback()
    if exc.status == 409:
        message = " ".join(m for messages in exc.errors.values() for m in messages)
        abort(409, message=message, errors=exc.errors)
    abort(422, message="The routing configuration is not valid.", errors=exc.errors)


def _replace(
    replace: Callable[[list[dict[str, Any]]], None], items: list[dict[str, Any]], action: str
) -> None:
    """Replace a whole configuration list, all or nothing, audited."""
    try:
        replace(items)
    except RoutingConfigError as exc:
        _invalid(exc)
    record_audit(action, "routing", None, count=len(items))
    db.session.commit()


@bp.get("/rules")
@api_roles(Role.COORDINATOR)
@bp.response(200, RulesSchema)
@bp.doc(security=BEARER)
def get_rules() -> dict[str, Any]:
    """The rules in priority order."""
    return {"rules": rules_as_dicts()}


@bp.put("/rules")
@api_roles(Role.COORDINATOR)
@bp.arguments(RulesSchema)
@bp.response(200, RulesSchema)
@bp.doc(security=BEARER)
def put_rules(data: dict[str, Any]) -> dict[str, Any]:
    """Replace the rule set; order = priority. Refused as a whole when one rule is invalid."""
    _replace(replace_rules, data["rules"], "routing_rules_replaced")
    return {"rules": rules_as_dicts()}


@bp.get("/teams")
@api_roles(Role.COORDINATOR)
@bp.response(200, TeamsSchema)
@bp.doc(security=BEARER)
def get_teams() -> dict[str, Any]:
    """Teams and their members."""
    return {"teams": teams_as_dicts()}


@bp.put("/teams")
@api_roles(Role.COORDINATOR)
@bp.arguments(TeamsSchema)
@bp.response(200, TeamsSchema)
@bp.alt_response(409, schema=ErrorSchema, description="A team to remove still has cases")
@bp.doc(security=BEARER)
def put_teams(data: dict[str, Any]) -> dict[str, Any]:
    """Replace the teams. A team still used by a rule (422) or by a case (409) cannot be
    removed; nothing is changed then."""
    _replace(replace_teams, data["teams"], "routing_teams_replaced")
    return {"teams": teams_as_dicts()}


@bp.post("/dry-run")
@api_roles(Role.COORDINATOR)
@bp.arguments(DryRunSchema)
@bp.response(200, DryRunResultSchema)
@bp.doc(security=BEARER)
def post_dry_run(data: dict[str, Any]) -> dict[str, Any]:
    """Where the last N signals would have gone under a draft rule list; nothing is saved."""
    try:
        items = dry_run(data["rules"], data["last"])
    except RoutingConfigError as exc:
        _invalid(exc)
    db.session.rollback()
    return {"items": items, "changed": sum(1 for i in items if i["changed"])}


@bp.get("/absences")
@api_roles(Role.COORDINATOR)
@bp.response(200, AbsencesSchema)
@bp.doc(security=BEARER)
def get_absences() -> dict[str, Any]:
    """Who is away when, and who stands in."""
    return {"absences": absences_as_dicts()}


@bp.put("/absences")
@api_roles(Role.COORDINATOR)
@bp.arguments(AbsencesSchema)
@bp.response(200, AbsencesSchema)
@bp.doc(security=BEARER)
def put_absences(data: dict[str, Any]) -> dict[str, Any]:
    """Replace the absences; routing skips an absent owner to the deputy."""
    _replace(replace_absences, data["absences"], "absences_replaced")
    return {"absences": absences_as_dicts()}
