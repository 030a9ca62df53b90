"""/api/v1/plans: neighbourhood plans, their objectives, actions, progress notes, outcome
indicators (per period, suppressed for the analyst) and residents' reactions.

The coordinator creates and edits; the analyst reads plans and indicators (no notes, no
reaction texts); an action's owner reads their actions (``/my-actions``) and adds notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, g
from flask_smorest import Blueprint, abort
from marshmallow import Schema

from fieldwork.areas.services import get_municipality
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.idempotency import KEY_PARAMETER, idempotent
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.plans.content import indicator_line, owner_as_role
from fieldwork.plans.indicators import figures_counted_once, measure_label
from fieldwork.plans.models import Action, Objective, Plan, PlanIndicator
from fieldwork.plans.schemas import (
    ActionInSchema,
    ActionPatchSchema,
    ActionSchema,
    IndicatorInSchema,
    IndicatorSchema,
    NoteInSchema,
    NoteSchema,
    ObjectiveInSchema,
    ObjectiveSchema,
    PlanInSchema,
    PlanListItemSchema,
    PlanPatchSchema,
    PlanQuerySchema,
    PlanSchema,
    ReactionInSchema,
    ReactionSchema,
)
from fieldwork.plans.services import (
    OWNER_ROLES,
    ActionData,
    IndicatorData,
    ObjectiveData,
    PartGone,
    PlanData,
    PlanError,
    add_indicator,
    add_note,
    add_reaction,
    delete_part,
    may_follow,
    my_actions,
    plans_of,
    save_action,
    save_objective,
    save_plan,
)

bp = Blueprint("api_plans", __name__, url_prefix="/api/v1", description="Neighbourhood plans")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
COORDINATOR = Role.COORDINATOR
READERS = (Role.COORDINATOR, Role.ANALYST)


def _once(
    payload: dict[str, Any], schema: type[Schema], make: Callable[[], dict[str, Any]]
) -> Response:
    """Add what ``make`` adds (it flushes, never commits) once per Idempotency-Key: a resend
    (a double tap, a retry after a lost answer) answers as the first and adds nothing."""
    return idempotent(g.api_user.id, payload, lambda: (schema().dump(make()), 201))


def _analyst() -> bool:
    return bool(g.api_user.role == Role.ANALYST.value)


def _get(model: Any, item_id: int, what: str) -> Any:
    found = db.session.get(model, item_id)
    if found is None:
        abort(404, message=f"No such {what}.")
    return found


def note_body(note: Any) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author.display_name if note.author else None,
        "created_at": note.created_at,
        "text": note.text,
    }


def action_body(action: Action, notes: bool = True) -> dict[str, Any]:
    return {
        "id": action.id,
        "objective_id": action.objective_id,
        "description": action.description,
        "partners": [{"id": o.id, "name": o.name} for o in action.partners],
        "partners_text": action.partners_text,
        "owner": {
            "id": action.owner.id,
            "name": action.owner.display_name,
            "role": owner_as_role(action.owner),
        }
        if action.owner
        else None,
        "expected_output": action.expected_output,
        "starts_on": action.starts_on,
        "ends_on": action.ends_on,
        "milestones": action.milestones,
        "status": action.status,
        "notes": [note_body(n) for n in action.notes] if notes else [],
    }


def indicator_body(indicator: PlanIndicator, suppressed: bool) -> dict[str, Any]:
    line = indicator_line(indicator, suppressed)
    return {
        "id": indicator.id,
        "objective_id": indicator.objective_id,
        "neighbourhood_id": indicator.neighbourhood_id,
        "measure": indicator.measure,
        "label": measure_label(indicator.measure),
        "period_kind": "quarter" if suppressed else indicator.period_kind,
        "baseline_from": indicator.baseline_from,
        "baseline_until": indicator.baseline_until,
        "baseline": line.baseline,
        "target": indicator.target,
        "suppressed": suppressed,
        "series": [
            {"period": p.label, "start": p.start, "end": p.end, "value": p.value}
            for p in line.points
        ],
    }


def objective_body(objective: Objective, analyst: bool) -> dict[str, Any]:
    point = objective.attention_point
    return {
        "id": objective.id,
        "plan_id": objective.plan_id,
        "title": objective.title,
        "heard": objective.heard,
        "neighbourhood_id": objective.neighbourhood_id,
        "attention_point": {"id": point.id, "title": point.title, "findings": point.findings}
        if point
        else None,
        "actions": [action_body(a, notes=not analyst) for a in objective.actions],
        "indicators": [indicator_body(i, analyst) for i in objective.indicators],
        "reactions": [
            {
                "id": r.id,
                "met_on": r.met_on,
                "meeting": r.meeting,
                "text": "" if analyst else r.text,
                "people": r.people,
            }
            for r in objective.reactions
        ],
    }


def plan_head(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "gemeente": plan.municipality.code,
        "title": plan.title,
        "neighbourhoods": [{"id": h.id, "name": h.name} for h in plan.neighbourhoods],
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
    }


def plan_body(plan: Plan, analyst: bool) -> dict[str, Any]:
    with figures_counted_once():
        objectives = [objective_body(o, analyst) for o in plan.objectives]
    return {**plan_head(plan), "objectives": objectives}


@bp.get("/plans")
@api_roles(*READERS)
@bp.arguments(PlanQuerySchema, location="query")
@bp.response(200, PlanListItemSchema(many=True))
@bp.doc(security=BEARER)
def list_plans(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The neighbourhood plans (of one municipality with ``gemeente``)."""
    municipality = None
    if args.get("gemeente"):
        municipality = get_municipality(args["gemeente"])
        if municipality is None:
            return []
    return [plan_head(p) for p in plans_of(municipality)]


