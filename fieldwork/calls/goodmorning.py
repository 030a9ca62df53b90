"""The good-morning call (goeiemorgen-telefoon): a resident's schedule, each day's call (made
by the periodic tick, which also catches up after downtime), retries, and exactly one alert
per missed day to the contact person on duty. Flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from fieldwork.auth.models import User
from fieldwork.calls.campaigns import CallError, check_callers, count_my_targets
from fieldwork.calls.models import (
    ESCALATION_RELATIONS,
    GOODMORNING_OUTCOMES,
    Alert,
    CallAttempt,
    GoodMorningCall,
    GoodMorningSchedule,
    goodmorning_callers,
)
from fieldwork.calls.rules import calls_between, local
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.services import notify
from fieldwork.routing.services import default_coordinator, present_or_deputy
from fieldwork.signals.models import Consent, Resident

# how far back the tick looks for days it has not seen (a worker down over a long weekend)
CATCH_UP_DAYS = 7


@dataclass
class Escalation:
    name: str
    phone: str
    relation: str
    consent_given: bool


def _check_schedule(
    weekdays: list[int], window_from: time, window_until: time, retry_minutes: int, max_retries: int
) -> list[int]:
    days = sorted(set(weekdays))
    if not days or any(d not in range(7) for d in days):
        raise CallError(_("Choose one or more days."), "weekdays")
    if window_from >= window_until:
        raise CallError(_("The time window ends before it starts."), "window_until")
    if not 5 <= retry_minutes <= 120:
        raise CallError(_("Call again after 5 to 120 minutes."), "retry_minutes")
    if not 0 <= max_retries <= 5:
        raise CallError(_("At most 5 retries."), "max_retries")
    return days


def create_schedule(
    resident: Resident,
    weekdays: list[int],
    window_from: time,
    window_until: time,
    caller_ids: list[int],
    escalation: Escalation,
    handler: User | None,
    by: User | None,
    resident_consent: bool,
    retry_minutes: int = 15,
    max_retries: int = 2,
    starts_on: date | None = None,
    source_attempt_id: int | None = None,
    now: datetime | None = None,
) -> GoodMorningSchedule:
    now = now or utcnow()
    days = _check_schedule(weekdays, window_from, window_until, retry_minutes, max_retries)
    if not resident_consent:
        raise CallError(_("The resident must agree to the regular calls."), "consent")
    # called twice a morning: two staff members (or a double tap) at once wait here, in turn
    db.session.execute(
        select(Resident.id).where(Resident.id == resident.id).with_for_update(key_share=True)
    )
    taken = db.session.scalars(
        select(GoodMorningSchedule.weekdays).where(
            GoodMorningSchedule.resident_id == resident.id,
            GoodMorningSchedule.stopped_at.is_(None),
        )
    )
    if any(set(weekdays_taken) & set(days) for weekdays_taken in taken):
        raise CallError(
            _("This resident has good-morning calls on these days already: change that schedule."),
            "resident_id",
            409,
        )
    callers = check_callers(caller_ids)
    if not callers:
        raise CallError(_("Choose at least one caller."), "callers")
    if escalation.relation not in ESCALATION_RELATIONS:
        raise CallError(_("Choose who is called when nobody answers."), "escalation_relation")
    if not escalation.name.strip() or not escalation.phone.strip():
        raise CallError(
            _("Give the name and phone number of the person to warn."), "escalation_phone"
        )
    if escalation.relation != "contact_person" and not escalation.consent_given:
        raise CallError(_("The person to warn must agree to that role."), "escalation_consent")
    if (
        handler is None
        or not handler.active
        or handler.role not in ("contact_person", "coordinator")
    ):
        raise CallError(_("Choose the contact person who handles alerts."), "handler")
    today = local(now).date()
    if starts_on is None:  # today's window already closed: from tomorrow
        starts_on = today if local(now).time() < window_until else today + timedelta(days=1)
    recorder = by.id if by else None
    consent = Consent(
        resident_id=resident.id, purpose="goodmorning", method="verbal", recorded_by_id=recorder
    )
    db.session.add(consent)
    escalation_consent = None
    if escalation.relation != "contact_person":
        escalation_consent = Consent(
            resident_id=resident.id,
            purpose="escalation_contact",
            method="verbal",
            reference=escalation.name.strip()[:120],
            recorded_by_id=recorder,
        )
        db.session.add(escalation_consent)
    schedule = GoodMorningSchedule(
        resident_id=resident.id,
        weekdays=days,
        window_from=window_from,
        window_until=window_until,
        retry_minutes=retry_minutes,
        max_retries=max_retries,
        starts_on=max(starts_on, today),
        escalation_name=escalation.name.strip()[:200],
        escalation_phone=escalation.phone.strip()[:40],
        escalation_relation=escalation.relation,
        consent=consent,
        escalation_consent=escalation_consent,
        handler_id=handler.id,
        source_attempt_id=source_attempt_id,
        created_by_id=recorder,
        callers=callers,
    )
    db.session.add(schedule)
    db.session.flush()
    return schedule


def _cancel_open_calls(
    schedule: GoodMorningSchedule, first: date, last: date | None = None
) -> None:
    query = select(GoodMorningCall).where(
        GoodMorningCall.schedule_id == schedule.id,
        GoodMorningCall.status == "open",
        GoodMorningCall.day >= first,
    )
    if last is not None:
        query = query.where(GoodMorningCall.day <= last)
    for call in db.session.scalars(query.with_for_update()):
        call.status = "skipped"


def pause(
    schedule: GoodMorningSchedule,
    first: date,
    last: date | None,
    reason: str,
    now: datetime | None = None,
) -> None:
    """No calls from ``first`` to ``last`` (or until resumed): a holiday, a hospital stay."""
    today = local(now or utcnow()).date()
    if schedule.stopped_at is not None:
        raise CallError(_("This good-morning call was stopped."), "status", 409)
    if first < today:
        raise CallError(_("A pause cannot start in the past."), "paused_from")
    if last is not None and last < first:
        raise CallError(_("The pause ends before it starts."), "paused_until")
    _keep_past_pause(schedule, today)
    schedule.paused_from, schedule.paused_until = first, last
    schedule.pause_reason = reason.strip()[:120]
    _cancel_open_calls(schedule, first, last)
    db.session.flush()


def _keep_past_pause(schedule: GoodMorningSchedule, today: date) -> None:
    """Before a new pause replaces one that (partly) passed: its past days get a skipped
    call, else the tick's catch-up (CATCH_UP_DAYS back) makes them and alerts them."""
    if schedule.paused_from is None or schedule.paused_from >= today:
        return
    last = today - timedelta(days=1)
    if schedule.paused_until is not None:
        last = min(last, schedule.paused_until)
    first = max(schedule.paused_from, schedule.starts_on, today - timedelta(days=CATCH_UP_DAYS))
    made = set(
        db.session.scalars(
            select(GoodMorningCall.day).where(
                GoodMorningCall.schedule_id == schedule.id, GoodMorningCall.day >= first
            )
        )
    )
    for planned in calls_between(
        schedule.weekdays,
        schedule.window_from,
        schedule.window_until,
        timedelta(minutes=schedule.retry_minutes),
        schedule.max_retries,
        first,
        last,
    ):
        if planned.day not in made:
            db.session.add(
                GoodMorningCall(
                    schedule_id=schedule.id,
                    day=planned.day,
                    due_at=planned.due_at,
                    next_try_at=planned.due_at,
                    give_up_at=planned.give_up_at,
                    status="skipped",
                )
            )


