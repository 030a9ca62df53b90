"""The good-morning call (goeiemorgen-telefoon): each day's call on the chosen weekdays in
Brussels time (DST included), retries, exactly one alert per missed day, the catch-up after
worker downtime (also when a real worker starts), pause / resume / stop, the alert
acknowledgement and the role and validation checks of the API.

Time is frozen by passing ``now=`` to the services. Both paths (SQLite with eager tasks,
PostgreSQL + Redis with the real worker); the integration test starts a second worker."""

from __future__ import annotations

import re
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.calls import goodmorning
from fieldwork.calls.campaigns import CallError
from fieldwork.calls.models import Alert, CallAttempt, GoodMorningCall, GoodMorningSchedule
from fieldwork.calls.rules import BRUSSELS, at_local, calls_between, local
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from fieldwork.notifications.services import inbox
from fieldwork.routing.models import Absence
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import Consent, Resident
from tests.conftest import (
    ROOT,
    SESSION_ID,
    WORKER_LOG,
    api_token,
    bearer,
    csrf_from,
    import_areas,
    login,
    make_user,
    start_worker,
    stop_worker,
)

T = TypeVar("T")
ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]
NINE, TEN = time(9, 0), time(10, 0)
NEIGHBOUR = goodmorning.Escalation(
    name="Rita Buur", phone="0470 11 22 33", relation="neighbour", consent_given=True
)
STARTUP_TICK = re.compile(rb"Task calls\.goodmorning_tick\[[^\]]+\] succeeded")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def wait_for(check: Callable[[], T], what: str, timeout: float = 60.0) -> T:
    """Poll until ``check()`` is truthy (a real worker works on its own time)."""
    deadline = clock.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if clock.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        clock.sleep(0.2)


# --- set-up -------------------------------------------------------------------------------


def make_people(app: Any) -> dict[str, int]:
    """A coordinator, two contact persons (An handles the alerts), two volunteers (Maria
    calls) and a resident with a phone number in Dadizele."""
    import_areas(app, "36012")
    ids = {
        "coordinator": make_user(app, "coordinator"),
        "an": make_user(app, "contact_person", email="an@example.be", name="An Peeters"),
        "bert": make_user(app, "contact_person", email="bert@example.be", name="Bert Maes"),
        "maria": make_user(app, "volunteer", email="maria@example.be", name="Maria V."),
        "jef": make_user(app, "volunteer", email="jef@example.be", name="Jef D."),
    }
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        resident = Resident(
            municipality_id=dadizele.municipality_id,
            name="Godelieve Vanneste",
            name_key=name_key("Godelieve Vanneste"),
            street="Dadizeleplaats",
            house_number="3",
            postcode="8890",
            address_key=address_key("Dadizeleplaats", "3", "8890"),
            birth_year=1936,
            phone="051 77 88 99",
            neighbourhood_id=dadizele.id,
        )
        db.session.add(resident)
        db.session.commit()
        ids["resident"] = resident.id
    return ids


def wait_for_worker_start_up_tick() -> None:
    """The session worker sends itself one good-morning tick when it starts (with the real
    clock). Let it pass before the test's schedules exist, so it cannot touch them."""
    wait_for(
        lambda: WORKER_LOG.exists() and STARTUP_TICK.search(WORKER_LOG.read_bytes()),
        "the worker's start-up tick",
    )


@pytest.fixture
def people(app: Any, request: pytest.FixtureRequest) -> dict[str, int]:
    if app.config.get("REDIS_URL"):  # the real worker sends the alert e-mails
        request.getfixturevalue("celery_worker")
        wait_for_worker_start_up_tick()
    return make_people(app)


def new_schedule(
    app: Any,
    ids: dict[str, int],
    now: datetime,
    weekdays: list[int] = ALL_DAYS,
    window: tuple[time, time] = (NINE, TEN),
    retry_minutes: int = 15,
    max_retries: int = 2,
    handler: str = "an",
) -> int:
    with app.app_context():
        schedule = goodmorning.create_schedule(
            db.session.get_one(Resident, ids["resident"]),
            weekdays,
            window[0],
            window[1],
            [ids["maria"]],
            NEIGHBOUR,
            db.session.get(User, ids[handler]),
            db.session.get(User, ids["coordinator"]),
            resident_consent=True,
            retry_minutes=retry_minutes,
            max_retries=max_retries,
            now=now,
        )
        db.session.commit()
        return schedule.id


def tick(app: Any, now: datetime) -> dict[str, int]:
    with app.app_context():
        counts = goodmorning.tick(now)
        db.session.commit()
    return counts


def calls(app: Any, schedule_id: int | None = None) -> list[dict[str, Any]]:
    with app.app_context():
        query = select(GoodMorningCall).order_by(GoodMorningCall.day)
        if schedule_id is not None:
            query = query.where(GoodMorningCall.schedule_id == schedule_id)
        return [
            {
                "id": c.id,
                "day": c.day,
                "due_at": c.due_at,
                "give_up_at": c.give_up_at,
                "next_try_at": c.next_try_at,
                "status": c.status,
                "attempts": c.attempts,
            }
            for c in db.session.scalars(query)
        ]


def call_on(app: Any, day: date) -> dict[str, Any]:
    (found,) = [c for c in calls(app) if c["day"] == day]
    return found


def alerts(app: Any) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            {
                "id": a.id,
                "day": a.call.day,
                "reason": a.reason,
                "handler_id": a.handler_id,
                "call_status": a.call.status,
                "created_at": a.created_at,
            }
            for a in db.session.scalars(select(Alert).order_by(Alert.id))
        ]


def alert_notifications(app: Any) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (n.user_id, n.dedup_key)
            for n in db.session.scalars(
                select(Notification).where(Notification.kind == "alert").order_by(Notification.id)
            )
        ]


def mine(app: Any, user_id: int, now: datetime) -> list[tuple[int, date, bool]]:
    with app.app_context():
        user = db.session.get_one(User, user_id)
        return [(c.id, c.day, due) for c, due in goodmorning.my_calls(user, now)]


def record(app: Any, user_id: int, call_id: int, outcome: str, now: datetime) -> dict[str, Any]:
    with app.app_context():
        user = db.session.get_one(User, user_id)
        call = goodmorning.call_for(user, call_id, lock=True)
        goodmorning.record_call(call, user, outcome, now=now)
        db.session.commit()
        return {"status": call.status, "attempts": call.attempts, "next_try_at": call.next_try_at}


# --- the rules: Brussels wall clock, DST, weekdays ---------------------------------------


