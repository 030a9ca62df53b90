"""The calling rules, as pure functions of plain values (property-tested): who may be called
now in a campaign, and when a good-morning call is due and given up — in Brussels time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fieldwork.db import BRUSSELS, local  # the Brussels clock; callers still import it from here

# the resident's own call-back time counts even outside the calling hours, for this long
CALL_BACK_GRACE = timedelta(hours=1)


def at_local(day: date, clock: time) -> datetime:
    """A Brussels wall-clock time on ``day``, in UTC (the offset of that day, DST included)."""
    return datetime.combine(day, clock, tzinfo=BRUSSELS).astimezone(UTC)


@dataclass(frozen=True)
class AttemptRules:
    max_attempts: int
    min_gap: timedelta
    hours_from: time
    hours_until: time

    def in_hours(self, now: datetime) -> bool:
        clock = local(now).time()
        return self.hours_from <= clock < self.hours_until


@dataclass(frozen=True)
class TargetState:
    status: str
    attempts: int  # unanswered attempts (no answer, voicemail)
    last_attempt_at: datetime | None
    call_back_at: datetime | None


def may_call(rules: AttemptRules, target: TargetState, now: datetime) -> bool:
    """Open, attempts left, the gap since the last attempt past, and inside the calling
    hours — or the moment the resident chose to be called back has come."""
    if target.status != "to_call" or target.attempts >= rules.max_attempts:
        return False
    if target.call_back_at is not None:
        return target.call_back_at <= now and (
            rules.in_hours(now) or now < target.call_back_at + CALL_BACK_GRACE
        )
    if target.last_attempt_at is not None and now < target.last_attempt_at + rules.min_gap:
        return False
    return rules.in_hours(now)


def after_attempt(
    rules: AttemptRules,
    target: TargetState,
    outcome: str,
    now: datetime,
    call_back_at: datetime | None = None,
) -> TargetState:
    """The target's state once an attempt with ``outcome`` is recorded at ``now``."""
    if outcome == "call_back_at":
        return TargetState("to_call", target.attempts, now, call_back_at)
    if outcome in ("no_answer", "voicemail"):
        attempts = target.attempts + 1
        status = "to_call" if attempts < rules.max_attempts else "unreachable"
        return TargetState(status, attempts, now, None)
    return TargetState(outcome, target.attempts, now, None)  # reached, refused, wrong_number


@dataclass(frozen=True)
class DailyCall:
    day: date
    due_at: datetime
    give_up_at: datetime


def calls_between(
    weekdays: list[int],
    window_from: time,
    window_until: time,
    retry: timedelta,
    max_retries: int,
    first: date,
    last: date,
    paused: tuple[date | None, date | None] = (None, None),
) -> list[DailyCall]:
    """The scheduled calls from ``first`` to ``last`` (inclusive): on the chosen weekdays,
    not in a pause; given up once the window closed and the retries after it ran out."""
    pause_from, pause_until = paused
    calls = []
    day = first
    while day <= last:
        in_pause = (
            pause_from is not None
            and pause_from <= day
            and (pause_until is None or day <= pause_until)
        )
        if day.weekday() in weekdays and not in_pause:
            closes = at_local(day, window_until)
            # a start the spring change skips (02:00-03:00) can map past the window's end
            due = min(at_local(day, window_from), closes)
            calls.append(DailyCall(day, due, closes + retry * max_retries))
        day += timedelta(days=1)
    return calls
