"""Captures from the phone's queue (the X-Fieldwork-Outbox header and an Idempotency-Key made
when the form opened): answered in JSON, stored once however often and however concurrently
they are resent, never dropped as a double tap, and kept by the phone when the session ended."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from fieldwork.auth.models import User
from fieldwork.core.receipts import CaptureReceipt
from fieldwork.extensions import db
from fieldwork.visits.models import Visit, VisitAddress
from tests.conftest import csrf_from, login
from tests.test_calls import hamont  # noqa: F401  (the fixture)
from tests.test_visits import visit_round  # noqa: F401  (the fixture)


def from_queue(key: str) -> dict[str, str]:
    return {"X-Fieldwork-Outbox": "1", "Idempotency-Key": key}


def address_numbered(app, number: str) -> int:
    with app.app_context():
        return db.session.scalar(select(VisitAddress.id).where(VisitAddress.house_number == number))


def fresh_token(client) -> str:
    answer = client.get("/wachtrij/sleutel")
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_json()["csrf_token"]


def not_home(token: str, attempt: str = "0") -> dict[str, str]:
    return {"csrf_token": token, "attempt": attempt, "outcome": "not_home", "card_left": "y"}


def visits_at(app, address_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Visit.outcome).where(Visit.address_id == address_id).order_by(Visit.id)
            )
        )


def test_a_record_from_the_queue_is_answered_in_json_and_stored_once(app, visit_round):  # noqa: F811
    client = app.test_client()
    login(client, "maria@example.be")
    address_id = address_numbered(app, "3")
    key = str(uuid.uuid4())
    data = not_home(fresh_token(client))
    first = client.post(f"/bezoeken/{address_id}", data=data, headers=from_queue(key))
    assert first.status_code == 200
    assert first.get_json() == {"status": "received", "next": "/bezoeken", "again": False}
    for _ in range(3):  # the answer was lost on the way: the phone sends it again
        again = client.post(f"/bezoeken/{address_id}", data=data, headers=from_queue(key))
        assert again.get_json() == {"status": "received", "next": "/bezoeken", "again": True}
    assert visits_at(app, address_id) == ["not_home"]
    with app.app_context():
        receipt = db.session.scalars(select(CaptureReceipt)).one()
        assert (receipt.key, receipt.path) == (key, f"/bezoeken/{address_id}")


def test_two_visits_made_offline_on_one_page_are_both_kept(app, visit_round):  # noqa: F811
    """The sheet was kept on the phone with attempt 0; two visits that day, both offline: the
    second carries the same attempt number but its own key, so it is no double tap."""
    client = app.test_client()
    login(client, "maria@example.be")
    address_id = address_numbered(app, "3")
    for _ in range(2):
        answer = client.post(
            f"/bezoeken/{address_id}",
            data=not_home(fresh_token(client), attempt="0"),
            headers=from_queue(str(uuid.uuid4())),
        )
        assert answer.get_json()["status"] == "received"
    assert visits_at(app, address_id) == ["not_home", "not_home"]
    # the old double-tap guard still holds for a form posted without the queue
    other = address_numbered(app, "7")
    page = client.get("/bezoeken").get_data(as_text=True)
    for _ in range(2):
        assert client.post(f"/bezoeken/{other}", data=not_home(csrf_from(page))).status_code == 302
    assert visits_at(app, other) == ["not_home"]


def test_a_record_sent_after_the_session_ended_is_refused_with_401_and_kept(app, visit_round):  # noqa: F811
    client = app.test_client()
    address_id = address_numbered(app, "3")
    answer = client.post(
        f"/bezoeken/{address_id}",
        data=not_home(fresh_token(client)),
        headers=from_queue(str(uuid.uuid4())),
    )
    assert answer.status_code == 401  # not a redirect to the login page the queue cannot read
    assert visits_at(app, address_id) == []
    # without the queue's header a person is still sent to the login page
    assert client.get(f"/bezoeken/{address_id}").status_code == 302


def test_a_refused_record_leaves_no_receipt_and_is_accepted_once_fixed(app, visit_round):  # noqa: F811
    client = app.test_client()
    login(client, "maria@example.be")
    address_id = address_numbered(app, "3")
    key = str(uuid.uuid4())
    wrong = {
        "csrf_token": fresh_token(client),
        "attempt": "0",
        "outcome": "spoken",
        "wants_contact": "y",
    }  # contact without consent
    refused = client.post(f"/bezoeken/{address_id}", data=wrong, headers=from_queue(key))
    assert refused.status_code == 400
    assert visits_at(app, address_id) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaptureReceipt)) == 0
    fixed = client.post(
        f"/bezoeken/{address_id}", data=not_home(fresh_token(client)), headers=from_queue(key)
    )
    assert fixed.get_json()["again"] is False
    assert visits_at(app, address_id) == ["not_home"]


def test_a_key_that_is_no_uuid_is_no_key(app, visit_round):  # noqa: F811
    client = app.test_client()
    login(client, "maria@example.be")
    address_id = address_numbered(app, "3")
    answer = client.post(
        f"/bezoeken/{address_id}", data=not_home(fresh_token(client)), headers=from_queue("x' OR 1")
    )
    assert answer.get_json()["status"] == "received"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaptureReceipt)) == 0


def test_the_same_record_sent_at_once_from_two_connections_is_stored_once(app, visit_round):  # noqa: F811
    """The page and the service worker's Background Sync send the same record at the same
    moment: one commits, the other is rolled back and answered "received"."""
    address_id = address_numbered(app, "3")
    key = str(uuid.uuid4())
    clients = [app.test_client() for _ in range(2)]
    tokens = []
    for each in clients:
        login(each, "maria@example.be")
        tokens.append(fresh_token(each))
    barrier = threading.Barrier(2)
    answers: list[dict[str, object]] = []

    def send(n: int) -> None:
        barrier.wait()
        answer = clients[n].post(
            f"/bezoeken/{address_id}", data=not_home(tokens[n]), headers=from_queue(key)
        )
        answers.append(answer.get_json())

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["again"] for a in answers) == [False, True]
    assert all(a["status"] == "received" for a in answers)
    assert visits_at(app, address_id) == ["not_home"]


def test_two_calls_recorded_offline_on_one_kept_call_sheet_are_both_kept(app, hamont):  # noqa: F811
    """No answer twice, both offline on the kept sheet (attempts 0 on both): two attempts; a
    resend of the first stores nothing new."""
    from fieldwork.calls.models import CallAttempt
    from tests.test_calls import campaign_with_list
    from tests.test_calls import my_list as call_list

    client, tokens, hood_id = hamont
    campaign_with_list(client, tokens, hood_id, min_gap_minutes=0)
    page = app.test_client()
    login(page, "maria@example.be")
    target = call_list(client, tokens["maria"])[0]["id"]
    keys = [str(uuid.uuid4()), str(uuid.uuid4())]
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    for key in [*keys, keys[0]]:
        data = {
            "csrf_token": fresh_token(page),
            "attempts": "0",
            "outcome": "no_answer",
            "observed_at": two_hours_ago.isoformat() if key == keys[0] else "no moment",
        }
        answer = page.post(f"/bellen/{target}", data=data, headers=from_queue(key))
        assert answer.get_json()["status"] == "received", answer.get_data(as_text=True)[:300]
    with app.app_context():
        attempts = db.session.scalars(select(CallAttempt).order_by(CallAttempt.id)).all()
        assert len(attempts) == 2
        # when it happened on the phone; a value that is no moment is not believed
        assert attempts[0].observed_at == two_hours_ago
        assert attempts[1].observed_at is None


def test_a_sheet_from_the_queue_for_an_address_reassigned_meanwhile_is_kept_and_flagged(
    app,
    visit_round,  # noqa: F811
):
    client = app.test_client()
    login(client, "maria@example.be")
    seen, never_opened = address_numbered(app, "3"), address_numbered(app, "7")
    assert client.get(f"/bezoeken/{seen}").status_code == 200  # the phone keeps the sheet
    observed = datetime.now(UTC).isoformat()
    with app.app_context():  # meanwhile the coordinator gives the street to Jef
        jef = db.session.scalar(select(User.id).where(User.email == "jef@example.be"))
        for address in db.session.scalars(select(VisitAddress)):
            address.volunteer_id = jef
        db.session.commit()
    data = {**not_home(fresh_token(client)), "observed_at": observed}
    plain = client.post(f"/bezoeken/{seen}", data=data)  # not from the queue: as before
    assert plain.status_code == 404
    answer = client.post(f"/bezoeken/{seen}", data=data, headers=from_queue(str(uuid.uuid4())))
    assert answer.get_json()["status"] == "received"
    with app.app_context():
        visit = db.session.scalars(select(Visit).where(Visit.address_id == seen)).one()
        assert visit.flag == "reassigned"
        assert visit.observed_at is not None
    # an address whose sheet this volunteer never opened cannot be probed: the same 404
    probe = client.post(
        f"/bezoeken/{never_opened}", data=data, headers=from_queue(str(uuid.uuid4()))
    )
    assert probe.status_code == 404
    assert visits_at(app, never_opened) == []


def queue_file(records: list[dict[str, object]]) -> tuple[io.BytesIO, str]:
    body = json.dumps({"format": "fieldwork-outbox", "version": 1, "records": records})
    return io.BytesIO(body.encode()), "fieldwork-wachtrij-2026-12-05.json"


def test_the_coordinator_reads_in_a_phones_queue_file_once(app, visit_round):  # noqa: F811
    """A phone that cannot send any more: its queue saved as a file, read in by the coordinator
    as the volunteer who made it, with the same checks; what had arrived is not stored twice."""
    address_id = address_numbered(app, "3")
    with app.app_context():
        maria = db.session.scalar(select(User.id).where(User.email == "maria@example.be"))
    key = str(uuid.uuid4())
    visit = {
        "key": key,
        "url": f"http://phone.example/bezoeken/{address_id}",
        "user": str(maria),
        "title": "Niet thuis: Dadizeleplaats 3",
        "fields": [
            ["csrf_token", "stale"],
            ["attempt", "0"],
            ["outcome", "not_home"],
            ["card_left", "y"],
            ["observed_at", datetime.now(UTC).isoformat()],
        ],
    }
    elsewhere = {**visit, "key": str(uuid.uuid4()), "url": "/users/1/edit", "title": "x"}
    refused = {
        **visit,
        "key": str(uuid.uuid4()),
        "title": "Gesproken zonder toestemming",
        "fields": [["attempt", "0"], ["outcome", "spoken"], ["wants_contact", "y"]],
    }
    volunteer = app.test_client()
    login(volunteer, "maria@example.be")
    assert volunteer.get("/wachtrij/inlezen").status_code == 403
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    page = coordinator.get("/wachtrij/inlezen").get_data(as_text=True)
    answer = coordinator.post(
        "/wachtrij/inlezen",
        data={
            "csrf_token": csrf_from(page),
            "file": queue_file([visit, visit, elsewhere, refused]),
        },
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert html.count("Ontvangen") == 1
    assert html.count("Was al aangekomen") == 1
    assert html.count("Geweigerd") == 2
    assert visits_at(app, address_id) == ["not_home"]
    with app.app_context():
        stored = db.session.scalars(select(Visit).where(Visit.address_id == address_id)).one()
        assert stored.volunteer_id == maria  # filed as the volunteer who made it
        assert db.session.scalars(select(CaptureReceipt)).one().key == key
    # the coordinator is still the coordinator afterwards
    assert coordinator.get("/wachtrij/inlezen").status_code == 200
    nonsense = coordinator.post(
        "/wachtrij/inlezen",
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(b"{}"), "x.json")},
        content_type="multipart/form-data",
    )
    assert nonsense.status_code == 400
    assert "geen bestand van een fieldwork-wachtrij" in nonsense.get_data(as_text=True)


def test_a_record_its_maker_may_not_send_any_more_is_refused_and_the_rest_read_in(
    app,
    visit_round,  # noqa: F811
):
    """The queue file of a volunteer who stopped (account switched off), with a record of
    someone in another role, one with an id that fits no column and notes no database can
    store (a NUL, half an emoji): each is refused on the report, and the good record after
    them is still read in."""
    from tests.conftest import make_user

    address_id = address_numbered(app, "3")
    stopped = make_user(app, "volunteer", email="gestopt@example.be", active=False)
    analyst = make_user(app, "analyst", email="analist@example.be")
    with app.app_context():
        maria = db.session.scalar(select(User.id).where(User.email == "maria@example.be"))

    def record(user: object, note: str = "") -> dict[str, object]:
        return {
            "key": str(uuid.uuid4()),
            "url": f"/bezoeken/{address_id}",
            "user": str(user),
            "title": f"Niet thuis ({user})",
            "fields": [["attempt", "0"], ["outcome", "not_home"], ["note", note]],
        }

    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    page = coordinator.get("/wachtrij/inlezen").get_data(as_text=True)
    records = [
        record(stopped),
        record(analyst),
        record("99999999999999999999"),
        record(maria, "bel\x00aan"),
        record(maria, "half \ud83d"),
        record(maria),
    ]
    answer = coordinator.post(
        "/wachtrij/inlezen",
        data={"csrf_token": csrf_from(page), "file": queue_file(records)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert html.count("Ontvangen") == 1
    assert "Niet aanvaard (401)" in html
    assert "Niet aanvaard (403)" in html
    assert "Niet aanvaard (400)" in html  # the NUL
    assert "Onleesbaar formulier." in html  # half an emoji cannot even be made a form
    assert visits_at(app, address_id) == ["not_home"]