@pytest.mark.parametrize(
    ("first", "change", "before", "after"),
    [
        # spring forward, last Sunday of March 2027: 09:00 is 08:00 UTC, then 07:00 UTC
        (date(2027, 3, 22), date(2027, 3, 28), 8, 7),
        # fall back, last Sunday of October 2026: 09:00 is 07:00 UTC, then 08:00 UTC
        (date(2026, 10, 19), date(2026, 10, 25), 7, 8),
    ],
)
def test_the_window_keeps_its_brussels_time_across_a_dst_change(first, change, before, after):
    planned = calls_between(
        [0, 3, 6], NINE, TEN, timedelta(minutes=15), 2, first, first + timedelta(days=10)
    )
    assert [p.day.weekday() for p in planned] == [0, 3, 6, 0, 3]
    assert change in [p.day for p in planned]
    for p in planned:
        hour = before if p.day < change else after
        assert p.due_at == datetime.combine(p.day, time(hour), tzinfo=UTC)
        # given up when the window closed and the two retries of 15 minutes ran out
        assert p.give_up_at == p.due_at + timedelta(hours=1, minutes=30)
        assert local(p.due_at).time() == NINE


def test_no_calls_in_a_pause_and_until_resumed():
    first = date(2027, 3, 22)
    planned = calls_between(
        ALL_DAYS,
        NINE,
        TEN,
        timedelta(minutes=15),
        2,
        first,
        first + timedelta(days=6),
        (date(2027, 3, 24), date(2027, 3, 25)),
    )
    assert [p.day.day for p in planned] == [22, 23, 26, 27, 28]
    open_ended = calls_between(
        ALL_DAYS,
        NINE,
        TEN,
        timedelta(minutes=15),
        2,
        first,
        first + timedelta(days=6),
        (date(2027, 3, 24), None),
    )
    assert [p.day.day for p in open_ended] == [22, 23]


def test_a_window_start_the_spring_change_skips_is_never_due_after_giving_up():
    """02:30 does not exist on 28 March 2027 in Brussels (02:00 jumps to 03:00). The call must
    not be due after it is given up, or the tick alerts it before anyone may call."""
    (planned,) = calls_between(
        [6], time(2, 30), time(3, 0), timedelta(minutes=5), 0, date(2027, 3, 28), date(2027, 3, 28)
    )
    assert planned.due_at <= planned.give_up_at == utc(2027, 3, 28, 1, 0)
    (with_retry,) = calls_between(
        [6], time(2, 30), time(3, 15), timedelta(minutes=5), 1, date(2027, 3, 28), date(2027, 3, 28)
    )
    assert with_retry.due_at < with_retry.give_up_at


def _exists(day: date, wall: time) -> bool:
    """Whether this wall-clock time happens in Brussels that day (not skipped in spring)."""
    moment = datetime.combine(day, wall, tzinfo=BRUSSELS)
    return moment.astimezone(UTC).astimezone(BRUSSELS).replace(tzinfo=None) == moment.replace(
        tzinfo=None
    )


DST_DAYS = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
days = st.one_of(
    st.dates(date(2026, 1, 1), date(2028, 12, 31)),
    st.sampled_from(DST_DAYS).flatmap(
        lambda d: st.integers(-20, 0).map(lambda n: d + timedelta(days=n))
    ),
)
wall_clocks = st.one_of(
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
    st.builds(time, st.integers(1, 3), st.integers(0, 59)),
)  # around the DST jumps
pauses = st.one_of(st.none(), st.tuples(days, st.one_of(st.none(), st.integers(0, 30))))


@settings(max_examples=400, deadline=None)
@given(
    weekdays=st.sets(st.integers(0, 6), min_size=1).map(sorted),
    window=st.lists(wall_clocks, min_size=2, max_size=2, unique=True).map(sorted),
    retry_minutes=st.integers(5, 120),
    max_retries=st.integers(0, 5),
    first=days,
    span=st.integers(0, 60),
    pause=pauses,
)
def test_calls_between_properties(weekdays, window, retry_minutes, max_retries, first, span, pause):
    window_from, window_until = window
    last = first + timedelta(days=span)
    paused: tuple[date | None, date | None] = (None, None)
    if pause is not None:
        pause_from, length = pause
        paused = (pause_from, None if length is None else pause_from + timedelta(days=length))
    retry = timedelta(minutes=retry_minutes)
    planned = calls_between(
        weekdays, window_from, window_until, retry, max_retries, first, last, paused
    )

    def in_pause(day: date) -> bool:
        return (
            paused[0] is not None and paused[0] <= day and (paused[1] is None or day <= paused[1])
        )

    expected = [first + timedelta(days=n) for n in range(span + 1)]
    assert [p.day for p in planned] == [
        d for d in expected if d.weekday() in weekdays and not in_pause(d)
    ]
    for p in planned:
        assert p.day.weekday() in weekdays
        assert not in_pause(p.day)
        assert p.due_at.utcoffset() == timedelta(0) == p.give_up_at.utcoffset()
        if _exists(p.day, window_from):
            assert local(p.due_at).date() == p.day
            assert local(p.due_at).time() == window_from
            assert p.due_at < p.give_up_at
        else:  # skipped by the spring change: due at the latest when the window closes
            assert p.due_at <= p.give_up_at
            assert p.due_at < p.give_up_at or max_retries == 0


# --- each day's call: weekdays, DST, idempotent tick --------------------------------------


@pytest.mark.parametrize(
    ("created", "change", "before", "after"),
    [
        (utc(2027, 3, 22, 5), date(2027, 3, 28), 8, 7),
        (utc(2026, 10, 19, 5), date(2026, 10, 25), 7, 8),
    ],
    ids=["spring-2027", "autumn-2026"],
)
def test_daily_calls_on_the_chosen_weekdays_across_a_dst_change(
    app, people, created, change, before, after
):
    ids = people
    schedule_id = new_schedule(app, ids, created, weekdays=[0, 3, 6])  # Mon, Thu, Sun
    made_on = []
    for n in range(11):
        morning = created + timedelta(days=n)  # 05:00 UTC: before 09:00 in CET and CEST
        counts = tick(app, morning)
        assert tick(app, morning) == {"calls_made": 0, "alerts": 0}  # a second tick: nothing
        day = local(morning).date()
        assert counts == {"calls_made": 1 if day.weekday() in (0, 3, 6) else 0, "alerts": 0}
        if not counts["calls_made"]:
            assert mine(app, ids["maria"], morning) == []
            continue
        made_on.append(day)
        call = call_on(app, day)
        hour = before if day < change else after
        assert call["due_at"] == datetime.combine(day, time(hour), tzinfo=UTC)
        assert call["next_try_at"] == call["due_at"]
        assert call["give_up_at"] == call["due_at"] + timedelta(hours=1, minutes=30)
        # on Maria's list all morning; time to call from 09:00 Brussels time
        assert mine(app, ids["maria"], morning) == [(call["id"], day, False)]
        assert mine(app, ids["maria"], call["due_at"]) == [(call["id"], day, True)]
        assert mine(app, ids["jef"], call["due_at"]) == []  # not one of the callers
        assert (
            record(app, ids["maria"], call["id"], "reached", call["due_at"] + timedelta(minutes=3))[
                "status"
            ]
            == "reached"
        )
        assert mine(app, ids["maria"], call["due_at"] + timedelta(minutes=4)) == []
    assert [d.weekday() for d in made_on] == [0, 3, 6, 0, 3]
    assert change in made_on
    assert [c["day"] for c in calls(app, schedule_id)] == made_on
    assert alerts(app) == []
    assert tick(app, created + timedelta(days=12)) == {"calls_made": 0, "alerts": 0}


