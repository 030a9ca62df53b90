"""The quick "not at home, card left" (issue 19, items 8 and 3): the confirmation names the
door and can be undone for a minute — on the server by the one who recorded it (the address,
the visit and the rollups back as they were), on the phone before a queued record is sent —
and date and time fields are as large as the others."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db
from fieldwork.reports import rollups
from fieldwork.reports.models import RollupCounted
from fieldwork.visits.models import Visit, VisitAddress
from fieldwork.visits.services import Findings, open_address_for, record_visit, undo_visit
from tests.conftest import csrf_from, login
from tests.test_browser import ARTIFACTS, fits_the_screen
from tests.test_drafts_browser import log_in
from tests.test_outbox_browser import (
    VOLUNTEER,
    demo_phone,  # noqa: F401 - fixture
    queued,
    round_ready_offline,
    visits_of,
    wait_until,
)
from tests.test_visits import visit_round  # noqa: F401 - fixture
from tests.test_visits_offline import address_at, user

# visit_round: Maria V. has the four Dadizeleplaats addresses (3, 7, 8, 12), Jef D. none;
# two attempts per address.
NOTED = "Niet thuis genoteerd: Dadizeleplaats 3 — kaartje in de bus"


def signed_in(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def quick_not_home(client, address_id: int) -> int:
    """Tap the list's quick button (as the form posts without JavaScript); the visit's id."""
    page = client.get("/bezoeken").get_data(as_text=True)
    with client.application.app_context():
        attempts = db.session.get(VisitAddress, address_id).attempts
    answer = client.post(
        f"/bezoeken/{address_id}",
        data={
            "csrf_token": csrf_from(page),
            "attempt": str(attempts),
            "outcome": "not_home",
            "card_left": "y",
        },
    )
    assert answer.status_code == 302
    with client.application.app_context():
        return db.session.scalars(
            select(Visit.id).where(Visit.address_id == address_id).order_by(Visit.id.desc())
        ).first()


def undo(client, visit_id: int):
    token = csrf_from(client.get("/bezoeken").get_data(as_text=True))
    return client.post(f"/bezoeken/bezoek/{visit_id}/ongedaan", data={"csrf_token": token})


def state_of(app, address_id: int) -> tuple[str, int, object]:
    with app.app_context():
        address = db.session.get(VisitAddress, address_id)
        return address.status, address.attempts, address.last_visit_at


def visit_exists(app, visit_id: int) -> bool:
    with app.app_context():
        return db.session.get(Visit, visit_id) is not None


def age(app, visit_id: int, seconds: int) -> None:
    """Make the visit ``seconds`` older."""
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        visit.created_at -= timedelta(seconds=seconds)
        db.session.commit()


def counted(app, visit_id: int, seconds: float = 60) -> bool:
    """Wait until the worker's task for the visit ran (its row in the ledger)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.get(RollupCounted, ("visit", visit_id)) is not None:
                return True
        time.sleep(0.2)
    return False


def test_the_maker_undoes_a_second_not_home_within_the_minute(app, visit_round):  # noqa: F811
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id = address_at("3").id
    first = quick_not_home(client, address_id)  # an earlier round past this door
    age(app, first, 3600)
    before = state_of(app, address_id)
    assert before[:2] == ("not_home", 1)

    second = quick_not_home(client, address_id)
    today = client.get("/bezoeken").get_data(as_text=True)
    assert NOTED in today
    assert f'action="/bezoeken/bezoek/{second}/ongedaan"' in today
    assert f'href="/bezoeken/{address_id}"' not in today  # two attempts: off the list
    assert state_of(app, address_id)[:2] == ("not_home", 2)

    answer = undo(client, second)
    assert answer.status_code == 302
    assert state_of(app, address_id) == before  # status, attempts and last visit
    assert not visit_exists(app, second)
    assert visit_exists(app, first)
    today = client.get("/bezoeken").get_data(as_text=True)
    assert "Ongedaan gemaakt: Dadizeleplaats 3 staat weer op je lijst." in today
    assert f'href="/bezoeken/{address_id}"' in today
    assert "/ongedaan" not in today  # no offer left
    with app.app_context():
        assert db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "visit_undone")
        ).all() == [{"visit_id": second}]


