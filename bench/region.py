"""The region-scale bench (issue 18): `make bench`, or `.venv/bin/python bench/region.py
[--scale tiny|medium|full]` (default: ``BENCH_SCALE``, else ``full``).

Creates a fresh PostgreSQL database next to the admin one (``BENCH_PG_URL``, else
``TEST_PG_URL``, else postgres@127.0.0.1/test), migrates it (``flask db upgrade``), generates
a region's data set in bulk SQL (municipalities, neighbourhoods, residents, signals, cases,
case events, rollups), then runs each measure of the app beside a raw reference doing the
same work in the same run, and prints a table: what | app | raw reference | ratio
(ratio = app time / reference time; for rates, reference rate / app rate).

Figures only, no targets asserted: it exits non-zero only when a measure crashes. The
database (and the Redis queue the captures' routing tasks land in, never consumed) is
dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
PASSWORD = "bench-password-horse"  # noqa: S105 - a throw-away account in a throw-away database
REAL_MUNICIPALITY = "36012"  # Moorslede: real sectors, so a capture's address resolves


@dataclass(frozen=True)
class Scale:
    municipalities: int
    neighbourhoods: int
    signals: int
    cases: int
    my_open_cases: int  # the contact person whose queue is read
    open_share: float  # of the other cases, open (the coordinator's queue)
    big_share: float  # of the residents, in the dashboard's municipality
    repeats: int  # requests per read measure (p50 over these)
    captures: int  # per thread, 8 threads


SCALES = {
    "tiny": Scale(2, 6, 400, 100, 40, 0.2, 0.3, 3, 3),
    "medium": Scale(20, 88, 50_000, 10_000, 500, 0.1, 0.17, 10, 20),
    "full": Scale(20, 88, 1_000_000, 200_000, 2_000, 0.1, 0.17, 10, 40),
}
CONCURRENCY = 8
CAPTURE_WARM_UP = 10  # posts per thread before capture is measured


@dataclass
class Row:
    what: str
    app: str
    reference: str
    ratio: float | None
    notes: list[str] = field(default_factory=list)


# --- the database -------------------------------------------------------------------------


def admin_connect() -> psycopg.Connection[Any]:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


CREATED: list[str] = []  # the databases this process made (and dropped)


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"fieldwork_bench_{uuid.uuid4().hex[:10]}"
    with admin_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    CREATED.append(name)
    try:
        yield database_url(name)
    finally:
        with admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def make_app(url: str, queue: str) -> Any:
    from fieldwork import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": sa_url(url),
            "REDIS_URL": REDIS_URL,
            "TASK_QUEUE": queue,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )


# --- the data set -------------------------------------------------------------------------


@dataclass
class World:
    url: str
    contact_person: int = 0
    coordinator: int = 0
    big_municipality: int = 0  # the dashboard's
    big_code: str = ""
    hood: int = 0  # the summary's
    hoods_big: list[int] = field(default_factory=list)
    made: str = ""  # what the data set holds, counted


def count_world(world: World) -> None:
    with psycopg.connect(world.url) as conn:
        counts = conn.execute(
            """SELECT (SELECT count(*) FROM municipalities), (SELECT count(*) FROM neighbourhoods),
                (SELECT count(*) FROM residents), (SELECT count(*) FROM signals),
                (SELECT count(*) FROM cases), (SELECT count(*) FROM cases WHERE closed_at IS NULL),
                (SELECT count(*) FROM case_events), (SELECT count(*) FROM rollups)"""
        ).fetchone()
    assert counts
    names = (
        "municipalities",
        "neighbourhoods",
        "residents",
        "signals",
        "cases",
        "open cases",
        "case events",
        "rollup rows",
    )
    world.made = ", ".join(f"{count:,} {name}" for count, name in zip(counts, names, strict=True))


def make_areas_and_users(app: Any, scale: Scale, world: World) -> None:
    from sqlalchemy import select

    from fieldwork.areas.importer import import_municipalities
    from fieldwork.areas.models import Municipality, Neighbourhood
    from fieldwork.auth.services import create_user
    from fieldwork.extensions import db

    with app.app_context():
        import_municipalities([REAL_MUNICIPALITY], app.config["STATBEL_DIR"])
        db.session.commit()
        real = db.session.scalars(select(Municipality)).one()
        world.big_municipality, world.big_code = real.id, real.code
        existing = len(real.neighbourhoods)
        synthetic = scale.municipalities - 1
        remaining = scale.neighbourhoods - existing
        for number in range(synthetic):
            per = max(2, remaining // synthetic + (number < remaining % synthetic))
            municipality = Municipality(code=f"9{number:04d}", name=f"Benchgemeente {number}")
            db.session.add(municipality)
            db.session.flush()
            for index in range(per):
                db.session.add(
                    Neighbourhood(
                        municipality_id=municipality.id,
                        name="Niet te lokaliseren" if index == 0 else f"Buurt {number}-{index}",
                        is_unlocatable=index == 0,
                    )
                )
        users = {}
        for role, email in (
            ("contact_person", "bench-cp@example.be"),
            ("coordinator", "bench-coordinator@example.be"),
            *(("contact_person", f"bench-cp{n}@example.be") for n in range(4)),
        ):
            users[email] = create_user(email=email, role=role, password=PASSWORD, name=email)
        db.session.commit()
        world.contact_person = users["bench-cp@example.be"].id
        world.coordinator = users["bench-coordinator@example.be"].id
        world.hoods_big = list(
            db.session.scalars(
                select(Neighbourhood.id).where(Neighbourhood.municipality_id == real.id)
            )
        )
        world.hood = (
            db.session.scalars(
                select(Neighbourhood.id)
                .where(
                    Neighbourhood.municipality_id == real.id,
                    Neighbourhood.is_unlocatable.is_(False),
                )
                .order_by(Neighbourhood.id)
            ).first()
            or world.hoods_big[0]
        )


def generate(scale: Scale, world: World) -> None:
    """Residents, cases, case events, signals and rollups, in bulk (INSERT … SELECT over
    generate_series: no ORM, no row-by-row round trips)."""
    from fieldwork.cases.models import OUTCOMES as CASE_OUTCOMES
    from fieldwork.signals.vocabulary import DOMAINS, POLARITIES, SOURCES, THEMES

    residents = int(scale.cases * 1.25)
    with psycopg.connect(world.url) as conn:
        conn.execute("SELECT setseed(0.18)")
        hoods_big = world.hoods_big
        hoods_other = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM neighbourhoods WHERE municipality_id <> %s ORDER BY id",
                [world.big_municipality],
            )
        ] or hoods_big
        others = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM users WHERE role = 'contact_person' AND id <> %s ORDER BY id",
                [world.contact_person],
            )
        ]
        conn.execute(
            """
            INSERT INTO residents (id, municipality_id, name, name_key, street, house_number,
                postcode, address_key, birth_year, phone, neighbourhood_id, created_at)
            SELECT g, n.municipality_id, 'Bewoner ' || g, 'bewoner ' || g, 'Kerkstraat',
                mod(g, 300)::text, '8890', 'kerkstraat ' || g, 1930 + mod(g, 50), '051000000',
                n.id, now() - interval '800 days'
            FROM (
                SELECT g, CASE WHEN random() < %(share)s
                    THEN (%(big)s::int[])[1 + floor(random() * %(nbig)s)::int]
                    ELSE (%(other)s::int[])[1 + floor(random() * %(nother)s)::int] END AS hood
                FROM generate_series(1, %(residents)s) g
            ) s JOIN neighbourhoods n ON n.id = s.hood
            """,
            {
                "share": scale.big_share,
                "big": hoods_big,
                "nbig": len(hoods_big),
                "other": hoods_other,
                "nother": len(hoods_other),
                "residents": residents,
            },
        )
        # Case c belongs to resident c. The first my_open_cases are the contact person's
        # open queue; of the rest, open_share is open (other owners), the others closed.
        conn.execute(
            """
            INSERT INTO cases (id, resident_id, status, outcome, urgency, owner_id, due_at,
                opened_at, closed_at)
            SELECT g, g,
                CASE WHEN open THEN 'assigned' ELSE 'closed' END,
                CASE WHEN open THEN NULL
                    ELSE (%(outcomes)s::text[])[1 + floor(random() * 6)::int] END,
                CASE WHEN random() < 0.05 THEN 'urgent' ELSE 'normal' END,
                CASE WHEN g <= %(mine)s THEN %(me)s
                    ELSE (%(others)s::int[])[1 + mod(g, %(nothers)s)] END,
                opened + interval '3 days', opened,
                CASE WHEN open THEN NULL
                    ELSE least(now(), opened + random() * interval '40 days') END
            FROM (
                SELECT g, g <= %(mine)s OR random() < %(open)s AS open,
                    now() - interval '1 day' - random() * interval '730 days' AS opened
                FROM generate_series(1, %(cases)s) g
            ) s
            """,
            {
                "outcomes": list(CASE_OUTCOMES),
                "mine": scale.my_open_cases,
                "me": world.contact_person,
                "others": others,
                "nothers": len(others),
                "open": scale.open_share,
                "cases": scale.cases,
            },
        )
        conn.execute(
            """
            INSERT INTO case_events (case_id, type, at, by_id, detail)
            SELECT id, 'routed', opened_at, NULL, '{}'::json FROM cases
            UNION ALL
            SELECT id, 'contact_attempt', opened_at + random() * interval '5 days', owner_id,
                '{"result": "reached"}'::json
            FROM cases WHERE random() < 0.7
            """
        )
        conn.execute(  # what logging an attempt keeps on the case (cases.models)
            """
            UPDATE cases c SET first_contact_at = f.at
            FROM (SELECT e.case_id, min(e.at) AS at FROM case_events e JOIN cases k
                ON k.id = e.case_id AND e.at >= k.opened_at
                WHERE e.type = 'contact_attempt' GROUP BY e.case_id) f
            WHERE c.id = f.case_id
            """
        )
        conn.execute(
            """
            INSERT INTO signals (id, resident_id, neighbourhood_id, theme, domain, urgency,
                polarity, source, note, created_at, case_id, routed_at, routing_reason)
            SELECT s.g, r.id, r.neighbourhood_id,
                (%(themes)s::text[])[1 + floor(random() * %(nthemes)s)::int],
                (%(domains)s::text[])[1 + floor(random() * %(ndomains)s)::int],
                'normal',
                (%(polarities)s::text[])[1 + floor(random() * %(npolarities)s)::int],
                (%(sources)s::text[])[1 + floor(random() * %(nsources)s)::int],
                '', s.created, CASE WHEN r.id <= %(cases)s THEN r.id END,
                s.created + interval '1 minute', 'bench'
            FROM (
                SELECT g, 1 + floor(random() * %(residents)s)::int AS resident,
                    now() - interval '1 hour' - random() * interval '730 days' AS created
                FROM generate_series(1, %(signals)s) g
            ) s JOIN residents r ON r.id = s.resident
            """,
            {
                "themes": list(THEMES),
                "nthemes": len(THEMES),
                "domains": list(DOMAINS),
                "ndomains": len(DOMAINS),
                "polarities": list(POLARITIES),
                "npolarities": len(POLARITIES),
                "sources": list(SOURCES),
                "nsources": len(SOURCES),
                "cases": scale.cases,
                "residents": residents,
                "signals": scale.signals,
            },
        )
        conn.execute(
            "INSERT INTO rollups (neighbourhood_id, month, measure, key, value) " + ROLLUPS_SQL
        )
        for table in ("residents", "cases", "signals"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


# The rollups as the nightly rebuild counts them (fieldwork.reports.rollups: routed signals
# per theme and per polarity, cases opened, per neighbourhood and Brussels month), in one
# statement: the raw reference of the rebuild, and how the data set gets its rollups.
ROLLUPS_SQL = """
SELECT neighbourhood_id,
    date_trunc('month', created_at AT TIME ZONE 'Europe/Brussels')::date AS month,
    'signals_theme', theme, count(*)
