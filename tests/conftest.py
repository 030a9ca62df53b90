"""Fixtures. Every test that takes ``app`` runs twice: on the embedded path (SQLite, eager
tasks, in-memory rate limits) and on the production path (PostgreSQL + Redis). Without
PostgreSQL or Redis the production runs skip — except under CI=true, where they fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in ("true", "1")
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# pytest-xdist runs several processes: each gets its own database, Redis db, queue and worker.
XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - XDIST_INDEX % 8}")
PASSWORD = "correct-horse-battery"
SESSION_ID = uuid.uuid4().hex[:10]
TASK_QUEUE = f"fieldwork-test-{SESSION_ID}"
STORAGE_DIR = ROOT / "test-artifacts" / f"storage-{SESSION_ID}"  # photos, per test run
WORKER_LOG = ROOT / "test-artifacts" / f"worker-{SESSION_ID}.log"

# The operator's environment must not leak into tests.
for _key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
    os.environ.pop(_key, None)


def service_unavailable(what: str, reason: str) -> None:
    message = f"{what} is not reachable ({reason})"
    if CI:
        pytest.fail(f"{message}; under CI=true the production path must be tested", pytrace=False)
    pytest.skip(f"{message}; start it to run the production-path tests")


class _Mailbox:
    """A real SMTP server (aiosmtpd) on localhost that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes

        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_smtp() -> tuple[Any, _Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, mailbox


SMTP_CONTROLLER, MAILBOX = _start_smtp()
SMTP_PORT = SMTP_CONTROLLER.port


@pytest.fixture
def mailbox() -> _Mailbox:
    MAILBOX.messages.clear()
    return MAILBOX


def _make_app(database_uri: str, **extra: Any) -> Flask:
    from fieldwork import create_app

    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "REDIS_URL": None,
        "TASK_QUEUE": TASK_QUEUE,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": SMTP_PORT,
        "STORAGE_DIR": str(STORAGE_DIR),  # the worker process reads and writes the same
        # scrypt costs 0.1-0.2 s a hash; the hashing itself is not what these tests test
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        **extra,
    }
    app = create_app(config)
    from fieldwork.extensions import limiter

    # Flask-Limiter keeps the first app's RATELIMIT_KEY_PREFIX; tests need a fresh count each
    # (and must not touch the counts of another test run sharing this Redis).
    limiter._key_prefix = f"fieldwork-test-{SESSION_ID}-{uuid.uuid4().hex}"
    return app


def sqlalchemy_url(url: str) -> str:
    from fieldwork.config import database_uri

    return database_uri(url, str(ROOT / "instance"))