@bp.post("/plans")
@api_roles(COORDINATOR)
@bp.arguments(PlanInSchema)
@bp.response(201, PlanSchema)
@bp.doc(security=BEARER, parameters=[KEY_PARAMETER])
def post_plan(payload: dict[str, Any]) -> Response:
    """A new plan for one or more neighbourhoods of a municipality and a period. With an
    Idempotency-Key a resend answers as the first and adds nothing."""

    def create() -> dict[str, Any]:
        municipality = get_municipality(payload["gemeente"])
        if municipality is None:
            abort(422, message="Not imported.", errors={"gemeente": ["Not imported."]})
        try:
            plan = save_plan(
                municipality,
                PlanData(
                    payload["title"],
                    payload["neighbourhoods"],
                    payload["starts_on"],
                    payload["ends_on"],
                ),
                g.api_user,
                None,
            )
        except PlanError as exc:
            refuse(exc)
        record_audit("plan_saved", "plan", plan.id)
        return plan_body(plan, analyst=False)

    return _once(payload, PlanSchema, create)


@bp.get("/plans/<int:plan_id>")
@api_roles(*READERS)
@bp.response(200, PlanSchema)
@bp.doc(security=BEARER)
def get_plan(plan_id: int) -> dict[str, Any]:
    """A plan with its objectives, actions, indicators (per period since the baseline;
    suppressed per completed quarter for the analyst) and reactions."""
    plan = _get(Plan, plan_id, "plan")
    body = plan_body(plan, _analyst())
    record_audit("plan_viewed", "plan", plan.id)
    db.session.commit()
    return body


@bp.patch("/plans/<int:plan_id>")
@api_roles(COORDINATOR)
@bp.arguments(PlanPatchSchema)
@bp.response(200, PlanSchema)
@bp.doc(security=BEARER)
def patch_plan(changes: dict[str, Any], plan_id: int) -> dict[str, Any]:
    """Change a plan's title, neighbourhoods or period."""
    plan = _get(Plan, plan_id, "plan")
    data = PlanData(
        changes.get("title", plan.title),
        changes.get("neighbourhoods", [h.id for h in plan.neighbourhoods]),
        changes.get("starts_on", plan.starts_on),
        changes.get("ends_on", plan.ends_on),
    )
    try:
        save_plan(plan.municipality, data, g.api_user, plan)
    except PlanError as exc:
        refuse(exc)
    record_audit("plan_saved", "plan", plan.id)
    db.session.commit()
    return plan_body(plan, analyst=False)


