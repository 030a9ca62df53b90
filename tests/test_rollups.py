"""The monthly rollups: kept up to date by the worker as each signal is routed, and rebuilt
exactly by the nightly job — the two must agree (a property over generated signals), and the
rebuild repairs what moved since. Both paths; the production path with the real worker."""

from __future__ import annotations

import time
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from fieldwork.cases.models import Case, CaseEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.reports import rollups
from fieldwork.reports.models import Rollup
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.signals.services import create_signals
from fieldwork.signals.vocabulary import THEMES
from tests.conftest import import_areas, make_user

SECTORS = {"Moorslede": "36012A001", "Dadizele": "36012B001"}


def file_signal(number: int, theme: str, consent: bool, place: str, days_ago: int) -> None:
    (signal, *_rest) = create_signals({
        "resident": {"name": f"Bewoner {number}", "street": "Marktplaats",
                     "house_number": str(number), "postcode": "8890", "birth_year": 1940,
                     "phone": None, "lat": None, "lon": None, "statsec": SECTORS[place],
                     "gemeente": "36012", "deelgemeente": None},
        "themes": [theme], "urgency": "normal", "note": "",
        "consent": {"given": consent, "how": "signed_strip" if consent else None,
                    "reference": "F" if consent else None}}, None, source="manual")
    signal.created_at = utcnow() - timedelta(days=days_ago)  # months apart


SIGNALS = st.lists(st.tuples(st.sampled_from(sorted(THEMES)), st.booleans(),
                             st.sampled_from(sorted(SECTORS)), st.integers(0, 120)),
                   min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(signals=SIGNALS)
def test_incremental_counts_equal_the_rebuilt_ones(embedded_app, signals):
    app = embedded_app
    if not app.config.get("TEST_AREAS"):
        import_areas(app, "36012")
        make_user(app, "coordinator")
        app.config["TEST_AREAS"] = True
    with app.app_context():
        for model in (Rollup, CaseEvent, Signal, Case, Consent, Resident):
            db.session.execute(delete(model))
        db.session.commit()
        for number, (theme, consent, place, days_ago) in enumerate(signals):
            file_signal(number, theme, consent, place, days_ago)
        db.session.commit()  # the routing task runs now (eagerly on this path), counting
        assert db.session.scalar(select(Signal.id).where(Signal.routed_at.is_(None))) is None
        incremental = rollups.stored()
        assert incremental == rollups.computed()
        assert sum(v for (_n, _m, measure, _k), v in incremental.items()
                   if measure == "signals_theme") == len(signals)
        assert rollups.rebuild() == 0  # nothing to repair
        db.session.commit()
        assert rollups.stored() == incremental


def test_the_worker_counts_and_the_nightly_rebuild_repairs(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    with app.app_context():
        for number, (theme, place) in enumerate((("eenzaamheid", "Dadizele"),
                                                 ("eenzaamheid", "Dadizele"),
                                                 ("mobiliteit", "Moorslede"))):
            file_signal(number, theme, True, place, 0)
        db.session.commit()

    def routed() -> bool:
        with app.app_context():
            return db.session.scalar(select(Signal.id).where(
                Signal.routed_at.is_(None))) is None

    deadline = time.monotonic() + 60
    while not routed() and time.monotonic() < deadline:
        time.sleep(0.2)
    with app.app_context():
        counts = rollups.stored()
        assert counts == rollups.computed()
        themes = {(k[0], k[3]): v for k, v in counts.items() if k[2] == "signals_theme"}
        assert sorted(themes.values()) == [1, 2]
        assert sum(v for k, v in counts.items() if k[2] == "cases_opened") == 3
        # an address placed in another neighbourhood later: the nightly job repairs it
        moved = db.session.scalars(select(Signal).where(Signal.theme == "mobiliteit")).one()
        other = next(k[0] for k in counts if k[0] != moved.neighbourhood_id)
        moved.neighbourhood_id = other
        db.session.commit()
        assert rollups.stored() != rollups.computed()
        assert rollups.rebuild() > 0
        db.session.commit()
        assert rollups.stored() == rollups.computed()


def test_the_nightly_job_is_scheduled(app):
    from fieldwork.config import celery_config

    schedule = celery_config(app.config)["beat_schedule"]
    assert schedule["rebuild-rollups"]["task"] == "reports.rebuild_rollups"
    assert "reports.rebuild_rollups" in app.extensions["celery"].tasks
