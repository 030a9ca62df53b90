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

    with pg_app.app_context(), mock.patch.object(outbox, "publish") as publish:
        outbox.enqueue_after_commit("fieldwork.core.ping")
        with db.session.begin_nested():
            db.session.execute(__import__("sqlalchemy").text("select 1"))
        publish.assert_not_called()  # the savepoint released: nothing committed yet
        db.session.commit()
        publish.assert_called_once()
