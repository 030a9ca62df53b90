"""The audit log is append-only: PostgreSQL refuses UPDATE and DELETE, and the hash chain
sealed by ``flask audit seal`` makes ``flask audit verify`` name the first tampered event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fieldwork.core.audit import record_audit
from fieldwork.core.models import AuditEvent, AuditSeal
from fieldwork.db import utcnow
from fieldwork.extensions import db
from tests.conftest import login, make_user


def _write_events(app, n: int) -> list[int]:
    with app.app_context():
        events = [
            record_audit("case_viewed", "case", i, user_id=None, ids=[i, i + 1]) for i in range(n)
        ]
        db.session.commit()
        return [e.id for e in events]


def _tamper(app, sql: str, **params: object) -> None:
    """As the database's superuser, with the append-only trigger switched off."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(sql), params)
        db.session.commit()


def _seal(app) -> str:
    result = app.test_cli_runner().invoke(args=["audit", "seal", "--margin", "0"])
    assert result.exit_code == 0, result.output
    return result.output


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_postgresql_refuses_update_and_delete(pg_app):
    ids = _write_events(pg_app, 2)
    _seal(pg_app)
    for statement in (
        "UPDATE audit_events SET action = 'nothing' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
        "UPDATE audit_seals SET hash = 'x' WHERE event_id = :id",
        "DELETE FROM audit_seals WHERE event_id = :id",
        "TRUNCATE audit_events",
    ):
        with pg_app.app_context():
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement), {"id": ids[0]})
            db.session.rollback()
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_a_real_request_is_sealed_and_verifies(app):
    make_user(app, "coordinator")
    login(app.test_client(), "coordinator@example.be")
    assert "sealed 0 events" in app.test_cli_runner().invoke(args=["audit", "seal"]).output
    assert "sealed 1 events" in _seal(app)
    _write_events(app, 3)
    assert "sealed 3 events" in _seal(app)
    assert "sealed 0 events" in _seal(app)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "4 sealed events" in result.output


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE audit_events SET detail = '{\"ids\": [99]}' WHERE id = :id", "changed"),
        ("UPDATE audit_events SET user_id = NULL, ip = '10.0.0.1' WHERE id = :id", "changed"),
        ("DELETE FROM audit_events WHERE id = :id", "deleted"),
    ],
)
def test_tampering_makes_verify_fail_naming_the_event(app, sql, reason):
    ids = _write_events(app, 6)
    _seal(app)
    _tamper(app, sql, id=ids[3])
    _write_events(app, 2)  # later events, sealed on top, do not hide it
    _seal(app)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"audit event {ids[3]} {reason}" in result.output
    assert "3 events before it are intact" in result.output


def test_an_event_slipped_in_below_the_seal_is_found(app):
    ids = _write_events(app, 3)
    _seal(app)
    _tamper(
        app,
        "INSERT INTO audit_events (id, at, action, subject_type, detail) "
        "VALUES (:id, CURRENT_TIMESTAMP, 'login', 'user', '{}')",
        id=ids[-1] + 100,
    )
    _tamper(app, "DELETE FROM audit_events WHERE id = :id", id=ids[0])
    _tamper(app, "DELETE FROM audit_seals WHERE event_id = :id", id=ids[0])
    _tamper(
        app,
        "INSERT INTO audit_events (id, at, action, subject_type, detail) "
        "VALUES (:id, CURRENT_TIMESTAMP, 'login', 'user', '{}')",
        id=ids[0],
    )
    result = _verify(app)
    assert result.exit_code == 1
    # the chain of the second event was computed over the first one's original content
    assert f"audit event {ids[0]} inserted after sealing" in result.output


def test_events_younger_than_the_margin_wait(app):
    _write_events(app, 2)
    result = app.test_cli_runner().invoke(args=["audit", "seal", "--margin", "600"])
    assert "sealed 0 events" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditSeal)) == 0


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), n=st.integers(1, 12))
def test_verify_names_exactly_the_changed_event(embedded_app, data, n):
    app = embedded_app
    with app.app_context():
        db.session.execute(AuditSeal.__table__.delete())
        db.session.execute(AuditEvent.__table__.delete())
        db.session.commit()
    ids = _write_events(app, n)
    _seal(app)
    assert _verify(app).exit_code == 0
    victim = data.draw(st.sampled_from(ids))
    column, value = data.draw(
        st.sampled_from(
            [
                ("action", "'login'"),
                ("subject_id", "'999'"),
                ("detail", "'{}'"),
                ("at", "'2020-01-01 00:00:00.000000'"),
                ("user_id", "1"),
            ]
        )
    )
    # column and value come from the fixed list above
    _tamper(app, f"UPDATE audit_events SET {column} = {value} WHERE id = :id", id=victim)  # noqa: S608
    result = _verify(app)
    assert result.exit_code == 1
    assert f"audit event {victim} changed" in result.output


def test_the_seal_stops_at_the_first_young_event_and_never_skips_it(app):
    """Ids and clocks need not agree (two app servers): an older event behind a young one
    waits with it, else the young one would later look slipped in."""
    young, old = _write_events(app, 2)
    _tamper(
        app,
        "UPDATE audit_events SET at = :at WHERE id = :id",
        at=utcnow() - timedelta(hours=1),
        id=old,
    )
    assert "sealed 0 events" in app.test_cli_runner().invoke(args=["audit", "seal"]).output
    _seal(app)
    assert _verify(app).exit_code == 0
    assert young < old
