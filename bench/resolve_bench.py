"""Benchmark address resolution: `.venv/bin/python bench/resolve_bench.py`.

Imports four municipalities into a throw-away SQLite database, then prints the import time,
the time per call of ``resolve_point`` and ``resolve_statsec`` and the peak Python memory of the
polygon index build. Figures only, no assertions.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence

from flask_migrate import upgrade
from shapely import total_bounds
from sqlalchemy import select

from fieldwork import create_app
from fieldwork.areas import resolve as resolve_module
from fieldwork.areas.importer import import_municipalities
from fieldwork.areas.models import Sector, SubMunicipality
from fieldwork.areas.resolve import resolve_point, resolve_statsec
from fieldwork.extensions import db

MUNICIPALITIES = ["36012", "72037", "11002", "44021"]  # Moorslede, Hamont-Achel, Antwerpen, Gent
POINTS = 2_000
SEED = 42


def summarise(label: str, samples_ns: Sequence[int]) -> None:
    """One line: call count, mean and p95 in microseconds."""
    micros = sorted(ns / 1_000 for ns in samples_ns)
    p95 = micros[min(len(micros) - 1, round(0.95 * len(micros)) - 1)]
    print(
        f"  {label:<34} n={len(micros):>5}  mean {statistics.fmean(micros):9.1f} us"
        f"  p95 {p95:9.1f} us"
    )


def time_calls(func: Callable[..., object], args: Sequence[tuple]) -> tuple[list[int], list]:
    samples, results = [], []
    for arg in args:
        start = time.perf_counter_ns()
        results.append(func(*arg))
        samples.append(time.perf_counter_ns() - start)
    return samples, results


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fieldwork-bench-") as tmp:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench"}
        )
        with app.app_context():
            upgrade()

            start = time.perf_counter()
            reports = import_municipalities(MUNICIPALITIES, app.config["STATBEL_DIR"])
            db.session.commit()
            import_s = time.perf_counter() - start
            print(f"import {', '.join(MUNICIPALITIES)}: {import_s:.2f} s")
            for report in reports:
                print(
                    f"  {report.municipality_code} {report.municipality_name}: "
                    f"{report.sectors} sectors, {report.sub_municipalities} sub-municipalities"
                )
                if report.csv_without_polygon:
                    print(
                        "    no polygon (points there resolve to None): "
                        + ", ".join(report.csv_without_polygon)
                    )

            rows = [
                (r[0], r[1])
                for r in db.session.execute(
                    select(SubMunicipality.id, SubMunicipality.geometry)
                    .where(SubMunicipality.geometry.is_not(None))
                    .order_by(SubMunicipality.code)
                ).all()
            ]

            # Peak memory of the index build alone (Python-side allocations; GEOS allocates
            # the geometries and the STRtree in C, which tracemalloc does not see).
            tracemalloc.start()
            start = time.perf_counter()
            index = resolve_module._PolygonIndex(rows)
            build_ms = (time.perf_counter() - start) * 1_000
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"polygon index build ({len(rows)} polygons): {build_ms:.1f} ms, "
                f"tracemalloc peak {peak / 1024:.0f} KiB"
            )

            min_lon, min_lat, max_lon, max_lat = (float(v) for v in total_bounds(index.geometries))
            print(
                f"bounding box lon {min_lon:.4f}..{max_lon:.4f}, lat {min_lat:.4f}..{max_lat:.4f}"
            )
            # Reproducible benchmark points, not security-relevant randomness.
            rng = random.Random(SEED)  # noqa: S311 - seeded PRNG for repeatable bench points
            points = [
                (rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon))
                for _ in range(POINTS)
            ]

            resolve_point(*points[0])  # warm-up: builds and caches the process-wide index
            samples, results = time_calls(resolve_point, points)
            hits = [s for s, r in zip(samples, results, strict=True) if r is not None]
            misses = [s for s, r in zip(samples, results, strict=True) if r is None]
            print("resolve_point (per call, index already cached):")
            summarise("all random points in the box", samples)
            if hits:
                summarise("  inside a polygon (resolved)", hits)
            if misses:
                summarise("  outside every polygon (None)", misses)

            # Where a call goes: the cache-key query run on every call vs the STRtree lookup.
            samples, _ = time_calls(resolve_module._polygon_index, [()] * POINTS)
            summarise("  of which cache-key check", samples)
            samples, _ = time_calls(index.find, [(lon, lat) for lat, lon in points])
            summarise("  of which STRtree lookup", samples)

            codes = list(db.session.scalars(select(Sector.code).order_by(Sector.code)))
            samples, results = time_calls(resolve_statsec, [(code,) for code in codes])
            resolved = sum(1 for r in results if r is not None)
            print(f"resolve_statsec (per call, {resolved}/{len(codes)} codes resolved):")
            summarise("every imported sector code", samples)


if __name__ == "__main__":
    main()
