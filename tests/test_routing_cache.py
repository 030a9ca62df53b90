"""Routing keeps the rules, teams, absences and loads it reads for a few seconds per
process (fieldwork.routing.cache): a change to them still applies to the very next signal,
routing a signal takes a bounded number of statements, and two workers adding to the same
new rollup row both count."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import event, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.reports import rollups
from fieldwork.reports.models import Rollup
from fieldwork.routing import cache
from fieldwork.routing.models import Absence, RoutingRule, Team, TeamMember
from fieldwork.routing.services import route_signal_once
from fieldwork.signals.models import Consent, Resident, Signal
from tests.conftest import import_areas, make_user


def _setup(app) -> dict[str, int]:
    import_areas(app, "36012")
    people = {
        "coordinator": make_user(app, "coordinator"),
        "an": make_user(app, "contact_person", email="an@example.be", name="An Peeters"),
        "jan": make_user(app, "contact_person", email="jan@example.be", name="Jan Vermeulen"),
        "lies": make_user(app, "contact_person", email="lies@example.be", name="Lies Maes"),
    }
    with app.app_context():
        db.session.add(
            RoutingRule(
                position=1,
                name="Eenzaamheid",
                assign_user_id=people["an"],
                conditions={"themes": ["eenzaamheid"]},
            )
        )
        db.session.commit()
    return people


def _signal(app, number: int, theme: str = "eenzaamheid") -> int:
    """A new resident with consent and a stored, unrouted signal (no task queued: the test
    routes it here)."""
    with app.app_context():
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
        consent = Consent(resident_id=resident.id, method="verbal")
        db.session.add(consent)
        db.session.flush()
        signal = Signal(
            resident_id=resident.id,
            neighbourhood_id=hood.id,
            theme=theme,
            domain="welzijn",
            source="manual",
            consent_id=consent.id,
        )
        db.session.add(signal)
        db.session.commit()
        return signal.id


def _owner_after_routing(app, signal_id: int) -> str:
    with app.app_context():
        route_signal_once(signal_id)
        case = db.session.get(Case, db.session.get(Signal, signal_id).case_id)
        return case.owner.email if case.owner else ""


def test_a_change_to_rules_accounts_absences_and_teams_applies_to_the_next_signal(app):
    people = _setup(app)
    cache.forget()
    assert _owner_after_routing(app, _signal(app, 1)) == "an@example.be"
    with app.app_context():  # the rule now names Jan
        db.session.scalars(select(RoutingRule)).one().assign_user_id = people["jan"]
        db.session.commit()
    assert _owner_after_routing(app, _signal(app, 2)) == "jan@example.be"
    with app.app_context():  # Jan is away today, Lies deputises
        today = utcnow().date()
        db.session.add(
            Absence(
                user_id=people["jan"],
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=1),
                deputy_id=people["lies"],
            )
        )
        db.session.commit()
    assert _owner_after_routing(app, _signal(app, 3)) == "lies@example.be"
    with app.app_context():  # Lies leaves: nobody for the rule, the coordinator
        db.session.get(User, people["lies"]).active = False
        db.session.commit()
    assert _owner_after_routing(app, _signal(app, 4)) == "coordinator@example.be"
    with app.app_context():  # a team of An and Jan (away) for the theme: An
        team = Team(
            name="Team",
            members=[
                TeamMember(user_id=people["an"], position=0),
                TeamMember(user_id=people["jan"], position=1),
            ],
        )
        db.session.add(team)
        db.session.flush()
        rule = db.session.scalars(select(RoutingRule)).one()
        rule.assign_user_id, rule.assign_team_id = None, team.id
        db.session.commit()
    assert _owner_after_routing(app, _signal(app, 5)) == "an@example.be"


def test_the_team_loads_count_the_cases_this_process_just_assigned(app):
    people = _setup(app)
    with app.app_context():
        team = Team(
            name="Team",
            members=[
                TeamMember(user_id=people["jan"], position=0),
                TeamMember(user_id=people["lies"], position=1),
            ],
        )
        db.session.add(team)
        db.session.flush()
        db.session.add(RoutingRule(position=2, name="Rest", assign_team_id=team.id, conditions={}))
        db.session.commit()
    cache.forget()
    owners = [_owner_after_routing(app, _signal(app, n, theme="mobiliteit")) for n in range(4)]
    assert owners == ["jan@example.be", "lies@example.be"] * 2  # least loaded, then in turn
    with app.app_context():
        assert db.session.scalars(select(Team)).one().last_assigned_position == 1


def test_routing_a_signal_into_a_new_case_takes_a_bounded_number_of_statements(pg_app):
    app = pg_app
    _setup(app)
    _owner_after_routing(app, _signal(app, 1))  # the snapshot is read once
    signal_id = _signal(app, 2)
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        route_signal_once(signal_id)
    # the signal with its open case; the fingerprint; the owner; the case; the notification
    # (dedup check, row, outbox message); the events; the signal; the rollups — and, after
    # the commit, the outbox relay reading and marking the e-mail's message (was 30 in all)
    assert len(statements) <= 12, "\n".join(statements)


def test_two_workers_adding_to_the_same_new_rollup_row_both_count(pg_app):
    app = pg_app
    import_areas(app, "36012")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood.id)).first()
    key = (hood, date(2026, 1, 1), "signals_theme", "eenzaamheid")
    first_added = threading.Event()

    def second_worker() -> None:
        first_added.wait(10)
        with app.app_context():
            rollups._add(key)  # waits for the first worker's row, then adds to it
            db.session.commit()

    thread = threading.Thread(target=second_worker)
    thread.start()
    with app.app_context():
        rollups._add(key)
        first_added.set()
        thread.join(0.3)  # the second worker is waiting for this transaction
        db.session.commit()
    thread.join(10)
    with app.app_context():
        assert db.session.scalars(select(Rollup.value)).one() == 2
