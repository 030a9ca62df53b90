"""Poison messages are seen: the outbox caps attempts, dead-letters what keeps failing, shows
it on the coordinator's "Storingen" page (retry / discard) and in /healthz; an unknown task
name is refused before anything is written. On both paths (SQLite with tasks in-process;
PostgreSQL + Redis)."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Task, shared_task
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kombu.exceptions import OperationalError
from sqlalchemy import func, insert, select

from fieldwork.core.models import AuditEvent
from fieldwork.core.outbox import OutboxMessage, UnknownTask, enqueue_after_commit, unsent_ids
from fieldwork.core.tasks import flush_outbox
from fieldwork.extensions import db
from tests.conftest import ROLES, csrf_from, login, make_user, post_form

FLAKY = {"mode": "fail"}


class _Flaky(Task):
    """A task whose publish fails while ``FLAKY["mode"]`` is "fail" (a bad serializer, a bug
    in a publish hook — whatever keeps failing for this one message), finds the broker
    unreachable while it is "down", and is sent when it is "ok"."""

    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        if FLAKY["mode"] == "fail":
            raise RuntimeError("publish refused for this message")
        if FLAKY["mode"] == "down":
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return super().apply_async(*args, **kwargs)


@shared_task(name="tests.outbox.flaky", base=_Flaky)
def flaky(number: int) -> int:
    return number


@pytest.fixture(autouse=True)
def _broken() -> Any:
    FLAKY["mode"] = "fail"
    yield
    FLAKY["mode"] = "fail"


def flush() -> int:
    """Beat's periodic fieldwork.core.flush_outbox, run here (no minimum age), by the
    current app's Celery (the task runs in its own app's context)."""
    task = current_app.extensions["celery"].tasks[flush_outbox.name]
    return int(task(min_age_seconds=0))


def outbox_row(app, message_id):
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message is not None
        db.session.expunge(message)
        return message


def enqueue(app, task_name, *args):
    with app.app_context():
        message = enqueue_after_commit(task_name, *args)
        db.session.commit()  # writes it and publishes it after the commit (first attempt)
        return message.id


def test_an_unknown_task_name_is_refused_before_anything_is_written(app):
    with app.app_context():
        with pytest.raises(UnknownTask, match=r"routing\.route_signl"):
            enqueue_after_commit("routing.route_signl", 1)  # misspelt routing.route_signal
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        # a real one is accepted
        enqueue_after_commit("fieldwork.core.ping", "x")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_message_that_keeps_failing_is_dead_lettered_after_the_cap(app):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    message_id = enqueue(app, "tests.outbox.flaky", 7)
    message = outbox_row(app, message_id)
    assert (message.state, message.attempts) == ("pending", 1)
    with app.app_context():
        assert flush() == 0
        assert outbox_row(app, message_id).attempts == 2
        assert flush() == 0
    message = outbox_row(app, message_id)
    assert (message.state, message.attempts) == ("dead", 3)
    assert message.last_error == "RuntimeError: publish refused for this message"
    with app.app_context():
        assert message_id not in unsent_ids()
        for _ in range(3):  # no longer re-sent every minute
            flush()
    assert outbox_row(app, message_id).attempts == 3
    result = app.test_cli_runner().invoke(args=["tasks", "tick"])
    assert result.exit_code == 0, result.output
    assert "1 dead-lettered (see /storingen)" in result.output


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    outcomes=st.lists(st.sampled_from(["fail", "down", "ok"]), min_size=1, max_size=8),
    cap=st.integers(1, 4),
)
def test_attempts_and_state_follow_the_publish_outcomes(app, outcomes, cap):
    """Whatever the sequence of flushes: a failure counts, an unreachable broker does not
    (with a real broker; in the embedded mode there is none, so it counts), the message is
    dead once the failures reach the cap and sent at the first success — never both, and
    nothing happens to it after either."""
    app.config["OUTBOX_MAX_ATTEMPTS"] = cap
    eager = not app.config.get("REDIS_URL")
    counted, expected = 0, "pending"
    for outcome in outcomes:
        if expected != "pending":
            break
        if outcome == "ok":
            counted, expected = counted + 1, "sent"
        elif outcome == "fail" or eager:
            counted += 1
            expected = "dead" if counted >= cap else "pending"
    with app.app_context():
        message = OutboxMessage(task_name="tests.outbox.flaky", args=[len(outcomes)])
        db.session.add(message)
        db.session.commit()
        for outcome in outcomes:
            FLAKY["mode"] = outcome
            flush()
        db.session.refresh(message)
        assert (message.state, message.attempts) == (expected, counted), outcomes
        assert (message.dead_at is not None) == (expected == "dead")
        db.session.delete(message)
        db.session.commit()


def test_a_message_whose_arguments_no_longer_fit_its_task_is_dead_lettered(app):
    """After a deploy changed a task's signature, its old messages fail every time."""
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    with app.app_context():
        message = OutboxMessage(task_name="fieldwork.core.ping", args=["too", "many", "args"])
        db.session.add(message)
        db.session.commit()
        message_id = message.id
        flush()
        flush()
    message = outbox_row(app, message_id)
    assert (message.state, message.attempts) == ("dead", 2)
    assert (message.last_error or "").startswith("TypeError")