def test_a_schedule_made_after_todays_window_starts_tomorrow(app, people):
    ids = people
    schedule_id = new_schedule(app, ids, utc(2027, 3, 23, 9, 30))  # 10:30 in Brussels
    assert tick(app, utc(2027, 3, 23, 9, 31)) == {"calls_made": 0, "alerts": 0}
    assert tick(app, utc(2027, 3, 24, 5)) == {"calls_made": 1, "alerts": 0}
    assert [c["day"] for c in calls(app, schedule_id)] == [date(2027, 3, 24)]


# --- retries and exactly one alert --------------------------------------------------------


def _emailed(app: Any) -> bool:
    with app.app_context():
        pending = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.kind == "alert", Notification.emailed_at.is_(None)
            )
        )
        return pending == 0


def test_a_missed_call_is_retried_then_alerted_exactly_once(app, people, mailbox):
    ids = people
    new_schedule(app, ids, utc(2027, 3, 30, 5))  # Tuesday, CEST: 09:00 is 07:00 UTC
    assert tick(app, utc(2027, 3, 30, 5)) == {"calls_made": 1, "alerts": 0}
    call = call_on(app, date(2027, 3, 30))
    assert call["due_at"] == utc(2027, 3, 30, 7)

    assert record(app, ids["maria"], call["id"], "no_answer", utc(2027, 3, 30, 7, 2)) == {
        "status": "open",
        "attempts": 1,
        "next_try_at": utc(2027, 3, 30, 7, 17),
    }
    # still on the list, but not yet time: it comes back 15 minutes later
    assert mine(app, ids["maria"], utc(2027, 3, 30, 7, 10)) == [(call["id"], call["day"], False)]
    assert mine(app, ids["maria"], utc(2027, 3, 30, 7, 17)) == [(call["id"], call["day"], True)]
    assert tick(app, utc(2027, 3, 30, 7, 18)) == {"calls_made": 0, "alerts": 0}
    assert record(app, ids["maria"], call["id"], "voicemail", utc(2027, 3, 30, 7, 18)) == {
        "status": "open",
        "attempts": 2,
        "next_try_at": utc(2027, 3, 30, 7, 33),
    }
    assert mine(app, ids["maria"], utc(2027, 3, 30, 7, 32)) == [(call["id"], call["day"], False)]
    assert alerts(app) == []

    # the last retry: the alert goes out at once, to the handler
    third = record(app, ids["maria"], call["id"], "no_answer", utc(2027, 3, 30, 7, 33))
    assert third["status"] == "alerted"
    assert third["attempts"] == 3
    (alert,) = alerts(app)
    assert (alert["day"], alert["reason"], alert["handler_id"]) == (
        date(2027, 3, 30),
        "no_answer",
        ids["an"],
    )
    assert alert["created_at"] == utc(2027, 3, 30, 7, 33)
    assert alert_notifications(app) == [(ids["an"], f"alert:{alert['id']}")]
    assert mine(app, ids["maria"], utc(2027, 3, 30, 7, 34)) == []

    # however often the tick runs afterwards (and past give-up, and the next days): one alert
    for moment in (
        utc(2027, 3, 30, 7, 34),
        utc(2027, 3, 30, 8, 30),
        utc(2027, 3, 30, 12),
        utc(2027, 3, 30, 12),
        utc(2027, 3, 31, 5),
    ):
        tick(app, moment)
    assert [a["id"] for a in alerts(app) if a["day"] == date(2027, 3, 30)] == [alert["id"]]
    assert alert_notifications(app) == [(ids["an"], f"alert:{alert['id']}")]
    with app.app_context():
        (message,) = [n for n in inbox(db.session.get_one(User, ids["an"])) if n.kind == "alert"]
        assert "Godelieve" not in message.subject + message.body  # it may travel by e-mail
        assert f"{alert['id']})" in message.subject
        assert "30/03/2027" in message.body
        assert inbox(db.session.get_one(User, ids["bert"])) == []
        db.session.expunge(message)

    # the e-mail: once, to An
    wait_for(lambda: _emailed(app), "the alert e-mail")
    to_an = [m for m in mailbox.messages if m["To"] == "an@example.be"]
    assert len(to_an) == 1
    assert to_an[0]["Subject"] == message.subject

    # another try on an alerted call is refused; reaching the resident after all is kept,
    # and the alert stays for the contact person to acknowledge
    with app.app_context():
        maria = db.session.get_one(User, ids["maria"])
        locked = goodmorning.call_for(maria, call["id"], lock=True)
        with pytest.raises(CallError) as refused:
            goodmorning.record_call(locked, maria, "no_answer", now=utc(2027, 3, 30, 7, 40))
    assert refused.value.status == 409
    assert (
        record(app, ids["maria"], call["id"], "reached", utc(2027, 3, 30, 7, 45))["status"]
        == "reached"
    )
    with app.app_context():
        body = goodmorning.alert_body(db.session.get_one(Alert, alert["id"]))
        assert body["reached_later"] is True
        assert body["attempts"] == 3
        assert body["escalation"] == {
            "name": "Rita Buur",
            "phone": "0470 11 22 33",
            "relation": "neighbour",
        }
        assert db.session.scalar(select(func.count(CallAttempt.id))) == 4
    assert len(alerts(app)) == 1


def test_a_wrong_number_alerts_at_once(app, people):
    ids = people
    new_schedule(app, ids, utc(2027, 3, 30, 5))
    tick(app, utc(2027, 3, 30, 5))
    call = call_on(app, date(2027, 3, 30))
    assert (
        record(app, ids["maria"], call["id"], "wrong_number", utc(2027, 3, 30, 7, 1))["status"]
        == "alerted"
    )
    tick(app, utc(2027, 3, 30, 9))
    assert [(a["reason"], a["handler_id"]) for a in alerts(app)] == [("wrong_number", ids["an"])]


def test_nobody_called_alerts_once_give_up_passed(app, people):
    ids = people
    new_schedule(app, ids, utc(2027, 3, 30, 5))
    assert tick(app, utc(2027, 3, 30, 5)) == {"calls_made": 1, "alerts": 0}
    call = call_on(app, date(2027, 3, 30))
    assert call["give_up_at"] == utc(2027, 3, 30, 8, 30)  # 10:00 CEST plus 2 x 15 minutes
    assert tick(app, utc(2027, 3, 30, 8, 29, 59)) == {"calls_made": 0, "alerts": 0}
    assert alerts(app) == []
    assert tick(app, utc(2027, 3, 30, 8, 30)) == {"calls_made": 0, "alerts": 1}
    for _again in range(3):
        assert tick(app, utc(2027, 3, 30, 8, 31)) == {"calls_made": 0, "alerts": 0}
    (alert,) = alerts(app)
    assert (alert["day"], alert["reason"], alert["call_status"]) == (
        date(2027, 3, 30),
        "not_called",
        "alerted",
    )
    assert alert_notifications(app) == [(ids["an"], f"alert:{alert['id']}")]
    assert mine(app, ids["maria"], utc(2027, 3, 30, 8, 31)) == []