def test_the_first_not_home_undone_is_to_visit_again(app, visit_round):  # noqa: F811
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id = address_at("3").id
    visit_id = quick_not_home(client, address_id)
    assert undo(client, visit_id).status_code == 302
    assert state_of(app, address_id) == ("to_visit", 0, None)


def test_an_undo_after_the_minute_is_refused(app, visit_round):  # noqa: F811
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id = address_at("3").id
    visit_id = quick_not_home(client, address_id)
    assert f"/bezoeken/bezoek/{visit_id}/ongedaan" in client.get("/bezoeken").get_data(as_text=True)
    age(app, visit_id, 61)
    assert "/ongedaan" not in client.get("/bezoeken").get_data(as_text=True)  # no offer
    after = state_of(app, address_id)
    answer = undo(client, visit_id)
    assert answer.status_code == 409
    assert "Te laat om ongedaan te maken" in answer.get_data(as_text=True)
    assert state_of(app, address_id) == after == ("not_home", 1, after[2])
    assert visit_exists(app, visit_id)


def test_another_volunteer_cannot_undo_it(app, visit_round):  # noqa: F811
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id = address_at("3").id
    visit_id = quick_not_home(client, address_id)
    after = state_of(app, address_id)
    answer = undo(signed_in(app, "jef@example.be"), visit_id)
    assert answer.status_code == 403
    assert "niet door jou genoteerd" in answer.get_data(as_text=True)
    assert state_of(app, address_id) == after
    assert visit_exists(app, visit_id)


def test_no_undo_once_something_else_was_recorded_on_the_address(app, visit_round):  # noqa: F811
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id = address_at("3").id
    visit_id = quick_not_home(client, address_id)
    with app.app_context():  # the volunteer rang again and spoke with the resident
        maria = user("maria@example.be")
        record_visit(open_address_for(maria, address_id), maria, Findings(outcome="spoken"))
        db.session.commit()
    answer = undo(client, visit_id)
    assert answer.status_code == 409
    assert state_of(app, address_id)[:2] == ("visited", 2)
    assert visit_exists(app, visit_id)


def test_an_undo_without_the_csrf_token_is_refused(app, visit_round):  # noqa: F811
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id = address_at("3").id
    visit_id = quick_not_home(client, address_id)
    assert client.post(f"/bezoeken/bezoek/{visit_id}/ongedaan").status_code == 400
    assert visit_exists(app, visit_id)


def test_a_counted_visit_undone_leaves_the_rollups_as_a_rebuild_makes_them(
    app,
    visit_round,  # noqa: F811
):
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id, other_id = address_at("3").id, address_at("7").id
    kept = quick_not_home(client, other_id)
    assert counted(app, kept)
    with app.app_context():
        before = rollups.stored()
    visit_id = quick_not_home(client, address_id)
    assert counted(app, visit_id)  # the worker counted it before the undo
    with app.app_context():
        assert rollups.stored() != before
    assert undo(client, visit_id).status_code == 302
    with app.app_context():
        assert rollups.stored() == before
        assert rollups.rebuild() == 0  # nothing to repair
        db.session.commit()
        assert rollups.stored() == before == rollups.computed()


def test_a_visit_undone_before_its_task_ran_is_never_counted(app, visit_round):  # noqa: F811
    with app.app_context():
        before = rollups.stored()
        maria = user("maria@example.be")
        address = open_address_for(maria, address_at("3").id, lock=True)
        visit = record_visit(address, maria, Findings(outcome="not_home", card_left=True))
        visit_id = visit.id
        db.session.add(  # what the sheet's view keeps for the undo
            AuditEvent(
                action="visit_recorded",
                subject_type="visit_address",
                subject_id=str(address.id),
                detail={
                    "visit_id": visit_id,
                    "before": {"status": "to_visit", "attempts": 0, "last_visit_at": None},
                },
            )
        )
        db.session.flush()
        undo_visit(maria, visit_id)
        db.session.commit()  # the count task, published now, finds no visit
    assert counted(app, visit_id)
    with app.app_context():
        assert not rollups.count_capture("visit", visit_id)
        assert rollups.stored() == before
        assert rollups.rebuild() == 0


# --- on a 360 px phone --------------------------------------------------------------------


def row_of(page, address_id: int):
    return page.locator(f"a.visit-row[href='/bezoeken/{address_id}']")


