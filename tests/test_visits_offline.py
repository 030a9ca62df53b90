"""Visits recorded offline and sent later (issue 17, the server side): the address may have
been reassigned, closed or visited by someone else meanwhile. The visit is kept, its signals
and consent reach the core, the address never goes back, and the coordinator reviews it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.core.audit import record_audit
from fieldwork.core.models import AuditEvent
from fieldwork.core.observed import clamp_observed_at
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Consent, Resident, Signal
from fieldwork.visits.models import Visit, VisitAddress, VisitRound
from fieldwork.visits.services import (
    Findings,
    VisitError,
    assign,
    late_visit_target,
    open_address_for,
    record_visit,
)
from tests.conftest import csrf_from, login, post_form
from tests.test_visits import (
    TODAY,
    visit_round,  # noqa: F401 - fixture
    wait_until,
)

# visit_round: Maria V. has the four Dadizeleplaats addresses (3, 7, 8, 12), Jef D. none;
# two attempts per address; the round ran from a week ago and runs two more months.


@pytest.fixture
def offline(visit_round):  # noqa: F811 - the fixture imported above
    """(client, tokens, round id, Maria's id) of test_visits' round."""
    return visit_round


CONSENTED = Findings(
    outcome="spoken",
    themes={"eenzaamheid": "concern"},
    wants_contact=True,
    consent={"given": True, "how": "signed_strip", "reference": "F-late"},
    note="Wil graag bezoek.",
)


def user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def address_at(number: str) -> VisitAddress:
    return db.session.scalars(select(VisitAddress).where(VisitAddress.house_number == number)).one()


def open_sheet(app, email: str, number: str) -> int:
    """The volunteer opens the address's sheet (online): the evidence it was on their list."""
    with app.app_context():
        address_id = address_at(number).id
    client = app.test_client()
    login(client, email)
    assert client.get(f"/bezoeken/{address_id}").status_code == 200
    return address_id


def seen_at(app, email: str, address_id: int, when: datetime) -> None:
    """The same evidence, at a chosen moment (the sheet opened days ago)."""
    with app.app_context():
        event = record_audit(
            "visit_address_viewed", "visit_address", address_id, user_id=user(email).id
        )
        event.at = when
        db.session.commit()


def refused_now(volunteer: User, address_id: int) -> bool:
    try:
        open_address_for(volunteer, address_id)
    except VisitError:
        return True
    return False


def late(app, email: str, address_id: int, findings: Findings, observed_at: datetime | None = None):
    """What the volunteer's view will do with a sheet open_address_for refuses: the target
    and flag, then the visit recorded and committed. Returns (flag, visit id) or None."""
    with app.app_context():
        volunteer = user(email)
        assert refused_now(volunteer, address_id)
        observed_at = observed_at or utcnow()
        target = late_visit_target(volunteer, address_id, observed_at)
        if target is None:
            db.session.rollback()
            return None
        address, flag = target
        visit = record_visit(address, volunteer, findings, observed_at=observed_at, flag=flag)
        db.session.commit()
        return flag, visit.id


def record_now(app, email: str, address_id: int, findings: Findings) -> int:
    """A visit recorded online, as today."""
    with app.app_context():
        volunteer = user(email)
        visit = record_visit(
            open_address_for(volunteer, address_id, lock=True), volunteer, findings
        )
        db.session.commit()
        return visit.id


def reassign(app, number: str, email: str, partner: str | None = None) -> None:
    with app.app_context():
        assign([address_at(number)], user(email), user(partner) if partner else None)
        db.session.commit()


def test_reassigned_meanwhile_is_applied_and_flagged(app, offline):
    address_id = open_sheet(app, "maria@example.be", "3")
    observed = utcnow()  # at the door, offline
    reassign(app, "3", "jef@example.be")  # the coordinator gives the street to Jef meanwhile
    flag, visit_id = late(app, "maria@example.be", address_id, CONSENTED, observed)
    assert flag == "reassigned"
    with app.app_context():
        address = db.session.get(VisitAddress, address_id)
        visit = db.session.get(Visit, visit_id)
        assert (address.status, address.attempts) == ("visited", 1)  # Jef won't ring again
        assert (visit.flag, visit.attempt, visit.flag_reviewed_at) == ("reassigned", 1, None)
        assert visit.observed_at == observed
        assert visit.created_at >= observed
        assert refused_now(user("jef@example.be"), address_id)


def test_a_reassigned_not_home_counts_and_leaves_it_open_for_the_new_volunteer(app, offline):
    address_id = open_sheet(app, "maria@example.be", "7")
    reassign(app, "7", "jef@example.be")
    flag, _ = late(app, "maria@example.be", address_id, Findings(outcome="not_home"))
    assert flag == "reassigned"
    with app.app_context():
        address = db.session.get(VisitAddress, address_id)
        assert (address.status, address.attempts) == ("not_home", 1)
        assert open_address_for(user("jef@example.be"), address_id).id == address_id


def test_the_partner_visited_first_the_second_sheet_is_stored_as_a_duplicate(app, offline):
    reassign(app, "12", "maria@example.be", partner="jef@example.be")
    address_id = open_sheet(app, "maria@example.be", "12")
    open_sheet(app, "jef@example.be", "12")
    observed = utcnow()  # both phones at the same door, Maria's offline
    first = record_now(app, "jef@example.be", address_id, Findings(outcome="spoken"))
    flag, second = late(app, "maria@example.be", address_id, CONSENTED, observed)
    assert flag == "duplicate"
    with app.app_context():
        address = db.session.get(VisitAddress, address_id)
        assert (address.status, address.attempts) == ("visited", 1)  # unchanged
        visits = db.session.scalars(select(Visit).order_by(Visit.id)).all()
        assert [(v.id, v.flag) for v in visits] == [(first, None), (second, "duplicate")]
        assert visits[1].consent_id is not None  # the resident's consent is kept
        assert visits[1].attempt == 1  # not counted: still the partner's first attempt


def test_two_volunteers_visit_the_same_address_both_stored_second_flagged(app, offline):
    address_id = open_sheet(app, "maria@example.be", "8")
    reassign(app, "8", "jef@example.be")
    open_sheet(app, "jef@example.be", "8")
    observed = utcnow()
    record_now(app, "jef@example.be", address_id, Findings(outcome="refused"))
    flag, _ = late(app, "maria@example.be", address_id, Findings(outcome="spoken"), observed)
    assert flag == "duplicate"
    with app.app_context():
        rows = db.session.execute(
            select(Visit.volunteer_id, Visit.outcome, Visit.flag).order_by(Visit.id)
        ).all()
        jef, maria = user("jef@example.be").id, user("maria@example.be").id
        assert rows == [(jef, "refused", None), (maria, "spoken", "duplicate")]
        assert db.session.get(VisitAddress, address_id).status == "refused"


def test_a_late_not_home_never_reopens_a_done_address(app, offline):
    # another volunteer spoke to the resident: a duplicate that changes nothing
    reassign(app, "12", "maria@example.be", partner="jef@example.be")
    address_id = open_sheet(app, "maria@example.be", "12")
    observed = utcnow()
    record_now(app, "jef@example.be", address_id, Findings(outcome="spoken"))
    flag, _ = late(app, "maria@example.be", address_id, Findings(outcome="not_home"), observed)
    assert flag == "duplicate"
    # the volunteer's own refusal came in first (another phone): closed, changes nothing
    own = open_sheet(app, "maria@example.be", "3")
    observed = utcnow()
    record_now(app, "maria@example.be", own, Findings(outcome="refused"))
    flag, _ = late(app, "maria@example.be", own, Findings(outcome="not_home"), observed)
    assert flag == "closed"
    with app.app_context():
        visited = db.session.get(VisitAddress, address_id)
        assert (visited.status, visited.attempts) == ("visited", 1)
        done = db.session.get(VisitAddress, own)
        assert (done.status, done.attempts) == ("refused", 1)
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 4


def test_attempts_used_up_a_late_spoken_moves_it_on_without_counting(app, offline):
    address_id = open_sheet(app, "maria@example.be", "7")
    observed = utcnow()
    for _ in range(2):  # the other phone used both attempts
        record_now(app, "maria@example.be", address_id, Findings(outcome="not_home"))
    flag, _ = late(app, "maria@example.be", address_id, Findings(outcome="spoken"), observed)
    assert flag == "closed"
    with app.app_context():
        address = db.session.get(VisitAddress, address_id)
        assert (address.status, address.attempts) == ("visited", 2)  # forward, not counted


def test_without_evidence_the_address_stays_unknown(app, offline):
    with app.app_context():
        maria_address = address_at("3").id
        nobodys = address_at("31").id  # Moorseelsestraat: assigned to no one
        jef, maria = user("jef@example.be"), user("maria@example.be")
        now = utcnow()
        assert late_visit_target(jef, maria_address, now) is None  # never on Jef's list
        assert late_visit_target(maria, nobodys, now) is None
        assert late_visit_target(maria, 987654, now) is None
        assert late_visit_target(maria, maria_address, None) is None
    address_id = open_sheet(app, "maria@example.be", "3")
    with app.app_context():  # still open and hers: open_address_for takes it, not this
        assert late_visit_target(user("maria@example.be"), address_id, utcnow()) is None
    reassign(app, "3", "jef@example.be")
    with app.app_context():
        maria = user("maria@example.be")
        now = utcnow()
        # the sheet was opened after the moment the phone claims (beyond the clock's drift)
        assert late_visit_target(maria, address_id, now - timedelta(minutes=10)) is None
        db.session.rollback()
        target = late_visit_target(maria, address_id, now - timedelta(minutes=4))
        assert target is not None
        assert target[1] == "reassigned"
        db.session.rollback()
        # the sheet of another address does not count
        assert late_visit_target(maria, address_at("7").id, now) is None


def test_a_round_over_takes_a_visit_from_its_days_only(app, offline):
    round_id = offline[2]
    with app.app_context():
        address_id = address_at("3").id
    two_days_ago = utcnow() - timedelta(days=2)
    seen_at(app, "maria@example.be", address_id, two_days_ago)
    with app.app_context():
        db.session.get(VisitRound, round_id).ends_on = TODAY - timedelta(days=1)
        db.session.commit()
        maria = user("maria@example.be")
        # after the round's last day: refused
        assert late_visit_target(maria, address_id, utcnow()) is None
        # before it started (today, on the Brussels clock: whatever the hour, two days ago
        # is before it; a start yesterday would not be just after midnight in Belgium)
        visit_round = db.session.get(VisitRound, round_id)
        visit_round.starts_on, visit_round.ends_on = TODAY, TODAY + timedelta(days=1)
        assert late_visit_target(maria, address_id, two_days_ago + timedelta(hours=1)) is None
        db.session.rollback()
    flag, visit_id = late(
        app, "maria@example.be", address_id, CONSENTED, two_days_ago + timedelta(hours=1)
    )
    assert flag == "closed"
    with app.app_context():
        address = db.session.get(VisitAddress, address_id)
        assert (address.status, address.attempts) == ("visited", 0)  # forward, not counted
        assert db.session.get(Visit, visit_id).consent_id is not None


def test_the_signals_and_consent_of_a_late_visit_reach_the_core_once_per_resident(app, offline):
    """Two phones at Maria Claes' door, both with her consent: the core recognises her
    (same name, address, birth year) — one resident, one case; the late visit's signals and
    its consent join that case (a second signal of the same theme, a second consent row)."""
    client, tokens = offline[0], offline[1]
    reassign(app, "12", "maria@example.be", partner="jef@example.be")
    address_id = open_sheet(app, "maria@example.be", "12")
    observed = utcnow()
    record_now(app, "jef@example.be", address_id, CONSENTED)
    late_findings = Findings(
        outcome="spoken",
        themes={"eenzaamheid": "concern", "mobiliteit": "concern"},
        wants_contact=True,
        consent={"given": True, "how": "signed_strip", "reference": "F-maria"},
    )
    flag, visit_id = late(app, "maria@example.be", address_id, late_findings, observed)
    assert flag == "duplicate"

    def all_routed():
        with app.app_context():
            signals = db.session.scalars(select(Signal)).all()
            return len(signals) == 3 and all(s.routed_at for s in signals)

    assert wait_until(all_routed)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 1
        case = db.session.scalars(select(Case)).one()
        signals = db.session.scalars(select(Signal).order_by(Signal.id)).all()
        assert {s.case_id for s in signals} == {case.id}
        assert sorted(s.theme for s in signals) == ["eenzaamheid", "eenzaamheid", "mobiliteit"]
        late_visit = db.session.get(Visit, visit_id)
        consent = db.session.get(Consent, late_visit.consent_id)
        assert consent.reference == "F-maria"
        assert {s.consent_id for s in signals[1:]} == {consent.id}
    queue = client.get("/api/v1/queue", headers={"Authorization": f"Bearer {tokens['an']}"})
    assert [i["resident"]["name"] for i in queue.get_json()["items"]] == ["Maria Claes"]


def test_an_unknown_flag_is_a_programming_error(app, offline):
    with app.app_context():
        address = address_at("3")
        with pytest.raises(ValueError, match="flag"):
            record_visit(address, user("maria@example.be"), CONSENTED, flag="late")


def flag_one(app) -> tuple[int, int]:
    """One reassigned late visit at Godelieve Vanneste's (Dadizeleplaats 3)."""
    address_id = open_sheet(app, "maria@example.be", "3")
    observed = utcnow()
    reassign(app, "3", "jef@example.be")
    _, visit_id = late(app, "maria@example.be", address_id, Findings(outcome="spoken"), observed)
    return address_id, visit_id


def test_the_coordinator_reviews_flagged_visits(app, offline):
    round_id = offline[2]
    _, visit_id = flag_one(app)
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    listing = coordinator.get("/visit-rounds/").get_data(as_text=True)
    assert "1 na te kijken" in listing
    page = coordinator.get(f"/visit-rounds/{round_id}").get_data(as_text=True)
    assert "Na te kijken" in page
    assert "Godelieve Vanneste" in page
    assert "Maria V." in page
    assert "intussen aan iemand anders gegeven" in page
    assert "Aan de deur" in page
    assert "Binnengekomen" in page
    with app.app_context():
        read = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "flagged_visits_viewed")
        ).one()
        assert (read.subject_id, read.detail["ids"]) == (str(round_id), [visit_id])
    action = f"/visit-rounds/{round_id}/visits/{visit_id}/reviewed"
    no_token = coordinator.post(action)
    assert no_token.status_code == 400  # CSRF as every form
    done = coordinator.post(action, data={"csrf_token": csrf_from(page)})
    assert done.status_code == 302
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert visit.flag == "reassigned"  # kept: the visit still says what happened
        assert visit.flag_reviewed_at is not None
        assert visit.flag_reviewed_by_id == user("coordinator@example.be").id
        assert db.session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "visit_flag_reviewed", AuditEvent.subject_id == str(visit_id)
            )
        )
    after = coordinator.get(f"/visit-rounds/{round_id}").get_data(as_text=True)
    assert "Gemarkeerd als nagekeken." in after
    assert "Na te kijken" not in after
    assert "na te kijken" not in coordinator.get("/visit-rounds/").get_data(as_text=True)
    again = coordinator.post(action, data={"csrf_token": csrf_from(after)})
    assert again.status_code == 302  # twice is harmless
    unflagged = record_now(
        app,
        "maria@example.be",
        open_sheet(app, "maria@example.be", "7"),
        Findings(outcome="not_home"),
    )
    for missing in (
        f"/visit-rounds/{round_id}/visits/{unflagged}/reviewed",
        f"/visit-rounds/{round_id + 1}/visits/{visit_id}/reviewed",
        f"/visit-rounds/{round_id}/visits/987654/reviewed",
    ):
        assert coordinator.post(missing, data={"csrf_token": csrf_from(after)}).status_code == 404


