"""/api/v1/calls (the caller), /api/v1/call-campaigns and /api/v1/goodmorning-schedules (the
coordinator), /api/v1/alerts (the contact person)."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import Response, g
from flask_smorest import Blueprint, abort

from fieldwork.areas.services import get_municipality
from fieldwork.auth.models import User
from fieldwork.auth.services import find_user_by_email
from fieldwork.calls import goodmorning
from fieldwork.calls.campaigns import (
    CallError,
    Conversation,
    Criteria,
    campaign_progress,
    create_campaign,
    my_targets,
    previous_attempts,
    record_attempt,
    select_targets,
    share_out,
    target_for,
    tel_href,
)
from fieldwork.calls.models import Alert, CallCampaign, GoodMorningSchedule
from fieldwork.calls.rules import local
from fieldwork.calls.schemas import (
    AckInSchema,
    AlertSchema,
    AlertsSchema,
    CallCreatedSchema,
    CallInSchema,
    CampaignInSchema,
    CampaignSchema,
    MyCallsSchema,
    PauseInSchema,
    ScheduleInSchema,
    ScheduleSchema,
    SelectionInSchema,
    SelectionSchema,
    SharedOutSchema,
    ShareInSchema,
)
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.idempotency import KEY_PARAMETER, idempotent
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Resident

bp = Blueprint("api_calls", __name__, url_prefix="/api/v1", description="Calls")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
CALLERS = (Role.VOLUNTEER, Role.CONTACT_PERSON, Role.COORDINATOR)
STAFF = (Role.CONTACT_PERSON, Role.COORDINATOR)


@bp.get("/calls/my")
@api_roles(*CALLERS)
@bp.response(200, MyCallsSchema)
@bp.doc(security=BEARER)
def my_calls() -> dict[str, Any]:
    """My good-morning calls of today (those due first), then my campaign call list: those
    I may call now first (attempts left, gap passed, calling hours, call-backs due)."""
    user, now = g.api_user, utcnow()
    targets = my_targets(user, now)
    history = previous_attempts([t.id for t, _may in targets])
    calls = goodmorning.my_calls(user, now)
    record_audit(
        "call_list_viewed",
        "call_target",
        None,
        ids=[t.id for t, _m in targets],
        goodmorning=[c.id for c, _d in calls],
    )
    db.session.commit()
    return {
        "goodmorning": [
            {
                "id": c.id,
                "name": c.schedule.resident.name,
                "phone": c.schedule.resident.phone,
                "tel": tel_href(c.schedule.resident.phone or ""),
                "day": c.day,
                "next_try_at": c.next_try_at,
                "attempts": c.attempts,
                "time_now": due,
            }
            for c, due in calls
        ],
        "campaign": [
            {
                "id": t.id,
                "campaign": t.campaign,
                "name": t.name,
                "phone": t.phone,
                "tel": tel_href(t.phone),
                "street": t.street,
                "house_number": t.house_number,
                "birth_year": t.birth_year,
                "attempts": t.attempts,
                "call_back_at": t.call_back_at,
                "may_call_now": may,
                "previous": history.get(t.id, []),
                "guide": t.campaign.guide,
                "consent_text": t.campaign.consent_text.text if t.campaign.consent_text else "",
            }
            for t, may in targets
        ],
    }


@bp.post("/calls")
@api_roles(*CALLERS)
@bp.arguments(CallInSchema)
@bp.response(201, CallCreatedSchema)
@bp.doc(
    security=BEARER,
    parameters=[KEY_PARAMETER],
)
def post_call(payload: dict[str, Any]) -> Response:
    """One call attempt with its answers. Send an Idempotency-Key: an attempt sent twice
    from a flaky phone is stored once."""
    user = g.api_user

    def create() -> tuple[dict[str, Any], int]:
        try:
            if payload["kind"] == "goodmorning":
                call = goodmorning.call_for(user, payload["id"], lock=True)
                goodmorning.record_call(call, user, payload["outcome"], payload["note"])
                record_audit(
                    "goodmorning_call_recorded",
                    "goodmorning_call",
                    call.id,
                    outcome=payload["outcome"],
                )
                return {
                    "id": call.id,
                    "kind": "goodmorning",
                    "status": call.status,
                    "attempts": call.attempts,
                    "signals": 0,
                }, 201
            target = target_for(user, payload["id"], lock=True)
            talk = Conversation(
                **{
                    key: payload[key]
                    for key in (
                        "outcome",
                        "call_back_at",
                        "answers",
                        "themes",
                        "wants_regular_calls",
                        "wants_contact",
                        "consent_given",
                        "urgent",
                        "note",
                    )
                }
            )
            attempt, signals = record_attempt(target, user, talk)
        except CallError as exc:
            refuse(exc)
        record_audit("call_recorded", "call_target", target.id, outcome=attempt.outcome)
        return {
            "id": target.id,
            "kind": "campaign",
            "status": target.status,
            "attempts": target.attempts,
            "signals": signals,
        }, 201

    return idempotent(user.id, payload, create)


def _users(emails: list[str]) -> list[User]:
    users = [find_user_by_email(email) for email in emails]
    if any(user is None for user in users):
        abort(422, message="Unknown account.", errors={"callers": ["No such account."]})
    return [user for user in users if user is not None]


def campaign_body(campaign: CallCampaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "municipality": campaign.municipality.name,
        "neighbourhoods": [n.name for n in campaign.neighbourhoods],
        "guide": campaign.guide,
        "callers": [u.email for u in campaign.callers],
        "max_attempts": campaign.max_attempts,
        "min_gap_minutes": campaign.min_gap_minutes,
        "hours_from": campaign.hours_from,
        "hours_until": campaign.hours_until,
        "consent_text": campaign.consent_text.text if campaign.consent_text else "",
        "consent_text_version": campaign.consent_text.version if campaign.consent_text else None,
        "progress": campaign_progress(campaign),
    }


def _campaign_or_404(campaign_id: int) -> CallCampaign:
    campaign = db.session.get(CallCampaign, campaign_id)
    if campaign is None:
        abort(404, message="No such campaign.")
    return campaign


@bp.post("/call-campaigns")
@api_roles(Role.COORDINATOR)
@bp.arguments(CampaignInSchema)
@bp.response(201, CampaignSchema)
@bp.doc(security=BEARER)
def post_campaign(payload: dict[str, Any]) -> dict[str, Any]:
    """A call campaign: neighbourhoods, conversation guide (questions with options are
    multiple choice), callers, attempt rules and the verbal consent wording."""
    municipality = get_municipality(payload["gemeente"])
    if municipality is None:
        abort(
            422,
            message="This municipality has not been imported.",
            errors={"gemeente": ["Not imported."]},
        )
    guide = [
        {
            "key": f"q{i}",
            "text": q["text"].strip(),
            "kind": "choice" if q["options"] else "text",
            "options": [o.strip() for o in q["options"]],
        }
        for i, q in enumerate(payload["guide"], start=1)
    ]
    try:
        campaign = create_campaign(
            municipality,
            payload["name"],
            payload["neighbourhoods"],
            guide,
            [u.id for u in _users(payload.get("callers") or [])],
            payload["max_attempts"],
            payload["min_gap_minutes"],
            payload["hours_from"] or time(10),
            payload["hours_until"] or time(19),
            payload["consent_text"],
            g.api_user,
        )
    except CallError as exc:
        refuse(exc)
    record_audit("call_campaign_created", "call_campaign", campaign.id)
    db.session.commit()
    return campaign_body(campaign)


@bp.get("/call-campaigns/<int:campaign_id>")
@api_roles(Role.COORDINATOR)
@bp.response(200, CampaignSchema)
@bp.doc(security=BEARER)
def get_campaign(campaign_id: int) -> dict[str, Any]:
    """A campaign with its progress per neighbourhood and per caller."""
    return campaign_body(_campaign_or_404(campaign_id))


@bp.post("/call-campaigns/<int:campaign_id>/selection")
@api_roles(Role.COORDINATOR)
@bp.arguments(SelectionInSchema)
@bp.response(200, SelectionSchema)
@bp.doc(security=BEARER)
def post_selection(payload: dict[str, Any], campaign_id: int) -> Any:
    """Add the people of the campaign's neighbourhoods (or of the ``neighbourhoods`` given)
    aged ``min_age`` to ``max_age`` — first the campaign's own imported list, then the people
    already known (residents, and the visit rounds' population-register lists), who are
    left out when ``living_alone`` is yes (no list says it of them). Without a phone number
    they are counted, not listed."""
    campaign = _campaign_or_404(campaign_id)
    try:
        criteria = Criteria(
            min_age=payload["min_age"],
            max_age=payload["max_age"],
            living_alone=payload["living_alone"],
            neighbourhood_ids=tuple(payload["neighbourhoods"]),
        )
        result = select_targets(campaign, criteria, local(utcnow()).year)
    except CallError as exc:
        refuse(exc)
    record_audit("call_targets_selected", "call_campaign", campaign.id, added=result.added)
    db.session.commit()
    return result


@bp.post("/call-campaigns/<int:campaign_id>/assignments")
@api_roles(Role.COORDINATOR)
@bp.arguments(ShareInSchema)
@bp.response(200, SharedOutSchema)
@bp.doc(security=BEARER)
def post_assignments(payload: dict[str, Any], campaign_id: int) -> dict[str, int]:
    """Share the unassigned people (of one neighbourhood, or all) among these callers."""
    campaign = _campaign_or_404(campaign_id)
    try:
        count = share_out(
            campaign, [u.id for u in _users(payload["callers"])], payload["neighbourhood"]
        )
    except CallError as exc:
        refuse(exc)
    record_audit("call_targets_assigned", "call_campaign", campaign.id, count=count)
    db.session.commit()
    return {"assigned": count}


def schedule_body(schedule: GoodMorningSchedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "resident_id": schedule.resident_id,
        "weekdays": schedule.weekdays,
        "window_from": schedule.window_from,
        "window_until": schedule.window_until,
        "retry_minutes": schedule.retry_minutes,
        "max_retries": schedule.max_retries,
        "starts_on": schedule.starts_on,
        "state": goodmorning.state_label(schedule, local(utcnow()).date()),
        "paused_from": schedule.paused_from,
        "paused_until": schedule.paused_until,
        "callers": [u.email for u in schedule.callers],
        "handler": schedule.handler.email if schedule.handler else None,
        "escalation": {
            "name": schedule.escalation_name,
            "phone": schedule.escalation_phone,
            "relation": schedule.escalation_relation,
        },
    }


def _schedule_or_404(schedule_id: int) -> GoodMorningSchedule:
    schedule = db.session.get(GoodMorningSchedule, schedule_id)
    if schedule is None:
        abort(404, message="No such good-morning call.")
    return schedule


@bp.post("/goodmorning-schedules")
@api_roles(*STAFF)
@bp.arguments(ScheduleInSchema)
@bp.response(201, ScheduleSchema)
@bp.doc(
    security=BEARER,
    parameters=[KEY_PARAMETER],
)
def post_schedule(payload: dict[str, Any]) -> Response:
    """A good-morning call for a resident: the days and time window they chose, callers,
    the person to warn (with their consent) and the contact person who handles alerts. A
    resident has one at a time (409); with an Idempotency-Key a resend answers as the first."""
    user = g.api_user

    def create() -> tuple[dict[str, Any], int]:
        resident = db.session.get(Resident, payload["resident_id"])
        if resident is None:
            abort(422, message="No such resident.", errors={"resident_id": ["Not found."]})
        try:
            schedule = goodmorning.create_schedule(
                resident,
                payload["weekdays"],
                payload["window_from"],
                payload["window_until"],
                [u.id for u in _users(payload["callers"])],
                goodmorning.Escalation(**payload["escalation"]),
                find_user_by_email(payload["handler"]),
                user,
                payload["resident_consent"],
                payload["retry_minutes"],
                payload["max_retries"],
                payload["starts_on"],
            )
        except CallError as exc:
            refuse(exc)
        record_audit("goodmorning_schedule_created", "resident", resident.id, schedule=schedule.id)
        return ScheduleSchema().dump(schedule_body(schedule)), 201

    return idempotent(user.id, payload, create)


@bp.get("/goodmorning-schedules/<int:schedule_id>")
@api_roles(*STAFF)
@bp.response(200, ScheduleSchema)
@bp.doc(security=BEARER)
def get_schedule(schedule_id: int) -> dict[str, Any]:
    schedule = _schedule_or_404(schedule_id)
    record_audit("goodmorning_schedule_viewed", "resident", schedule.resident_id)
    db.session.commit()
    return schedule_body(schedule)


@bp.post("/goodmorning-schedules/<int:schedule_id>/pause")
@api_roles(*STAFF)
@bp.arguments(PauseInSchema)
@bp.response(200, ScheduleSchema)
@bp.doc(security=BEARER)
def post_pause(payload: dict[str, Any], schedule_id: int) -> dict[str, Any]:
    """No calls from `paused_from` to `paused_until` (or until resumed)."""
    schedule = _schedule_or_404(schedule_id)
    try:
        goodmorning.pause(
            schedule, payload["paused_from"], payload["paused_until"], payload["reason"]
        )
    except CallError as exc:
        refuse(exc)
    record_audit("goodmorning_paused", "resident", schedule.resident_id)
    db.session.commit()
    return schedule_body(schedule)


@bp.post("/goodmorning-schedules/<int:schedule_id>/resume")
@api_roles(*STAFF)
@bp.response(200, ScheduleSchema)
@bp.doc(security=BEARER)
def post_resume(schedule_id: int) -> dict[str, Any]:
    schedule = _schedule_or_404(schedule_id)
    goodmorning.resume(schedule)
    record_audit("goodmorning_resumed", "resident", schedule.resident_id)
    db.session.commit()
    return schedule_body(schedule)


@bp.post("/goodmorning-schedules/<int:schedule_id>/stop")
@api_roles(*STAFF)
@bp.response(200, ScheduleSchema)
@bp.doc(security=BEARER)
def post_stop(schedule_id: int) -> dict[str, Any]:
    schedule = _schedule_or_404(schedule_id)
    goodmorning.stop(schedule)
    record_audit("goodmorning_stopped", "resident", schedule.resident_id)
    db.session.commit()
    return schedule_body(schedule)


@bp.get("/alerts")
@api_roles(*STAFF)
@bp.response(200, AlertsSchema)
@bp.doc(security=BEARER)
def get_alerts() -> dict[str, Any]:
    """Open alerts I handle (a coordinator: all)."""
    alerts = goodmorning.open_alerts(g.api_user)
    record_audit("alerts_viewed", "alert", None, ids=[a.id for a in alerts])
    db.session.commit()
    return {"items": [goodmorning.alert_body(a) for a in alerts]}


@bp.post("/alerts/<int:alert_id>/ack")
@api_roles(*STAFF)
@bp.arguments(AckInSchema)
@bp.response(200, AlertSchema)
@bp.doc(security=BEARER)
def post_ack(payload: dict[str, Any], alert_id: int) -> dict[str, Any]:
    """Acknowledge an alert: I am on it. Acknowledging twice changes nothing."""
    alert = db.session.get(Alert, alert_id, with_for_update=True)
    if alert is None or not goodmorning.may_see_alert(g.api_user, alert):
        abort(404, message="No such alert.")
    goodmorning.acknowledge(alert, g.api_user, payload["note"])
    record_audit("alert_acknowledged", "alert", alert.id)
    db.session.commit()
    return goodmorning.alert_body(alert)