def resume(schedule: GoodMorningSchedule, now: datetime | None = None) -> None:
    """Calls again from today (today's call is made by the next tick) — from tomorrow when
    today's window is over, as for a new schedule: no alert for a call nobody was to make."""
    now = now or utcnow()
    today = local(now).date()
    restart = today if local(now).time() < schedule.window_until else today + timedelta(days=1)
    if schedule.paused_from is not None and schedule.paused_from < restart:
        if schedule.paused_until is None or schedule.paused_until >= restart:
            schedule.paused_until = restart - timedelta(days=1)  # the past pause stays true
    else:
        schedule.paused_from = schedule.paused_until = None
    schedule.pause_reason = ""
    if schedule.stopped_at is None:  # today's call, skipped by a pause from today: back
        for call in db.session.scalars(
            select(GoodMorningCall)
            .where(
                GoodMorningCall.schedule_id == schedule.id,
                GoodMorningCall.status == "skipped",
                GoodMorningCall.day >= restart,
            )
            .with_for_update()
        ):
            call.status = "open"
    db.session.flush()


def stop(schedule: GoodMorningSchedule, now: datetime | None = None) -> None:
    now = now or utcnow()
    if schedule.stopped_at is None:
        schedule.stopped_at = now
        _cancel_open_calls(schedule, local(now).date())
    db.session.flush()