def test_a_volunteer_may_not_review(app, offline):
    round_id = offline[2]
    _, visit_id = flag_one(app)
    volunteer = app.test_client()
    login(volunteer, "maria@example.be")
    action = f"/visit-rounds/{round_id}/visits/{visit_id}/reviewed"
    assert post_form(volunteer, "/home", {}, action).status_code == 403
    assert volunteer.get(f"/visit-rounds/{round_id}").status_code == 403
    with app.app_context():
        assert db.session.get(Visit, visit_id).flag_reviewed_at is None


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
MOMENTS = st.datetimes(  # naive bounds, as hypothesis wants; the zone comes from timezones
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.timezones(),
)


@given(moment=MOMENTS)
def test_clamp_observed_at_reads_what_a_phone_sends(moment):
    """Property: any aware moment, written as ISO 8601 with its offset (or in milliseconds
    with "Z", as toISOString does), comes back as aware UTC — the same instant, now when it
    is ahead of the clock by more than five minutes, None when older than 30 days."""
    utc = moment.astimezone(UTC)
    in_ms = utc.replace(microsecond=utc.microsecond // 1000 * 1000)
    for raw, sent in (
        (moment.isoformat(), utc),
        (in_ms.isoformat(timespec="milliseconds").replace("+00:00", "Z"), in_ms),
    ):
        got = clamp_observed_at(raw, NOW)
        if sent > NOW + timedelta(minutes=5):
            assert got == NOW
        elif sent < NOW - timedelta(days=30):
            assert got is None
        else:
            assert got == sent
            assert got is not None
            assert got.utcoffset() == timedelta(0)


@given(raw=st.one_of(st.none(), st.text(max_size=80)))
def test_clamp_observed_at_never_fails_and_never_returns_the_future(raw):
    got = clamp_observed_at(raw, NOW)
    if got is not None:
        assert got.tzinfo is not None
        assert NOW - timedelta(days=30) <= got <= NOW + timedelta(minutes=5)


def test_clamp_observed_at_refuses_what_it_cannot_place():
    assert clamp_observed_at(None, NOW) is None
    assert clamp_observed_at("", NOW) is None
    assert clamp_observed_at("gisteren", NOW) is None
    assert clamp_observed_at("2026-12-06T10:00:00", NOW) is None  # no offset: whose clock?
    assert clamp_observed_at("2026-12-06", NOW) is None
    assert clamp_observed_at("2026-12-06T10:00:00.123Z", NOW) == datetime(
        2026, 12, 6, 10, 0, 0, 123000, tzinfo=UTC
    )
    assert clamp_observed_at("2026-12-06T11:00:00+01:00", NOW) == datetime(
        2026, 12, 6, 10, 0, tzinfo=UTC
    )
    assert clamp_observed_at("2026-12-06T12:04:59Z", NOW) == datetime(
        2026, 12, 6, 12, 4, 59, tzinfo=UTC
    )
    assert clamp_observed_at("2027-01-01T00:00:00Z", NOW) == NOW
    assert clamp_observed_at("2026-11-06T11:59:59Z", NOW) is None
    with pytest.raises(ValueError, match="aware"):
        clamp_observed_at("2026-12-06T10:00:00Z", datetime(2026, 12, 6))  # noqa: DTZ001