@bp.post("/plans/<int:plan_id>/objectives")
@api_roles(COORDINATOR)
@bp.arguments(ObjectiveInSchema)
@bp.response(201, ObjectiveSchema)
@bp.doc(security=BEARER, parameters=[KEY_PARAMETER])
def post_objective(payload: dict[str, Any], plan_id: int) -> Response:
    """An objective, from an attention point of the plan's neighbourhoods (or none)."""

    def create() -> dict[str, Any]:
        plan = _get(Plan, plan_id, "plan")
        try:
            objective = save_objective(
                plan,
                ObjectiveData(
                    payload["title"],
                    payload["heard"],
                    payload["neighbourhood"],
                    payload["attention_point"],
                ),
                None,
            )
        except PlanError as exc:
            refuse(exc)
        record_audit("plan_objective_saved", "plan_objective", objective.id)
        return objective_body(objective, analyst=False)

    return _once(payload, ObjectiveSchema, create)


def _action_data(payload: dict[str, Any], action: Action | None) -> ActionData:
    def pick(key: str, default: Any) -> Any:
        return payload.get(key, default)

    return ActionData(
        description=pick("description", action.description if action else ""),
        starts_on=pick("starts_on", action.starts_on if action else None),
        ends_on=pick("ends_on", action.ends_on if action else None),
        partner_ids=pick("partners", [o.id for o in action.partners] if action else []) or [],
        partners_text=pick("partners_text", action.partners_text if action else ""),
        owner_id=pick("owner", action.owner_id if action else None),
        expected_output=pick("expected_output", action.expected_output if action else ""),
        milestones=pick(
            "milestones",
            [{"on": _day(m["on"]), "text": m["text"]} for m in action.milestones] if action else [],
        ),
        status=pick("status", action.status if action else "planned"),
    )


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


@bp.post("/objectives/<int:objective_id>/actions")
@api_roles(COORDINATOR)
@bp.arguments(ActionInSchema)
@bp.response(201, ActionSchema)
@bp.doc(security=BEARER, parameters=[KEY_PARAMETER])
def post_action(payload: dict[str, Any], objective_id: int) -> Response:
    """An action under an objective: partners from the social map (ids) and/or free text,
    an owner (a coordinator, contact person or partner account), output, timing, status."""

    def create() -> dict[str, Any]:
        objective = _get(Objective, objective_id, "objective")
        try:
            action = save_action(objective, _action_data(payload, None), None)
        except PlanError as exc:
            refuse(exc)
        record_audit("plan_action_saved", "plan_action", action.id)
        return action_body(action)

    return _once(payload, ActionSchema, create)


@bp.patch("/actions/<int:action_id>")
@api_roles(COORDINATOR)
@bp.arguments(ActionPatchSchema)
@bp.response(200, ActionSchema)
@bp.doc(security=BEARER)
def patch_action(changes: dict[str, Any], action_id: int) -> dict[str, Any]:
    """Change an action (only the fields sent)."""
    action = _get(Action, action_id, "action")
    try:
        save_action(action.objective, _action_data(changes, action), action)
    except PlanError as exc:
        refuse(exc)
    record_audit("plan_action_saved", "plan_action", action.id)
    db.session.commit()
    return action_body(action)


@bp.post("/actions/<int:action_id>/notes")
@api_roles(*OWNER_ROLES)
@bp.arguments(NoteInSchema)
@bp.response(201, NoteSchema)
@bp.doc(security=BEARER, parameters=[KEY_PARAMETER])
def post_note(payload: dict[str, Any], action_id: int) -> Response:
    """A progress note (and optionally a new status) by the coordinator or the owner."""

    def create() -> dict[str, Any]:
        action = _get(Action, action_id, "action")
        if not may_follow(g.api_user, action):
            abort(404, message="No such action.")
        try:
            note = add_note(action, g.api_user, payload["text"], payload["status"])
        except PlanError as exc:
            refuse(exc)
        record_audit("plan_action_note_added", "plan_action", action.id)
        return note_body(note)

    return _once(payload, NoteSchema, create)


@bp.get("/my-actions")
@api_roles(*OWNER_ROLES)
@bp.response(200, ActionSchema(many=True))
@bp.doc(security=BEARER)
def get_my_actions() -> list[dict[str, Any]]:
    """The actions of neighbourhood plans this account owns."""
    return [action_body(a) for a in my_actions(g.api_user)]


