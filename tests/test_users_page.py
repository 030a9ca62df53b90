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
