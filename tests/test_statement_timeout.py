"""Bounded web requests (issue 18, "Load"): PostgreSQL cancels a web request's statement after
DB_STATEMENT_TIMEOUT_MS, while Celery tasks and flask commands (the rollup rebuild) keep the
server's own setting; gunicorn's worker timeout sits a little above it."""

from __future__ import annotations

import runpy
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.conftest import ROOT


def _show(app: Flask) -> tuple[str, int]:
    from fieldwork.extensions import db

    row = db.session.execute(text("SELECT current_setting('statement_timeout'), pg_backend_pid()"))
    setting, pid = row.one()
    db.session.rollback()
    return str(setting), int(pid)


def _server_default(app: Flask) -> str:
    import psycopg

    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW statement_timeout").fetchone()
    assert row
    return str(row[0])


def test_a_web_request_has_the_statement_timeout_a_task_and_a_command_do_not(
    pg_app: Flask,
) -> None:
    from fieldwork.extensions import db

    default = _server_default(pg_app)
    assert default != "15s"
    with pg_app.test_request_context("/api/v1/queue"):
        in_request, request_pid = _show(pg_app)
        db.session.remove()
    assert in_request == "15s"

    # Outside a request (how `flask` commands and Celery tasks run: an app context), the same
    # pooled connection is given back the server's setting.
    with pg_app.app_context():
        outside, outside_pid = _show(pg_app)
        db.session.remove()
    assert outside == default
    assert outside_pid == request_pid

    # A task, run the way the worker runs it (fieldwork.extensions.celery_init_app's FlaskTask).
    celery_app = pg_app.extensions["celery"]

    @celery_app.task(name="tests.show_statement_timeout")
    def show_statement_timeout() -> str:
        try:
            return _show(pg_app)[0]
        finally:
            db.session.remove()

    assert show_statement_timeout.apply().get() == default


def test_the_timeout_cancels_a_slow_statement_and_follows_the_setting(pg_app: Flask) -> None:
    from fieldwork.extensions import db

    pg_app.config["DB_STATEMENT_TIMEOUT_MS"] = 200
    with pg_app.test_request_context("/"):
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(2)"))
        db.session.rollback()
        assert _show(pg_app)[0] == "200ms"
        db.session.remove()

    # 0 turns it off: a request then has the server's setting too.
    pg_app.config["DB_STATEMENT_TIMEOUT_MS"] = 0
    with pg_app.test_request_context("/"):
        assert _show(pg_app)[0] == _server_default(pg_app)
        db.session.remove()


def test_the_environment_sets_it() -> None:
    from fieldwork import create_app

    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "DB_STATEMENT_TIMEOUT_MS": 1}
    )
    assert app.config["DB_STATEMENT_TIMEOUT_MS"] == 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FIELDWORK_DB_STATEMENT_TIMEOUT_MS", "2500")
        app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["DB_STATEMENT_TIMEOUT_MS"] == 2500


def _gunicorn_settings() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


@pytest.mark.parametrize(
    ("environment", "timeout"),
    [
        ({}, 20),
        ({"FIELDWORK_DB_STATEMENT_TIMEOUT_MS": "2500"}, 8),
        ({"GUNICORN_TIMEOUT": "45"}, 45),
    ],
)
def test_gunicorn_gives_up_on_a_request_a_little_after_postgresql(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], timeout: int
) -> None:
    for key in ("FIELDWORK_DB_STATEMENT_TIMEOUT_MS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = _gunicorn_settings()
    assert settings["timeout"] == timeout
    assert settings["graceful_timeout"] == timeout
