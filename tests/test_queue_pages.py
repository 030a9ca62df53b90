"""The contact person's queue, paginated (API and page), in a fixed number of SQL statements
whatever the queue's size, with every page's read audited (embedded and production)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.core.models import AuditEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Resident, Signal
from tests.conftest import api_token, bearer, import_areas, login, make_user

STATEMENTS_PER_PAGE = 15
TOKENS: dict[int, str] = {}


def seed(app: Flask, owner_email: str, count: int, start: int = 0) -> None:
    """``count`` open cases for one owner, across two neighbourhoods and two themes: every
    seventh urgent, due dates spread over past and future with ties (the id decides), a
    contact attempt on every fifth."""
    with app.app_context():
        owner = db.session.scalars(select(User).filter_by(email=owner_email)).one()
        hoods = list(
            db.session.scalars(
                select(Neighbourhood).where(Neighbourhood.name.in_(["Dadizele", "Moorslede"]))
            )
        )
        now = utcnow().replace(microsecond=0)
        for i in range(start, start + count):
            hood = hoods[i % 2]
            resident = Resident(
                municipality_id=hood.municipality_id,
                name=f"Bewoner {i:04d}",
                name_key=f"bewoner {i:04d}",
                street="Dorpsstraat",
                house_number=str(i),
                address_key=f"dorpsstraat {i}",
                neighbourhood_id=hood.id,
            )
            db.session.add(resident)
            db.session.flush()
            case = Case(
                resident_id=resident.id,
                owner_id=owner.id,
                status="assigned",
                urgency="urgent" if i % 7 == 0 else "normal",
                due_at=now + timedelta(days=(i * 37) % 11 - 5),
            )
            db.session.add(case)
            db.session.flush()
            db.session.add(
                Signal(
                    resident_id=resident.id,
                    neighbourhood_id=hood.id,
                    theme="eenzaamheid" if i % 3 else "zorgnood",
                    domain="welzijn",
                    source="api",
                    case_id=case.id,
                )
            )
            if i % 5 == 0:
                db.session.add(CaseEvent(case_id=case.id, type="contact_attempt", detail={}))
        db.session.commit()


def expected_order(app: Flask, owner_email: str, **where: Any) -> list[int]:
    """The queue's order, written out: urgent first, then due date, then id."""
    with app.app_context():
        owner = db.session.scalars(select(User).filter_by(email=owner_email)).one()
        query = (
            select(Case).join(Resident).where(Case.closed_at.is_(None), Case.owner_id == owner.id)
        )
        if "neighbourhood" in where:
            query = query.where(Resident.neighbourhood_id == where["neighbourhood"])
        if "theme" in where:
            query = query.where(
                Case.id.in_(select(Signal.case_id).where(Signal.theme == where["theme"]))
            )
        cases = list(db.session.scalars(query))
        cases.sort(key=lambda c: (c.urgency != "urgent", c.due_at, c.id))
        return [c.id for c in cases]


def neighbourhood_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Neighbourhood.id).filter_by(name=name)).one()


