"""The core loop under faults, on PostgreSQL + Redis + a real Celery worker: a worker killed
with SIGKILL in the middle of a burst of captures, and a broker that loses its memory after
the captures were published. Every signal is routed exactly once; no case, routed event or
notification is doubled. Each test prints its figures.

Each test runs its own ``redis-server`` (no persistence) on a free port, with its own app and
worker pointed at it: the machine's shared Redis is never restarted, and the short visibility
timeout these tests use touches no other test's messages."""

from __future__ import annotations

import base64
import json
import os
import signal as os_signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from fieldwork.cases.models import Case, CaseEvent
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from fieldwork.signals.models import Resident, Signal
from tests.conftest import (
    ROOT,
    SESSION_ID,
    _make_app,
    api_token,
    bearer,
    free_port,
    import_areas,
    make_user,
    service_unavailable,
    start_worker,
    stop_worker,
)
from tests.test_signals import intake

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
VISIBILITY_TIMEOUT = 5  # the test configuration's; production: 300 (README, "Workers")
RESTORE_INTERVAL = 10  # how often a worker looks for messages past it (fieldwork/config.py)

pytestmark = pytest.mark.integration


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """A private Redis without persistence (like compose's ``redis:7`` before this fix)."""
    import redis

    if not Path(REDIS_SERVER).exists():
        service_unavailable(f"redis-server at {REDIS_SERVER}", "not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.5).ping()
            return process
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.05)


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(os_signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    box: dict[str, Any] = {"port": port, "url": f"redis://127.0.0.1:{port}/0"}
    box["process"] = start_redis(port, tmp_path / "redis")
    yield box
    kill(box["process"])


def fault_app(pg_app: Any, redis_url: str, queue: str) -> Any:
    app = _make_app(
        pg_app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=redis_url,
        TASK_QUEUE=queue,
        RATELIMIT_STORAGE_URI="memory://",
    )
    import_areas(app, "36012")
    make_user(app, "coordinator")  # no rules: every new case goes to the coordinator
    return app


def worker(
    name: str, pg_url: str, redis_url: str, queue: str, **settings: str
) -> subprocess.Popen[bytes]:
    log = ROOT / "test-artifacts" / f"worker-{name}-{SESSION_ID}.log"
    env = {"FIELDWORK_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    env.update({f"FIELDWORK_{key}": value for key, value in settings.items()})
    return start_worker(name, pg_url, redis_url, log, queue=queue, extra_env=env)


def capture(client: Any, token: str, i: int, residents: int) -> int:
    """Capture i is about resident i % residents: some residents get a second signal, which
    must join their one open case."""
    n = i % residents
    body = intake(name=f"Bewoner {n}", number=str(n + 1))
    response = client.post("/api/v1/signals", json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def routed_count(app: Any) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Signal).where(Signal.routed_at.is_not(None))
        )
        db.session.rollback()
        return int(count or 0)


def wait_routed(app: Any, total: int, seconds: float) -> float:
    """Seconds until every signal is routed (fails after ``seconds``)."""
    start = time.monotonic()
    while routed_count(app) < total:
        assert time.monotonic() - start < seconds, (
            f"{routed_count(app)} of {total} routed after {seconds} s"
        )
        time.sleep(0.2)
    return time.monotonic() - start


def wait_drained(broker: Any, queue: str, seconds: float) -> float:
    """Seconds until the queue is empty and no message is held (delivered, unacknowledged):
    a killed worker's message counts until the broker has handed it on and it was done."""
    start = time.monotonic()
    while broker.llen(queue) or broker.hlen("unacked"):
        assert time.monotonic() - start < seconds, (
            f"after {seconds} s: {broker.llen(queue)} queued, {broker.hlen('unacked')} held"
        )
        time.sleep(0.2)
    return time.monotonic() - start


def held_tasks(broker: Any) -> list[tuple[str, list[Any]]]:
    """The task names and arguments of the messages held (delivered, not acknowledged)."""
    held = []
    for raw in broker.hvals("unacked"):
        message = json.loads(raw)[0]
        args = json.loads(base64.b64decode(message["body"]))[0]
        held.append((message["headers"]["task"], args))
    return held


def figures(app: Any) -> dict[str, int]:
    """What the database holds, and every way it could be doubled."""
    with app.app_context():

        def count(query: Any) -> int:
            return int(db.session.scalar(query) or 0)

        routed_events = (
            select(CaseEvent.signal_id, func.count().label("n"))
            .where(CaseEvent.type == "routed")
            .group_by(CaseEvent.signal_id)
            .subquery()
        )
        open_cases = (
            select(Case.resident_id, func.count().label("n"))
            .where(Case.closed_at.is_(None))
            .group_by(Case.resident_id)
            .subquery()
        )
        result = {
            "signals": count(select(func.count()).select_from(Signal)),
            "routed": count(
                select(func.count()).select_from(Signal).where(Signal.routed_at.is_not(None))
            ),
            "residents": count(select(func.count()).select_from(Resident)),
            "cases": count(select(func.count()).select_from(Case)),
            "routed_events": count(
                select(func.count()).select_from(CaseEvent).filter_by(type="routed")
            ),
            "signals_routed_twice": count(
                select(func.count()).select_from(routed_events).where(routed_events.c.n > 1)
            ),
            "residents_with_two_open_cases": count(
                select(func.count()).select_from(open_cases).where(open_cases.c.n > 1)
            ),
            "notifications": count(select(func.count()).select_from(Notification)),
        }
        db.session.rollback()
        return result


def assert_each_routed_once(found: dict[str, int], captured: int, residents: int) -> None:
    assert found["signals"] == found["routed"] == found["routed_events"] == captured
    assert found["signals_routed_twice"] == 0
    assert found["residents"] == found["cases"] == residents
    assert found["residents_with_two_open_cases"] == 0
    # one "new case in your queue" per case (dedup_key), none for a signal that joined one
    assert found["notifications"] == residents


def test_a_worker_killed_mid_burst_loses_and_doubles_nothing(pg_app, pg_url, private_redis):
    import redis

    captured, residents = 150, 100
    queue = f"fieldwork-kill-{uuid.uuid4().hex[:8]}"
    app = fault_app(pg_app, private_redis["url"], queue)
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    broker = redis.Redis.from_url(private_redis["url"])
    first = worker("kill1", pg_url, private_redis["url"], queue)
    second = None
    try:
        killed_after, held = 0, []
        for i in range(captured):
            capture(client, token, i, residents)
            # SIGKILL while the worker holds a message (delivered, not acknowledged), a
            # routing one if it can be had
            held = held_tasks(broker) if i >= captured // 3 else []
            routing = any(name == "routing.route_signal" for name, _args in held)
            if held and (routing or i >= captured - 20):
                kill(first)
                killed_after = i + 1
                break
        assert held, "the worker never held a message to kill it with"
        routed_at_kill = routed_count(app)
        with app.app_context():
            unrouted_held = [
                args[0]
                for name, args in held
                if name == "routing.route_signal"
                and db.session.get(Signal, args[0]).routed_at is None
            ]
        for i in range(killed_after, captured):  # the web keeps taking captures
            capture(client, token, i, residents)
        killed_at = time.monotonic()
        second = worker("kill2", pg_url, private_redis["url"], queue)
        # documented recovery: the visibility timeout, then the next restore look (every
        # 10 s), plus the time to work through the queue
        limit = VISIBILITY_TIMEOUT + RESTORE_INTERVAL + 30
        recovered = wait_routed(app, captured, limit)
        # the killed worker's message was handed on (after the visibility timeout) and done;
        # with kombu's default of an hour it would still be held here
        drained = wait_drained(broker, queue, limit)
        # so the sweep finds nothing missing: the broker alone recovered everything
        app.config["RECONCILE_AFTER_SECONDS"] = 0
        tick = app.test_cli_runner().invoke(args=["tasks", "tick"]).output
        found = figures(app)
        print(
            f"\nkill -9: captured {captured}, killed after capture {killed_after}, routed "
            f"before the kill {routed_at_kill}, "
            f"held by the killed worker {held} (unrouted then: {unrouted_held}), "
            f"all routed {recovered:.1f} s after the restart, "
            f"nothing held or queued {recovered + drained:.1f} s after it "
            f"({time.monotonic() - killed_at:.1f} s after the last capture), "
            f"sweep: {tick.strip()}; {found}"
        )
        assert "reconcile: 0 re-enqueued" in tick
        assert_each_routed_once(found, captured, residents)
    finally:
        kill(first)
        if second is not None:
            stop_worker(second)


def test_a_broker_restarted_empty_loses_nothing_after_the_sweep(
    pg_app, pg_url, private_redis, tmp_path
):
    import redis

    captured, residents = 60, 45
    queue = f"fieldwork-empty-{uuid.uuid4().hex[:8]}"
    app = fault_app(pg_app, private_redis["url"], queue)
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    broker = redis.Redis.from_url(private_redis["url"])
    consumer = None
    try:
        # the captures are stored and published; no worker has taken them yet
        for i in range(captured):
            capture(client, token, i, residents)
        published = broker.llen(queue)
        assert published == captured
        # the broker dies and comes back empty (no AOF, no RDB)
        kill(private_redis["process"])
        private_redis["process"] = start_redis(private_redis["port"], tmp_path / "redis2")
        assert broker.llen(queue) == 0
        # "a few minutes later" (the worker's RECONCILE_AFTER_SECONDS, default 300)
        consumer = worker("empty", pg_url, private_redis["url"], queue, RECONCILE_AFTER_SECONDS="0")
        time.sleep(2)
        before_sweep = routed_count(app)
        assert before_sweep == 0  # the messages are gone; the outbox rows say "sent"
        # what beat sends every two minutes, run by the worker
        sweep = app.extensions["celery"].send_task("fieldwork.core.reconcile", queue=queue)
        swept = sweep.get(timeout=30)
        assert swept["routing"] == captured
        recovered = wait_routed(app, captured, 30)
        wait_drained(broker, queue, 30)
        # everything done now: a second sweep (flask tasks tick) finds nothing missing
        app.config["RECONCILE_AFTER_SECONDS"] = 0
        again = app.test_cli_runner().invoke(args=["tasks", "tick"]).output
        assert "reconcile: 0 re-enqueued" in again
        found = figures(app)
        print(
            f"\nbroker restarted empty: captured {captured}, published {published}, routed "
            f"before the sweep {before_sweep}, the beat sweep re-enqueued {swept}; all routed "
            f"{recovered:.1f} s after it; second sweep: {again.strip()}; {found}"
        )
        assert_each_routed_once(found, captured, residents)
    finally:
        if consumer is not None:
            stop_worker(consumer)


class _Answering:
    """An SMTP server that answers every recipient with ``reply`` (a 451 "try later")."""

    def __init__(self, reply: str) -> None:
        self.reply, self.tries = reply, 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, *_: Any):
        self.tries += 1
        return self.reply