def test_the_alert_goes_to_the_deputy_while_the_handler_is_away(app, people):
    ids = people
    with app.app_context():
        db.session.add(
            Absence(
                user_id=ids["an"],
                starts_on=date(2027, 3, 29),
                ends_on=date(2027, 4, 2),
                deputy_id=ids["bert"],
            )
        )
        db.session.commit()
    new_schedule(app, ids, utc(2027, 3, 30, 5))
    tick(app, utc(2027, 3, 30, 5))
    assert tick(app, utc(2027, 3, 30, 9)) == {"calls_made": 0, "alerts": 1}
    (alert,) = alerts(app)
    assert alert["handler_id"] == ids["bert"]
    assert alert_notifications(app) == [(ids["bert"], f"alert:{alert['id']}")]


def test_an_inactive_handler_leaves_the_alert_to_the_coordinator(app, people):
    ids = people
    new_schedule(app, ids, utc(2027, 3, 30, 5))
    with app.app_context():
        db.session.get_one(User, ids["an"]).active = False
        db.session.commit()
    tick(app, utc(2027, 3, 30, 5))
    tick(app, utc(2027, 3, 30, 9))
    (alert,) = alerts(app)
    assert alert["handler_id"] == ids["coordinator"]
    assert alert_notifications(app) == [(ids["coordinator"], f"alert:{alert['id']}")]


# --- catch-up after downtime --------------------------------------------------------------


def test_catch_up_after_worker_downtime_alerts_each_missed_day_once(app, people):
    ids = people
    new_schedule(app, ids, utc(2027, 3, 25, 5))  # Thursday
    assert tick(app, utc(2027, 3, 25, 5)) == {"calls_made": 1, "alerts": 0}
    thursday = call_on(app, date(2027, 3, 25))
    record(app, ids["maria"], thursday["id"], "reached", utc(2027, 3, 25, 8, 5))
    assert tick(app, utc(2027, 3, 26, 5)) == {"calls_made": 1, "alerts": 0}

    # the worker is down from Friday morning until Monday noon (over the DST change)
    assert tick(app, utc(2027, 3, 29, 12)) == {"calls_made": 3, "alerts": 4}
    missed = [date(2027, 3, 26), date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29)]
    assert [(a["day"], a["reason"], a["handler_id"]) for a in alerts(app)] == [
        (day, "not_called", ids["an"]) for day in missed
    ]
    assert [(c["day"], c["due_at"], c["status"]) for c in calls(app)] == [
        (date(2027, 3, 25), utc(2027, 3, 25, 8), "reached"),
        (date(2027, 3, 26), utc(2027, 3, 26, 8), "alerted"),
        (date(2027, 3, 27), utc(2027, 3, 27, 8), "alerted"),
        (date(2027, 3, 28), utc(2027, 3, 28, 7), "alerted"),
        (date(2027, 3, 29), utc(2027, 3, 29, 7), "alerted"),
    ]
    assert sorted(alert_notifications(app)) == sorted(
        (ids["an"], f"alert:{a['id']}") for a in alerts(app)
    )

    # a second tick (or a second worker catching up too) never alerts twice
    assert tick(app, utc(2027, 3, 29, 12)) == {"calls_made": 0, "alerts": 0}
    assert tick(app, utc(2027, 3, 29, 12, 1)) == {"calls_made": 0, "alerts": 0}
    assert tick(app, utc(2027, 3, 30, 5)) == {"calls_made": 1, "alerts": 0}
    assert len(alerts(app)) == 4
    assert len(alert_notifications(app)) == 4


def test_catch_up_reaches_back_at_most_catch_up_days(app, people):
    ids = people
    schedule_id = new_schedule(app, ids, utc(2027, 3, 1, 5))
    assert tick(app, utc(2027, 3, 20, 12)) == {
        "calls_made": goodmorning.CATCH_UP_DAYS + 1,
        "alerts": goodmorning.CATCH_UP_DAYS + 1,
    }
    assert calls(app, schedule_id)[0]["day"] == date(2027, 3, 20) - timedelta(
        days=goodmorning.CATCH_UP_DAYS
    )


# --- pause, resume, stop ------------------------------------------------------------------


def _schedule(app: Any, schedule_id: int) -> dict[str, Any]:
    with app.app_context():
        s = db.session.get_one(GoodMorningSchedule, schedule_id)
        return {
            "paused": (s.paused_from, s.paused_until),
            "reason": s.pause_reason,
            "stopped_at": s.stopped_at,
        }


def _state(app: Any, schedule_id: int, today: date) -> str:
    with app.app_context():
        return goodmorning.state_label(db.session.get_one(GoodMorningSchedule, schedule_id), today)


def _act(app: Any, schedule_id: int, action: str, *args: Any, now: datetime) -> None:
    with app.app_context():
        schedule = db.session.get_one(GoodMorningSchedule, schedule_id)
        getattr(goodmorning, action)(schedule, *args, now=now)
        db.session.commit()