FROM signals WHERE routed_at IS NOT NULL GROUP BY 1, 2, 4
UNION ALL
SELECT neighbourhood_id, date_trunc('month', created_at AT TIME ZONE 'Europe/Brussels')::date,
    'signals_polarity', polarity, count(*)
FROM signals WHERE routed_at IS NOT NULL GROUP BY 1, 2, 4
UNION ALL
SELECT r.neighbourhood_id, date_trunc('month', c.opened_at AT TIME ZONE 'Europe/Brussels')::date,
    'cases_opened', '', count(*)
FROM cases c JOIN residents r ON r.id = c.resident_id GROUP BY 1, 2
"""

# --- timing -------------------------------------------------------------------------------


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def timed(repeats: int, work: Callable[[], Any]) -> list[float]:
    work()  # warm-up: caches, the first connection, compiled statements
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def duration(seconds: float) -> str:
    return f"{seconds:,.2f} s" if seconds >= 1 else ms(seconds)


class StatementCounter:
    """How many SQL statements the app's engine ran during a request."""

    def __init__(self, app: Any) -> None:
        from sqlalchemy import event

        from fieldwork.extensions import db

        self.count = 0
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1


def raw_query(url: str, sql: str, params: Any = None) -> Callable[[], Any]:
    conn = psycopg.connect(url, autocommit=True)

    def run() -> Any:
        return conn.execute(sql, params).fetchall()

    return run


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def logged_in(app: Any, email: str) -> Any:
    client = app.test_client()
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    assert match, "the login page has no CSRF token"
    response = client.post(
        "/login",
        data={"csrf_token": match.group(1) or match.group(2), "email": email, "password": PASSWORD},
    )
    assert response.status_code in (302, 303), f"login failed: {response.status_code}"
    return client