def test_an_email_whose_retry_was_lost_after_a_try_later_is_sent_by_the_sweep(
    pg_app, pg_url, private_redis, mailbox
):
    """The mail server said "try again later"; the worker holding the retry is killed and the
    broker comes back empty. The sweep must send it once the server is back."""
    import redis
    from aiosmtpd.controller import Controller

    from fieldwork.auth.models import User
    from fieldwork.notifications.services import notify

    queue = f"fieldwork-smtp-{uuid.uuid4().hex[:8]}"
    app = fault_app(pg_app, private_redis["url"], queue)
    busy = _Answering("451 4.3.0 Try again later")
    server = Controller(busy, hostname="127.0.0.1", port=free_port())
    server.start()
    consumer = worker("smtp-busy", pg_url, private_redis["url"], queue, MAIL_PORT=str(server.port))
    try:
        with app.app_context():
            coordinator = db.session.scalars(select(User)).one()
            notification_id = notify(coordinator, "assignment", "t:1", "Nieuw dossier", "…").id
            db.session.commit()
        deadline = time.monotonic() + 30
        while not busy.tries:
            assert time.monotonic() < deadline, "the worker never tried to send it"
            time.sleep(0.2)
        time.sleep(1)  # its "try later" is handled: the retry waits in the worker
        kill(consumer)
    finally:
        server.stop()
    kill(private_redis["process"])  # the broker restarts empty
    private_redis["process"] = start_redis(private_redis["port"], ROOT / "test-artifacts" / "r")
    assert redis.Redis.from_url(private_redis["url"]).llen(queue) == 0
    consumer = worker("smtp-back", pg_url, private_redis["url"], queue, RECONCILE_AFTER_SECONDS="0")
    try:
        sweep = app.extensions["celery"].send_task("fieldwork.core.reconcile", queue=queue)
        assert sweep.get(timeout=30)["notifications"] == 1
        deadline = time.monotonic() + 30
        while not [m for m in mailbox.messages if m["Subject"] == "Nieuw dossier"]:
            assert time.monotonic() < deadline, "the e-mail was not sent after the sweep"
            time.sleep(0.2)
        with app.app_context():
            assert db.session.get(Notification, notification_id).emailed_at is not None
    finally:
        stop_worker(consumer)


