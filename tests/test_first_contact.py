"""Time to first contact: each case keeps its first contact attempt (set as attempts are
logged, in any order), and the figures' median and p90 (PostgreSQL's percentiles, Python's
on SQLite) are those of the attempts as logged."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.extensions import db
from fieldwork.reports.figures import neighbourhood_figures
from fieldwork.signals.models import Resident
from tests.conftest import import_areas

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# per case: the attempts' offsets from the opening, in minutes (negative: before it, which
# does not count as a first contact), and whether the case has a "routed" event too
CASES = st.lists(
    st.lists(st.integers(min_value=-3 * 24 * 60, max_value=30 * 24 * 60), max_size=4),
    min_size=1,
    max_size=6,
)


def _expected(cases: list[list[int]]) -> tuple[int, float | None, float | None]:
    days = [
        min(m for m in minutes if m >= 0) / 1440
        for minutes in cases
        if any(m >= 0 for m in minutes)
    ]
    if not days:
        return 0, None, None
    nearest_rank = sorted(days)[max(1, math.ceil(0.9 * len(days))) - 1]
    return len(days), round(statistics.median(days), 2), round(nearest_rank, 2)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=CASES)
def test_first_contact_figures_follow_the_attempts_logged_in_any_order(app, cases):
    with app.app_context():
        if not db.session.scalar(select(Municipality.id)):
            import_areas(app, "36012")
        hood = db.session.scalar(
            select(Neighbourhood.id).where(Neighbourhood.is_unlocatable.is_(False))
        )
        db.session.execute(delete(CaseEvent))
        db.session.execute(delete(Case))
        db.session.execute(delete(Resident))
        for number, minutes in enumerate(cases):
            resident = Resident(
                municipality_id=db.session.scalar(select(Municipality.id)),
                name=f"R{number}",
                name_key=f"r{number}",
                address_key=f"a{number}",
                neighbourhood_id=hood,
            )
            case = Case(resident=resident, opened_at=OPENED, status="contacted")
            db.session.add(case)
            db.session.flush()
            for offset in minutes:  # logged one by one, in the order drawn
                db.session.add(
                    CaseEvent(
                        case_id=case.id,
                        type="contact_attempt",
                        at=OPENED + timedelta(minutes=offset),
                    )
                )
                db.session.flush()
            db.session.add(CaseEvent(case_id=case.id, type="note", at=OPENED))
        db.session.commit()

        figures = neighbourhood_figures(hood)["cases"]
        contacted, middle, p90 = _expected(cases)
        assert figures["opened"] == len(cases)
        assert figures["contacted"] == contacted
        assert figures["first_contact_days"] == {"median": middle, "p90": p90}
