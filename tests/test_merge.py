"""Near-matches are offered on the case page and merged only when the contact person asks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.signals.models import Resident, Signal
from tests.conftest import api_token, bearer, csrf_from, login
from tests.test_audit_trail_glass import give_reason
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


def test_typo_is_offered_and_merged_on_request(app, setup):  # noqa: F811
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    typo = client.post(
        "/api/v1/signals", json=intake(name="Maria Claeys"), headers=bearer(token)
    ).get_json()["id"]
    keep_case = wait_for_status(client, token, first)["case_id"]
    other_case = wait_for_status(client, token, typo)["case_id"]
    assert keep_case != other_case
    an = app.test_client()
    login(an, "an@example.be")
    page = an.get(f"/cases/{keep_case}").get_data(as_text=True)
    assert "Mogelijk dezelfde bewoner: Maria Claeys" in page
    with app.app_context():
        duplicate_id = db.session.get(Signal, typo).resident_id
    merged = an.post(
        f"/cases/{keep_case}/merge/{duplicate_id}", data={"csrf_token": csrf_from(page)}
    )
    assert merged.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 1
        assert db.session.get(Signal, typo).case_id == keep_case
        assert db.session.get(Case, other_case).closed_at is not None
        open_cases = db.session.scalars(select(Case).where(Case.closed_at.is_(None))).all()
        assert [c.id for c in open_cases] == [keep_case]
    assert "Mogelijk dezelfde bewoner" not in an.get(f"/cases/{keep_case}").get_data(as_text=True)


def test_a_different_person_in_the_same_street_is_not_offered(app, setup):  # noqa: F811
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    other = intake(name="Jan Peeters", number="14", resident={"birth_year": 1960})
    client.post("/api/v1/signals", json=other, headers=bearer(token))
    case_id = wait_for_status(client, token, first)["case_id"]
    an = app.test_client()
    login(an, "an@example.be")
    assert "Mogelijk dezelfde bewoner" not in an.get(f"/cases/{case_id}").get_data(as_text=True)
    with app.app_context():
        other_id = db.session.scalars(select(Resident.id).filter_by(name="Jan Peeters")).one()
    page = an.get(f"/cases/{case_id}").get_data(as_text=True)
    refused = an.post(f"/cases/{case_id}/merge/{other_id}", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 404  # not a near-match: nothing to merge


def test_a_near_match_in_someone_elses_case_is_not_offered(app, setup):  # noqa: F811
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    # mobility in Dadizele matches no rule: the coordinator's case, not An's
    second = client.post(
        "/api/v1/signals",
        json=intake(name="Maria Claeys", theme="mobiliteit"),
        headers=bearer(token),
    ).get_json()["id"]
    case_id = wait_for_status(client, token, first)["case_id"]
    wait_for_status(client, token, second)  # until then Maria Claeys has no case: no owner yet
    an = app.test_client()
    login(an, "an@example.be")
    assert "Mogelijk dezelfde bewoner" not in an.get(f"/cases/{case_id}").get_data(as_text=True)
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.be")
    give_reason(coordinator, case_id)  # An's case: the coordinator says why first
    assert "Mogelijk dezelfde bewoner" in coordinator.get(f"/cases/{case_id}").get_data(
        as_text=True
    )


def test_a_near_match_whose_case_someone_else_closed_stays_hidden(app, setup):  # noqa: F811
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    second = client.post(
        "/api/v1/signals",
        json=intake(name="Maria Claeys", theme="mobiliteit"),  # the coordinator's case
        headers=bearer(token),
    ).get_json()["id"]
    case_id = wait_for_status(client, token, first)["case_id"]
    others_case = wait_for_status(client, token, second)["case_id"]
    coordinator = api_token(client, "coordinator@example.be")
    closed = client.post(
        f"/api/v1/cases/{others_case}/events",
        json={"type": "close", "outcome": "declined"},
        headers=bearer(coordinator),
    )
    assert closed.status_code == 201, closed.get_json()
    an = app.test_client()
    login(an, "an@example.be")
    page = an.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Maria Claeys" not in page
    with app.app_context():
        hidden = db.session.get(Signal, second).resident_id
    refused = an.post(f"/cases/{case_id}/merge/{hidden}", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 404


@pytest.mark.parametrize("withdrawn_on", ["duplicate", "kept"])
def test_a_merge_does_not_bring_back_a_consent_the_person_withdrew(app, setup, withdrawn_on):  # noqa: F811
    """The resident said "no more contact" on one of the two records. Merged: every consent
    is withdrawn, and the open case (the kept one, or the duplicate's that moves over onto a
    kept record whose case the withdrawal closed) closes as declined; no contact is logged."""
    from fieldwork.signals.models import Consent

    client, coordinator = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(coordinator))
    typo = client.post(
        "/api/v1/signals", json=intake(name="Maria Claeys"), headers=bearer(coordinator)
    )
    keep = wait_for_status(client, coordinator, first.get_json()["id"])["case_id"]
    duplicate = wait_for_status(client, coordinator, typo.get_json()["id"])["case_id"]
    an = bearer(api_token(client, "an@example.be"))
    withdrawn = client.post(
        f"/api/v1/cases/{duplicate if withdrawn_on == 'duplicate' else keep}/events",
        json={"type": "withdraw_consent", "reason": "Wil geen contact meer"},
        headers=an,
    )
    assert withdrawn.status_code == 201
    page = app.test_client()
    login(page, "coordinator@example.be")
    html = page.get(f"/cases/{keep}").get_data(as_text=True)
    page.post(f"/cases/{keep}/reason", data={"csrf_token": csrf_from(html), "reason": "Dubbel"})
    html = page.get(f"/cases/{keep}").get_data(as_text=True)
    with app.app_context():
        other = db.session.get_one(Signal, typo.get_json()["id"]).resident_id
    merged = page.post(f"/cases/{keep}/merge/{other}", data={"csrf_token": csrf_from(html)})
    assert merged.status_code == 302
    left_open = keep if withdrawn_on == "duplicate" else duplicate
    with app.app_context():
        assert all(c.withdrawn_at is not None for c in db.session.scalars(select(Consent)))
        case = db.session.get_one(Case, left_open)
        assert (case.status, case.outcome) == ("closed", "declined")
    contact = client.post(
        f"/api/v1/cases/{left_open}/events",
        json={"type": "contact_attempt", "result": "reached"},
        headers=an,
    )
    assert contact.status_code == 409


@pytest.mark.parametrize(
    "other",
    [
        {"name": "CLAES Maria"},  # the surname first, as on many lists
        {"number": "12 bus 1"},  # a box on one capture
        {"resident": {"postcode": None}},  # a street the street list does not know
    ],
    ids=["surname-first", "box-number", "no-postcode"],
)
def test_the_same_person_written_otherwise_is_offered_for_merge(app, setup, other):  # noqa: F811
    """Two tools wrote Maria Claes down differently: two residents, as the identity is
    strict, but the contact person must be offered the merge (she was told twice and saw
    no sign they were one person)."""
    client, token = setup
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    second = client.post("/api/v1/signals", json=intake(**other), headers=bearer(token))
    second_id = second.get_json()["id"]
    keep_case = wait_for_status(client, token, first)["case_id"]
    wait_for_status(client, token, second_id)
    with app.app_context():
        duplicate_id = db.session.get(Signal, second_id).resident_id
    an = app.test_client()
    login(an, "an@example.be")
    page = an.get(f"/cases/{keep_case}").get_data(as_text=True)
    assert "Mogelijk dezelfde bewoner" in page
    merged = an.post(
        f"/cases/{keep_case}/merge/{duplicate_id}", data={"csrf_token": csrf_from(page)}
    )
    assert merged.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 1