def api_token(app: Any, email: str) -> str:
    response = app.test_client().post(
        "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["token"])


def app_reads(
    app: Any, counter: StatementCounter, repeats: int, get: Callable[[], Any]
) -> tuple[list[float], int]:
    def work() -> None:
        response = get()
        assert response.status_code == 200, f"{response.status_code}: {response.data[:300]!r}"

    counter.count = 0
    get()
    statements = counter.count
    return timed(repeats, work), statements


def read_row(what: str, app_samples: list[float], statements: int, ref_samples: list[float]) -> Row:
    app_p50, ref_p50 = p50(app_samples), p50(ref_samples)
    return Row(
        what,
        f"p50 {ms(app_p50)}, {statements} SQL",
        f"p50 {ms(ref_p50)}",
        app_p50 / ref_p50 if ref_p50 else None,
    )


# --- the measures -------------------------------------------------------------------------

QUEUE_SQL = """
SELECT c.id, c.status, c.urgency, c.due_at, r.name, r.street, r.house_number, r.postcode,
    r.birth_year, r.phone, n.name,
    EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type = 'contact_attempt')
FROM (
    SELECT * FROM cases c WHERE c.closed_at IS NULL {owner}
    ORDER BY c.urgency <> 'urgent', c.due_at, c.id LIMIT 50
) c JOIN residents r ON r.id = c.resident_id JOIN neighbourhoods n ON n.id = r.neighbourhood_id
ORDER BY c.urgency <> 'urgent', c.due_at, c.id
"""
QUEUE_TOTAL_SQL = "SELECT count(*) FROM cases c WHERE c.closed_at IS NULL {owner}"


def measure_queue(app: Any, world: World, scale: Scale, counter: StatementCounter) -> list[Row]:
    rows = []
    for who, email, owner in (
        ("contact person", "bench-cp@example.be", world.contact_person),
        ("coordinator", "bench-coordinator@example.be", None),
    ):
        token = api_token(app, email)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        samples, statements = app_reads(
            app,
            counter,
            scale.repeats,
            lambda client=client, headers=headers: client.get("/api/v1/queue", headers=headers),
        )
        total = client.get("/api/v1/queue", headers=headers).get_json()["total"]
        where = "AND c.owner_id = %s" if owner else ""
        params = [owner] if owner else None
        page = raw_query(world.url, QUEUE_SQL.format(owner=where), params)
        count = raw_query(world.url, QUEUE_TOTAL_SQL.format(owner=where), params)
        reference = timed(scale.repeats, lambda page=page, count=count: (count(), page()))
        rows.append(
            read_row(
                f"GET /api/v1/queue, first page, {who} ({total:,} open)",
                samples,
                statements,
                reference,
            )
        )
    return rows


def figures_sql(hoods: list[int]) -> list[tuple[str, Any]]:
    """The same counts as fieldwork.reports.figures (signals by theme, domain, polarity and
    source; cases opened, contacted, closed by outcome, first-contact median and p90), as
    plain GROUP BYs over the source tables."""
    return [
        (
            """SELECT neighbourhood_id, domain, theme, polarity, source, count(*)
            FROM signals WHERE neighbourhood_id = ANY(%s) GROUP BY 1, 2, 3, 4, 5""",
            [hoods],
        ),
        (
            """SELECT r.neighbourhood_id, c.outcome, count(*),
                count(*) FILTER (WHERE c.closed_at IS NOT NULL)
            FROM cases c JOIN residents r ON r.id = c.resident_id
            WHERE r.neighbourhood_id = ANY(%s) GROUP BY 1, 2""",
            [hoods],
        ),
        (
            """SELECT r.neighbourhood_id, count(*),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY f.at - c.opened_at),
                percentile_disc(0.9) WITHIN GROUP (ORDER BY f.at - c.opened_at)
            FROM cases c JOIN residents r ON r.id = c.resident_id
            JOIN LATERAL (SELECT min(e.at) AS at FROM case_events e WHERE e.case_id = c.id
                AND e.type = 'contact_attempt' AND e.at >= c.opened_at) f ON f.at IS NOT NULL
            WHERE r.neighbourhood_id = ANY(%s) GROUP BY 1""",
            [hoods],
        ),
    ]


def figures_reference(url: str, hoods: list[int]) -> Callable[[], Any]:
    queries = [raw_query(url, sql, params) for sql, params in figures_sql(hoods)]
    return lambda: [query() for query in queries]


def count_signals(url: str, hoods: list[int]) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM signals WHERE neighbourhood_id = ANY(%s)", [hoods]
        ).fetchone()
    return int(row[0]) if row else 0


def _scans(plan: dict[str, Any]) -> Iterator[str]:
    """The plan's scans, as "Index Only Scan using ix on table (heap fetches 0)"."""
    node = plan.get("Node Type", "")
    if "Scan" in node and "Relation Name" in plan:
        using = f" using {plan['Index Name']}" if plan.get("Index Name") else ""
        fetches = f" (heap fetches {plan['Heap Fetches']})" if "Heap Fetches" in plan else ""
        yield f"{node}{using} on {plan['Relation Name']}{fetches}"
    for child in plan.get("Plans", []):
        yield from _scans(child)


def explained(app: Any, url: str, request: Callable[[], Any], slowest: int = 3) -> list[str]:
    """The ``slowest`` statements one request runs, each with the scans EXPLAIN ANALYZE
    shows for it: where an index serves a figure, and where none does."""
    from sqlalchemy import event

    from fieldwork.extensions import db

    seen: list[tuple[float, str, Any]] = []

    def before(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: Any) -> None:
        context._bench_started = time.perf_counter()

    def after(_conn: Any, _cursor: Any, sql: str, params: Any, context: Any, _many: Any) -> None:
        seen.append((time.perf_counter() - context._bench_started, sql, params))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    try:
        request()
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
    lines = []
    with psycopg.connect(url) as conn:
        for _seconds, sql, params in sorted(seen, key=lambda s: -s[0])[:slowest]:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            row = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()
            assert row
            plan = row[0][0]
            what = " ".join(sql.split())[:70]
            lines.append(
                f"EXPLAIN ANALYZE {plan['Execution Time']:,.1f} ms `{what}…`: "
                + "; ".join(_scans(plan["Plan"]))
            )
    return lines


def measure_dashboard(app: Any, world: World, scale: Scale, counter: StatementCounter) -> list[Row]:
    client = logged_in(app, "bench-coordinator@example.be")

    def page() -> Any:
        return client.get(f"/buurtanalyse/?gemeente={world.big_code}")

    samples, statements = app_reads(app, counter, scale.repeats, page)
    reference = timed(scale.repeats, figures_reference(world.url, world.hoods_big))
    signals = count_signals(world.url, world.hoods_big)
    row = read_row(
        f"dashboard /buurtanalyse/, one municipality ({signals:,} signals)",
        samples,
        statements,
        reference,
    )
    row.notes += explained(app, world.url, page)
    return [row]


def measure_summary(app: Any, world: World, scale: Scale, counter: StatementCounter) -> list[Row]:
    headers = {"Authorization": f"Bearer {api_token(app, 'bench-coordinator@example.be')}"}
    client = app.test_client()
    url = f"/api/v1/neighbourhoods/{world.hood}/summary"
    samples, statements = app_reads(
        app, counter, scale.repeats, lambda: client.get(url, headers=headers)
    )
    reference = timed(scale.repeats, figures_reference(world.url, [world.hood]))
    signals = count_signals(world.url, [world.hood])
    return [
        read_row(
            f"summary API, one neighbourhood ({signals:,} signals)", samples, statements, reference
        )
    ]


def capture_payload(number: int) -> dict[str, Any]:
    return {
        "resident": {
            "name": f"Capture {number}",
            "street": "Dadizeleplaats",
            "house_number": str(number % 200 + 1),
            "postcode": "8890",
            "statsec": "36012B001",
            "birth_year": 1941,
            "phone": "056 12 34 56",
        },
        "theme": "eenzaamheid",
        "domain": "welzijn",
        "urgency": "normal",
        "note": "Komt weinig buiten.",
        "consent": {"given": True, "how": "verbal"},
    }


