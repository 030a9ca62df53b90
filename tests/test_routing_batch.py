"""A routing task routes its own signal and, in the same transaction, the signals still
waiting for theirs (fieldwork.routing.services.route_with_waiting): every signal routed
once, one open case per resident, every signal counted once in the rollups — also when
another worker holds one of them, when one of them fails, and when a task runs again."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, update

from fieldwork.areas.models import Neighbourhood
from fieldwork.cases.models import Case
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.reports.models import Rollup
from fieldwork.routing import services as routing
from fieldwork.routing.services import route_with_waiting
from fieldwork.signals.models import Consent, Resident, Signal
from tests.conftest import import_areas, make_user


@pytest.fixture
def region(pg_app):
    import_areas(pg_app, "36012")
    make_user(pg_app, "coordinator")
    return pg_app


def _resident(number: int) -> Resident:
    hood = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.id)).first()
    resident = Resident(
        municipality_id=hood.municipality_id,
        name=f"Bewoner {number}",
        name_key=f"bewoner {number}",
        address_key=f"kerkstraat {number}",
        street="Kerkstraat",
        house_number=str(number),
        postcode="8890",
        birth_year=1940,
        neighbourhood_id=hood.id,
    )
    db.session.add(resident)
    db.session.flush()
    return resident


def _waiting(app, residents: list[int], consent: list[bool] | None = None) -> list[int]:
    """One stored, unrouted signal per entry, about resident number ``residents[i]`` (the
    same number: the same resident), with or without consent; no task queued."""
    consent = consent or [True] * len(residents)
    with app.app_context():
        made: dict[int, Resident] = {}
        ids = []
        for number, given_ in zip(residents, consent, strict=True):
            resident = made.get(number) or _resident(number)
            made[number] = resident
            agreement = Consent(resident_id=resident.id, method="verbal") if given_ else None
            if agreement is not None:
                db.session.add(agreement)
                db.session.flush()
            signal = Signal(
                resident_id=resident.id,
                neighbourhood_id=resident.neighbourhood_id,
                theme="eenzaamheid",
                domain="welzijn",
                source="manual",
                consent_id=agreement.id if agreement else None,
            )
            db.session.add(signal)
            db.session.flush()
            ids.append(signal.id)
        db.session.commit()
        return ids


def _routed(app, ids: list[int]) -> list[bool]:
    with app.app_context():
        return [
            db.session.get(Signal, signal_id).routed_at is not None for signal_id in sorted(ids)
        ]


def _counted(app, measure: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(select(func.sum(Rollup.value)).where(Rollup.measure == measure)) or 0
        )


def test_one_task_routes_the_signals_waiting_with_it_and_a_second_run_changes_nothing(region):
    app = region
    ids = _waiting(app, [1, 2, 3, 1, 4])  # resident 1 twice: one case for both
    with app.app_context():
        assert route_with_waiting(ids[2]) == 5
    assert _routed(app, ids) == [True] * 5
    with app.app_context():
        cases = db.session.scalars(select(Case)).all()
        assert len(cases) == 4
        first = db.session.get(Signal, ids[0])
        assert db.session.get(Signal, ids[3]).case_id == first.case_id
    assert _counted(app, "signals_theme") == 5
    assert _counted(app, "cases_opened") == 4
    with app.app_context():  # each signal's own task comes later: nothing left to do
        assert [route_with_waiting(signal_id) for signal_id in ids] == [0] * 5
    assert _counted(app, "signals_theme") == 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 4


def test_a_signal_another_worker_holds_is_left_to_it(region):
    app = region
    ids = _waiting(app, [1, 2, 3])
    held, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with app.app_context():
            db.session.execute(select(Signal).where(Signal.id == ids[1]).with_for_update())
            held.set()
            release.wait(10)
            db.session.rollback()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert held.wait(10)
    try:
        with app.app_context():
            assert route_with_waiting(ids[0]) == 2  # did not wait for the held one
    finally:
        release.set()
        thread.join(10)
    assert _routed(app, ids) == [True, False, True]
    with app.app_context():
        assert route_with_waiting(ids[1]) == 1
    assert _routed(app, ids) == [True] * 3
    assert _counted(app, "signals_theme") == 3


def test_a_failing_signal_in_the_batch_leaves_this_one_routed_on_its_own(region, monkeypatch):
    app = region
    ids = _waiting(app, [1, 2, 3])
    real = routing.may_open_case

    def broken(signal: Signal, withdrawn_since: bool = False) -> bool:
        if signal.id == ids[2]:
            raise RuntimeError("a bad signal")
        return real(signal, withdrawn_since)

    monkeypatch.setattr(routing, "may_open_case", broken)
    with app.app_context():
        assert route_with_waiting(ids[0]) == 1
    assert _routed(app, ids) == [True, False, False]  # the batch was rolled back whole
    assert _counted(app, "signals_theme") == 1
    assert _counted(app, "cases_opened") == 1
    monkeypatch.setattr(routing, "may_open_case", real)
    with app.app_context():
        assert route_with_waiting(ids[1]) == 2
    assert _routed(app, ids) == [True] * 3
    assert _counted(app, "signals_theme") == 3


def test_signals_waiting_for_long_are_left_to_the_reconciliation(region):
    app = region
    ids = _waiting(app, [1, 2])
    with app.app_context():
        db.session.execute(
            update(Signal)
            .where(Signal.id == ids[1])
            .values(created_at=utcnow() - routing.BATCH_RECENT - timedelta(minutes=1))
        )
        db.session.commit()
        assert route_with_waiting(ids[0]) == 1
    assert _routed(app, ids) == [True, False]


def test_a_batch_takes_fewer_statements_per_signal_than_one_task_each(region):
    app = region
    _waiting(app, [0])
    with app.app_context():  # the snapshot and the compiled statements, once
        route_with_waiting(db.session.scalars(select(Signal.id)).one())
    ids = _waiting(app, list(range(1, 21)))
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        assert route_with_waiting(ids[0]) == 20
    # alone, a signal that opens a case takes 12 (tests/test_routing_cache.py)
    assert len(statements) <= 8 * 20, len(statements)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    signals=st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=1, max_size=10),
    first=st.integers(0, 9),
    batch=st.integers(1, 6),
)
def test_batches_route_every_signal_once_into_one_open_case_per_resident(
    region, signals, first, batch
):
    app = region
    counted_before = _counted(app, "signals_theme")
    ids = _waiting(app, [number for number, _ in signals], [given_ for _, given_ in signals])
    with app.app_context():
        order = ids[first % len(ids) :] + ids[: first % len(ids)]
        done = sum(route_with_waiting(signal_id, batch=batch) for signal_id in order)
        assert done == len(ids)  # each routed exactly once, by whichever task came first
        assert sum(route_with_waiting(signal_id, batch=batch) for signal_id in ids) == 0
        for signal_id in ids:
            signal = db.session.get(Signal, signal_id)
            assert signal.routed_at is not None
            if signal.consent_id is None:
                assert signal.case_id is None
                continue
            open_cases = db.session.scalars(
                select(Case.id).where(
                    Case.resident_id == signal.resident_id, Case.closed_at.is_(None)
                )
            ).all()
            assert open_cases == [signal.case_id]
    assert _counted(app, "signals_theme") == counted_before + len(ids)