def state_label(schedule: GoodMorningSchedule, today: date) -> str:
    if schedule.stopped_at is not None:
        return "stopped"
    if (
        schedule.paused_from is not None
        and schedule.paused_from <= today
        and (schedule.paused_until is None or today <= schedule.paused_until)
    ):
        return "paused"
    return "active"


def make_calls(now: datetime) -> int:
    """Create every scheduled call from CATCH_UP_DAYS ago up to today that does not exist
    yet. Idempotent: the unique (schedule, day) keeps a concurrent tick from doubling."""
    today = local(now).date()
    first = today - timedelta(days=CATCH_UP_DAYS)
    made = 0
    schedules = list(
        db.session.scalars(
            select(GoodMorningSchedule).where(
                GoodMorningSchedule.stopped_at.is_(None), GoodMorningSchedule.starts_on <= today
            )
        )
    )
    existing = {
        (s, d)
        for s, d in db.session.execute(
            select(GoodMorningCall.schedule_id, GoodMorningCall.day).where(
                GoodMorningCall.day >= first
            )
        )
    }
    for schedule in schedules:
        start = max(first, schedule.starts_on)
        for planned in calls_between(
            schedule.weekdays,
            schedule.window_from,
            schedule.window_until,
            timedelta(minutes=schedule.retry_minutes),
            schedule.max_retries,
            start,
            today,
            (schedule.paused_from, schedule.paused_until),
        ):
            if (schedule.id, planned.day) in existing:
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(
                        GoodMorningCall(
                            schedule_id=schedule.id,
                            day=planned.day,
                            due_at=planned.due_at,
                            next_try_at=planned.due_at,
                            give_up_at=planned.give_up_at,
                        )
                    )
                made += 1
            except IntegrityError:  # another tick made it a moment ago
                pass
    return made


def raise_alert(call: GoodMorningCall, reason: str, now: datetime) -> Alert | None:
    """Once per call (the call is locked, and the alert is unique per call): the contact
    person on duty — the handler or their deputy, else a coordinator — is notified."""
    if call.status not in ("open",):
        return None
    schedule = call.schedule
    handler: User | None = None
    if schedule.handler is not None and schedule.handler.active:
        handler, _note = present_or_deputy(schedule.handler, local(now).date())
    handler = handler or default_coordinator()
    call.status = "alerted"
    alert = Alert(
        goodmorning_call_id=call.id,
        reason=reason,
        handler_id=handler.id if handler else None,
        created_at=now,
    )
    db.session.add(alert)
    db.session.flush()
    if handler is not None:
        # no names in the message: it may travel by e-mail
        notify(
            handler,
            "alert",
            f"alert:{alert.id}",
            _("Good-morning call: nobody answered (alert %(id)d)", id=alert.id),
            _(
                "A resident on the good-morning call was not reached on %(day)s. Open the "
                "alert in fieldwork: it shows whom to call (the person to warn) and lets "
                "you acknowledge it.",
                day=call.day.strftime("%d/%m/%Y"),
            ),
        )
    return alert


def escalate_missed(now: datetime) -> int:
    """Alert every open call whose window and retries ran out: nobody answered, or nobody
    called (the worker or the caller was not there) — never silently nothing."""
    raised = 0
    due = list(
        db.session.scalars(
            select(GoodMorningCall.id).where(
                GoodMorningCall.status == "open", GoodMorningCall.give_up_at <= now
            )
        )
    )
    for call_id in due:
        call = db.session.get(
            GoodMorningCall, call_id, with_for_update=True, populate_existing=True
        )
        if call is not None and raise_alert(
            call, "no_answer" if call.attempts else "not_called", now
        ):
            raised += 1
    return raised


def tick(now: datetime | None = None) -> dict[str, int]:
    """The periodic work (Celery beat every minute, on worker start, or `tasks tick`)."""
    now = now or utcnow()
    made = make_calls(now)
    db.session.flush()
    return {"calls_made": made, "alerts": escalate_missed(now)}