def test_pause_resume_and_stop(app, people):
    ids = people
    schedule_id = new_schedule(app, ids, utc(2027, 3, 22, 5))
    assert tick(app, utc(2027, 3, 22, 5)) == {"calls_made": 1, "alerts": 0}
    monday = call_on(app, date(2027, 3, 22))

    # a hospital stay from today to Wednesday: today's open call is skipped
    _act(
        app,
        schedule_id,
        "pause",
        date(2027, 3, 22),
        date(2027, 3, 24),
        " Ziekenhuis ",
        now=utc(2027, 3, 22, 6),
    )
    assert _schedule(app, schedule_id)["paused"] == (date(2027, 3, 22), date(2027, 3, 24))
    assert _schedule(app, schedule_id)["reason"] == "Ziekenhuis"
    assert _state(app, schedule_id, date(2027, 3, 22)) == "paused"
    assert call_on(app, monday["day"])["status"] == "skipped"
    assert mine(app, ids["maria"], utc(2027, 3, 22, 8)) == []
    with app.app_context(), pytest.raises(CallError) as gone:
        goodmorning.call_for(db.session.get_one(User, ids["maria"]), monday["id"])
    assert gone.value.status == 404
    for moment in (
        utc(2027, 3, 22, 12),
        utc(2027, 3, 23, 5),
        utc(2027, 3, 23, 12),
        utc(2027, 3, 24, 5),
        utc(2027, 3, 24, 12),
    ):
        assert tick(app, moment) == {"calls_made": 0, "alerts": 0}  # no calls, no alerts
    assert tick(app, utc(2027, 3, 25, 5)) == {"calls_made": 1, "alerts": 0}
    assert _state(app, schedule_id, date(2027, 3, 25)) == "active"
    record(
        app, ids["maria"], call_on(app, date(2027, 3, 25))["id"], "reached", utc(2027, 3, 25, 8, 1)
    )

    # a pause cannot start in the past, nor end before it starts
    with app.app_context():
        schedule = db.session.get_one(GoodMorningSchedule, schedule_id)
        for first, last, field in (
            (date(2027, 3, 24), None, "paused_from"),
            (date(2027, 3, 27), date(2027, 3, 26), "paused_until"),
        ):
            with pytest.raises(CallError) as refused:
                goodmorning.pause(schedule, first, last, "", now=utc(2027, 3, 25, 9))
            assert refused.value.field == field

    # until further notice from Friday; resumed on Sunday
    _act(app, schedule_id, "pause", date(2027, 3, 26), None, "op reis", now=utc(2027, 3, 25, 9))
    assert _state(app, schedule_id, date(2027, 3, 25)) == "active"
    assert _state(app, schedule_id, date(2027, 4, 30)) == "paused"
    for moment in (utc(2027, 3, 26, 5), utc(2027, 3, 27, 5), utc(2027, 3, 27, 12)):
        assert tick(app, moment) == {"calls_made": 0, "alerts": 0}
    _act(app, schedule_id, "resume", now=utc(2027, 3, 28, 5))
    # the pause that happened stays on record; calls again from today
    assert _schedule(app, schedule_id)["paused"] == (date(2027, 3, 26), date(2027, 3, 27))
    assert _schedule(app, schedule_id)["reason"] == ""
    assert _state(app, schedule_id, date(2027, 3, 28)) == "active"
    assert tick(app, utc(2027, 3, 28, 5, 1)) == {"calls_made": 1, "alerts": 0}
    # (the first pause's days are kept as skipped calls when the second pause replaced it)
    assert [(c["day"].day, c["status"]) for c in calls(app, schedule_id)] == [
        (22, "skipped"),
        (23, "skipped"),
        (24, "skipped"),
        (25, "reached"),
        (28, "open"),
    ]

    # stopped: today's open call is skipped, no calls or alerts any more; no pause after it
    _act(app, schedule_id, "stop", now=utc(2027, 3, 28, 6))
    assert _state(app, schedule_id, date(2027, 3, 28)) == "stopped"
    assert call_on(app, date(2027, 3, 28))["status"] == "skipped"
    stopped_at = _schedule(app, schedule_id)["stopped_at"]
    assert stopped_at == utc(2027, 3, 28, 6)
    _act(app, schedule_id, "stop", now=utc(2027, 3, 29, 6))  # a second stop changes nothing
    assert _schedule(app, schedule_id)["stopped_at"] == stopped_at
    for moment in (utc(2027, 3, 28, 12), utc(2027, 3, 29, 5), utc(2027, 4, 5, 12)):
        assert tick(app, moment) == {"calls_made": 0, "alerts": 0}
    assert mine(app, ids["maria"], utc(2027, 3, 29, 8)) == []
    with app.app_context(), pytest.raises(CallError) as refused:
        goodmorning.pause(
            db.session.get_one(GoodMorningSchedule, schedule_id),
            date(2027, 4, 10),
            None,
            "",
            now=utc(2027, 4, 5, 12),
        )
    assert refused.value.status == 409
    assert alerts(app) == []


def test_resuming_after_a_pause_that_already_ended_leaves_it_as_it_was(app, people):
    """A pause from Monday to Tuesday, resumed (needlessly) on Friday after the worker was
    down since Wednesday: Wednesday to Friday were no pause and must still be alerted."""
    ids = people
    schedule_id = new_schedule(app, ids, utc(2027, 3, 21, 12))
    _act(
        app,
        schedule_id,
        "pause",
        date(2027, 3, 22),
        date(2027, 3, 23),
        "",
        now=utc(2027, 3, 21, 12),
    )
    tick(app, utc(2027, 3, 23, 12))
    _act(app, schedule_id, "resume", now=utc(2027, 3, 26, 12))
    assert _schedule(app, schedule_id)["paused"] == (date(2027, 3, 22), date(2027, 3, 23))
    assert tick(app, utc(2027, 3, 26, 12)) == {"calls_made": 3, "alerts": 3}
    assert [a["day"] for a in alerts(app)] == [
        date(2027, 3, 24),
        date(2027, 3, 25),
        date(2027, 3, 26),
    ]


def test_resuming_on_the_first_day_of_a_pause_brings_todays_call_back(app, people):
    ids = people
    schedule_id = new_schedule(app, ids, utc(2027, 3, 22, 5))
    tick(app, utc(2027, 3, 22, 5))
    _act(app, schedule_id, "pause", date(2027, 3, 22), None, "", now=utc(2027, 3, 22, 5, 30))
    assert mine(app, ids["maria"], utc(2027, 3, 22, 8)) == []
    _act(app, schedule_id, "resume", now=utc(2027, 3, 22, 6))
    assert _schedule(app, schedule_id)["paused"] == (None, None)
    tick(app, utc(2027, 3, 22, 6, 1))
    monday = call_on(app, date(2027, 3, 22))
    assert mine(app, ids["maria"], utc(2027, 3, 22, 8)) == [(monday["id"], monday["day"], True)]


def test_a_new_pause_does_not_turn_the_last_pause_into_alerts(app, people):
    """Paused Monday to Wednesday, then again from Friday: the tick (which looks back
    CATCH_UP_DAYS for missed days) must not make Tuesday's and Wednesday's calls then."""
    ids = people
    schedule_id = new_schedule(app, ids, utc(2027, 3, 21, 12))
    _act(
        app,
        schedule_id,
        "pause",
        date(2027, 3, 22),
        date(2027, 3, 24),
        "",
        now=utc(2027, 3, 21, 12),
    )
    for day in range(22, 26):
        tick(app, utc(2027, 3, day, 5))
    _act(app, schedule_id, "pause", date(2027, 3, 26), None, "", now=utc(2027, 3, 25, 12))
    assert tick(app, utc(2027, 3, 26, 12)) == {"calls_made": 0, "alerts": 1}  # Thursday's
    assert [(c["day"], c["status"]) for c in calls(app, schedule_id)] == [
        (date(2027, 3, 22), "skipped"),
        (date(2027, 3, 23), "skipped"),
        (date(2027, 3, 24), "skipped"),
        (date(2027, 3, 25), "alerted"),
    ]
    assert [a["day"] for a in alerts(app)] == [date(2027, 3, 25)]


def test_resuming_after_todays_window_calls_again_from_tomorrow(app, people):
    ids = people
    schedule_id = new_schedule(app, ids, utc(2027, 3, 21, 12))
    _act(app, schedule_id, "pause", date(2027, 3, 22), None, "", now=utc(2027, 3, 21, 12))
    _act(app, schedule_id, "resume", now=utc(2027, 3, 24, 13))  # 14:00, the window is over
    assert _schedule(app, schedule_id)["paused"] == (date(2027, 3, 22), date(2027, 3, 24))
    assert _state(app, schedule_id, date(2027, 3, 25)) == "active"
    assert tick(app, utc(2027, 3, 24, 13, 1)) == {"calls_made": 0, "alerts": 0}
    assert tick(app, utc(2027, 3, 25, 5)) == {"calls_made": 1, "alerts": 0}
    assert alerts(app) == []


# --- the API: schedules -------------------------------------------------------------------


