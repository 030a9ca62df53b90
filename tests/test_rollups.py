"""The monthly rollups: kept up to date by the worker as each signal is routed and each
capture comes in, and rebuilt exactly by the nightly job — the two must agree (properties
over generated signals and captures, against an independent count), each capture counts
once however often its task runs, and the rebuild repairs what moved since. Both paths; the
production path with the real worker."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.calls.campaigns import Conversation, record_attempt
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.core.outbox import OutboxMessage
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.reports import rollups
from fieldwork.reports.models import Rollup, RollupCounted
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.signals.services import create_signals
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.models import OUTCOMES as VISIT_OUTCOMES
from fieldwork.visits.models import Visit, VisitAddress, VisitRound
from fieldwork.visits.services import Findings, record_visit
from tests.conftest import import_areas, make_user

SECTORS = {"Moorslede": "36012A001", "Dadizele": "36012B001"}


def file_signal(number: int, theme: str, consent: bool, place: str, days_ago: int) -> None:
    (signal, *_rest) = create_signals(
        {
            "resident": {
                "name": f"Bewoner {number}",
                "street": "Marktplaats",
                "house_number": str(number),
                "postcode": "8890",
                "birth_year": 1940,
                "phone": None,
                "lat": None,
                "lon": None,
                "statsec": SECTORS[place],
                "gemeente": "36012",
                "deelgemeente": None,
            },
            "themes": [theme],
            "urgency": "normal",
            "note": "",
            "consent": {
                "given": consent,
                "how": "signed_strip" if consent else None,
                "reference": "F" if consent else None,
            },
        },
        None,
        source="manual",
    )
    signal.created_at = utcnow() - timedelta(days=days_ago)  # months apart


SIGNALS = st.lists(
    st.tuples(
        st.sampled_from(sorted(THEMES)),
        st.booleans(),
        st.sampled_from(sorted(SECTORS)),
        st.integers(0, 120),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
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
        assert sum(
            v for (_n, _m, measure, _k), v in incremental.items() if measure == "signals_theme"
        ) == len(signals)
        assert rollups.rebuild() == 0  # nothing to repair
        db.session.commit()
        assert rollups.stored() == incremental


def test_the_worker_counts_and_the_nightly_rebuild_repairs(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    with app.app_context():
        for number, (theme, place) in enumerate(
            (("eenzaamheid", "Dadizele"), ("eenzaamheid", "Dadizele"), ("mobiliteit", "Moorslede"))
        ):
            file_signal(number, theme, True, place, 0)
        db.session.commit()

    def routed() -> bool:
        with app.app_context():
            return db.session.scalar(select(Signal.id).where(Signal.routed_at.is_(None))) is None

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
        origin = moved.neighbourhood_id
        other = next(k[0] for k in counts if k[0] != origin)
        moved.neighbourhood_id = other
        db.session.commit()
        assert rollups.stored() != rollups.computed()
        before, exact = rollups.stored(), rollups.computed()
        wrong = {k for k in before.keys() | exact.keys() if before.get(k) != exact.get(k)}
        # the signal's theme and polarity, in the neighbourhood it left and the one it is in
        assert {(k[0], k[2], k[3]) for k in wrong} == {
            (hood, measure, key)
            for hood in (origin, other)
            for measure, key in (("signals_theme", "mobiliteit"), ("signals_polarity", "need"))
        }
        assert rollups.rebuild() == 4  # the rows it repaired
        db.session.commit()
        assert rollups.stored() == rollups.computed()


def test_the_nightly_job_is_scheduled(app):
    from fieldwork.config import celery_config

    schedule = celery_config(app.config)["beat_schedule"]
    assert schedule["rebuild-rollups"]["task"] == "reports.rebuild_rollups"
    assert "reports.rebuild_rollups" in app.extensions["celery"].tasks


CAPTURE_MEASURES = {"visit": "visits_outcome", "call": "calls_outcome"}
CALL_OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number", "refused")
CAPTURES = st.lists(
    st.tuples(
        st.sampled_from(sorted(CAPTURE_MEASURES)),
        st.integers(0, 4),
        st.sampled_from(sorted(SECTORS)),
        st.integers(0, 120),
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)


def _month(moment: datetime):
    """Independently of the code under test: the Brussels month of a moment."""
    return moment.astimezone(ZoneInfo("Europe/Brussels")).date().replace(day=1)


def visit_address(visit_round: VisitRound, number: int, neighbourhood_id: int) -> VisitAddress:
    address = VisitAddress(
        round_id=visit_round.id,
        name=f"B{number}",
        name_key=f"b{number}",
        street="Kerkstraat",
        street_key="kerkstraat",
        house_number=str(number),
        postcode="8890",
        address_key=f"kerkstraat {number}",
        neighbourhood_id=neighbourhood_id,
    )
    db.session.add(address)
    db.session.flush()
    return address


def _capture_counts() -> Counter:
    return Counter({k: v for k, v in rollups.stored().items() if k[2] in CAPTURE_MEASURES.values()})


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(captures=CAPTURES)
def test_captures_count_once_and_the_rebuild_agrees(embedded_app, captures):
    """Visits and calls with generated outcomes, places and days; the worker's task for
    some of them is lost (``lost``). The worker counts the others, each once however often
    its task runs; the rebuild counts the lost ones too, and their late task adds nothing."""
    app = embedded_app
    if not app.config.get("TEST_AREAS"):
        import_areas(app, "36012")
        app.config["TEST_AREAS"] = True
    with app.app_context():
        for model in (
            Rollup,
            RollupCounted,
            Visit,
            VisitAddress,
            VisitRound,
            CallAttempt,
            CallTarget,
            CallCampaign,
        ):
            db.session.execute(delete(model))
        municipality = db.session.scalar(select(Municipality))
        hoods = {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}
        visit_round = VisitRound(
            municipality_id=municipality.id,
            name="Ronde",
            starts_on=utcnow().date(),
            ends_on=utcnow().date(),
        )
        campaign = CallCampaign(municipality_id=municipality.id, name="Belactie")
        db.session.add_all([visit_round, campaign])
        db.session.flush()
        expected, counted_by_worker, made = Counter(), Counter(), []
        now = datetime.now(UTC)
        for number, (kind, pick, place, days_ago, lost) in enumerate(captures):
            moment = now - timedelta(days=days_ago, hours=number)
            if kind == "visit":
                address = visit_address(visit_round, number, hoods[place])
                outcome = sorted(VISIT_OUTCOMES)[pick % len(VISIT_OUTCOMES)]
                row = Visit(address_id=address.id, outcome=outcome, created_at=moment)
            else:
                target = CallTarget(
                    campaign_id=campaign.id,
                    name=f"T{number}",
                    name_key=f"t{number}",
                    address_key=f"a{number}",
                    phone="051000000",
                    neighbourhood_id=hoods[place],
                )
                db.session.add(target)
                db.session.flush()
                outcome = CALL_OUTCOMES[pick]
                row = CallAttempt(target_id=target.id, outcome=outcome, created_at=moment)
            db.session.add(row)
            db.session.flush()
            key = (hoods[place], _month(moment), CAPTURE_MEASURES[kind], outcome)
            expected[key] += 1
            if not lost:
                counted_by_worker[key] += 1
            made.append((kind, row.id, lost))
        db.session.commit()
        for kind, source_id, lost in made:
            if not lost:
                assert rollups.count_capture(kind, source_id)
                assert not rollups.count_capture(kind, source_id)  # a redelivery
        db.session.commit()
        assert _capture_counts() == counted_by_worker
        rollups.rebuild()
        db.session.commit()
        assert _capture_counts() == expected
        for kind, source_id, _lost in made:  # the lost tasks arrive after all
            assert not rollups.count_capture(kind, source_id)
        db.session.commit()
        assert _capture_counts() == expected
        assert rollups.stored() == rollups.computed()


def test_visits_and_calls_are_counted_by_the_worker(app, request):
    """Through the services that store them and the outbox, on the real worker."""
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    volunteer_id = make_user(app, "volunteer")
    with app.app_context():
        municipality = db.session.scalar(select(Municipality))
        hoods = {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}
        volunteer = db.session.get(User, volunteer_id)
        visit_round = VisitRound(
            municipality_id=municipality.id,
            name="Ronde",
            starts_on=utcnow().date(),
            ends_on=utcnow().date(),
        )
        campaign = CallCampaign(municipality_id=municipality.id, name="Belactie")
        db.session.add_all([visit_round, campaign])
        db.session.flush()
        for number, place in enumerate(("Dadizele", "Dadizele", "Moorslede")):
            address = visit_address(visit_round, number, hoods[place])
            record_visit(address, volunteer, Findings(outcome="not_home", card_left=True))
        target = CallTarget(
            campaign_id=campaign.id,
            name="T",
            name_key="t",
            address_key="a",
            phone="051000000",
            neighbourhood_id=hoods["Moorslede"],
        )
        db.session.add(target)
        db.session.flush()
        record_attempt(target, volunteer, Conversation(outcome="no_answer"))
        db.session.commit()

    def all_counted() -> bool:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(RollupCounted)) == 4

    deadline = time.monotonic() + 60
    while not all_counted() and time.monotonic() < deadline:
        time.sleep(0.2)
    with app.app_context():
        month = _month(datetime.now(UTC))
        counts = _capture_counts()
        assert counts == Counter(
            {
                (hoods["Dadizele"], month, "visits_outcome", "not_home"): 2,
                (hoods["Moorslede"], month, "visits_outcome", "not_home"): 1,
                (hoods["Moorslede"], month, "calls_outcome", "no_answer"): 1,
            }
        )
        assert rollups.rebuild() == 0
        db.session.commit()
        assert _capture_counts() == counts
        tasks = db.session.scalars(select(OutboxMessage.task_name)).all()
        assert tasks.count("reports.count_capture") == 4


# Moments around Brussels month boundaries: in UTC the last evening of a month, on the
# Brussels clock (an hour ahead in winter, two in summer) already the next month or not yet.
BOUNDARIES = (
    datetime(2026, 1, 31, 22, 30, tzinfo=UTC),  # 23:30 on 31 January in Brussels
    datetime(2026, 1, 31, 23, 0, tzinfo=UTC),  # midnight: 1 February
    datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
    datetime(2026, 3, 31, 21, 59, tzinfo=UTC),  # summer time: 23:59 on 31 March
    datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 00:30 on 1 April
    datetime(2026, 10, 31, 22, 30, tzinfo=UTC),  # winter time again: 23:30 on 31 October
    datetime(2026, 10, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 November
    datetime(2026, 12, 31, 23, 15, tzinfo=UTC),  # 00:15 on 1 January 2027
)


def _varied_data() -> dict[str, set[int]]:
    """Routed and unrouted signals, cases, visits, calls, referral cards (with signals in one
    and in two neighbourhoods) and photos (processed or not, placed or not), at moments
    around month boundaries; rows written directly, no task runs. The ids of each kind of
    capture that the rollups count."""
    from fieldwork.photos.models import Photo, PhotoAssignment
    from fieldwork.referrals.models import (
        CardSeries,
        ReferralCard,
        ReferralSubmission,
    )
    from fieldwork.signals.models import ConsentText

    municipality = db.session.scalar(select(Municipality))
    hoods = [n.id for n in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.id))]
    themes = sorted(THEMES)
    visit_round = VisitRound(
        municipality_id=municipality.id,
        name="Ronde",
        starts_on=utcnow().date(),
        ends_on=utcnow().date(),
    )
    campaign = CallCampaign(municipality_id=municipality.id, name="Belactie")
    consent_text = ConsentText(
        municipality_id=municipality.id, purpose="referral", version=1, text="Ja"
    )
    assignment = PhotoAssignment(
        municipality_id=municipality.id,
        title="Foto's",
        prompts=[{"prompt": "Waar is het gezellig?", "contrast": "En niet?"}],
        starts_on=utcnow().date(),
        ends_on=utcnow().date(),
        token="r" * 32,
    )
    db.session.add_all([visit_round, campaign, consent_text, assignment])
    db.session.flush()
    series = CardSeries(
        municipality_id=municipality.id,
        name="Kaarten",
        consent_text_id=consent_text.id,
        card_count=99,
    )
    db.session.add(series)
    db.session.flush()
    signals = []
    for number, moment in enumerate(BOUNDARIES * 3):
        hood = hoods[number % len(hoods)]
        resident = Resident(
            municipality_id=municipality.id,
            name=f"R{number}",
            name_key=f"r{number}",
            address_key=f"a{number}",
            neighbourhood_id=hood,
        )
        db.session.add(resident)
        db.session.flush()
        signal = Signal(
            resident_id=resident.id,
            neighbourhood_id=hood,
            theme=themes[number % len(themes)],
            domain="welzijn",
            polarity=("need", "strength")[number % 2],
            source="manual",
            created_at=moment,
            routed_at=None if number % 7 == 3 else moment,  # one in 7 not routed yet
        )
        db.session.add(signal)
        if number % 3:
            db.session.add(Case(resident_id=resident.id, opened_at=moment + timedelta(minutes=20)))
        signals.append(signal)
        address = visit_address(visit_round, number, hood)
        db.session.add(
            Visit(
                address_id=address.id,
                outcome=sorted(VISIT_OUTCOMES)[number % len(VISIT_OUTCOMES)],
                created_at=moment,
            )
        )
        target = CallTarget(
            campaign_id=campaign.id,
            name=f"T{number}",
            name_key=f"t{number}",
            address_key=f"a{number}",
            phone="051000000",
            neighbourhood_id=hoods[(number + 1) % len(hoods)],
        )
        db.session.add(target)
        db.session.flush()
        db.session.add(
            CallAttempt(
                target_id=target.id,
                outcome=CALL_OUTCOMES[number % len(CALL_OUTCOMES)],
                created_at=moment,
            )
        )
        db.session.add(
            Photo(
                assignment_id=assignment.id,
                week=1 + number % 2,
                side=("main", "contrast")[number % 3 == 0],
                prompt="Waar is het gezellig?",
                neighbourhood_id=None if number % 5 == 4 else hood,
                sha256=f"{number:064}",
                status=("new", "approved", "hidden", "processing", "rejected")[number % 5],
                created_at=moment,
            )
        )
    db.session.flush()
    for number, moment in enumerate(BOUNDARIES):  # one, two or three signals on a card
        card = ReferralCard(series_id=series.id, code=f"C{number:06}")
        db.session.add(card)
        db.session.flush()
        submission = ReferralSubmission(card_id=card.id, via="paper", created_at=moment)
        submission.signals = signals[number : number + 1 + number % 3]
        db.session.add(submission)
    db.session.flush()
    return {
        kind: set(db.session.scalars(select(capture.rows().subquery().c[0])))
        for kind, capture in rollups.CAPTURES.items()
    }


def test_the_rebuild_counts_every_measure_as_computed_across_month_boundaries(app):
    """Every measure and kind of capture, at moments on either side of Brussels month
    boundaries, with rollups that are partly counted, partly wrong and partly missing: the
    rebuild (in the database on PostgreSQL, in Python on SQLite) makes them what computed()
    counts, reports the rows that differed, marks every capture it counted, and a second
    rebuild finds nothing to repair."""
    import_areas(app, "36012")
    with app.app_context():
        counted = _varied_data()
        assert all(counted.values())
        kind, ids = next(iter(counted.items()))  # some captures counted by the worker already
        for source_id in sorted(ids)[::2]:
            assert rollups.count_capture(kind, source_id)
        for row in db.session.scalars(select(Rollup).order_by(Rollup.id).limit(2)):
            row.value += 5  # and a count gone wrong
        hood = db.session.scalar(select(Neighbourhood.id))
        for key, value in (("gone", 2), ("none", 0)):  # a count of what is not (any more),
            db.session.add(  # and a count of 0 (no count: no difference)
                Rollup(
                    neighbourhood_id=hood,
                    month=_month(BOUNDARIES[0]),
                    measure="visits_outcome",
                    key=key,
                    value=value,
                )
            )
        db.session.commit()
        before, exact = rollups.stored(), rollups.computed()
        assert before != exact
        # the month is the Brussels one (independently of the code under test)
        routed = db.session.scalars(select(Signal).where(Signal.routed_at.is_not(None))).all()
        by_month: Counter = Counter()
        for (hood, month, measure, _key), value in exact.items():
            if measure == "signals_theme":
                by_month[(hood, month)] += value
        assert by_month == Counter((s.neighbourhood_id, _month(s.created_at)) for s in routed)
        assert {month for _n, month, _m, _k in exact} == {
            _month(moment + timedelta(minutes=later)) for moment in BOUNDARIES for later in (0, 20)
        }

        differed = rollups.rebuild()
        db.session.commit()
        assert differed == sum(1 for k in before.keys() | exact.keys() if before[k] != exact[k])
        assert rollups.stored() == exact
        assert {measure for _n, _m, measure, _k in exact} == set(rollups.MEASURES)
        for kind, ids in counted.items():  # counted by the rebuild: a late task adds nothing
            marked = db.session.scalars(
                select(RollupCounted.source_id).where(RollupCounted.kind == kind)
            ).all()
            assert set(marked) == ids
            assert not any(rollups.count_capture(kind, source_id) for source_id in ids)
        db.session.commit()
        assert rollups.stored() == exact

        assert rollups.rebuild() == 0
        db.session.commit()
        assert rollups.stored() == exact
