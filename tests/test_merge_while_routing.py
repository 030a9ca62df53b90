"""A merge of two residents while the worker routes a signal of the duplicate (PostgreSQL):
routing locks the signal and then inserts the case that refers to the resident; the merge
must take the same order, or the two deadlock (a 500 for the contact person, and the
duplicate's case opened after all)."""

from __future__ import annotations

import threading
import uuid

import redis
from sqlalchemy import func, select

import fieldwork.routing.services as routing
from fieldwork.areas.models import Neighbourhood
from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.routing.models import RoutingRule
from fieldwork.signals.models import Resident, Signal
from tests.conftest import (
    _make_app,
    api_token,
    bearer,
    csrf_from,
    import_areas,
    login,
    make_user,
)
from tests.test_signals import intake


def test_a_merge_while_the_duplicates_signal_is_routed_waits_and_merges(pg_app, monkeypatch):
    # a queue no worker listens to: routing runs in this test, when the test says
    queue = f"fieldwork-merge-{uuid.uuid4().hex[:8]}"
    app = _make_app(
        pg_app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=pg_app.config["REDIS_URL"],
        TASK_QUEUE=queue,
    )
    import_areas(app, "36012")
    make_user(app, "coordinator")
    an = make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        db.session.add(
            RoutingRule(
                position=1,
                name="Eenzaamheid",
                assign_user_id=an,
                conditions={"neighbourhoods": [dadizele.id], "themes": ["eenzaamheid"]},
            )
        )
        db.session.commit()
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    kept = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()["id"]
    doubled = client.post("/api/v1/signals", json=intake(number=""), headers=bearer(token))
    doubled_id = doubled.get_json()["id"]
    with app.app_context():
        routing.route_signal_once(kept)
        keep_case = db.session.get(Signal, kept).case_id
        duplicate = db.session.get(Signal, doubled_id).resident_id
    page = app.test_client()
    login(page, "an@example.be")
    csrf = csrf_from(page.get(f"/cases/{keep_case}").get_data(as_text=True))
    # fault injection: the worker holds the signal a moment longer before it inserts the
    # case (what a busy worker does anyway), so the merge arrives in between every time
    holding, go_on = threading.Event(), threading.Event()
    decide = routing.decide

    def slow_decide(signal, run):
        holding.set()
        go_on.wait(5)
        return decide(signal, run)

    monkeypatch.setattr(routing, "decide", slow_decide)

    def worker() -> None:
        with app.app_context():
            routing.route_signal_once(doubled_id)

    routed = threading.Thread(target=worker)
    routed.start()
    assert holding.wait(10)
    merged: list[int] = []
    merge = threading.Thread(
        target=lambda: merged.append(
            page.post(
                f"/cases/{keep_case}/merge/{duplicate}", data={"csrf_token": csrf}
            ).status_code
        )
    )
    merge.start()
    merge.join(0.6)
    go_on.set()
    routed.join(30)
    merge.join(30)
    assert merged == [302]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resident)) == 1
        open_cases = db.session.scalars(select(Case).where(Case.closed_at.is_(None))).all()
        assert [case.id for case in open_cases] == [keep_case]
        assert db.session.get(Signal, doubled_id).case_id == keep_case
    redis.Redis.from_url(app.config["REDIS_URL"]).delete(queue, f"{queue}.batch")