def test_a_row_with_an_unknown_task_name_is_dead_at_the_first_flush(app):
    """Rows written before names were checked (or by hand) are not re-sent forever."""
    with app.app_context():
        db.session.add(OutboxMessage(task_name="routing.route_signl", args=[1]))
        db.session.commit()
        assert flush() == 0
        message = db.session.scalars(select(OutboxMessage)).one()
        assert (message.state, message.attempts) == ("dead", 1)
        assert "routing.route_signl" in (message.last_error or "")
        assert unsent_ids() == []


def test_messages_that_keep_failing_do_not_hold_back_new_ones(app):
    """500 older messages still being retried (the flush's batch): a new one is sent first."""
    with app.app_context():
        db.session.execute(
            insert(OutboxMessage),
            [
                {"task_name": "tests.outbox.flaky", "args": [n], "attempts": 2, "last_error": "x"}
                for n in range(500)
            ],
        )
        new = OutboxMessage(task_name="fieldwork.core.ping", args=["new"])
        db.session.add(new)
        db.session.commit()
        batch = unsent_ids()
        assert len(batch) == 500
        assert batch[0] == new.id


@pytest.mark.integration
def test_a_broker_outage_does_not_dead_letter_the_messages(pg_app):
    """Redis unreachable is not the message's fault: its error is kept, no attempt counted,
    and once the broker is back the message is sent."""
    from tests.conftest import _make_app

    pg_app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    broken = _make_app(
        pg_app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL="redis://127.0.0.1:1/0",
        RATELIMIT_STORAGE_URI="memory://",
        OUTBOX_MAX_ATTEMPTS=2,
    )
    ids = [enqueue(broken, "fieldwork.core.ping", f"outage-{n}") for n in range(3)]
    tried = [outbox_row(pg_app, i).last_attempt_at for i in ids]
    with broken.app_context():
        flush()
        # the round stops at the first: the others would wait for the same timeout
        again = [outbox_row(pg_app, i).last_attempt_at for i in ids]
        assert again[0] > tried[0]
        assert again[1:] == tried[1:]
        for _ in range(3):
            assert flush() == 0
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.state, m.attempts) for m in rows] == [("pending", 0)] * 3
        assert all("OperationalError" in (m.last_error or "") for m in rows)
        assert broken.test_client().get("/healthz").get_json()["outbox"]["dead_letters"] == 0
    with pg_app.app_context():
        assert flush() == 3
    assert all(outbox_row(pg_app, i).state == "sent" for i in ids)


