"""The coordinator creates and deactivates accounts on a page."""

from __future__ import annotations

from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.extensions import db
from tests.conftest import csrf_from, login, make_user, post_form


def test_coordinator_sets_up_contact_persons(app):
    make_user(app, "coordinator")
    page = app.test_client()
    login(page, "coordinator@example.be")
    created = post_form(
        page,
        "/users/",
        {
            "email": "an@gemeente.be",
            "name": "An Peeters",
            "role": "contact_person",
            "password": "tijdelijk-123",
        },
    )
    assert created.status_code == 302
    duplicate = post_form(
        page, "/users/", {"email": "AN@gemeente.be", "role": "analyst", "password": "tijdelijk-123"}
    )
    assert duplicate.status_code == 400
    assert login(app.test_client(), "an@gemeente.be", "tijdelijk-123").status_code == 302
    with app.app_context():
        an_id = db.session.scalars(select(User.id).filter_by(email="an@gemeente.be")).one()
    token = csrf_from(page.get("/users/").get_data(as_text=True))
    assert page.post(f"/users/{an_id}/deactivate", data={"csrf_token": token}).status_code == 302
    assert login(app.test_client(), "an@gemeente.be", "tijdelijk-123").status_code == 400


def test_only_coordinators_manage_accounts(app):
    make_user(app, "contact_person")
    client = app.test_client()
    login(client, "contact_person@example.be")
    assert client.get("/users/").status_code == 403


def test_two_coordinators_creating_the_same_account_at_once(app):
    """The second's check ran before the first committed: its insert clashes on the unique
    e-mail and the page says the account exists (a 500 before)."""
    from fieldwork.auth.services import create_user
    from tests.conftest import while_uncommitted

    make_user(app, "coordinator")
    page = app.test_client()
    login(page, "coordinator@example.be")
    sent = {
        "csrf_token": csrf_from(page.get("/users/").get_data(as_text=True)),
        "email": "an@gemeente.be",
        "role": "contact_person",
        "password": "tijdelijk-123",
    }
    answers = while_uncommitted(
        app,
        lambda: create_user("an@gemeente.be", "analyst", "tijdelijk-456"),
        lambda: page.post("/users/", data=sent).status_code,
    )
    assert answers == [400]
    with app.app_context():
        assert db.session.scalars(select(User.role).filter_by(email="an@gemeente.be")).all() == [
            "analyst"
        ]