@contextmanager
def counting(app: Flask) -> Iterator[Callable[[], int]]:
    """Count the SQL statements the engine runs meanwhile."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def make_people(app: Flask) -> None:
    import_areas(app, "36012")
    make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    make_user(app, "contact_person", email="jan@example.be", name="Jan Vermeulen")
    make_user(app, "coordinator")
    make_user(app, "volunteer")


def last_audit(app: Flask) -> AuditEvent:
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).filter_by(action="queue_viewed").order_by(AuditEvent.id.desc())
        ).first()


def test_api_pages_keep_the_order_filters_and_total(app):
    make_people(app)
    seed(app, "an@example.be", 120)
    seed(app, "jan@example.be", 5, start=500)
    client = app.test_client()
    an = bearer(api_token(client, "an@example.be"))
    order = expected_order(app, "an@example.be")
    assert len(order) == 120

    first = client.get("/api/v1/queue", headers=an).get_json()
    assert [i["case_id"] for i in first["items"]] == order[:50]
    assert (first["total"], first["page"], first["per_page"], first["pages"]) == (120, 1, 50, 3)
    assert first["prev"] is None
    assert first["items"][0]["urgency"] == "urgent"
    audit = last_audit(app)
    assert audit.detail == {"ids": order[:50]}
    assert audit.user_id is not None

    second = client.get(first["next"], headers=an).get_json()
    assert [i["case_id"] for i in second["items"]] == order[50:100]
    third = client.get(second["next"], headers=an).get_json()
    assert [i["case_id"] for i in third["items"]] == order[100:]
    assert len(third["items"]) == 20
    assert third["next"] is None
    assert client.get(third["prev"], headers=an).get_json()["items"] == second["items"]
    assert last_audit(app).detail == {"ids": order[50:100]}

    # overdue, resident and neighbourhood as before, without the events loaded per row
    with app.app_context():
        cases = {c.id: c for c in db.session.scalars(select(Case))}
        overdue = {i["case_id"]: i["overdue"] for i in first["items"]}
        assert overdue == {cid: cases[cid].is_overdue for cid in overdue}
        assert any(overdue.values())
        assert not all(overdue.values())
    assert first["items"][0]["resident"]["name"].startswith("Bewoner ")
    assert first["items"][0]["neighbourhood"] in ("Dadizele", "Moorslede")

    # filters: kept in the next link, and the total is the filtered total
    dadizele = neighbourhood_id(app, "Dadizele")
    filtered = expected_order(app, "an@example.be", neighbourhood=dadizele, theme="eenzaamheid")
    url = f"/api/v1/queue?neighbourhood={dadizele}&theme=eenzaamheid&per_page=15"
    seen: list[int] = []
    while url:
        body = client.get(url, headers=an).get_json()
        assert body["total"] == len(filtered)
        assert body["per_page"] == 15
        seen += [i["case_id"] for i in body["items"]]
        url = body["next"]
        assert url is None or ("neighbourhood=" in url and "theme=eenzaamheid" in url)
    assert seen == filtered

    # beyond the last page: nothing, and the total; bad parameters are refused
    beyond = client.get("/api/v1/queue?page=9", headers=an).get_json()
    assert (beyond["items"], beyond["total"], beyond["next"]) == ([], 120, None)
    assert "page=3" in beyond["prev"]
    for bad in ("page=0", "per_page=0", "per_page=101", "page=x"):
        assert client.get(f"/api/v1/queue?{bad}", headers=an).status_code == 422, bad

    # a coordinator sees everyone's open cases, in the same order
    coordinator = bearer(api_token(client, "coordinator@example.be"))
    everything = client.get("/api/v1/queue?per_page=100", headers=coordinator).get_json()
    assert everything["total"] == 125


def test_queue_page_shows_fifty_a_page_with_links_keeping_the_filters(app):
    make_people(app)
    seed(app, "an@example.be", 120)
    order = expected_order(app, "an@example.be")
    client = app.test_client()
    login(client, "an@example.be")

    def names(html: str) -> list[str]:
        import re

        return re.findall(r"<strong>(Bewoner \d{4})</strong>", html)

    with app.app_context():
        name_of = {c.id: c.resident.name for c in db.session.scalars(select(Case))}

    page1 = client.get("/queue").get_data(as_text=True)
    assert names(page1) == [name_of[i] for i in order[:50]]
    assert "120 open" in page1
    assert "Volgende" in page1
    assert "Vorige" not in page1
    assert last_audit(app).detail == {"ids": order[:50]}

    page3 = client.get("/queue?page=3").get_data(as_text=True)
    assert names(page3) == [name_of[i] for i in order[100:]]
    assert "Vorige" in page3
    assert "Volgende" not in page3
    assert "/queue?page=2" in page3
    assert last_audit(app).detail == {"ids": order[100:]}

    moorslede = neighbourhood_id(app, "Moorslede")
    filtered = expected_order(app, "an@example.be", neighbourhood=moorslede, theme="eenzaamheid")
    assert len(filtered) > 30
    page = client.get(f"/queue?buurt={moorslede}&thema=eenzaamheid").get_data(as_text=True)
    assert names(page) == [name_of[i] for i in filtered[:50]]
    assert f"{len(filtered)} open" in page
    if len(filtered) > 50:
        assert f"buurt={moorslede}" in page.split('rel="next"')[1].split(">")[0]


def test_volunteers_and_referrers_get_no_queue(app):
    make_people(app)
    make_user(app, "referrer")
    seed(app, "an@example.be", 3)
    for role in ("volunteer", "referrer"):
        client = app.test_client()
        assert (
            client.get(
                "/api/v1/queue?page=2", headers=bearer(api_token(client, f"{role}@example.be"))
            ).status_code
            == 403
        )
        login(client, f"{role}@example.be")
        assert client.get("/queue?page=2").status_code == 403


def test_statements_per_page_do_not_grow_with_the_queue(app):
    make_people(app)
    api = app.test_client()
    an = bearer(api_token(api, "an@example.be"))
    page = app.test_client()
    login(page, "an@example.be")

    def measure() -> tuple[int, int]:
        with counting(app) as api_count:
            assert api.get("/api/v1/queue?theme=eenzaamheid", headers=an).status_code == 200
            api_statements = api_count()
        with counting(app) as page_count:
            assert page.get("/queue?page=2").status_code == 200
            page_statements = page_count()
        return api_statements, page_statements

    # the token's first use of a while writes its last_used_at: a few more statements, once
    assert api.get("/api/v1/queue", headers=an).status_code == 200
    seed(app, "an@example.be", 60)
    at_60 = measure()
    seed(app, "an@example.be", 60, start=60)
    at_120 = measure()
    assert at_120 == at_60, (at_60, at_120)
    assert max(at_120) <= STATEMENTS_PER_PAGE, at_120


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(per_page=st.integers(1, 100), neighbourhood=st.booleans(), theme=st.booleans())
def test_all_pages_together_are_the_whole_queue(embedded_app, per_page, neighbourhood, theme):
    """Concatenated, the pages give the unpaginated queue: same order, nothing twice or
    left out (due dates with ties and without a date, as the queue may have)."""
    from fieldwork.cases.services import queue_for

    app = embedded_app
    with app.app_context():
        seeded = db.session.scalar(select(User.id).filter_by(email="an@example.be"))
    if not seeded:
        make_people(app)
        seed(app, "an@example.be", 70)
        with app.app_context():
            for case in db.session.scalars(select(Case).where(Case.id % 9 == 0)):
                case.due_at = None
            db.session.commit()
    client = app.test_client()
    if id(app) not in TOKENS:  # one token for all examples (the token route is rate-limited)
        TOKENS[id(app)] = api_token(client, "an@example.be")
    an = bearer(TOKENS[id(app)])
    args: dict[str, Any] = {}
    if neighbourhood:
        args["neighbourhood"] = neighbourhood_id(app, "Dadizele")
    if theme:
        args["theme"] = "eenzaamheid"
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email="an@example.be")).one()
        whole = [c.id for c in queue_for(user, args.get("neighbourhood"), args.get("theme"))]
    seen: list[int] = []
    url: str | None = "/api/v1/queue?" + "&".join(
        [f"{k}={v}" for k, v in args.items()] + [f"per_page={per_page}"]
    )
    while url:
        body = client.get(url, headers=an).get_json()
        assert body["total"] == len(whole)
        seen += [i["case_id"] for i in body["items"]]
        url = body["next"]
    assert seen == whole


def test_home_counts_the_queue_and_its_overdue_cases_without_loading_it(app):
    """The home page says "N open case(s), M overdue" from one count in the database: the
    same figures as the queue's own rule, and no more statements with a longer queue."""
    from fieldwork.cases.services import queue_for

    make_people(app)
    home = app.test_client()
    login(home, "an@example.be")

    def shown() -> tuple[str, int]:
        with counting(app) as statements:
            html = home.get("/home").get_data(as_text=True)
            return html, statements()

    seed(app, "an@example.be", 30)
    _html, at_30 = shown()
    seed(app, "an@example.be", 60, start=30)
    html, at_90 = shown()
    with app.app_context():
        an = db.session.scalars(select(User).filter_by(email="an@example.be")).one()
        cases = queue_for(an)
        overdue = sum(case.is_overdue for case in cases)
    assert 0 < overdue < len(cases) == 90
    assert f"{len(cases)} open dossiers, {overdue} over tijd." in html
    assert at_90 == at_30