def schedule_payload(ids: dict[str, int], **changes: Any) -> dict[str, Any]:
    return {
        "resident_id": ids["resident"],
        "weekdays": [0, 2, 4],
        "window_from": "09:00",
        "window_until": "10:00",
        "callers": ["maria@example.be"],
        "handler": "an@example.be",
        "resident_consent": True,
        "escalation": {
            "name": "Rita Buur",
            "phone": "0470 11 22 33",
            "relation": "neighbour",
            "consent_given": True,
        },
        **changes,
    }


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_schedule_endpoints_check_roles(app, people):
    ids = people
    client = app.test_client()
    tokens = {who: api_token(client, f"{who}@example.be") for who in ("coordinator", "an", "maria")}
    assert (
        client.post("/api/v1/goodmorning-schedules", json=schedule_payload(ids)).status_code == 401
    )
    refused = client.post(
        "/api/v1/goodmorning-schedules", json=schedule_payload(ids), headers=bearer(tokens["maria"])
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    assert _count(app, GoodMorningSchedule) == 0

    made = client.post(
        "/api/v1/goodmorning-schedules", json=schedule_payload(ids), headers=bearer(tokens["an"])
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    today = local(utcnow()).date()
    assert body["state"] == "active"
    assert body["weekdays"] == [0, 2, 4]
    assert (body["window_from"], body["window_until"]) == ("09:00:00", "10:00:00")
    assert body["starts_on"] in (today.isoformat(), (today + timedelta(days=1)).isoformat())
    assert body["callers"] == ["maria@example.be"]
    assert body["handler"] == "an@example.be"
    assert body["escalation"] == {
        "name": "Rita Buur",
        "phone": "0470 11 22 33",
        "relation": "neighbour",
    }
    by_coordinator = client.post(
        "/api/v1/goodmorning-schedules",
        json=schedule_payload(ids, weekdays=[6]),
        headers=bearer(tokens["coordinator"]),
    )
    assert by_coordinator.status_code == 201
    with app.app_context():
        purposes = sorted(db.session.scalars(select(Consent.purpose)))
    assert purposes == ["escalation_contact"] * 2 + ["goodmorning"] * 2

    schedule = f"/api/v1/goodmorning-schedules/{body['id']}"
    for method, url in (
        ("get", schedule),
        ("post", f"{schedule}/resume"),
        ("post", f"{schedule}/stop"),
    ):
        assert getattr(client, method)(url, headers=bearer(tokens["maria"])).status_code == 403
        assert getattr(client, method)(url).status_code == 401
    pause = {"paused_from": (today + timedelta(days=1)).isoformat()}
    assert (
        client.post(f"{schedule}/pause", json=pause, headers=bearer(tokens["maria"])).status_code
        == 403
    )
    assert (
        client.get("/api/v1/goodmorning-schedules/999999", headers=bearer(tokens["an"])).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/goodmorning-schedules/999999/stop", headers=bearer(tokens["an"])
        ).status_code
        == 404
    )

    # a contact person and the coordinator pause, resume and stop
    paused = client.post(
        f"{schedule}/pause", json={**pause, "reason": "ziekenhuis"}, headers=bearer(tokens["an"])
    )
    assert paused.status_code == 200
    assert (paused.get_json()["paused_from"], paused.get_json()["paused_until"]) == (
        pause["paused_from"],
        None,
    )
    past = client.post(
        f"{schedule}/pause",
        json={"paused_from": (today - timedelta(days=1)).isoformat()},
        headers=bearer(tokens["an"]),
    )
    assert past.status_code == 422
    assert "paused_from" in past.get_json()["error"]["fields"]
    resumed = client.post(f"{schedule}/resume", headers=bearer(tokens["coordinator"]))
    assert resumed.status_code == 200
    assert resumed.get_json()["state"] == "active"
    assert resumed.get_json()["paused_from"] is None
    stopped = client.post(f"{schedule}/stop", headers=bearer(tokens["an"]))
    assert stopped.get_json()["state"] == "stopped"
    again = client.post(f"{schedule}/pause", json=pause, headers=bearer(tokens["an"]))
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"
    assert client.get(schedule, headers=bearer(tokens["an"])).get_json()["state"] == "stopped"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"window_from": "10:00", "window_until": "09:00"}, "window_until"),
        ({"window_from": "09:00", "window_until": "09:00"}, "window_until"),
        (
            {
                "escalation": {
                    "name": "Rita Buur",
                    "phone": "0470 11 22 33",
                    "relation": "neighbour",
                }
            },
            "escalation_consent",
        ),
        (
            {
                "escalation": {
                    "name": "Jan",
                    "phone": "0470",
                    "relation": "family",
                    "consent_given": False,
                }
            },
            "escalation_consent",
        ),
        ({"escalation": {"name": "Rita", "phone": "0470", "relation": "friend"}}, "escalation"),
        ({"resident_consent": False}, "consent"),
        ({"resident_consent": None}, "resident_consent"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"retry_minutes": 3}, "retry_minutes"),
        ({"max_retries": 6}, "max_retries"),
        ({"callers": ["nobody@example.be"]}, "callers"),
        ({"callers": []}, "callers"),
        ({"handler": "maria@example.be"}, "handler"),
        ({"handler": "nobody@example.be"}, "handler"),
        ({"resident_id": 999999}, "resident_id"),
        ({"window_from": "nine"}, "window_from"),
    ],
)
def test_schedule_validation_is_422_json_with_the_field(app, people, changes, field):
    ids = people
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    payload = schedule_payload(ids, **changes)
    payload = {key: value for key, value in payload.items() if value is not None}
    response = client.post("/api/v1/goodmorning-schedules", json=payload, headers=bearer(token))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert _count(app, GoodMorningSchedule) == 0
    assert _count(app, Consent) == 0


def test_a_contact_person_as_person_to_warn_needs_no_extra_consent(app, people):
    ids = people
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    response = client.post(
        "/api/v1/goodmorning-schedules",
        headers=bearer(token),
        json=schedule_payload(
            ids,
            escalation={
                "name": "An Peeters",
                "phone": "056 00 00 00",
                "relation": "contact_person",
            },
        ),
    )
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        assert list(db.session.scalars(select(Consent.purpose))) == ["goodmorning"]


# --- the API: the caller's list and recording a call --------------------------------------


