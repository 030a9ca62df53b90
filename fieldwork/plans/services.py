"""The neighbourhood plan's domain logic: plans, objectives, actions, notes, indicators,
reactions and the residents' summary. Flush, never commit."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.dates import not_plausible_message, plausible
from fieldwork.core.errors import ServiceError
from fieldwork.core.forms import DATABASE_ID
from fieldwork.core.roles import Role
from fieldwork.db import add_or_take_existing, utcnow
from fieldwork.extensions import db
from fieldwork.partners.models import Organisation
from fieldwork.plans.indicators import baseline_value, is_known
from fieldwork.plans.models import (
    ACTION_STATUSES,
    PERIOD_KINDS,
    Action,
    ActionNote,
    Objective,
    Plan,
    PlanIndicator,
    Reaction,
    ResidentSummary,
    plan_neighbourhoods,
)
from fieldwork.reports.models import AttentionPoint

#: who may own an action (and then sees it under "Mijn acties")
OWNER_ROLES = (Role.COORDINATOR.value, Role.CONTACT_PERSON.value, Role.REFERRER.value)
MAX_MILESTONES = 20
INDICATOR_LIMIT = 1e9  # a target or baseline beyond it is a typing error (and unprintable)


class PlanError(ServiceError):
    pass


def _text(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def _dates(
    start: date | None, end: date | None, names: tuple[str, str] = ("starts_on", "ends_on")
) -> tuple[date, date]:
    """Both given, plausible, and the end not before the start; ``names``: the fields."""
    if start is None:
        raise PlanError(_("Give a start date."), names[0])
    if end is None:
        raise PlanError(_("Give an end date."), names[1])
    _sane(start, names[0])
    _sane(end, names[1])
    if end < start:
        raise PlanError(_("The end date comes before the start date."), names[1])
    return start, end


def _sane(day: date, field_name: str) -> None:
    if not plausible(day):
        raise PlanError(not_plausible_message(), field_name)


# --- plans -----------------------------------------------------------------------------------


@dataclass
class PlanData:
    title: str
    neighbourhood_ids: list[int]
    starts_on: date | None
    ends_on: date | None


def _hoods(municipality: Municipality, ids: list[int]) -> list[Neighbourhood]:
    if not ids:
        raise PlanError(_("Choose at least one neighbourhood."), "neighbourhoods")
    if any(not DATABASE_ID[0] <= i <= DATABASE_ID[1] for i in ids):  # 10**20 fits no column
        raise PlanError(_("Choose neighbourhoods of this municipality."), "neighbourhoods")
    hoods = list(
        db.session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.id.in_(set(ids)), Neighbourhood.municipality_id == municipality.id
            )
        )
    )
    if len(hoods) != len(set(ids)):
        raise PlanError(_("Choose neighbourhoods of this municipality."), "neighbourhoods")
    return hoods


def save_plan(municipality: Municipality, data: PlanData, by: User, plan: Plan | None) -> Plan:
    title = _text(data.title, 200)
    if not title:
        raise PlanError(_("Give the plan a title."), "title")
    starts_on, ends_on = _dates(data.starts_on, data.ends_on)
    hoods = _hoods(municipality, data.neighbourhood_ids)
    if plan is None:
        plan = Plan(municipality_id=municipality.id, created_by_id=by.id)
        db.session.add(plan)
    else:
        used = {o.neighbourhood_id for o in plan.objectives}
        if used - {h.id for h in hoods}:
            raise PlanError(
                _("A neighbourhood with objectives stays in the plan."), "neighbourhoods"
            )
    plan.title, plan.starts_on, plan.ends_on = title, starts_on, ends_on
    plan.neighbourhoods = hoods
    plan.updated_at = utcnow()
    db.session.flush()
    refuse_names_in_published(plan)
    return plan


def plans_of(municipality: Municipality | None = None) -> list[Plan]:
    query = select(Plan).order_by(Plan.starts_on.desc(), Plan.id.desc())
    if municipality is not None:
        query = query.where(Plan.municipality_id == municipality.id)
    return list(db.session.scalars(query))


def plans_for_neighbourhood(neighbourhood_id: int) -> list[Plan]:
    return list(
        db.session.scalars(
            select(Plan)
            .join(plan_neighbourhoods)
            .where(plan_neighbourhoods.c.neighbourhood_id == neighbourhood_id)
            .order_by(Plan.starts_on.desc(), Plan.id.desc())
        )
    )


def attention_point_choices(plan: Plan) -> list[AttentionPoint]:
    ids = [h.id for h in plan.neighbourhoods]
    return list(
        db.session.scalars(
            select(AttentionPoint)
            .where(AttentionPoint.neighbourhood_id.in_(ids))
            .order_by(AttentionPoint.neighbourhood_id, AttentionPoint.position, AttentionPoint.id)
        )
    )


def refuse_names_in_published(plan: Plan) -> None:
    """A published residents' summary must never name a resident: a change that would make
    it do so is refused (publishing checks the same, see the summary page)."""
    from fieldwork.plans.content import names_in, resident_names, residents_summary, summary_texts

    published = db.session.scalars(
        select(ResidentSummary).where(
            ResidentSummary.plan_id == plan.id, ResidentSummary.published_at.is_not(None)
        )
    ).all()
    residents = resident_names(plan.municipality_id) if published else []
    for summary in published:
        texts = summary_texts(residents_summary(plan, summary.neighbourhood))
        names = names_in(texts, plan.municipality_id, residents)
        if names:
            raise PlanError(
                _(
                    "The published residents' summary would name %(names)s: leave names out.",
                    names=", ".join(names),
                ),
                "_schema",
            )


# --- objectives ------------------------------------------------------------------------------


@dataclass
class ObjectiveData:
    title: str
    heard: str
    neighbourhood_id: int | None
    attention_point_id: int | None


def save_objective(plan: Plan, data: ObjectiveData, existing: Objective | None) -> Objective:
    point = None
    if data.attention_point_id:
        point = db.session.get(AttentionPoint, data.attention_point_id)
        if point is None or point.neighbourhood_id not in {h.id for h in plan.neighbourhoods}:
            raise PlanError(
                _("Choose an attention point of the plan's neighbourhoods."), "attention_point"
            )
    hood_id = point.neighbourhood_id if point is not None else data.neighbourhood_id
    if hood_id is None or hood_id not in {h.id for h in plan.neighbourhoods}:
        raise PlanError(_("Choose one of the plan's neighbourhoods."), "neighbourhood")
    title = _text(data.title, 200) or (point.title if point is not None else "")
    if not title:
        raise PlanError(_("Give the objective a title."), "title")
    objective = existing or Objective(plan_id=plan.id, position=len(plan.objectives))
    objective.title = title
    objective.heard = (data.heard or "").strip()[:2000] or (point.text if point else "")
    objective.neighbourhood_id = hood_id
    objective.attention_point_id = point.id if point is not None else None
    if existing is None:
        plan.objectives.append(objective)
    plan.updated_at = utcnow()
    db.session.flush()
    refuse_names_in_published(plan)
    return objective


# --- actions ---------------------------------------------------------------------------------


@dataclass
class ActionData:
    description: str
    starts_on: date | None
    ends_on: date | None
    partner_ids: list[int] = field(default_factory=list)
    partners_text: str = ""
    owner_id: int | None = None
    expected_output: str = ""
    milestones: list[dict[str, Any]] = field(default_factory=list)
    status: str = "planned"


def owner_choices() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(OWNER_ROLES), User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def partner_choices(municipality_id: int) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.municipality_id == municipality_id, Organisation.active.is_(True))
            .order_by(Organisation.name)
        )
    )


def _milestones(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items[: MAX_MILESTONES + 1]:
        on, text = item.get("on"), _text(item.get("text"), 200)
        if not isinstance(on, date) or not text:
            raise PlanError(_("A milestone needs a date and a description."), "milestones")
        _sane(on, "milestones")
        out.append({"on": on.isoformat(), "text": text})
    if len(out) > MAX_MILESTONES:
        raise PlanError(_("At most 20 milestones."), "milestones")
    return sorted(out, key=lambda m: str(m["on"]))


def save_action(objective: Objective, data: ActionData, existing: Action | None) -> Action:
    description = (data.description or "").strip()[:2000]
    if not description:
        raise PlanError(_("Describe the action."), "description")
    starts_on, ends_on = _dates(data.starts_on, data.ends_on)
    if data.status not in ACTION_STATUSES:
        raise PlanError(_("Choose a status from the list."), "status")
    owner = None
    if data.owner_id is not None:
        owner = db.session.get(User, data.owner_id)
        if owner is None or not owner.active or owner.role not in OWNER_ROLES:
            raise PlanError(
                _("Choose the owner among the coordinators, contact persons and partners."),
                "owner",
            )
    municipality_id = objective.plan.municipality_id
    partners = []
    if data.partner_ids:
        known = {o.id: o for o in partner_choices(municipality_id)}
        unknown = [i for i in data.partner_ids if i not in known]
        if unknown:
            raise PlanError(_("Unknown partner: choose one from the social map."), "partners")
        partners = [known[i] for i in dict.fromkeys(data.partner_ids)]
    milestones = _milestones(data.milestones)
    action = existing or Action(objective=objective)
    action.description = description
    action.starts_on, action.ends_on = starts_on, ends_on
    action.partners = partners
    action.partners_text = _text(data.partners_text, 300)
    action.owner_id = owner.id if owner else None
    action.expected_output = (data.expected_output or "").strip()[:2000]
    action.milestones = milestones
    action.status = data.status
    action.updated_at = utcnow()
    if existing is None:
        db.session.add(action)
    db.session.flush()
    refuse_names_in_published(objective.plan)
    return action


def may_follow(user: User, action: Action) -> bool:
    """Who may see an action and add progress notes: the coordinator and its owner."""
    return user.role == Role.COORDINATOR.value or action.owner_id == user.id


def add_note(action: Action, user: User, text: str, status: str | None = None) -> ActionNote:
    text = (text or "").strip()[:4000]
    if not text:
        raise PlanError(_("Write what happened."), "text")
    if status and status not in ACTION_STATUSES:
        raise PlanError(_("Choose a status from the list."), "status")
    revived = bool(status) and status != action.status
    if status:
        action.status = status
    note = ActionNote(action=action, author_id=user.id, text=text)
    action.updated_at = utcnow()
    db.session.add(note)
    db.session.flush()
    if revived:  # a dropped action is not in the summary; taken up again, it is
        refuse_names_in_published(action.objective.plan)
    return note


def my_actions(user: User) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action).where(Action.owner_id == user.id).order_by(Action.ends_on, Action.id)
        )
    )


# --- indicators ------------------------------------------------------------------------------


@dataclass
class IndicatorData:
    measure: str
    target: float | None
    neighbourhood_id: int | None = None
    period_kind: str = "quarter"
    baseline_from: date | None = None
    baseline_until: date | None = None
    baseline: float | None = None  # None: computed over the baseline window


def add_indicator(objective: Objective, data: IndicatorData) -> PlanIndicator:
    from fieldwork.plans.indicators import default_baseline_window

    hood_id = data.neighbourhood_id or objective.neighbourhood_id
    hood = db.session.get(Neighbourhood, hood_id)
    if hood is None or hood.id not in {h.id for h in objective.plan.neighbourhoods}:
        raise PlanError(_("Choose one of the plan's neighbourhoods."), "neighbourhood")
    if not is_known(data.measure, hood):
        raise PlanError(_("Choose an indicator from the list."), "measure")
    if data.target is None:
        raise PlanError(_("Give a target for the indicator."), "target")
    if not math.isfinite(data.target) or (
        data.baseline is not None and not math.isfinite(data.baseline)
    ):
        raise PlanError(_("Give the target and the baseline as numbers."), "target")
    for name, value in (("target", data.target), ("baseline", data.baseline)):
        if value is not None and abs(value) > INDICATOR_LIMIT:
            raise PlanError(_("Give a number between -1,000,000,000 and 1,000,000,000."), name)
    if data.period_kind not in PERIOD_KINDS:
        raise PlanError(_("Follow per month or per quarter."), "period_kind")
    start, end = default_baseline_window(objective.plan.starts_on)
    start, end = _dates(
        data.baseline_from or start,
        data.baseline_until or end,
        ("baseline_from", "baseline_until"),
    )
    baseline = data.baseline
    if baseline is None:
        computed = baseline_value(data.measure, hood, start, end)
        baseline = float(computed) if isinstance(computed, int | float) else None
    indicator = PlanIndicator(
        objective=objective,
        neighbourhood_id=hood.id,
        measure=data.measure,
        period_kind=data.period_kind,
        baseline_from=start,
        baseline_until=end,
        baseline=baseline,
        target=float(data.target),
    )
    db.session.add(indicator)
    db.session.flush()
    return indicator


# --- reactions and the residents' summary ----------------------------------------------------


def add_reaction(
    objective: Objective, met_on: date | None, meeting: str, text: str, people: int | None, by: User
) -> Reaction:
    if met_on is None:
        raise PlanError(_("Give the date of the meeting."), "met_on")
    _sane(met_on, "met_on")
    meeting = _text(meeting, 200)
    if not meeting:
        raise PlanError(_("Name the meeting."), "meeting")
    text = (text or "").strip()[:4000]
    if not text:
        raise PlanError(_("Write down what residents said."), "text")
    if people is None or people < 0 or people > 100000:
        raise PlanError(_("Give the number of people (0 or more)."), "people")
    reaction = Reaction(
        objective=objective,
        met_on=met_on,
        meeting=meeting,
        text=text,
        people=people,
        created_by_id=by.id,
    )
    db.session.add(reaction)
    db.session.flush()
    return reaction


def summary_for(plan: Plan, neighbourhood: Neighbourhood) -> ResidentSummary:
    """The neighbourhood's residents' summary, made on first use. Two first uses at once (a
    double click, two tabs): the second's insert clashes and it takes the first's."""
    query = select(ResidentSummary).where(
        ResidentSummary.plan_id == plan.id, ResidentSummary.neighbourhood_id == neighbourhood.id
    )
    found = db.session.scalar(query)
    if found is not None:
        return found
    made = ResidentSummary(
        plan_id=plan.id, neighbourhood_id=neighbourhood.id, token=secrets.token_urlsafe(32)
    )
    return add_or_take_existing(db.session, made, query)


def publish_summary(summary: ResidentSummary, by: User, published: bool) -> ResidentSummary:
    if published:
        summary.published_at, summary.published_by_id = utcnow(), by.id
    else:
        summary.published_at = None
        summary.token = secrets.token_urlsafe(32)  # a link once shared stops working
    db.session.flush()
    return summary


def published_summary(token: str) -> ResidentSummary | None:
    if not token or len(token) > 64:
        return None
    summary = db.session.scalar(select(ResidentSummary).where(ResidentSummary.token == token))
    return summary if summary is not None and summary.published_at is not None else None


Part = Objective | Action | PlanIndicator


def part_plan_id(part: Part) -> int:
    objective = part if isinstance(part, Objective) else part.objective
    return int(objective.plan_id)


def goes_with(part: Part) -> dict[str, int]:
    """What deleting ``part`` deletes with it (an objective: its actions, indicators and
    recorded reactions; an action: its progress notes)."""
    if isinstance(part, Objective):
        return {
            "actions": len(part.actions),
            "indicators": len(part.indicators),
            "reactions": len(part.reactions),
        }
    if isinstance(part, Action):
        return {"notes": len(part.notes)}
    return {}


_AUDITED_AS = {Objective: "plan_objective", Action: "plan_action", PlanIndicator: "plan_indicator"}


class PartGone(LookupError):
    """The part was deleted by another request meanwhile."""


def delete_part(part: Part) -> None:
    """Take a mistaken objective, action or indicator out of its plan, with what goes with
    it (:func:`goes_with`), audited as ``plan_<part>_deleted``. Printed plans already made
    keep what they showed. Flushes, never commits.

    Raises :class:`PartGone` when another request deleted it first: the row is locked before
    the delete, so of two coordinators deleting it at once the second waits, finds nothing
    and deletes and audits nothing."""
    model = type(part)
    if db.session.scalar(select(model.id).where(model.id == part.id).with_for_update()) is None:
        raise PartGone(f"{model.__name__} {part.id}")
    subject, part_id, plan_id = _AUDITED_AS[model], part.id, part_plan_id(part)
    db.session.delete(part)
    db.session.flush()
    record_audit(f"{subject}_deleted", subject, part_id, plan_id=plan_id)
