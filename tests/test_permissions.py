"""Every view declares who may use it, and the declaration is enforced over HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.extensions import db
from tests.conftest import ROLES, api_token, bearer, csrf_from, import_areas, login, make_user

UNGUARDED = {"static", "api-docs.openapi_json"}  # static files and the public API description


def guarded_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNGUARDED:
            continue
        yield rule, app.view_functions[rule.endpoint]


def test_every_view_declares_its_roles(app):
    undeclared = [
        rule.rule for rule, view in guarded_rules(app) if not hasattr(view, "_fieldwork_roles")
    ]
    assert undeclared == []


def concrete_url(app, rule) -> str:
    with app.app_context():
        ids = db.session.scalars(select(Neighbourhood.id)).all()
    values = {arg: (ids[0] if arg.endswith("_id") else "36012") for arg in rule.arguments}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_anonymous_users_get_the_login_page_or_a_401(moorslede):
    app = moorslede
    client = app.test_client()
    for rule, view in guarded_rules(app):
        if view._fieldwork_roles is None or "GET" not in rule.methods:
            continue
        response = client.get(concrete_url(app, rule))
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, rule.rule
        else:
            assert response.status_code == 302, rule.rule
            assert "/login" in response.headers["Location"], rule.rule


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_pages_declared_for_it(moorslede, role):
    app = moorslede
    make_user(app, role)
    client = app.test_client()
    login(client, f"{role}@example.be")
    token = api_token(app.test_client(), f"{role}@example.be")
    checked = 0
    for rule, view in guarded_rules(app):
        allowed = view._fieldwork_roles
        if allowed is None or "GET" not in rule.methods:
            continue
        url = concrete_url(app, rule)
        if rule.rule.startswith("/api/"):
            response = client.get(
                url,
                headers=bearer(token),
                query_string={"gemeente": "36012", "statsec": "36012A001"},
            )
        else:
            response = client.get(url)
        if role in allowed:  # past the role check; 404 = no such object (none was created)
            assert response.status_code in (200, 404), (rule.rule, response.status_code)
        else:
            assert response.status_code == 403, rule.rule
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("role", [r for r in ROLES if r != "coordinator"])
def test_only_coordinators_change_neighbourhoods(moorslede, role):
    app = moorslede
    make_user(app, role)
    client = app.test_client()
    token = api_token(client, f"{role}@example.be")
    with app.app_context():
        neighbourhood_id = db.session.scalars(select(Neighbourhood.id)).first()
    response = client.patch(
        f"/api/v1/neighbourhoods/{neighbourhood_id}",
        json={"name": "Gekaapt"},
        headers=bearer(token),
    )
    assert response.status_code == 403
    login(client, f"{role}@example.be")
    with app.app_context():
        empty = Neighbourhood(
            municipality_id=db.session.get(Neighbourhood, neighbourhood_id).municipality_id,
            name="Leeg",
        )
        db.session.add(empty)
        db.session.commit()
        empty_id = empty.id
    token = csrf_from(client.get("/home").get_data(as_text=True))
    page = client.post(f"/areas/neighbourhoods/{empty_id}/delete", data={"csrf_token": token})
    assert page.status_code == 403
    with app.app_context():
        assert db.session.get(Neighbourhood, empty_id) is not None
        assert db.session.get(Neighbourhood, neighbourhood_id).name != "Gekaapt"


def test_analyst_sees_the_list_read_only(app):
    import_areas(app, "36012")
    make_user(app, "analyst")
    client = app.test_client()
    login(client, "analyst@example.be")
    html = client.get("/areas/").get_data(as_text=True)
    assert "Dadizele" in html
    assert "/areas/neighbourhoods/" not in html