def my_calls(user: User, now: datetime | None = None) -> list[tuple[GoodMorningCall, bool]]:
    """My open good-morning calls up to today, each with whether it is time now."""
    now = now or utcnow()
    calls = db.session.scalars(
        select(GoodMorningCall)
        .join(GoodMorningSchedule)
        .join(goodmorning_callers, goodmorning_callers.c.schedule_id == GoodMorningSchedule.id)
        .where(
            goodmorning_callers.c.user_id == user.id,
            GoodMorningCall.status == "open",
            GoodMorningCall.day <= local(now).date(),
            GoodMorningSchedule.stopped_at.is_(None),
        )
        .order_by(GoodMorningCall.next_try_at, GoodMorningCall.id)
    )
    return [(call, call.next_try_at <= now) for call in calls]


def call_for(user: User, call_id: int, lock: bool = False) -> GoodMorningCall:
    query = (
        select(GoodMorningCall)
        .join(GoodMorningSchedule)
        .join(goodmorning_callers, goodmorning_callers.c.schedule_id == GoodMorningSchedule.id)
        .where(
            GoodMorningCall.id == call_id,
            goodmorning_callers.c.user_id == user.id,
            or_(GoodMorningCall.status == "open", GoodMorningCall.status == "alerted"),
        )
    )
    if lock:
        query = query.with_for_update(of=GoodMorningCall).execution_options(populate_existing=True)
    call = db.session.scalar(query)
    if call is None:
        raise CallError(_("This call is not on your list."), "call_id", 404)
    return call


def record_call(
    call: GoodMorningCall, caller: User, outcome: str, note: str = "", now: datetime | None = None
) -> CallAttempt:
    """One try of a (locked) good-morning call. Not reached: again after the retry gap;
    after the last retry, or a wrong number, the alert. Reached after an alert: the call is
    marked reached, the alert stays for the contact person to acknowledge."""
    now = now or utcnow()
    if outcome not in GOODMORNING_OUTCOMES:
        raise CallError(_("Choose how the call went."), "outcome")
    if call.status == "alerted" and outcome != "reached":
        raise CallError(_("The alert for this call has gone out already."), "outcome", 409)
    attempt = CallAttempt(
        goodmorning_call_id=call.id,
        caller_id=caller.id,
        outcome=outcome,
        note=note.strip()[:500],
        created_at=now,
    )
    db.session.add(attempt)
    schedule = call.schedule
    if outcome == "reached":
        call.status = "reached"
    elif outcome == "wrong_number":
        call.attempts += 1
        raise_alert(call, "wrong_number", now)
    else:
        call.attempts += 1
        if call.attempts > schedule.max_retries:
            raise_alert(call, "no_answer", now)
        else:
            call.next_try_at = now + timedelta(minutes=schedule.retry_minutes)
    db.session.flush()
    return attempt


def acknowledge(alert: Alert, by: User, note: str = "", now: datetime | None = None) -> Alert:
    """Mark an alert handled; a second tap changes nothing."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now or utcnow()
        alert.acknowledged_by_id = by.id
        alert.ack_note = note.strip()[:2000]
        db.session.flush()
    return alert


def may_see_alert(user: User, alert: Alert) -> bool:
    return (
        user.role == "coordinator"
        or alert.handler_id == user.id
        or (alert.call.schedule.handler_id == user.id)
    )


def open_alerts(user: User) -> list[Alert]:
    query = select(Alert).where(Alert.acknowledged_at.is_(None)).order_by(Alert.id)
    if user.role != "coordinator":
        query = (
            query.join(GoodMorningCall)
            .join(GoodMorningSchedule)
            .where(or_(Alert.handler_id == user.id, GoodMorningSchedule.handler_id == user.id))
        )
    return list(db.session.scalars(query))


def alert_body(alert: Alert) -> dict[str, Any]:
    schedule = alert.call.schedule
    return {
        "id": alert.id,
        "reason": alert.reason,
        "day": alert.call.day,
        "created_at": alert.created_at,
        "attempts": alert.call.attempts,
        "reached_later": alert.call.status == "reached",
        "resident": {"name": schedule.resident.name, "phone": schedule.resident.phone},
        "escalation": {
            "name": schedule.escalation_name,
            "phone": schedule.escalation_phone,
            "relation": schedule.escalation_relation,
        },
        "handler": alert.handler.display_name if alert.handler else None,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by.display_name if alert.acknowledged_by else None,
        "note": alert.ack_note,
    }


def count_my_calls(user: User) -> int:
    """Open campaign targets and today's open good-morning calls of this caller."""
    return count_my_targets(user) + len(my_calls(user))