def concurrently(per_thread: int, work: Callable[[int, int], None]) -> tuple[float, list[float]]:
    """CONCURRENCY threads, each doing ``work(thread, i)`` per_thread times: the elapsed
    time and every call's latency."""
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def loop(thread: int) -> None:
        try:
            for number in range(per_thread):
                started = time.perf_counter()
                work(thread, number)
                with lock:
                    latencies.append(time.perf_counter() - started)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=loop, args=(t,)) for t in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return elapsed, latencies


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_env(world: World, queue: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    return {
        **env,
        "DATABASE_URL": world.url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench",
        "FIELDWORK_TASK_QUEUE": queue,
        "FIELDWORK_RATELIMIT_ENABLED": "false",
    }


@contextmanager
def gunicorn(world: World, queue: str, log: Path) -> Iterator[str]:
    """The app as deployed (deploy/gunicorn.conf.py), on a free port."""
    port = free_port()
    binary = Path(sys.executable).parent / "gunicorn"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own server, on loopback
            [str(binary), "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={**bench_env(world, queue), "WEB_CONCURRENCY": "4"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()  # noqa: S310
                break
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start:\n" + log.read_text()[-2000:]
                    ) from exc
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def measure_capture(app: Any, world: World, scale: Scale, queue: str, tmp: Path) -> list[Row]:
    token = api_token(app, "bench-cp@example.be")
    with gunicorn(world, queue, tmp / "gunicorn.log") as base:

        def send(payload: dict[str, Any], expected: int) -> None:
            request = urllib.request.Request(  # noqa: S310 - loopback
                base + "/api/v1/signals",
                data=json.dumps(payload).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == expected, status

        def post(thread: int, number: int) -> None:
            send(capture_payload(thread * 100_000 + number), 201)

        def refused(thread: int, number: int) -> None:
            send({**capture_payload(thread * 100_000 + number), "theme": "-"}, 422)

        # warm-up, not counted: every gunicorn worker opens its connections on first use, and
        # psycopg prepares a statement on its fifth use in a connection
        concurrently(CAPTURE_WARM_UP, lambda thread, number: post(thread, 90_000 + number))
        before = Cpu.now()
        elapsed, latencies = concurrently(scale.captures, post)
        app_cpu = Cpu.now() - before
        # The app's floor for this request: the same POST, authorised and refused by the
        # schema (422), so nothing is written or published.
        concurrently(CAPTURE_WARM_UP, refused)
        before = Cpu.now()
        floor_elapsed, floor_latencies = concurrently(scale.captures, refused)
        floor_cpu = Cpu.now() - before
    app_rate = len(latencies) / elapsed

    with psycopg.connect(world.url) as conn:
        row = conn.execute(
            "SELECT municipality_id, id FROM neighbourhoods WHERE id = "
            "(SELECT neighbourhood_id FROM sectors WHERE code = '36012B001')"
        ).fetchone()
    assert row, "sector 36012B001 was not imported"
    municipality, hood = row
    connections = [psycopg.connect(world.url) for _ in range(CONCURRENCY)]

    def insert(thread: int, number: int) -> None:
        # the rows a capture writes: resident, consent, signal, its outbox message, the audit
        conn = connections[thread]
        with conn.transaction():
            resident = conn.execute(
                """INSERT INTO residents (municipality_id, name, name_key, street,
                    house_number, postcode, address_key, birth_year, phone, neighbourhood_id,
                    created_at)
                VALUES (%s, %s, %s, 'Dadizeleplaats', %s, '8890', %s, 1941, '056 12 34 56',
                    %s, now()) RETURNING id""",
                [
                    municipality,
                    f"Raw {thread}-{number}",
                    f"raw {thread}-{number}",
                    "12",
                    f"dadizeleplaats {number}",
                    hood,
                ],
            ).fetchone()
            assert resident
            consent = conn.execute(
                """INSERT INTO consents (resident_id, purpose, method, given_at)
                VALUES (%s, 'contact', 'verbal', now()) RETURNING id""",
                [resident[0]],
            ).fetchone()
            assert consent
            signal = conn.execute(
                """INSERT INTO signals (resident_id, neighbourhood_id, theme, domain, urgency,
                    polarity, source, note, consent_id, filed_by_id, created_at)
                VALUES (%s, %s, 'eenzaamheid', 'welzijn', 'normal', 'need', 'manual',
                    'Komt weinig buiten.', %s, %s, now()) RETURNING id""",
                [resident[0], hood, consent[0], world.contact_person],
            ).fetchone()
            assert signal
            conn.execute(
                """INSERT INTO outbox_messages (task_name, args, created_at, attempts)
                VALUES ('routing.route_signal', %s, now(), 0)""",
                [json.dumps([signal[0]])],
            )
            conn.execute(
                """INSERT INTO audit_events (at, user_id, action, subject_type, subject_id,
                    detail, ip)
                VALUES (now(), %s, 'signal_created', 'signal', %s, '{}', '127.0.0.1')""",
                [world.contact_person, str(signal[0])],
            )

    try:
        insert(0, -1)
        before = Cpu.now()
        ref_elapsed, ref_latencies = concurrently(scale.captures, insert)
        ref_cpu = Cpu.now() - before
    finally:
        for conn in connections:
            conn.close()
    ref_rate = len(ref_latencies) / ref_elapsed
    return [
        Row(
            f"capture POST /api/v1/signals, concurrency {CONCURRENCY} ({len(latencies)} posts)",
            f"{app_rate:,.1f}/s, p95 {ms(p95(latencies))}",
            f"psycopg insert, one transaction each: {ref_rate:,.1f}/s",
            ref_rate / app_rate if app_rate else None,
            [
                f"CPU a capture (the machine's {os.cpu_count()} cores are the limit of both "
                f"rates): app {app_cpu.per(len(latencies))}; raw reference "
                f"{ref_cpu.per(len(ref_latencies))}; a ratio of R asks the app to spend at "
                "most R times the reference's CPU",
                f"the app's floor, the same POST authorised and refused by the schema (422, "
                f"nothing written): {len(floor_latencies) / floor_elapsed:,.1f}/s "
                f"(ratio {ref_rate / (len(floor_latencies) / floor_elapsed):.2f}), CPU a "
                f"request {floor_cpu.per(len(floor_latencies))}",
            ],
        )
    ]


def flask_command(world: World, queue: str, *args: str) -> tuple[float, float, bytes]:
    """Run `flask --app fieldwork ARGS` on the bench database: seconds, peak MiB, output."""
    flask = Path(sys.executable).parent / "flask"
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [str(flask), "--app", "fieldwork", *args],
        cwd=ROOT,
        env=bench_env(world, queue),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = process.stdout.read() if process.stdout else b""
    _pid, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{output.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, output  # ru_maxrss: kilobytes on Linux


def app_start(world: World, queue: str) -> tuple[float, float]:
    elapsed, peak, _output = flask_command(world, queue, "rollups", "--help")
    return elapsed, peak


def measure_rebuild(app: Any, world: World, queue: str) -> list[Row]:
    """The nightly rebuild as the worker runs it (the beat task ``reports.rebuild_rollups``
    in a started app: rebuild() and its commit), beside the raw GROUP BY; the CLI's wall time
    and peak memory (app start included) as notes."""
    from fieldwork.extensions import db
    from fieldwork.reports.rollups import rebuild

    with app.app_context():
        started = time.perf_counter()
        rebuild()
        db.session.commit()
        in_worker = time.perf_counter() - started
    elapsed, peak_mib, _output = flask_command(world, queue, "rollups", "rebuild")
    start_seconds, start_mib = app_start(world, queue)
    reference = timed(1, raw_query(world.url, ROLLUPS_SQL))[0]
    with psycopg.connect(world.url) as conn:
        differing = conn.execute(
            f"""SELECT count(*) FROM (
                (SELECT neighbourhood_id, month, measure, key, value FROM rollups
                 EXCEPT ALL SELECT * FROM ({ROLLUPS_SQL}) raw)
                UNION ALL
                (SELECT * FROM ({ROLLUPS_SQL}) raw EXCEPT ALL
                 SELECT neighbourhood_id, month, measure, key, value FROM rollups)) d"""  # noqa: S608
        ).fetchone()
    different = differing[0] if differing else "?"
    rows = conn_rows(world.url)
    return [
        Row(
            f"rollups rebuild, as the nightly task runs it ({rows:,} rollup rows)",
            f"{duration(in_worker)}; `flask rollups rebuild` {duration(elapsed)}, "
            f"peak {peak_mib:,.0f} MiB",
            f"one GROUP BY: {duration(reference)}",
            in_worker / reference if reference else None,
            [
                f"rollup rows differing from the raw GROUP BY after the rebuild: {different}",
                f"the CLI's time and peak memory include starting the app, alone "
                f"(`flask rollups --help`) {duration(start_seconds)}, {start_mib:,.0f} MiB",
            ],
        )
    ]


def conn_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM rollups").fetchone()
    return int(row[0]) if row else 0


# --- load: 100 simulated users ------------------------------------------------------------

LOAD_USERS = 100
LOAD_SECONDS = {"tiny": 2.0, "medium": 180.0, "full": 180.0}  # BENCH_LOAD_SECONDS overrides
LOAD_THINK = (1.0, 3.0)  # seconds between a user's answer and its next action, uniform
LOAD_TIMEOUT = 10.0  # the client gives up after this: counted as an error
LOAD_MIX = {"queue": 0.5, "case": 0.3, "capture": 0.2}
LOAD_PAGE_2 = 0.2  # of the queue reads, the second page (when the queue has one)
LOAD_COORDINATOR_EVERY = 10  # every 10th user is the coordinator (whole-region queue)
LOAD_REASON = "Regionale opvolging: wachtrij van de regio"  # X-Access-Reason
LOAD_REFERENCE = {"tiny": 10, "medium": 100, "full": 100}  # one user, back to back
LOAD_CAPTURE_NUMBERS = itertools.count(10_000_000)  # capture_payload numbers, unique


@dataclass
class Hit:
    kind: str  # queue, case, capture
    seconds: float
    error: str | None  # None: a 2xx answer


class LoadUser:
    """One simulated user with an account's bearer token: it opens its queue first, then
    follows LOAD_MIX, reading cases its queue showed it."""

    def __init__(self, base: str, token: str, seed: int, reason: str | None = None) -> None:
        self.base, self.token = base, token
        # a coordinator opens cases outside their own queue: with a reason (break the glass)
        self.reason = reason
        self.random = random.Random(seed)  # noqa: S311 - a simulated user, not a secret
        self.case_ids: list[int] = []
        self.pages = 1

    def act(self) -> Hit:
        roll = self.random.random()
        if not self.case_ids or roll < LOAD_MIX["queue"]:
            page = 2 if self.pages > 1 and self.random.random() < LOAD_PAGE_2 else 1
            hit, body = self.request("queue", "GET", f"/api/v1/queue?page={page}")
            if body is not None:
                self.pages = int(body["pages"])
                if page == 1:
                    self.case_ids = [int(item["case_id"]) for item in body["items"]]
            return hit
        if roll < LOAD_MIX["queue"] + LOAD_MIX["case"]:
            case_id = self.random.choice(self.case_ids)
            headers = {"X-Access-Reason": self.reason} if self.reason else {}
            return self.request("case", "GET", f"/api/v1/cases/{case_id}", headers=headers)[0]
        payload = capture_payload(next(LOAD_CAPTURE_NUMBERS))
        return self.request("capture", "POST", "/api/v1/signals", payload)[0]

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        payload: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[Hit, Any]:
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.base + path,
            data=json.dumps(payload).encode() if payload is not None else None,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
            method=method,
        )
        started = time.perf_counter()
        error: str | None = None
        body = None
        try:
            with urllib.request.urlopen(request, timeout=LOAD_TIMEOUT) as response:  # noqa: S310
                raw = response.read()
            if kind == "queue":
                body = json.loads(raw)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
        except urllib.error.URLError as exc:
            error = "timeout" if isinstance(exc.reason, TimeoutError) else f"{exc.reason}"
        except TimeoutError:
            error = "timeout"
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        return Hit(kind, time.perf_counter() - started, error), body


def load_accounts(app: Any) -> list[str]:
    """Bearer tokens: the five contact persons', then the coordinator's."""
    emails = [
        "bench-cp@example.be",
        *(f"bench-cp{n}@example.be" for n in range(4)),
        "bench-coordinator@example.be",
    ]
    return [api_token(app, email) for email in emails]


def load_users(base: str, tokens: list[str], count: int, seed: int) -> list[LoadUser]:
    *contact_persons, coordinator = tokens
    users = []
    for index in range(count):
        if index % LOAD_COORDINATOR_EVERY == LOAD_COORDINATOR_EVERY - 1:
            users.append(LoadUser(base, coordinator, seed + index, reason=LOAD_REASON))
        else:
            users.append(
                LoadUser(base, contact_persons[index % len(contact_persons)], seed + index)
            )
    return users


def load_run(users: list[LoadUser], seconds: float) -> tuple[list[Hit], float]:
    """Every user in a thread of its own, arriving within the first think time, acting and
    thinking until ``seconds`` are over (a request under way is waited for): the answers and
    the elapsed time."""
    hits: list[Hit] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def loop(user: LoadUser) -> None:
        pause = user.random.uniform(0, LOAD_THINK[1])
        while True:
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                return
            hit = user.act()
            with lock:
                hits.append(hit)
            pause = user.random.uniform(*LOAD_THINK)

    threads = [threading.Thread(target=loop, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return hits, time.monotonic() - started


def nearest_rank(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered), round(share * len(ordered))) - 1)]


def load_figures(hits: list[Hit]) -> str:
    seconds = [hit.seconds for hit in hits]
    if not seconds:
        return "no requests"
    return (
        f"p50 {ms(nearest_rank(seconds, 0.5))}, p95 {ms(nearest_rank(seconds, 0.95))}, "
        f"p99 {ms(nearest_rank(seconds, 0.99))}"
    )


def active_queries(url: str) -> int:
    """Statements the app's backends are running on the bench database right now."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
            AND state = 'active' AND pid <> pg_backend_pid()"""
        ).fetchone()
    return int(row[0]) if row else 0