def test_the_callers_list_and_recording_over_the_api(app, people):
    """A call of a past day (2 November 2026) still open: it is time to call now; not
    answered, it comes back after the retry gap; after the last retry, the alert."""
    ids = people
    new_schedule(app, ids, utc(2026, 11, 2, 5))
    tick(app, utc(2026, 11, 2, 6))
    call = call_on(app, date(2026, 11, 2))
    client = app.test_client()
    maria, jef = (api_token(client, f"{who}@example.be") for who in ("maria", "jef"))
    coordinator = api_token(client, "coordinator@example.be")

    def listed(token: str) -> list[dict[str, Any]]:
        response = client.get("/api/v1/calls/my", headers=bearer(token))
        assert response.status_code == 200
        return response.get_json()["goodmorning"]

    (item,) = listed(maria)
    assert item["id"] == call["id"]
    assert (item["name"], item["phone"], item["day"]) == (
        "Godelieve Vanneste",
        "051 77 88 99",
        "2026-11-02",
    )
    assert item["tel"].startswith("tel:")
    assert (item["time_now"], item["attempts"]) == (True, 0)
    assert listed(jef) == []
    assert listed(coordinator) == []

    def post(token: str, outcome: str, call_id: int = call["id"], **headers: str) -> Any:
        return client.post(
            "/api/v1/calls",
            headers={**bearer(token), **headers},
            json={"kind": "goodmorning", "id": call_id, "outcome": outcome},
        )

    assert post(jef, "no_answer").status_code == 404  # not one of its callers
    wrong = post(maria, "refused")  # not a good-morning outcome
    assert wrong.status_code == 422
    assert "outcome" in wrong.get_json()["error"]["fields"]

    before = utcnow()
    first = post(maria, "no_answer", **{"Idempotency-Key": "gm-1"})
    assert first.status_code == 201
    assert first.get_json() == {
        "id": call["id"],
        "kind": "goodmorning",
        "status": "open",
        "attempts": 1,
        "signals": 0,
    }
    replay = post(maria, "no_answer", **{"Idempotency-Key": "gm-1"})  # a double tap
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    (item,) = listed(maria)
    assert (item["time_now"], item["attempts"]) == (False, 1)
    assert datetime.fromisoformat(item["next_try_at"]) >= before + timedelta(minutes=15)

    assert post(maria, "voicemail").get_json()["attempts"] == 2
    last = post(maria, "no_answer")
    assert (last.get_json()["status"], last.get_json()["attempts"]) == ("alerted", 3)
    assert listed(maria) == []
    assert [(a["reason"], a["day"]) for a in alerts(app)] == [("no_answer", date(2026, 11, 2))]
    late = post(maria, "no_answer")
    assert late.status_code == 409
    reached = post(maria, "reached")
    assert reached.status_code == 201
    assert reached.get_json()["status"] == "reached"
    assert post(maria, "reached").status_code == 404  # done: no longer on the list
    assert tick(app, utc(2026, 11, 2, 12)) == {"calls_made": 0, "alerts": 0}
    assert len(alerts(app)) == 1


# --- the API: alerts ----------------------------------------------------------------------


def test_alert_acknowledgement_over_the_api(app, people):
    ids = people
    new_schedule(app, ids, utc(2027, 3, 30, 5))
    tick(app, utc(2027, 3, 30, 5))
    tick(app, utc(2027, 3, 30, 9))
    (alert,) = alerts(app)
    client = app.test_client()
    tokens = {
        who: api_token(client, f"{who}@example.be")
        for who in ("coordinator", "an", "bert", "maria")
    }

    def listed(who: str) -> list[dict[str, Any]]:
        response = client.get("/api/v1/alerts", headers=bearer(tokens[who]))
        assert response.status_code == 200
        return response.get_json()["items"]

    (item,) = listed("an")
    assert item["id"] == alert["id"]
    assert (item["reason"], item["day"], item["attempts"]) == ("not_called", "2027-03-30", 0)
    assert item["resident"] == {"name": "Godelieve Vanneste", "phone": "051 77 88 99"}
    assert item["escalation"]["phone"] == "0470 11 22 33"
    assert (item["handler"], item["acknowledged_at"]) == ("An Peeters", None)
    assert [i["id"] for i in listed("coordinator")] == [alert["id"]]
    assert listed("bert") == []
    assert client.get("/api/v1/alerts", headers=bearer(tokens["maria"])).status_code == 403
    assert client.get("/api/v1/alerts").status_code == 401

    url = f"/api/v1/alerts/{alert['id']}/ack"
    assert client.post(url, json={}, headers=bearer(tokens["maria"])).status_code == 403
    hidden = client.post(url, json={}, headers=bearer(tokens["bert"]))
    assert hidden.status_code == 404  # a contact person who does not handle it
    assert hidden.get_json()["error"]["code"] == "not_found"
    assert (
        client.post("/api/v1/alerts/999999/ack", json={}, headers=bearer(tokens["an"])).status_code
        == 404
    )
    assert (
        client.post(url, json={"note": "x" * 2001}, headers=bearer(tokens["an"])).status_code == 422
    )
    with app.app_context():
        assert db.session.get_one(Alert, alert["id"]).acknowledged_at is None

    first = client.post(url, json={"note": " Buurvrouw belt aan. "}, headers=bearer(tokens["an"]))
    assert first.status_code == 200
    acked = first.get_json()
    assert acked["acknowledged_at"] is not None
    assert (acked["acknowledged_by"], acked["note"]) == ("An Peeters", "Buurvrouw belt aan.")
    second = client.post(url, json={"note": "another note"}, headers=bearer(tokens["an"]))
    assert second.status_code == 200
    assert second.get_json() == acked  # acknowledging twice changes nothing
    by_coordinator = client.post(url, json={}, headers=bearer(tokens["coordinator"]))
    assert by_coordinator.status_code == 200
    assert by_coordinator.get_json() == acked
    assert listed("an") == []
    assert listed("coordinator") == []
    with app.app_context():
        stored = db.session.get_one(Alert, alert["id"])
        assert stored.acknowledged_by_id == ids["an"]
        assert stored.ack_note == "Buurvrouw belt aan."


# --- flask tasks tick ---------------------------------------------------------------------


def _missed_days_set_up(app: Any, ids: dict[str, int]) -> tuple[int, list[date]]:
    """A schedule every day from 00:00 to 00:01 (no retries) that started two days ago (set
    in the database): the days of which the window is over by now."""
    now = utcnow()
    today = local(now).date()
    if local(now).time() < time(0, 2):
        pytest.skip("just after midnight in Brussels today's window is not over yet")
    schedule_id = new_schedule(
        app, ids, now, window=(time(0, 0), time(0, 1)), retry_minutes=5, max_retries=0
    )
    with app.app_context():
        db.session.get_one(GoodMorningSchedule, schedule_id).starts_on = today - timedelta(days=2)
        db.session.commit()
    assert calls(app) == []
    days = [today - timedelta(days=2), today - timedelta(days=1), today]
    assert all(at_local(day, time(0, 1)) <= now for day in days)
    return schedule_id, days


def test_flask_tasks_tick_makes_the_calls_and_alerts(app, people):
    ids = people
    _schedule_id, missed = _missed_days_set_up(app, ids)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tasks", "tick"])
    assert result.exit_code == 0, result.output
    assert "good-morning calls made: 3, alerts: 3" in result.output
    assert [(a["day"], a["reason"]) for a in alerts(app)] == [(day, "not_called") for day in missed]
    again = runner.invoke(args=["tasks", "tick"])
    assert "good-morning calls made: 0, alerts: 0" in again.output
    assert len(alerts(app)) == 3


# --- a real worker catches up when it starts ----------------------------------------------


