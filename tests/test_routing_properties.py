"""Property: every signal with consent ends in exactly one open case for its resident,
however often routing runs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.routing.services import route_signal_once
from fieldwork.signals.models import Signal
from fieldwork.signals.services import create_signal
from tests.conftest import import_areas, make_user

PEOPLE = ["Maria Claes", "Jef Dewulf", "Rita Desmet"]
signal_specs = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE),
        st.booleans(),
        st.sampled_from(["normal", "urgent"]),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=signal_specs)
def test_consent_signals_end_in_exactly_one_open_case(embedded_app, specs):
    app = embedded_app
    with app.app_context():
        if not db.session.scalar(select(User.id)):
            import_areas(app, "36012")
            make_user(app, "coordinator")
        db.session.query(Signal).update({Signal.case_id: None})
        for table in (
            "case_events",
            "notifications",
            "cases",
            "signals",
            "consents",
            "residents",
            "outbox_messages",
        ):
            db.session.execute(db.metadata.tables[table].delete())
        db.session.commit()
        coordinator = db.session.scalars(select(User)).first()
        ids = []
        for name, consent, urgency, deliveries in specs:
            signal = create_signal(
                {
                    "resident": {
                        "name": name,
                        "street": "Kerkstraat",
                        "house_number": "1",
                        "postcode": "8890",
                        "statsec": "36012A001",
                        "gemeente": None,
                        "birth_year": 1940,
                        "phone": None,
                        "lat": None,
                        "lon": None,
                    },
                    "theme": "eenzaamheid",
                    "domain": "welzijn",
                    "urgency": urgency,
                    "polarity": "need",
                    "note": "",
                    "consent": {"given": consent, "how": "verbal", "reference": None},
                },
                coordinator,
            )
            db.session.commit()  # routed once after commit (eager)
            for _ in range(deliveries):  # and redelivered
                route_signal_once(signal.id)
            ids.append((signal.id, name, consent, urgency))
        for signal_id, _name, consent, urgency in ids:
            signal = db.session.get(Signal, signal_id)
            if consent or urgency == "urgent":
                open_cases = db.session.scalars(
                    select(Case).where(
                        Case.resident_id == signal.resident_id, Case.closed_at.is_(None)
                    )
                ).all()
                assert len(open_cases) == 1
                assert signal.case_id == open_cases[0].id
            else:
                assert signal.case_id is None
                assert signal.resident_id is None
        residents_with_cases = {c.resident_id for c in db.session.scalars(select(Case))}
        assert len(residents_with_cases) == len(db.session.scalars(select(Case)).all())
