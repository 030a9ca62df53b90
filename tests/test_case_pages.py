"""The queue and case pages, and the manual intake form (embedded and production)."""

from __future__ import annotations

from sqlalchemy import select

from fieldwork.cases.models import Case
from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db
from tests.conftest import bearer, csrf_from, import_areas, login, make_user, post_form
from tests.test_resolve import STREETS
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


def test_intake_form_to_queue_to_closed_case(app, setup):  # noqa: F811
    client, token = setup
    import_areas(app, "72037")
    assert (
        app.test_cli_runner().invoke(args=["areas", "streets", "load", str(STREETS)]).exit_code == 0
    )
    an = app.test_client()
    login(an, "an@example.be")
    form = {
        "name": "Maria Claes",
        "street": "Dadizeleplaats",
        "house_number": "3",
        "postcode": "8890",
        "gemeente": "36012",
        "birth_year": "1941",
        "phone": "056 11",
        "theme": "eenzaamheid",
        "domain": "welzijn",
        "urgency": "urgent",
        "note": "Ziet niemand meer",
        "consent_given": "y",
        "consent_how": "verbal",
    }
    bad = post_form(an, "/intake", {**form, "postcode": "88"})
    assert bad.status_code == 400
    assert "4 cijfers" in bad.get_data(as_text=True)
    assert post_form(an, "/intake", form).status_code == 302
    with app.app_context():
        signal_ids = [c.id for c in db.session.scalars(select(Case))]
    if not signal_ids:  # production path: the worker routes after commit
        from fieldwork.signals.models import Signal

        with app.app_context():
            signal_id = db.session.scalars(select(Signal.id)).one()
        wait_for_status(client, token, signal_id)
    queue = an.get("/queue").get_data(as_text=True)
    assert "Maria Claes" in queue
    assert "Dringend" in queue
    with app.app_context():
        case_id = db.session.scalars(select(Case.id)).one()
    page = an.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "regel 1: thema=eenzaamheid, buurt=Dadizele → An Peeters" in page
    assert 'href="tel:05611"' in page
    url = f"/cases/{case_id}"
    assert post_form(an, url, {"action": "attempt", "attempt-result": "reached"}).status_code == 302
    refused = post_form(an, url, {"action": "close", "close-outcome": "referred_onward"})
    assert refused.status_code == 400
    assert "partner" in refused.get_data(as_text=True)
    done = post_form(an, url, {"action": "close", "close-outcome": "helped"})
    assert done.status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.status, case.outcome) == ("closed", "helped")
        assert db.session.scalars(select(AuditEvent).filter_by(action="case_viewed")).first()


def test_other_roles_cannot_open_queue_case_or_intake(app, setup):  # noqa: F811
    for role in ("volunteer", "referrer", "analyst"):
        make_user(app, role)
        client = app.test_client()
        login(client, f"{role}@example.be")
        for url in ("/queue", "/cases/1", "/intake"):
            assert client.get(url).status_code == 403, (role, url)


def test_case_page_hides_other_peoples_cases(app, setup):  # noqa: F811
    client, token = setup
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    case_id = wait_for_status(client, token, signal_id)["case_id"]
    jan = app.test_client()
    login(jan, "jan@example.be")
    assert jan.get(f"/cases/{case_id}").status_code == 404
    page = jan.get("/queue").get_data(as_text=True)
    assert "Maria Claes" not in page
    token_page = jan.get("/intake").get_data(as_text=True)
    assert csrf_from(token_page)


def test_note_and_reassign_on_the_page(app, setup):  # noqa: F811
    client, token = setup
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    case_id = wait_for_status(client, token, signal_id)["case_id"]
    an = app.test_client()
    login(an, "an@example.be")
    url = f"/cases/{case_id}"
    assert (
        post_form(an, url, {"action": "note", "note-text": "Dochter belt terug"}).status_code == 302
    )
    assert (
        post_form(an, url, {"action": "reassign", "reassign-to": "jan@example.be"}).status_code
        == 400
    )  # a reason is required
    moved = post_form(
        an,
        url,
        {"action": "reassign", "reassign-to": "jan@example.be", "reassign-reason": "Jan kent haar"},
    )
    assert moved.status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.owner.email == "jan@example.be"
        assert [e.type for e in case.events][-2:] == ["note", "reassigned"]
    assert an.get(url).status_code == 404  # no longer An's case


def test_the_timeline_names_people_not_their_e_mail_addresses(app, setup):  # noqa: F811
    client, token = setup
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    case_id = wait_for_status(client, token, signal_id)["case_id"]
    an = app.test_client()
    login(an, "an@example.be")
    url = f"/cases/{case_id}"
    moved = post_form(
        an,
        url,
        {"action": "reassign", "reassign-to": "jan@example.be", "reassign-reason": "Jan kent haar"},
    )
    assert moved.status_code == 302
    jan = app.test_client()
    login(jan, "jan@example.be")
    page = jan.get(url).get_data(as_text=True)
    timeline = page[page.index('class="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "@" not in timeline  # the assigned owner, the reassignment's from and to
    assert "An Peeters" in timeline
    with app.app_context():
        jan_name = db.session.get(Case, case_id).owner.display_name
    assert jan_name in timeline
