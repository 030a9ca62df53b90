"""Benchmark the rollups: `.venv/bin/python bench/rollups_bench.py [N] [--postgres URL]`.

Stores N visits and N campaign calls in Moorslede's neighbourhoods over a year, then prints
the time per capture counted by the worker's ``count_capture`` (incremental), the time of the
nightly ``rebuild`` over everything, and of the per-quarter read for one neighbourhood.
A throw-away SQLite database by default; ``--postgres`` takes a scratch PostgreSQL database
(all its tables are dropped first). Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import select, text

from fieldwork import create_app
from fieldwork.areas.importer import import_municipalities
from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.db import local_today
from fieldwork.extensions import db
from fieldwork.reports import rollups
from fieldwork.visits.models import Visit, VisitAddress, VisitRound

OUTCOMES = ("spoken", "not_home", "refused")


def fill(count: int) -> list[tuple[str, int]]:
    municipality = db.session.scalar(select(Municipality))
    hoods = [
        n.id
        for n in db.session.scalars(
            select(Neighbourhood).where(Neighbourhood.is_unlocatable.is_(False))
        )
    ]
    visit_round = VisitRound(
        municipality_id=municipality.id,
        name="Ronde",
        starts_on=local_today(),
        ends_on=local_today(),
    )
    campaign = CallCampaign(municipality_id=municipality.id, name="Belactie")
    db.session.add_all([visit_round, campaign])
    db.session.flush()
    now = datetime.now(UTC)
    made: list[tuple[str, int]] = []
    for number in range(count):
        hood, moment = hoods[number % len(hoods)], now - timedelta(days=number % 365)
        address = VisitAddress(
            round_id=visit_round.id,
            name=f"B{number}",
            name_key=f"b{number}",
            street="Kerkstraat",
            street_key="kerkstraat",
            house_number=str(number),
            postcode="8890",
            address_key=f"kerkstraat {number}",
            neighbourhood_id=hood,
        )
        target = CallTarget(
            campaign_id=campaign.id,
            name=f"T{number}",
            name_key=f"t{number}",
            address_key=f"a{number}",
            phone="051000000",
            neighbourhood_id=hood,
        )
        db.session.add_all([address, target])
        db.session.flush()
        visit = Visit(address_id=address.id, outcome=OUTCOMES[number % 3], created_at=moment)
        call = CallAttempt(target_id=target.id, outcome="reached", created_at=moment)
        db.session.add_all([visit, call])
        db.session.flush()
        made += [("visit", visit.id), ("call", call.id)]
    db.session.commit()
    return made


def run(uri: str, count: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench"})
    with app.app_context():
        if uri.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        import_municipalities(["36012"], app.config["STATBEL_DIR"])
        db.session.commit()
        made = fill(count)
        started = time.perf_counter()
        for kind, source_id in made:
            rollups.count_capture(kind, source_id)
            db.session.commit()  # one task, one transaction
        per_capture = (time.perf_counter() - started) / len(made)
        started = time.perf_counter()
        rollups.rebuild()
        db.session.commit()
        rebuilt = time.perf_counter() - started
        hood = db.session.scalar(select(Neighbourhood.id))
        started = time.perf_counter()
        rollups.quarterly(hood, local_today())
        quarters = time.perf_counter() - started
        rows = db.session.scalar(text("SELECT count(*) FROM rollups"))
    print(f"{uri.split(':')[0]}: {len(made)} captures")
    print(f"  count_capture (incremental)  {per_capture * 1000:8.2f} ms per capture")
    print(f"  rebuild (nightly)            {rebuilt:8.2f} s for everything, {rows} rollup rows")
    print(f"  quarterly read (one hood)    {quarters * 1000:8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=2000)
    parser.add_argument("--postgres", help="a scratch database URL (its tables are dropped)")
    args = parser.parse_args()
    if args.postgres:
        run(args.postgres.replace("postgresql://", "postgresql+psycopg://", 1), args.count)
        return
    with tempfile.TemporaryDirectory(prefix="fieldwork-bench-") as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.count)


if __name__ == "__main__":
    main()
