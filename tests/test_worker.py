"""Celery: in-process on the embedded path, a real worker on Redis + PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from fieldwork.core.tasks import ping
from tests.conftest import import_areas


def test_tasks_run_in_process_without_a_broker(embedded_app):
    import_areas(embedded_app, "36012")
    with embedded_app.app_context():
        result = ping.delay("hallo").get(timeout=5)
    assert result == {"pong": "hallo", "database": "sqlite", "neighbourhoods": 3}


@pytest.mark.integration
def test_real_worker_round_trip_on_redis_and_postgresql(pg_app, celery_worker):
    import_areas(pg_app, "36012", "72037")
    token = uuid.uuid4().hex
    with pg_app.app_context():
        assert pg_app.extensions["celery"].conf.task_always_eager is False
        result = ping.delay(token).get(timeout=30)
    assert result == {"pong": token, "database": "postgresql", "neighbourhoods": 6}
    assert celery_worker.poll() is None


def test_a_savepoint_inside_the_capture_does_not_drop_its_messages(pg_app):
    """SQLAlchemy sends after_commit for a released SAVEPOINT too; the outbox must wait for
    the real commit (a rollup row or a request made under a savepoint used to lose the
    notification queued before it)."""
    from unittest import mock

    from fieldwork.core import outbox
    from fieldwork.extensions import db

    with pg_app.app_context(), mock.patch.object(outbox, "_send") as publish:
        outbox.enqueue_after_commit("fieldwork.core.ping")
        with db.session.begin_nested():
            db.session.execute(__import__("sqlalchemy").text("select 1"))
        publish.assert_not_called()  # the savepoint released: nothing committed yet
        db.session.commit()
        publish.assert_called_once()


def test_slow_jobs_go_to_the_batch_queue_and_never_hold_up_routing(
    pg_app, pg_url, redis_url, tmp_path
):
    """Routing and e-mail on the fast queue, card PDFs, imports, reports and photos on the
    batch queue; a worker on the fast queue alone answers at once while a card PDF waits for
    a batch worker (deploy/ runs one of each): printing never delays a routing."""
    import redis

    from fieldwork.config import BATCH_TASKS
    from tests.conftest import start_worker, stop_worker

    celery = pg_app.extensions["celery"]
    fast = pg_app.config["TASK_QUEUE"]
    route = celery.amqp.router.route
    assert route({}, "routing.route_signal")["queue"].name == fast
    assert route({}, "notifications.send_email")["queue"].name == fast
    for name in BATCH_TASKS:
        assert route({}, name)["queue"].name == f"{fast}.batch"
    assert {q.name for q in celery.conf.task_queues} == {fast, f"{fast}.batch"}

    own = f"{fast}-split-{uuid.uuid4().hex[:6]}"
    broker = redis.Redis.from_url(redis_url)
    worker = start_worker(
        "fast-only", pg_url, redis_url, tmp_path / "fast.log", queue=own, queues=own
    )
    try:
        celery.send_task("referrals.render_series_pdf", args=[999_999], queue=f"{own}.batch")
        pong = ping.apply_async(args=["fast"], queue=own)
        assert pong.get(timeout=30)["pong"] == "fast"
        assert broker.llen(f"{own}.batch") == 1  # still waiting for a batch worker
    finally:
        stop_worker(worker)
        broker.delete(own, f"{own}.batch")