def _processes() -> dict[int, tuple[str, int, float]]:
    """Every process on the machine: pid -> (name, parent pid, CPU seconds, user + system),
    read from /proc."""
    table: dict[int, tuple[str, int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, values = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        fields = values.split()
        table[int(entry.name)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def _gunicorn_cpu(table: dict[int, tuple[str, int, float]]) -> float:
    masters = {
        pid
        for pid, (name, parent, _) in table.items()
        if parent == os.getpid() and "gunicorn" in name
    }
    return sum(
        cpu for pid, (_, parent, cpu) in table.items() if pid in masters or parent in masters
    )


def gunicorn_cpu_seconds() -> float:
    """CPU time (user + system) of the gunicorn processes this bench started (the master and
    its workers; 0 where there is none)."""
    return _gunicorn_cpu(_processes())


@dataclass
class Cpu:
    """CPU seconds spent by the web server (gunicorn), the database (every postgres process:
    the machine's PostgreSQL serves only this bench while it runs) and this client."""

    server: float
    database: float
    client: float

    @classmethod
    def now(cls) -> Cpu:
        table = _processes()
        return cls(
            server=_gunicorn_cpu(table),
            database=sum(cpu for name, _, cpu in table.values() if name.startswith("postgres")),
            client=time.process_time(),
        )

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.server - other.server, self.database - other.database, self.client - other.client
        )

    def per(self, count: int) -> str:
        """Milliseconds per request, each party and the sum."""
        parts = [("gunicorn", self.server), ("PostgreSQL", self.database), ("client", self.client)]
        shown = " + ".join(f"{name} {ms(value / count)}" for name, value in parts if value > 0)
        return f"{shown} = {ms(self.total / count)}"

    @property
    def total(self) -> float:
        return self.server + self.database + self.client


def measure_load(app: Any, world: World, scale_name: str, queue: str, tmp: Path) -> list[Row]:
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS") or LOAD_SECONDS[scale_name])
    log = tmp / "gunicorn-load.log"
    tokens = load_accounts(app)
    with gunicorn(world, queue, log) as base:
        # warm-up, not counted: every gunicorn worker loads lazily
        warm = load_users(base, tokens, 8, seed=900)
        threads = [
            threading.Thread(target=lambda user=user: [user.act() for _ in range(2)])
            for user in warm
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        single = load_users(base, tokens, 1, seed=1000)[0]
        reference = [single.act() for _ in range(LOAD_REFERENCE[scale_name])]
        load_before = os.getloadavg()[0]
        server_before, client_before = gunicorn_cpu_seconds(), time.process_time()
        hits, elapsed = load_run(load_users(base, tokens, LOAD_USERS, seed=0), seconds)
        server_cpu = gunicorn_cpu_seconds() - server_before
        client_cpu = time.process_time() - client_before
        # Bounded: is the server still busy with requests its clients left behind?
        busy = active_queries(world.url)
        probe = LoadUser(base, warm[0].token, seed=2000)
        after = probe.request("queue", "GET", "/api/v1/queue")[0]
    worker_timeouts = log.read_text(errors="replace").count("WORKER TIMEOUT")

    errors = [hit for hit in hits if hit.error]
    app_p95 = nearest_rank([hit.seconds for hit in hits], 0.95) if hits else 0.0
    ref_p95 = nearest_rank([hit.seconds for hit in reference], 0.95)
    kinds = {kind: [hit for hit in hits if hit.kind == kind] for kind in LOAD_MIX}
    reasons: dict[str, int] = {}
    for hit in errors:
        key = f"{hit.kind} {hit.error}"
        reasons[key] = reasons.get(key, 0) + 1
    mix = ", ".join(f"{share:.0%} {kind}" for kind, share in LOAD_MIX.items())
    notes = [
        f"model: {LOAD_USERS} threads, each a user with a bearer token (every "
        f"{LOAD_COORDINATOR_EVERY}th the coordinator, the others one of 5 contact persons), "
        f"arriving within {LOAD_THINK[1]:g} s, then {mix} with {LOAD_THINK[0]:g}–"
        f"{LOAD_THINK[1]:g} s think time (uniform) after each answer: queue = GET "
        f"/api/v1/queue (page 2 in {LOAD_PAGE_2:.0%} when there is one; a user's first action), "
        "case = GET /api/v1/cases/<id> of a case its queue's first page showed (the "
        "coordinator, outside their own queue, gives a reason: X-Access-Reason), capture = POST "
        "/api/v1/signals (a new resident in Moorslede); urllib, a connection per request, "
        f"client timeout {LOAD_TIMEOUT:g} s; gunicorn as deployed (deploy/gunicorn.conf.py, "
        "4 workers, GUNICORN_THREADS threads each, default 1: sync workers) on loopback",
        "per kind: "
        + "; ".join(
            f"{kind} {len(kind_hits):,} ({sum(1 for hit in kind_hits if hit.error)} errors): "
            f"{load_figures(kind_hits)}"
            for kind, kind_hits in kinds.items()
        ),
        "errors: "
        + (", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items())) or "none")
        + "; latencies include the errors' (a timeout counts 10 s)",
        f"reference: one user alone, the same mix back to back without think time "
        f"({len(reference)} requests, after a warm-up): {load_figures(reference)}",
        f"CPU during the load: gunicorn {server_cpu:,.1f} s "
        f"({ms(server_cpu / max(1, len(hits)))} a request), this client's {LOAD_USERS} threads "
        f"{client_cpu:,.1f} s, of {elapsed:,.1f} s × {os.cpu_count()} cores; load average "
        f"before it {load_before:.1f} (the machine is shared)",
        f"bounded: right after the last answer, {busy} statements were still running on the "
        f"database, a new queue read took {ms(after.seconds)}"
        f"{f' ({after.error})' if after.error else ''}; gunicorn worker timeouts (killed "
        f"workers) in the log: {worker_timeouts}",
    ]
    return [
        Row(
            f"load, {LOAD_USERS} users × {seconds:g} s ({len(hits):,} requests, "
            f"{len(errors)} errors)",
            f"{load_figures(hits)}, {len(hits) / elapsed:,.1f} requests/s, {len(errors)} errors",
            f"1 user, back to back: p95 {ms(ref_p95)}",
            app_p95 / ref_p95 if ref_p95 else None,
            notes,
        )
    ]


# --- routing (issue 18): a real worker routing signals ----------------------------------


def routing_sizes(scale: Scale) -> tuple[int, float]:
    """(signals for the throughput run, seconds of the paced 50/s run): small at tiny."""
    return min(2_000, max(40, scale.signals // 50)), (2.0 if scale.signals < 10_000 else 10.0)


def routing_setup(app: Any, world: World) -> None:
    """Rules as a region has them: urgent ones to one person, the big municipality's
    loneliness signals to a team (least loaded), some themes to a person who is away (their
    deputy takes them), the rest to the team; no match would go to the coordinator."""
    from datetime import timedelta

    from sqlalchemy import select

    from fieldwork.auth.models import User
    from fieldwork.db import utcnow
    from fieldwork.extensions import db
    from fieldwork.routing.models import Absence, RoutingRule, Team, TeamMember

    with app.app_context():
        people = list(
            db.session.scalars(select(User).where(User.role == "contact_person").order_by(User.id))
        )
        team = Team(name="Bench team")
        db.session.add(team)
        db.session.flush()
        for position, person in enumerate(people):
            db.session.add(TeamMember(team_id=team.id, user_id=person.id, position=position))
        today = utcnow().date()
        db.session.add(
            Absence(
                user_id=people[1].id,
                starts_on=today - timedelta(days=2),
                ends_on=today + timedelta(days=2),
                deputy_id=people[2].id,
            )
        )
        rules = [
            RoutingRule(name="dringend", conditions={"urgency": "urgent"}, assign_user=people[0]),
            RoutingRule(
                name="eenzaam in de grote gemeente",
                conditions={"neighbourhoods": world.hoods_big, "themes": ["eenzaamheid"]},
                assign_team_id=team.id,
            ),
            RoutingRule(
                name="wonen",
                conditions={"themes": ["wonen", "mobiliteit"], "age_min": 65},
                assign_user=people[1],
                first_contact_days=3,
            ),
            RoutingRule(name="de rest", conditions={}, assign_team_id=team.id),
        ]
        for position, rule in enumerate(rules, start=1):
            rule.position = position
            db.session.add(rule)
        db.session.commit()


def insert_unrouted(conn: psycopg.Connection[Any], count: int, tag: str) -> list[int]:
    """Signals as a capture stores them (resident, consent, signal, its outbox message), not
    routed yet: one in five about a resident who already has an open case, the others about
    a new resident somewhere in the region. Returns their ids, in insert order."""
    from fieldwork.signals.vocabulary import THEMES

    themes = sorted(THEMES)
    hoods = [row[0] for row in conn.execute("SELECT id, municipality_id FROM neighbourhoods")]
    municipality = dict(conn.execute("SELECT id, municipality_id FROM neighbourhoods").fetchall())
    known = [
        row
        for row in conn.execute(
            """SELECT r.id, r.neighbourhood_id FROM cases c JOIN residents r ON r.id = c.resident_id
            WHERE c.closed_at IS NULL ORDER BY random() LIMIT %s""",
            [count // 5 + 1],
        )
    ]
    ids = []
    for number in range(count):
        ids.append(insert_one_unrouted(conn, number, tag, themes, hoods, municipality, known))
    return ids


def insert_one_unrouted(
    conn: psycopg.Connection[Any],
    number: int,
    tag: str,
    themes: list[str],
    hoods: list[int],
    municipality: dict[int, int],
    known: list[tuple[int, int]],
) -> int:
    with conn.transaction():
        if number % 5 == 0 and known:
            resident, hood = known[(number // 5) % len(known)]
        else:
            hood = hoods[(number * 7919) % len(hoods)]
            row = conn.execute(
                """INSERT INTO residents (municipality_id, name, name_key, street, house_number,
                    postcode, address_key, birth_year, phone, neighbourhood_id, created_at)
                VALUES (%s, %s, %s, 'Kerkstraat', %s, '8890', %s, %s, '051000000', %s, now())
                RETURNING id""",
                [
                    municipality[hood],
                    f"Routing {tag}{number}",
                    f"routing {tag}{number}",
                    str(number % 300),
                    f"kerkstraat {tag}{number}",
                    1930 + number % 60,
                    hood,
                ],
            ).fetchone()
            assert row
            resident = row[0]
        consent = conn.execute(
            """INSERT INTO consents (resident_id, purpose, method, given_at)
            VALUES (%s, 'contact', 'verbal', now()) RETURNING id""",
            [resident],
        ).fetchone()
        assert consent
        signal = conn.execute(
            """INSERT INTO signals (resident_id, neighbourhood_id, theme, domain, urgency,
                polarity, source, note, consent_id, created_at)
            VALUES (%s, %s, %s, 'welzijn', %s, 'need', 'manual', '', %s, clock_timestamp())
            RETURNING id""",
            [
                resident,
                hood,
                themes[number % len(themes)],
                "urgent" if number % 20 == 7 else "normal",
                consent[0],
            ],
        ).fetchone()
        assert signal
        conn.execute(  # published here and now (the relay's part), so marked sent
            """INSERT INTO outbox_messages (task_name, args, created_at, sent_at, attempts)
            VALUES ('routing.route_signal', %s, now(), now(), 0)""",
            [json.dumps([signal[0]])],
        )
    return int(signal[0])


def raw_route(conn: psycopg.Connection[Any], signal_id: int, owner: int) -> None:
    """The rows routing writes for one signal, in one transaction, with the owner known:
    lock the signal, find the resident's open case (or open one, with its 'assigned' event
    and the owner's notification and e-mail message), the 'routed' event, the signal, the
    rollups (theme, polarity, case opened)."""
    with conn.transaction():
        row = conn.execute(
            """SELECT resident_id, neighbourhood_id, theme, polarity,
                date_trunc('month', created_at AT TIME ZONE 'Europe/Brussels')::date,
                date_trunc('month', now() AT TIME ZONE 'Europe/Brussels')::date
            FROM signals WHERE id = %s FOR UPDATE""",
            [signal_id],
        ).fetchone()
        assert row
        resident, hood, theme, polarity, month, this_month = row
        case = conn.execute(
            "SELECT id FROM cases WHERE resident_id = %s AND closed_at IS NULL", [resident]
        ).fetchone()
        keys = [(hood, month, "signals_polarity", polarity), (hood, month, "signals_theme", theme)]
        if case is None:
            case = conn.execute(
                """INSERT INTO cases (resident_id, status, urgency, owner_id, due_at, opened_at)
                VALUES (%s, 'assigned', 'normal', %s, now() + interval '5 days', now())
                RETURNING id""",
                [resident, owner],
            ).fetchone()
            assert case
            conn.execute(
                """INSERT INTO case_events (case_id, type, at, detail)
                VALUES (%s, 'assigned', now(), %s)""",
                [case[0], json.dumps({"owner": "raw", "reason": "raw"})],
            )
            note = conn.execute(
                """INSERT INTO notifications (user_id, kind, dedup_key, subject, body, case_id,
                    created_at)
                VALUES (%s, 'assigned', %s, 'Nieuw dossier', 'raw', %s, now()) RETURNING id""",
                [owner, f"case:{case[0]}:assigned:{owner}", case[0]],
            ).fetchone()
            assert note
            conn.execute(
                """INSERT INTO outbox_messages (task_name, args, created_at, sent_at, attempts)
                VALUES ('notifications.send_email', %s, now(), now(), 0)""",
                [json.dumps([note[0]])],
            )
            keys.append((hood, this_month, "cases_opened", ""))
        conn.execute(
            """INSERT INTO case_events (case_id, type, at, signal_id, detail)
            VALUES (%s, 'routed', now(), %s, %s)""",
            [case[0], signal_id, json.dumps({"reason": "raw"})],
        )
        conn.execute(
            """UPDATE signals SET case_id = %s, routed_at = now(), routing_reason = 'raw'
            WHERE id = %s""",
            [case[0], signal_id],
        )
        for key in sorted(keys):
            conn.execute(
                """INSERT INTO rollups (neighbourhood_id, month, measure, key, value)
                VALUES (%s, %s, %s, %s, 1)
                ON CONFLICT (neighbourhood_id, month, measure, key)
                DO UPDATE SET value = rollups.value + EXCLUDED.value""",
                key,
            )


@contextmanager
def routing_worker(world: World, queue: str, concurrency: int, log: Path) -> Iterator[None]:
    """One Celery worker (as deploy/ runs it) with ``concurrency`` processes on ``queue``,
    ready; stopped on the way out, also on failure."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own worker
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.celery_app",
                "worker",
                "-Q",
                queue,
                "--concurrency",
                str(concurrency),
                "--loglevel=INFO",  # as deploy/ runs it; and it says "ready."
                "--without-mingle",
                "--without-gossip",
                f"--hostname=bench-{uuid.uuid4().hex[:6]}@%h",
            ],
            cwd=ROOT,
            env=bench_env(world, queue),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start:\n" + log.read_text()[-2000:])
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_routed(
    conn: psycopg.Connection[Any], ids: list[int], log: Path, timeout: float
) -> list[tuple[Any, Any]]:
    """Until every one of these signals is routed: their (created_at, routed_at)."""
    deadline = time.monotonic() + timeout
    while True:
        left = conn.execute(
            "SELECT count(*) FROM signals WHERE id = ANY(%s) AND routed_at IS NULL", [ids]
        ).fetchone()
        if left and left[0] == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{left[0] if left else '?'} of {len(ids)} signals still unrouted after "
                f"{timeout:.0f} s; the worker's log:\n" + log.read_text()[-3000:]
            )
        time.sleep(0.05)
    return conn.execute(
        "SELECT created_at, routed_at FROM signals WHERE id = ANY(%s)", [ids]
    ).fetchall()


def wait_drained(queue: str, log: Path, timeout: float) -> None:
    """Until the worker took every message off this Redis queue."""
    import redis

    broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    deadline = time.monotonic() + timeout
    while broker.llen(queue):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{broker.llen(queue)} messages still on {queue} after {timeout:.0f} s; the "
                "worker's log:\n" + log.read_text()[-3000:]
            )
        time.sleep(0.05)


def route_backlog(world: World, queue: str, log: Path) -> int:
    """Route what the earlier measures captured (their tasks wait on the capture queue, which
    no worker reads), so that routing is measured from an empty backlog: a routing batch takes
    the waiting signals oldest first, and would route those before the measure's own. How
    many there were."""
    with psycopg.connect(world.url, autocommit=True) as conn:
        waiting = [row[0] for row in conn.execute("SELECT id FROM signals WHERE routed_at IS NULL")]
        if waiting:
            with routing_worker(world, queue, 2, log):
                wait_routed(conn, waiting, log, timeout=max(120.0, len(waiting) / 10))
    return len(waiting)


def measure_routing(app: Any, world: World, scale: Scale, queue: str, tmp: Path) -> list[Row]:
    """(a) N queued signals routed by one worker process (--concurrency 1): signals/s, beside
    the same rows written raw; (b) signals fed at 50/s (insert, then publish, like a capture
    and its outbox relay) to one worker of two processes: signal → case latency."""
    count, seconds = routing_sizes(scale)
    routing_queue = f"{queue}.routing"  # its own: the captures' tasks stay where they are
    celery = app.extensions["celery"]
    backlog = route_backlog(world, queue, tmp / "routing-backlog.log")
    routing_setup(app, world)
    try:
        with psycopg.connect(world.url, autocommit=True) as conn:
            raw_ids = insert_unrouted(conn, count, "raw")
            app_ids = insert_unrouted(conn, count, "app")
            conn.execute("ANALYZE")
            started = time.perf_counter()
            for signal_id in raw_ids:
                raw_route(conn, signal_id, world.contact_person)
            ref_rate = count / (time.perf_counter() - started)

            log = tmp / "routing-worker-1.log"
            with routing_worker(world, routing_queue, 1, log):
                first = time.time()
                for signal_id in app_ids:
                    celery.send_task("routing.route_signal", args=[signal_id], queue=routing_queue)
                times = wait_routed(conn, app_ids, log, timeout=max(120.0, count))
                # the tasks whose signal another task's batch routed: consumed before the
                # next run starts, or they would be its backlog
                wait_drained(routing_queue, log, timeout=max(120.0, count))
            last = max(routed for _created, routed in times).timestamp()
            app_rate = count / (last - first)

            log = tmp / "routing-worker-2.log"
            with routing_worker(world, routing_queue, 2, log):
                from fieldwork.signals.vocabulary import THEMES

                themes = sorted(THEMES)
                hoods = [r[0] for r in conn.execute("SELECT id FROM neighbourhoods")]
                municipality = dict(
                    conn.execute("SELECT id, municipality_id FROM neighbourhoods").fetchall()
                )
                known = conn.execute(
                    """SELECT r.id, r.neighbourhood_id FROM cases c
                    JOIN residents r ON r.id = c.resident_id
                    WHERE c.closed_at IS NULL ORDER BY random() LIMIT %s""",
                    [int(seconds * 50) // 5 + 1],
                ).fetchall()
                fed = []
                start = time.perf_counter()
                for number in range(int(seconds * 50)):
                    pause = start + number / 50 - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                    signal_id = insert_one_unrouted(
                        conn, number, "paced", themes, hoods, municipality, known
                    )
                    celery.send_task("routing.route_signal", args=[signal_id], queue=routing_queue)
                    fed.append(signal_id)
                feed_rate = len(fed) / (time.perf_counter() - start)
                times = wait_routed(conn, fed, log, timeout=max(120.0, 2.0 * len(fed)))
            latencies = [(routed - created).total_seconds() for created, routed in times]
    finally:
        _drop_queue(routing_queue)
        _drop_queue(f"{routing_queue}.batch")
    ref_time = 1 / ref_rate
    return [
        Row(
            f"routing, one worker process ({count:,} queued signals)",
            f"{app_rate:,.1f} signals/s",
            f"psycopg, the same rows, one transaction per signal: {ref_rate:,.1f} signals/s",
            ref_rate / app_rate if app_rate else None,
            [
                f"before it, a worker routed the {backlog:,} signals the capture and load "
                "measures had left waiting (not counted)"
            ],
        ),
        Row(
            f"signal → case, {feed_rate:,.0f} signals/s for {seconds:.0f} s, one worker of two "
            f"processes ({len(fed)} signals)",
            f"p95 {ms(p95(latencies))}, p50 {ms(p50(latencies))}",
            f"one raw routing transaction: {ms(ref_time)}",
            p95(latencies) / ref_time if ref_time else None,
        ),
    ]


# --- the run ------------------------------------------------------------------------------


def print_table(rows: list[Row], scale_name: str, made: str, out: Any = None) -> None:
    out = out or sys.stdout
    print(
        f"\nfieldwork bench, scale {scale_name}, {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores. Before the measures: {made}.\n",
        file=out,
    )
    print("| what | app | raw reference, same run | ratio |", file=out)
    print("|---|---|---|---|", file=out)
    for row in rows:
        ratio = f"{row.ratio:,.2f}" if row.ratio is not None else "—"
        print(f"| {row.what} | {row.app} | {row.reference} | {ratio} |", file=out)
    for row in rows:
        for note in row.notes:
            print(f"- {row.what}: {note}", file=out)


def run(scale_name: str, only: list[str] | None = None) -> list[Row]:
    """Generate, measure, print; the rows. A measure that crashes is printed with its
    traceback and makes the run fail at the end (after the database was dropped)."""
    scale = SCALES[scale_name]
    queue = f"fieldwork-bench-{uuid.uuid4().hex[:10]}"
    rows: list[Row] = []
    crashed: list[str] = []
    with fresh_database() as url, tempfile.TemporaryDirectory(prefix="fieldwork-bench-") as tmp:
        world = World(url)
        app = make_app(url, queue)
        try:
            started = time.perf_counter()
            from flask_migrate import upgrade

            with app.app_context():
                upgrade()
            make_areas_and_users(app, scale, world)
            generate(scale, world)
            count_world(world)
            print(f"data set generated in {time.perf_counter() - started:,.1f} s", flush=True)
            counter = StatementCounter(app)
            measures: list[tuple[str, Callable[[], list[Row]]]] = [
                ("queue", lambda: measure_queue(app, world, scale, counter)),
                ("dashboard", lambda: measure_dashboard(app, world, scale, counter)),
                ("summary", lambda: measure_summary(app, world, scale, counter)),
                ("capture", lambda: measure_capture(app, world, scale, queue, Path(tmp))),
                ("rebuild", lambda: measure_rebuild(app, world, queue)),
                ("load", lambda: measure_load(app, world, scale_name, queue, Path(tmp))),
                ("routing", lambda: measure_routing(app, world, scale, queue, Path(tmp))),
            ]
            for name, measure in measures:
                if only and name not in only:
                    continue
                print(f"measuring {name}…", flush=True)
                try:
                    rows += measure()
                except Exception:
                    crashed.append(name)
                    traceback.print_exc()
        finally:
            from fieldwork.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            _drop_queue(queue)
    print_table(rows, scale_name, world.made)
    if crashed:
        raise RuntimeError(f"measures crashed: {', '.join(crashed)}")
    return rows


def _drop_queue(queue: str) -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).delete(queue)
    except Exception as exc:  # the bench's figures do not depend on it
        print(f"could not drop the Redis queue {queue}: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", choices=sorted(SCALES), default=os.environ.get("BENCH_SCALE") or "full"
    )
    parser.add_argument(
        "--only",
        action="append",
        help="run only this measure (queue, dashboard, summary, capture, rebuild, load, "
        "routing); "
        "may be repeated",
    )
    args = parser.parse_args(argv)
    return run(args.scale, args.only)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
