"""The audit trail read back: /audit and GET /api/v1/audit, for coordinators only, filtered,
paged, exported as CSV, and itself audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.audittrail.services import audit_page, parse_query
from fieldwork.cases.models import Case
from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db
from tests.conftest import ROLES, api_token, bearer, login, make_user
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


@pytest.fixture
def coordinator(app, setup):  # noqa: F811
    """The setup of the routing tests, a routed case read by An, and the coordinator's token."""
    client, token = setup
    signal = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()
    case_id = wait_for_status(client, token, signal["id"])["case_id"]
    an = app.test_client()
    login(an, "an@example.be")
    assert an.get(f"/cases/{case_id}").status_code == 200
    return client, token, case_id


def _count(app, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(AuditEvent).filter_by(**where)
        return db.session.scalar(query) or 0


def test_the_case_read_shows_with_the_readers_name_in_plain_words(app, coordinator):
    client, token, case_id = coordinator
    body = client.get(f"/api/v1/audit?case={case_id}", headers=bearer(token)).get_json()
    reads = [item for item in body["items"] if item["action"] == "case_viewed"]
    assert reads, body
    assert reads[0]["user"]["name"] == "An Peeters"
    assert reads[0]["case_id"] == case_id
    assert all(item["subject_type"] == "case" for item in body["items"])
    page_client = app.test_client()
    login(page_client, "coordinator@example.be")
    page = page_client.get(f"/audit?case={case_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Dossier bekeken" in html
    assert "An Peeters" in html
    assert f'href="/cases/{case_id}"' in html


def test_filters_by_who_what_and_period(app, coordinator):
    client, token, _case_id = coordinator
    with app.app_context():
        an_id = db.session.scalar(select(AuditEvent.user_id).filter_by(action="case_viewed"))
    body = client.get(
        f"/api/v1/audit?user={an_id}&action=case_viewed", headers=bearer(token)
    ).get_json()
    assert body["items"]
    assert {i["user"]["id"] for i in body["items"]} == {an_id}
    assert {i["action"] for i in body["items"]} == {"case_viewed"}
    with app.app_context():
        at = db.session.scalar(select(AuditEvent.at).order_by(AuditEvent.id))
    day = (at + timedelta(days=1)).date().isoformat()
    later = client.get(f"/api/v1/audit?from={day}", headers=bearer(token)).get_json()
    assert later["items"] == []
    # a resident's trail: the events about their case
    with app.app_context():
        resident = db.session.get(Case, _case_id).resident_id
    by_resident = client.get(f"/api/v1/audit?resident={resident}", headers=bearer(token))
    assert {i["case_id"] for i in by_resident.get_json()["items"]} == {_case_id}  # no queue read


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("user=abc", "user"),
        ("case=-3", "case"),
        ("resident=99999999999", "resident"),
        ("from=2026-13-01", "from"),
        ("from=2026-05-02&to=2026-05-01", "to"),
        ("action=DROP%20TABLE", "action"),
        ("per_page=5000", "per_page"),
        ("from=", "from"),
        ("to=9999-12-31", "to"),  # the day after it has no date
        ("from=0001-01-01", "from"),  # its Belgian midnight has no UTC time
    ],
)
def test_bad_filters_are_a_422_naming_the_field(app, query, field):
    make_user(app, "coordinator")
    client = app.test_client()
    response = client.get(
        f"/api/v1/audit?{query}", headers=bearer(api_token(client, "coordinator@example.be"))
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    if field != "per_page":
        exported = client.get(
            f"/api/v1/audit.csv?{query}",
            headers=bearer(api_token(client, "coordinator@example.be")),
        )
        assert exported.status_code == 422
        assert field in exported.get_json()["error"]["fields"]
    login(client, "coordinator@example.be")
    if query.endswith("="):
        return  # the page's form sends its empty fields: no filter
    page = client.get(f"/audit?{query}")
    assert page.status_code == 400
    assert 'class="error"' in page.get_data(as_text=True)


def test_only_coordinators_read_the_trail(app, users):
    for role in ROLES:
        client = app.test_client()
        login(client, f"{role}@example.be")
        page = client.get("/audit")
        export = client.get("/audit.csv")
        export.get_data()  # a streamed answer holds its request open until read
        nav = client.get("/home").get_data(as_text=True)
        api_client = app.test_client()
        token = api_token(api_client, f"{role}@example.be")
        api = api_client.get("/api/v1/audit", headers=bearer(token))
        api_csv = api_client.get("/api/v1/audit.csv", headers=bearer(token))
        api_csv.get_data()
        expected = 200 if role == "coordinator" else 403
        statuses = (page.status_code, export.status_code, api.status_code, api_csv.status_code)
        assert statuses == (expected,) * 4, role
        assert ('href="/audit"' in nav) == (role == "coordinator"), role
    anonymous = app.test_client()
    assert anonymous.get("/audit").status_code == 302
    assert "/login" in anonymous.get("/audit").headers["Location"]
    assert anonymous.get("/api/v1/audit").status_code == 401
    assert anonymous.get("/api/v1/audit.csv").status_code == 401


def test_reading_the_trail_is_audited(app, users):
    client = app.test_client()
    login(client, "coordinator@example.be")
    before = _count(app, action="audit_trail_viewed")
    client.get("/audit?action=login")
    client.get("/api/v1/audit", headers=bearer(api_token(client, "coordinator@example.be")))
    client.get("/audit.csv").get_data()
    assert _count(app, action="audit_trail_viewed") == before + 2
    assert _count(app, action="audit_trail_exported") == 1
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).filter_by(action="audit_trail_viewed")
        ).first()
        assert event.detail["filters"] == {"action": "login"}