def _migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "fieldwork.db"
    _migrate(_make_app(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    import psycopg

    name = f"fieldwork_test_{SESSION_ID}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        service_unavailable(f"PostgreSQL at {PG_ADMIN_URL}", str(exc).strip())
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(_make_app(sqlalchemy_url(url)))
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {REDIS_URL}", str(exc))
    return REDIS_URL


def _drain_task_queue(redis_url: str) -> None:
    """Let the session worker finish what the previous test queued, then drop the rest, so
    no task of one test runs against the next test's rows (ids restart for every test)."""
    import json

    import redis

    broker = redis.Redis.from_url(redis_url)
    queues = (TASK_QUEUE, f"{TASK_QUEUE}.batch")

    def ours_in_flight() -> int:
        # kombu keeps a delivered, not yet acknowledged message in the 'unacked' hash
        entries = broker.hvals("unacked")
        return sum(1 for raw in entries if json.loads(raw)[-1] in queues)

    if WORKER_STARTED:
        deadline = time.monotonic() + 15
        while sum(broker.llen(name) for name in queues) or ours_in_flight():
            if time.monotonic() > deadline:
                sys.stderr.write("conftest: the worker was still busy after 15 s; dropped\n")
                break
            time.sleep(0.05)
    broker.delete(*queues)


RESET_SQL = """
DO $$
DECLARE
  tables text[];
  emptied text;
BEGIN
  SELECT array_agg(format('%I', tablename)) INTO tables
    FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version';
  -- DELETE, not TRUNCATE: for a test's few rows it is ten times faster. Foreign keys are
  -- not checked meanwhile (replica role), so the order does not matter.
  SET LOCAL session_replication_role = replica;
  FOREACH emptied IN ARRAY tables LOOP
    EXECUTE 'DELETE FROM ' || emptied;
  END LOOP;
  PERFORM setval(format('%I.%I', schemaname, sequencename), 1, false)
    FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL;
END $$;
"""


def _reset_postgres(app: Flask) -> None:
    """Empty every table and restart every id. The worker is idle (see _drain_task_queue);
    a lock held by some late transaction is waited for, not raced."""
    from fieldwork.extensions import db

    with app.app_context():
        db.session.execute(text(RESET_SQL))
        db.session.commit()


def build_app(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    # Celery keeps "we are inside a task" in one process-wide flag that eager tasks set and
    # reset; eager tasks in two threads at once (the concurrency tests) can leave it set, and
    # then every later result.get() in this process says "never call get() within a task".
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    if kind == "embedded":
        path = tmp_path / "fieldwork.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return _make_app(f"sqlite:///{path}")
    url = request.getfixturevalue("pg_url")
    redis_url = request.getfixturevalue("redis_url")
    _drain_task_queue(redis_url)
    app = _make_app(sqlalchemy_url(url), REDIS_URL=redis_url)
    _reset_postgres(app)
    return app


@pytest.fixture(params=["embedded", "production"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    yield from _single_path_app(request.param, request, tmp_path)


def _single_path_app(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    application = build_app(kind, request, tmp_path)
    yield application
    from fieldwork.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The production path only: PostgreSQL + Redis broker."""
    yield from _single_path_app("production", request, tmp_path)


@pytest.fixture
def embedded_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The embedded path only: SQLite, tasks in-process."""
    yield from _single_path_app("embedded", request, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def import_areas(app: Flask, *codes: str) -> None:
    from fieldwork.areas.importer import import_municipalities
    from fieldwork.extensions import db

    with app.app_context():
        import_municipalities(list(codes), app.config["STATBEL_DIR"])
        db.session.commit()


@pytest.fixture
def moorslede(app: Flask) -> Flask:
    import_areas(app, "36012")
    return app


ROLES = ("volunteer", "referrer", "contact_person", "coordinator", "analyst")


def make_user(
    app: Flask, role: str, email: str | None = None, model2: bool = True, **changes: Any
) -> int:
    """An account. A volunteer also gets an active place in the pool with a checked model 2
    (when a municipality was imported), as the visit and call tests need; model2=False
    leaves them without, for the tests of that gate."""
    from sqlalchemy import select

    from fieldwork.areas.models import Municipality
    from fieldwork.auth.services import create_user
    from fieldwork.extensions import db
    from fieldwork.volunteers.models import Volunteer

    with app.app_context():
        user = create_user(
            email=email or f"{role}@example.be",
            role=role,
            password=PASSWORD,
            name=role.replace("_", " ").title(),
        )
        for key, value in changes.items():
            setattr(user, key, value)
        municipality = db.session.scalar(select(Municipality).order_by(Municipality.id))
        if role == "volunteer" and model2 and municipality is not None:
            db.session.add(
                Volunteer(
                    municipality_id=municipality.id,
                    name=user.name,
                    email=user.email,
                    status="active",
                    roles=["visitor", "caller"],
                    user_id=user.id,
                    model2_checked_on=user.created_at.date(),
                    data_consent_at=user.created_at,
                )
            )
        db.session.commit()
        return user.id


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    return {role: make_user(app, role) for role in ROLES}


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def post_form(
    client: FlaskClient, page_url: str, data: dict[str, Any], action: str | None = None
) -> Any:
    """Open the page, take its CSRF token, post ``data`` to ``action`` (default: the page)."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token})


def post_form_twice(
    client: FlaskClient,
    page_url: str,
    data: dict[str, Any],
    once: str = "once",
    action: str | None = None,
) -> list[int]:
    """A double tap: the page's form (its CSRF token and its ``once`` key, the hidden field
    named ``once``, with ``data``) sent twice to ``action`` (default: the page); the two
    statuses."""
    page = client.get(page_url).get_data(as_text=True)
    key = re.search(rf'name="{re.escape(once)}" type="hidden" value="([^"]+)"', page)
    assert key, f"{page_url} has no {once} key"
    sent = {**data, "csrf_token": csrf_from(page), once: key.group(1)}
    return [client.post(action or page_url, data=sent).status_code for _ in range(2)]


def while_uncommitted(app: Flask, first: Any, second: Any) -> list[Any]:
    """Two at the same moment, made repeatable: ``first()`` writes in an app context without
    committing; meanwhile ``second()`` (a request) is sent from another thread. On PostgreSQL
    it must wait for the first's lock (checked), then the first commits; on SQLite, which
    writes one transaction at a time, it simply comes after. What ``second()`` returned."""
    import threading

    from fieldwork.extensions import db

    answers: list[Any] = []
    waiting = threading.Thread(target=lambda: answers.append(second()))
    with app.app_context():
        first()
        if db.engine.dialect.name == "postgresql":
            waiting.start()
            waiting.join(timeout=1.0)
            assert waiting.is_alive(), "the second request did not wait for the first"
        db.session.commit()
    if not waiting.is_alive() and not answers:
        waiting.start()
    waiting.join(timeout=30)
    return answers


def api_token(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


WORKER_STARTED = False


def start_worker(
    name: str,
    pg_url: str,
    redis_url: str,
    log_path: Path,
    queue: str = TASK_QUEUE,
    extra_env: dict[str, str] | None = None,
    queues: str | None = None,
) -> subprocess.Popen[bytes]:
    """A real Celery worker process on Redis and the test PostgreSQL database, ready. The
    fault tests give it a queue of its own and settings (``FIELDWORK_*``) in ``extra_env``."""
    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "worker-test-secret",
        "FIELDWORK_TASK_QUEUE": queue,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(SMTP_PORT),
        "STORAGE_DIR": str(STORAGE_DIR),
        **(extra_env or {}),
    }
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                f"--hostname={name}-{SESSION_ID}@%h",
                "-Q",
                queues or f"{queue},{queue}.batch",  # the fast and the batch queue
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the Celery worker did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def celery_worker(pg_url: str, redis_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """The session's Celery worker, shared by the tests that need one."""
    global WORKER_STARTED
    process = start_worker("test", pg_url, redis_url, WORKER_LOG)
    WORKER_STARTED = True
    yield process
    WORKER_STARTED = False
    stop_worker(process)
