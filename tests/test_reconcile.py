"""Effects, not publishes, are the truth: a message the broker accepted and then lost is found
by its missing effect and sent again by the reconciliation sweep (``flask tasks tick``, and
Celery beat's ``fieldwork.core.reconcile``), on both paths."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.auth.models import User
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.core.outbox import OutboxMessage
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from fieldwork.notifications.services import notify
from fieldwork.signals.models import Resident, Signal
from tests import test_referrals, test_signals
from tests.conftest import api_token, bearer, import_areas, make_user
from tests.test_referrals import new_series, wait_for_pdf
from tests.test_signals import intake, wait_for_status

setup = test_signals.setup  # the fixture: areas, users, rules; a worker on the production path
referral_setup = test_referrals.setup  # the same for referral cards


def lose(app: Any, monkeypatch: pytest.MonkeyPatch, task_name: str) -> None:
    """The broker takes every message of this task and forgets it (a Redis restarted
    without persistence): publishing succeeds, the outbox row is marked sent, nothing runs."""
    task = app.extensions["celery"].tasks[task_name]
    monkeypatch.setattr(task, "apply_async", lambda *args, **kwargs: None)


def tick(app: Any) -> str:
    result = app.test_cli_runner().invoke(args=["tasks", "tick"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_lost_routing_message_is_sent_again_once_the_signal_is_overdue(app, setup, monkeypatch):
    client, token = setup
    with monkeypatch.context() as broker:
        lose(app, broker, "routing.route_signal")
        response = client.post("/api/v1/signals", json=intake(), headers=bearer(token))
        assert response.status_code == 201
        signal_id = response.get_json()["id"]
        with app.app_context():
            message = db.session.scalars(select(OutboxMessage)).one()
            assert message.sent_at is not None  # "sent": the outbox will not send it again
        # a signal captured a moment ago is not overdue: nothing re-sent yet
        assert "reconcile: 0 re-enqueued" in tick(app)
    app.config["RECONCILE_AFTER_SECONDS"] = 0  # now it is
    assert "reconcile: 1 re-enqueued (routing 1)" in tick(app)
    assert wait_for_status(client, token, signal_id)["status"] == "routed"
    assert "reconcile: 0 re-enqueued" in tick(app)  # routed: nothing missing any more
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1
        routed = select(func.count()).select_from(CaseEvent).filter_by(type="routed")
        assert db.session.scalar(routed) == 1
        assert db.session.get(Signal, signal_id).case_id is not None


def test_a_lost_email_is_sent_again(app, setup, monkeypatch, mailbox):
    with monkeypatch.context() as broker:
        lose(app, broker, "notifications.send_email")
        with app.app_context():
            an = db.session.scalars(select(User).filter_by(email="an@example.be")).one()
            notify(an, "assigned", "test:1", "Nieuw dossier", "Er staat een dossier klaar.")
            db.session.commit()
            assert db.session.scalars(select(Notification)).one().emailed_at is None
        assert "reconcile: 0 re-enqueued" in tick(app)
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    assert "reconcile: 1 re-enqueued (notifications 1)" in tick(app)
    deadline = time.monotonic() + 30
    while not mailbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m["To"] for m in mailbox.messages] == ["an@example.be"]
    # the worker commits emailed_at just after the SMTP server took the message
    while not _emailed(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _emailed(app)
    assert "reconcile: 0 re-enqueued" in tick(app)
    assert len(mailbox.messages) == 1


def _emailed(app: Any) -> bool:
    with app.app_context():
        return db.session.scalars(select(Notification)).one().emailed_at is not None


def test_an_effect_that_never_comes_is_given_up_after_the_cap(app, setup, monkeypatch):
    client, token = setup
    lose(app, monkeypatch, "routing.route_signal")
    client.post("/api/v1/signals", json=intake(), headers=bearer(token))
    app.config.update(RECONCILE_AFTER_SECONDS=0, RECONCILE_MAX_ENQUEUES=3)
    assert "reconcile: 1 re-enqueued (routing 1)" in tick(app)
    assert "reconcile: 1 re-enqueued (routing 1)" in tick(app)
    assert "reconcile: 0 re-enqueued, 1 given up" in tick(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_a_message_still_waiting_in_the_outbox_is_left_to_the_outbox(app, setup, monkeypatch):
    client, token = setup

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    task = app.extensions["celery"].tasks["routing.route_signal"]
    monkeypatch.setattr(task, "apply_async", broker_down)
    assert client.post("/api/v1/signals", json=intake(), headers=bearer(token)).status_code == 201
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    assert "reconcile: 0 re-enqueued" in tick(app)  # unsent: flush_outbox sends it later
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_broker_hands_a_killed_workers_messages_on_within_minutes(app):
    conf = app.extensions["celery"].conf
    assert conf.broker_transport_options["visibility_timeout"] == 300
    assert conf.beat_schedule["reconcile-effects"]["task"] == "fieldwork.core.reconcile"
    assert "fieldwork.core.reconcile" in app.extensions["celery"].tasks


def test_a_lost_series_pdf_is_printed_again(app, referral_setup, monkeypatch):
    client, tokens = referral_setup
    with monkeypatch.context() as broker:
        lose(app, broker, "referrals.render_series_pdf")
        series = new_series(client, tokens["coordinator"], count=4)
        pdf = client.get(series["pdf_url"], headers=bearer(tokens["coordinator"]))
        assert pdf.status_code == 202  # waiting, for ever without the sweep
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    assert "reconcile: 1 re-enqueued (referrals 1)" in tick(app)
    response = wait_for_pdf(client, tokens["coordinator"], series["id"])
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert "reconcile: 0 re-enqueued" in tick(app)


def test_captures_whose_count_was_lost_are_counted_once(app, request, monkeypatch):
    from fieldwork.areas.models import Neighbourhood
    from fieldwork.db import utcnow
    from fieldwork.reports import rollups
    from fieldwork.reports.models import RollupCounted
    from fieldwork.visits.models import VisitRound
    from fieldwork.visits.services import Findings, record_visit
    from tests.conftest import import_areas, make_user
    from tests.test_rollups import visit_address

    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    volunteer_id = make_user(app, "volunteer")
    lose(app, monkeypatch, "reports.count_capture")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood)).first()
        visit_round = VisitRound(
            municipality_id=hood.municipality_id,
            name="Ronde",
            starts_on=utcnow().date(),
            ends_on=utcnow().date(),
        )
        db.session.add(visit_round)
        db.session.flush()
        for number in range(3):
            address = visit_address(visit_round, number, hood.id)
            volunteer = db.session.get(User, volunteer_id)
            record_visit(address, volunteer, Findings(outcome="not_home", card_left=True))
        db.session.commit()
        assert rollups.stored() != rollups.computed()  # three visits, not counted
    monkeypatch.undo()
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    assert "reconcile: 3 re-enqueued (rollups 3)" in tick(app)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(select(func.count()).select_from(RollupCounted)) == 3:
                break
        time.sleep(0.2)
    with app.app_context():
        assert rollups.stored() == rollups.computed()  # each counted once
    assert "reconcile: 0 re-enqueued" in tick(app)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    captures=st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=8),
    sweeps=st.integers(1, 3),
)
def test_whatever_the_broker_loses_each_signal_is_routed_once(embedded_app, captures, sweeps):
    """Property: captures about a few residents, any of whose routing messages the broker
    loses, then one or more sweeps: every signal routed exactly once, one open case per
    resident, one notification per case, and a sweep after that finds nothing missing."""
    app = embedded_app
    if "token" not in app.extensions:
        import_areas(app, "36012")
        make_user(app, "coordinator")
        app.extensions["token"] = api_token(app.test_client(), "coordinator@example.be")
        app.config["RECONCILE_AFTER_SECONDS"] = 0
    client, token = app.test_client(), app.extensions["token"]
    task = app.extensions["celery"].tasks["routing.route_signal"]
    deliver = task.apply_async
    for resident, lost in captures:
        task.apply_async = (lambda *a, **k: None) if lost else deliver
        body = intake(name=f"Bewoner {resident}", number=str(resident + 1))
        assert client.post("/api/v1/signals", json=body, headers=bearer(token)).status_code == 201
    del task.apply_async  # the class's own again
    outputs = [tick(app) for _ in range(sweeps)]
    lost_count = sum(1 for _, lost in captures if lost)
    assert f"reconcile: {lost_count} re-enqueued" in outputs[0]
    assert all("reconcile: 0 re-enqueued" in output for output in outputs[1:])
    with app.app_context():
        signals = db.session.scalar(select(func.count()).select_from(Signal))
        unrouted = select(func.count()).select_from(Signal).where(Signal.routed_at.is_(None))
        assert db.session.scalar(unrouted) == 0
        routed = select(CaseEvent.signal_id).where(CaseEvent.type == "routed")
        assert (
            len(db.session.scalars(routed).all()) == len(set(db.session.scalars(routed))) == signals
        )
        residents = db.session.scalar(select(func.count()).select_from(Resident))
        cases = db.session.scalar(select(func.count()).select_from(Case))
        assert cases == residents
        assert db.session.scalar(select(func.count()).select_from(Notification)) == cases