def test_a_resident_erased_before_the_worker_routed_their_signal_gets_no_case(
    pg_app, pg_url, private_redis
):
    """The signal is stored and published; the resident is erased before a worker takes it.
    The worker must not open a case (nor tell a contact person) for someone erased."""
    queue = f"fieldwork-erased-{uuid.uuid4().hex[:8]}"
    app = fault_app(pg_app, private_redis["url"], queue)
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    signal_id = capture(client, token, 0, 1)
    resident_id = erase_the_resident_of(app, client, token, signal_id)
    consumer = worker("erased", pg_url, private_redis["url"], queue)
    try:
        wait_drained(redis_client(private_redis), queue, 30)
        time.sleep(1)  # the last message taken is done
        with app.app_context():
            cases = db.session.scalars(select(Case).filter_by(resident_id=resident_id)).all()
            told = db.session.scalars(select(Notification)).all()
            signal = db.session.get(Signal, signal_id)
            assert [case.closed_at is not None for case in cases] == [True] * len(cases)
            assert told == []
            assert signal.routed_at is not None
            assert signal.case_id is None
    finally:
        stop_worker(consumer)


def redis_client(box: dict[str, Any]) -> Any:
    import redis

    return redis.Redis.from_url(box["url"])


def test_an_email_held_back_by_the_mail_server_is_not_sent_after_an_erasure(
    pg_app, pg_url, private_redis, mailbox
):
    """The mail server says "try later" for the new case's e-mail; meanwhile the resident is
    erased. When the server is back, that e-mail (its text gone) is not sent at all."""
    from aiosmtpd.controller import Controller

    from fieldwork.notifications.models import NOT_SENT_ERASED

    queue = f"fieldwork-erase-mail-{uuid.uuid4().hex[:8]}"
    app = fault_app(pg_app, private_redis["url"], queue)
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    busy = _Answering("451 4.3.0 Try again later")
    server = Controller(busy, hostname="127.0.0.1", port=free_port())
    server.start()
    consumer = worker("mail-busy", pg_url, private_redis["url"], queue, MAIL_PORT=str(server.port))
    try:
        signal_id = capture(client, token, 0, 1)
        deadline = time.monotonic() + 30
        while not busy.tries:  # routed, the coordinator's e-mail tried once
            assert time.monotonic() < deadline, "the worker never tried to send it"
            time.sleep(0.2)
        erase_the_resident_of(app, client, token, signal_id)
        kill(consumer)
    finally:
        server.stop()
    consumer = worker("mail-back", pg_url, private_redis["url"], queue, RECONCILE_AFTER_SECONDS="0")
    try:
        sweep = app.extensions["celery"].send_task("fieldwork.core.reconcile", queue=queue)
        sweep.get(timeout=30)
        wait_drained(redis_client(private_redis), queue, 30)
        time.sleep(1)
        with app.app_context():
            held = db.session.scalars(select(Notification)).one()
            assert held.email_error == NOT_SENT_ERASED
            assert held.emailed_at is None
        assert [m for m in mailbox.messages if m["To"] == "coordinator@example.be"] == []
        assert client.get("/healthz").get_json()["outbox"]["failed_emails"] == 0
    finally:
        stop_worker(consumer)


def erase_the_resident_of(app: Any, client: Any, token: str, signal_id: int) -> int:
    """Erase (by the API, on request) the resident the signal is about; their id."""
    from tests.test_privacy_erasure import erase_by_api

    with app.app_context():
        resident_id = int(db.session.get(Signal, signal_id).resident_id)
    erase_by_api(client, token, resident_id)
    return resident_id