@pytest.mark.integration
def test_a_starting_worker_catches_up_the_missed_days(pg_app, request, mailbox):
    request.getfixturevalue("celery_worker")
    wait_for_worker_start_up_tick()
    ids = make_people(pg_app)
    _schedule_id, missed = _missed_days_set_up(pg_app, ids)

    # a second worker process, started the way conftest starts the first one
    log_path = ROOT / "test-artifacts" / f"worker-catch-up-{SESSION_ID}.log"
    process = start_worker(
        "catch-up",
        request.getfixturevalue("pg_url"),
        request.getfixturevalue("redis_url"),
        log_path,
    )
    try:

        def caught_up() -> bool:
            if process.poll() is not None:
                pytest.fail("the second worker stopped:\n" + log_path.read_text()[-3000:])
            return len(alerts(pg_app)) >= len(missed)

        wait_for(caught_up, "the catch-up alerts of the starting worker")
        assert b"ready." in log_path.read_bytes()
        # by day: the first worker's own tick may alert one of the days before the second does
        assert sorted((a["day"], a["reason"], a["handler_id"]) for a in alerts(pg_app)) == [
            (day, "not_called", ids["an"]) for day in sorted(missed)
        ]
        assert sorted((c["day"], c["status"]) for c in calls(pg_app)) == [
            (day, "alerted") for day in sorted(missed)
        ]
        # the alert e-mails go out, once each, to the handler
        wait_for(lambda: _emailed(pg_app), "the alert e-mails")
        assert sorted(m["To"] for m in mailbox.messages) == ["an@example.be"] * len(missed)

        # another tick through the real workers: never a second alert
        from fieldwork.calls.tasks import goodmorning_tick

        with pg_app.app_context():
            assert goodmorning_tick.delay().get(timeout=30) == {"calls_made": 0, "alerts": 0}
        assert len(alerts(pg_app)) == len(missed)
        assert len(alert_notifications(pg_app)) == len(missed)
    finally:
        stop_worker(process)


# --- one schedule a resident (found by probing: a double tap called her twice every morning) --


def test_the_good_morning_form_sent_twice_sets_up_one_schedule(app):
    ids = make_people(app)
    client = app.test_client()
    login(client, "an@example.be")
    page = client.get(f"/goeiemorgen/new?resident={ids['resident']}").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page)
    assert once
    sent = {
        "csrf_token": csrf_from(page),
        "once": once.group(1),
        "resident_id": ids["resident"],
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "window_from": "09:00",
        "window_until": "10:00",
        "callers": [str(ids["maria"])],
        "handler": str(ids["an"]),
        "escalation_relation": "neighbour",
        "escalation_name": "Rita",
        "escalation_phone": "0470112233",
        "escalation_consent": "y",
        "retry_minutes": "15",
        "max_retries": "2",
        "resident_consent": "y",
    }
    answers = [client.post("/goeiemorgen/new", data=sent).status_code for _ in range(2)]
    assert answers == [302, 302]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GoodMorningSchedule)) == 1
        purposes = sorted(db.session.scalars(select(Consent.purpose)))
    assert purposes.count("goodmorning") == 1
    assert purposes.count("escalation_contact") == 1


def test_a_resident_has_one_good_morning_schedule_and_a_resend_answers_as_the_first(app):
    """The API with the same Idempotency-Key answers the first's schedule; a second schedule
    on the same days (another staff member, not knowing) is refused: she would be called
    twice a morning."""
    ids = make_people(app)
    client = app.test_client()
    token = bearer(api_token(client, "an@example.be"))
    first, again = (
        client.post(
            "/api/v1/goodmorning-schedules",
            json=schedule_payload(ids),
            headers=token | {"Idempotency-Key": "gm-1"},
        )
        for _ in range(2)
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    other = client.post("/api/v1/goodmorning-schedules", json=schedule_payload(ids), headers=token)
    assert other.status_code == 409
    assert "resident_id" in other.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GoodMorningSchedule)) == 1


def test_a_call_from_the_phones_queue_the_server_refuses_stays_on_the_phone(app, people):
    """Tapped "no answer" offline; by the time the phone is back online the alert went out
    (the other caller, the clock). The server refuses it: the queue must hear a refusal (the
    record stays, marked not accepted), not "received" (it was deleted, nothing stored)."""
    import uuid

    call = alerted_meanwhile(app, people)
    maria = app.test_client()
    login(maria, "maria@example.be")
    queued = {"X-Fieldwork-Outbox": "1", "Idempotency-Key": str(uuid.uuid4())}
    csrf = csrf_from(maria.get("/bellen").get_data(as_text=True))
    answer = maria.post(
        f"/bellen/goeiemorgen/{call['id']}",
        data={"outcome": "no_answer", "attempts": "0", "csrf_token": csrf},
        headers=queued,
    )
    assert answer.status_code == 409
    assert (
        answer.get_json()["error"]["message"] == "Het alarm voor dit telefoontje is al verstuurd."
    )
    with app.app_context():
        assert db.session.scalars(select(CallAttempt)).all() == []
    assert "al verstuurd" not in maria.get("/bellen").get_data(as_text=True)  # said once
    reached = maria.post(
        f"/bellen/goeiemorgen/{call['id']}",
        data={"outcome": "reached", "attempts": "0", "csrf_token": csrf},
        headers={**queued, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert reached.get_json()["status"] == "received"


def test_the_coordinators_read_in_reports_a_refused_call_as_refused(app, people):
    """The same call, read in by the coordinator from the phone's queue file: the report
    says it was refused and why (it said "received" while nothing was stored)."""
    import uuid

    from tests.test_receipts import queue_file

    call = alerted_meanwhile(app, people)
    with app.app_context():
        maria = db.session.scalar(select(User.id).where(User.email == "maria@example.be"))
    record = {
        "key": str(uuid.uuid4()),
        "url": f"/bellen/goeiemorgen/{call['id']}",
        "user": str(maria),
        "title": "Goeiemorgen: geen antwoord",
        "fields": [["outcome", "no_answer"], ["attempts", "0"]],
    }
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    page = coordinator.get("/wachtrij/inlezen").get_data(as_text=True)
    answer = coordinator.post(
        "/wachtrij/inlezen",
        data={"csrf_token": csrf_from(page), "file": queue_file([record])},
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert "Ontvangen" not in html
    assert "Het alarm voor dit telefoontje is al verstuurd." in html
    with app.app_context():
        assert db.session.scalars(select(CallAttempt)).all() == []


def alerted_meanwhile(app: Any, people: dict[str, int]) -> dict[str, Any]:
    """Today's call of a new schedule, whose alert went out (the other caller, the clock)."""
    new_schedule(app, people, utc(2026, 11, 2, 5))
    tick(app, utc(2026, 11, 2, 6))
    call = call_on(app, date(2026, 11, 2))
    with app.app_context():
        db.session.get(GoodMorningCall, call["id"]).status = "alerted"
        db.session.commit()
    return call


def test_the_new_schedule_page_ignores_an_attempt_id_that_fits_no_column(app, people):
    """The page takes ?attempt= from a call's "set up good-morning calls" link: an id that
    fits no column is ignored (SQLite raised on it: a 500)."""
    client = app.test_client()
    login(client, "an@example.be")
    assert client.get("/goeiemorgen/new?attempt=99999999999999999999").status_code == 200
    assert client.get("/goeiemorgen/new?attempt=²").status_code == 200