def _add_events(app, n: int, actions: list[str]) -> None:
    with app.app_context():
        for i in range(n):
            db.session.add(
                AuditEvent(
                    action=actions[i % len(actions)],
                    subject_type="case",
                    subject_id=str(i % 3 + 1),
                    detail={},
                )
            )
        db.session.commit()


def test_pages_of_50_then_the_csv_holds_the_whole_filtered_set(app, users):
    _add_events(app, 120, ["case_viewed", "visit_recorded"])
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    seen: list[int] = []
    url = "/api/v1/audit?action=case_viewed"
    while url:
        body = client.get(url, headers=bearer(token)).get_json()
        assert len(body["items"]) <= 50
        seen += [i["id"] for i in body["items"]]
        url = body["next"]
    assert len(seen) == 60
    assert seen == sorted(seen, reverse=True)
    login(client, "coordinator@example.be")
    page = client.get("/audit?action=case_viewed").get_data(as_text=True)
    assert page.count('class="card audit-event"') == 50
    assert "Oudere gebeurtenissen" in page
    exported = client.get("/api/v1/audit.csv?action=case_viewed", headers=bearer(token))
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [int(r["id"]) for r in rows] == seen
    assert {r["label"] for r in rows} == {"Dossier bekeken"}


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    actions=st.lists(st.sampled_from(["case_viewed", "visit_recorded", "login"]), max_size=30),
    per_page=st.integers(1, 12),
)
def test_paging_gives_every_matching_event_once(embedded_app, actions, per_page):
    """The service behind the page and the API: following ``next_before`` from the first page
    gives each matching event exactly once, newest first, whatever the page size."""
    with embedded_app.test_request_context():
        db.session.execute(AuditEvent.__table__.delete())
        db.session.add_all(
            AuditEvent(action=a, subject_type="case", subject_id="1", detail={}) for a in actions
        )
        db.session.commit()
        expected = sorted(
            db.session.scalars(select(AuditEvent.id).filter_by(action="case_viewed")), reverse=True
        )
        seen: list[int] = []
        before: int | None = None
        while True:
            parsed = parse_query({"action": "case_viewed", "per_page": str(per_page)})
            parsed.before = before
            page = audit_page(parsed)
            assert len(page.rows) <= per_page
            seen += [row.event.id for row in page.rows]
            if page.next_before is None:
                break
            before = page.next_before
        assert seen == expected


def test_a_residents_trail_lists_the_queue_pages_that_showed_them(app, coordinator):
    """A queue page shows each case's resident by name and address: one event per page,
    naming the cases in its detail. Filtered on a resident, the trail lists the pages that
    showed her (it listed only reads of her case), and not those that did not."""
    client, token, case_id = coordinator
    other = client.post(
        "/api/v1/signals",
        json=intake(name="Jef Claeys", number="40", theme="mobiliteit"),
        headers=bearer(token),
    ).get_json()
    other_case = wait_for_status(client, token, other["id"])["case_id"]
    an = app.test_client()
    login(an, "an@example.be")
    assert an.get("/queue").status_code == 200  # An's queue: Maria's case only
    with app.app_context():
        maria = db.session.get(Case, case_id).resident_id
        jef = db.session.get(Case, other_case).resident_id
    hers = client.get(f"/api/v1/audit?resident={maria}", headers=bearer(token)).get_json()
    queue_pages = [i for i in hers["items"] if i["action"] == "queue_viewed"]
    assert len(queue_pages) == 1
    assert queue_pages[0]["user"]["name"] == "An Peeters"
    his = client.get(f"/api/v1/audit?resident={jef}", headers=bearer(token)).get_json()
    assert [i for i in his["items"] if i["action"] == "queue_viewed"] == []