def healthz(app):
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def test_storingen_page_lists_retries_and_discards_and_healthz_follows(app):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    make_user(app, "coordinator")
    assert healthz(app)[1]["status"] == "ok"
    assert healthz(app)[1]["outbox"] == {"ok": True, "dead_letters": 0, "failed_emails": 0}
    first = enqueue(app, "tests.outbox.flaky", 41)
    second = enqueue(app, "tests.outbox.flaky", 42)
    assert outbox_row(app, first).state == outbox_row(app, second).state == "dead"

    code, body = healthz(app)
    # degraded, but the node still serves: no load balancer should take it out for this
    assert (code, body["status"], body["outbox"]) == (
        200,
        "degraded",
        {"ok": False, "dead_letters": 2, "failed_emails": 0},
    )

    client = app.test_client()
    login(client, "coordinator@example.be")
    home = client.get("/home").get_data(as_text=True)
    assert 'href="/storingen/"' in home
    assert "2 achtergrondberichten mislukt" in home
    page = client.get("/storingen/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Storingen</h1>" in html
    assert "tests.outbox.flaky" in html
    assert "RuntimeError: publish refused for this message" in html
    assert f"Bericht #{first} <small>(41)</small>" in html
    assert "Opnieuw proberen" in html
    assert "Verwerpen" in html

    # no CSRF token: refused, nothing changed
    assert client.post(f"/storingen/{first}/retry").status_code == 400
    assert outbox_row(app, first).state == "dead"

    FLAKY["mode"] = "ok"  # the cause is fixed
    response = post_form(client, "/storingen/", {}, action=f"/storingen/{first}/retry")
    assert response.status_code == 302
    assert "wordt opnieuw verstuurd" in client.get("/storingen/").get_data(as_text=True)
    retried = outbox_row(app, first)
    assert (retried.state, retried.attempts, retried.dead_at) == ("sent", 1, None)
    assert healthz(app)[1]["outbox"] == {"ok": False, "dead_letters": 1, "failed_emails": 0}

    response = post_form(client, "/storingen/", {}, action=f"/storingen/{second}/discard")
    assert response.status_code == 302
    html = client.get("/storingen/").get_data(as_text=True)
    assert "blijft bewaard" in html
    assert "Geen storingen" in html
    discarded = outbox_row(app, second)
    assert (discarded.state, discarded.sent_at) == ("discarded", None)
    with app.app_context():
        assert second not in unsent_ids()
        flush()
        actions = db.session.execute(
            select(AuditEvent.action, AuditEvent.subject_id).where(
                AuditEvent.subject_type == "outbox_message"
            )
        ).all()
        assert sorted(actions) == [
            ("outbox_discarded", str(second)),
            ("outbox_retried", str(first)),
        ]
    assert outbox_row(app, second).state == "discarded"
    assert healthz(app) == (
        200,
        {
            **healthz(app)[1],
            "status": "ok",
            "outbox": {"ok": True, "dead_letters": 0, "failed_emails": 0},
        },
    )

    # a message that is no longer a dead letter: 404, not a second retry or discard
    token = csrf_from(client.get("/storingen/").get_data(as_text=True))
    for action in ("retry", "discard"):
        for message_id in (first, second, 987654):
            response = client.post(f"/storingen/{message_id}/{action}", data={"csrf_token": token})
            assert response.status_code == 404


def test_only_the_coordinator_may_see_or_act_on_failures(app):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    message_id = enqueue(app, "tests.outbox.flaky", 1)
    anonymous = app.test_client()
    assert anonymous.get("/storingen/").status_code == 302
    assert "/login" in anonymous.get("/storingen/").headers["Location"]
    for role in ROLES:
        make_user(app, role)
        if role == "coordinator":
            continue
        client = app.test_client()
        login(client, f"{role}@example.be")
        assert client.get("/storingen/").status_code == 403, role
        assert "Storingen" not in client.get("/home").get_data(as_text=True), role
        token = csrf_from(client.get("/home").get_data(as_text=True))
        for action in ("retry", "discard"):
            response = client.post(f"/storingen/{message_id}/{action}", data={"csrf_token": token})
            assert response.status_code == 403, (role, action)
    assert outbox_row(app, message_id).state == "dead"