@bp.post("/objectives/<int:objective_id>/indicators")
@api_roles(COORDINATOR)
@bp.arguments(IndicatorInSchema)
@bp.response(201, IndicatorSchema)
@bp.doc(security=BEARER, parameters=[KEY_PARAMETER])
def post_indicator(payload: dict[str, Any], objective_id: int) -> Response:
    """An outcome indicator: a field figure (visits_reach_rate, calls_reach_rate,
    signals_per_100_65plus, loneliness_per_100_65plus, mobility_per_100_65plus,
    first_contact_days, cases_opened) or an imported one (``imported:<name>``), with a
    target; the baseline is computed over the baseline window unless given."""

    def create() -> dict[str, Any]:
        objective = _get(Objective, objective_id, "objective")
        try:
            indicator = add_indicator(
                objective,
                IndicatorData(
                    measure=payload["measure"],
                    target=payload["target"],
                    neighbourhood_id=payload["neighbourhood"],
                    period_kind=payload["period_kind"],
                    baseline_from=payload["baseline_from"],
                    baseline_until=payload["baseline_until"],
                    baseline=payload["baseline"],
                ),
            )
        except PlanError as exc:
            refuse(exc)
        record_audit("plan_indicator_added", "plan_indicator", indicator.id)
        return indicator_body(indicator, suppressed=False)

    return _once(payload, IndicatorSchema, create)


@bp.get("/plan-indicators/<int:indicator_id>")
@api_roles(*READERS)
@bp.response(200, IndicatorSchema)
@bp.doc(security=BEARER)
def get_indicator(indicator_id: int) -> dict[str, Any]:
    """One indicator per period since its baseline (suppressed for the analyst)."""
    return indicator_body(_get(PlanIndicator, indicator_id, "indicator"), _analyst())


@bp.post("/objectives/<int:objective_id>/reactions")
@api_roles(COORDINATOR)
@bp.arguments(ReactionInSchema)
@bp.response(201, ReactionSchema)
@bp.doc(security=BEARER, parameters=[KEY_PARAMETER])
def post_reaction(payload: dict[str, Any], objective_id: int) -> Response:
    """What residents said about an objective at a meeting, and how many came."""

    def create() -> dict[str, Any]:
        objective = _get(Objective, objective_id, "objective")
        try:
            reaction = add_reaction(
                objective,
                payload["met_on"],
                payload["meeting"],
                payload["text"],
                payload["people"],
                g.api_user,
            )
        except PlanError as exc:
            refuse(exc)
        record_audit("plan_reaction_added", "plan_objective", objective.id)
        return {
            "id": reaction.id,
            "met_on": reaction.met_on,
            "meeting": reaction.meeting,
            "text": reaction.text,
            "people": reaction.people,
        }

    return _once(payload, ReactionSchema, create)


def _delete(part: Objective | Action | PlanIndicator) -> None:
    try:
        delete_part(part)
    except PartGone:
        abort(404, message="Deleted meanwhile.")
    db.session.commit()


@bp.delete("/objectives/<int:objective_id>")
@api_roles(COORDINATOR)
@bp.response(204)
@bp.doc(security=BEARER)
def delete_objective(objective_id: int) -> None:
    """Delete a mistaken objective with its actions, indicators and recorded reactions."""
    _delete(_get(Objective, objective_id, "objective"))


@bp.delete("/actions/<int:action_id>")
@api_roles(COORDINATOR)
@bp.response(204)
@bp.doc(security=BEARER)
def delete_action(action_id: int) -> None:
    """Delete a mistaken action with its progress notes (one that was tried and stopped is
    better kept with the status "dropped")."""
    _delete(_get(Action, action_id, "action"))


@bp.delete("/plan-indicators/<int:indicator_id>")
@api_roles(COORDINATOR)
@bp.response(204)
@bp.doc(security=BEARER)
def delete_indicator(indicator_id: int) -> None:
    """Delete a mistaken indicator."""
    _delete(_get(PlanIndicator, indicator_id, "indicator"))
