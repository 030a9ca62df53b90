"""CI runs the region bench (bench/region.py, `make bench`) at its tiny size: every measure
runs, beside its raw reference, quickly. Figures only: no target is asserted here."""

from __future__ import annotations

import importlib.util
import sys
import time
from types import ModuleType

import pytest

from tests.conftest import PG_ADMIN_URL, ROOT, service_unavailable

pytestmark = pytest.mark.integration


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_region", ROOT / "bench" / "region.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_bench_runs_every_measure_at_tiny_size(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg

    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        service_unavailable(f"PostgreSQL at {PG_ADMIN_URL}", str(exc).strip())
    from fieldwork.extensions import limiter

    region = _harness()
    # The bench's app turns rate limits off, and Flask-Limiter keeps that on its one global
    # object for every later app in this process: give the next tests theirs back.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    monkeypatch.setattr(region, "PG_ADMIN_URL", PG_ADMIN_URL)
    monkeypatch.setattr(region, "REDIS_URL", redis_url)

    started = time.monotonic()
    rows = region.main(["--scale", "tiny"])
    elapsed = time.monotonic() - started

    assert [row.what.split(" (")[0].split(",")[0] for row in rows] == [
        "GET /api/v1/queue",
        "GET /api/v1/queue",
        "dashboard /buurtanalyse/",
        "summary API",
        "capture POST /api/v1/signals",
        "rollups rebuild",
        "load",
        "routing",
        "signal → case",
    ]
    for row in rows:
        assert row.app, row
        assert row.reference, row
        assert row.ratio is not None, row
        assert row.ratio > 0, row
    # every simulated user's request is answered: a 403 or a 404 would mean the load measures
    # refusals, not the work (the coordinator's case reads need a reason since the audit trail)
    load = next(row for row in rows if row.what.startswith("load"))
    assert load.what.endswith(", 0 errors)"), load.notes
    rebuild = next(row for row in rows if row.what.startswith("rollups rebuild"))
    assert rebuild.notes[0] == "rollup rows differing from the raw GROUP BY after the rebuild: 0"
    table = capsys.readouterr().out
    assert "| what | app | raw reference, same run | ratio |" in table
    # a guard against a runaway measure, not a speed target (those are the bench's own figures)
    assert elapsed < 240, f"the tiny bench took {elapsed:.0f} s"
    # the bench's database is gone again
    assert region.CREATED
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        left = admin.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [region.CREATED]
        ).fetchall()
    assert left == []