@pytest.mark.browser
def test_online_the_quick_button_names_the_door_and_undo_puts_it_back(
    demo_phone,  # noqa: F811
    embedded_app,
):
    page, base = demo_phone
    log_in(page, base, VOLUNTEER)
    page.goto(f"{base}/bezoeken")
    assert fits_the_screen(page)
    first_row = page.locator("a.visit-row").first
    box = first_row.bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a card to tap
    assert first_row.evaluate("(a) => getComputedStyle(a).borderStyle") == "solid"
    form = page.locator("form.quick").first
    address_id = int(form.get_attribute("action").rsplit("/", 1)[1])
    door = form.get_attribute("data-outbox").split(": ", 1)[1]
    earlier = len(visits_of(embedded_app, address_id))
    before = state_of(embedded_app, address_id)

    form.get_by_role("button").click()
    expect(page.get_by_text(f"Niet thuis genoteerd: {door} — kaartje in de bus")).to_be_visible()
    assert len(visits_of(embedded_app, address_id)) == earlier + 1
    page.screenshot(path=str(ARTIFACTS / "quick-not-home-360.png"), full_page=True)
    page.get_by_role("button", name="Ongedaan maken").click()
    expect(page.get_by_text(f"Ongedaan gemaakt: {door} staat weer op je lijst.")).to_be_visible()
    expect(row_of(page, address_id)).to_be_visible()
    assert len(visits_of(embedded_app, address_id)) == earlier
    assert state_of(embedded_app, address_id) == before


@pytest.mark.browser
def test_offline_undo_takes_the_record_off_the_phone_before_it_is_sent(
    demo_phone,  # noqa: F811
    embedded_app,
):
    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    address_id = int(sheets[0].rsplit("/", 1)[1])
    form = page.locator(f"form.quick[action='/bezoeken/{address_id}']")
    door = form.get_attribute("data-outbox").split(": ", 1)[1]
    earlier = len(visits_of(embedded_app, address_id))

    page.context.set_offline(True)
    form.get_by_role("button").click()
    page.wait_for_url(f"{base}/bezoeken")
    note = page.locator("[data-outbox-note]")
    expect(note).to_contain_text(f"Niet thuis genoteerd: {door} — kaartje in de bus")
    expect(note).to_contain_text("Geen verbinding")
    assert len(queued(page)) == 1
    note.get_by_role("button", name="Ongedaan maken").click()
    expect(note).to_contain_text("Ongedaan gemaakt: het is niet verstuurd")
    assert queued(page) == []
    expect(page.locator("[data-outbox-badge]")).to_be_hidden()
    expect(row_of(page, address_id)).to_be_visible()

    page.context.set_offline(False)  # back online: nothing waits, nothing is sent
    page.evaluate("() => self.fieldworkOutbox.flush(true)")
    page.goto(f"{base}/bezoeken")
    wait_until(page, "() => self.fieldworkOutbox.all().then((rs) => rs.length === 0)")
    assert len(visits_of(embedded_app, address_id)) == earlier
    expect(row_of(page, address_id)).to_be_visible()


@pytest.mark.browser
def test_the_call_back_date_and_time_is_large(demo_phone):  # noqa: F811
    page, base = demo_phone
    log_in(page, base, "aanspreekpersoon@demo.fieldwork.be")
    page.goto(f"{base}/home")
    page.get_by_role("link", name="Open mijn wachtrij").click()
    page.get_by_role("link", name="Maria Claes").click()
    field = page.get_by_label("Terugbellen op")
    assert field.get_attribute("type") == "datetime-local"
    box = field.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    font = field.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    assert font >= 16
    assert field.evaluate("(el) => getComputedStyle(el).borderTopWidth") == "2px"  # as others
    assert fits_the_screen(page)


def test_a_second_tap_on_undo_says_it_was_undone_already(app, visit_round):  # noqa: F811
    client = signed_in(app, "maria@example.be")
    with app.app_context():
        address_id = address_at("3").id
    visit_id = quick_not_home(client, address_id)
    assert undo(client, visit_id).status_code == 302
    before = state_of(app, address_id)
    again = undo(client, visit_id)
    assert again.status_code == 404
    assert "al ongedaan gemaakt" in again.get_data(as_text=True)
    assert state_of(app, address_id) == before
