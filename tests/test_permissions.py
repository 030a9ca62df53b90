"""Every view declares who may use it, and the declaration is enforced over HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from fieldwork.areas.models import Neighbourhood
from fieldwork.core.permissions import api_roles, roles_required
from fieldwork.extensions import csrf, db
from fieldwork.volunteers.models import Volunteer
from tests.conftest import (
    ROLES,
    api_token,
    bearer,
    csrf_from,
    import_areas,
    login,
    make_user,
    post_form,
)

UNGUARDED = {"static", "api-docs.openapi_json"}  # static files and the public API description
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 987654  # no object has this id: a refusal must come before the lookup
API_QUERY = {"gemeente": "36012", "statsec": "36012A001"}  # what the API's GET lists require


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


# The code of the wrappers that roles_required and api_roles put around a view: a view is
# guarded when one of them is in its chain of wrappers (found through __wrapped__), whatever
# the _fieldwork_roles attribute says; the roles are those that wrapper checks (its closure).
def _sample_view() -> None: ...


GUARD_CODE = {roles_required("coordinator")(_sample_view).__code__: "page"}
GUARD_CODE[api_roles("coordinator")(_sample_view).__code__] = "api"


def enforced_guard(view: Callable[..., Any]) -> tuple[str, frozenset[str]] | None:
    """("page" or "api", the roles the wrapper lets through), or None for an unguarded view."""
    function: Any = view
    while function is not None:
        kind = GUARD_CODE.get(getattr(function, "__code__", None))
        if kind is not None:
            cells = dict(zip(function.__code__.co_freevars, function.__closure__, strict=True))
            return kind, frozenset(cells["allowed"].cell_contents)
        function = getattr(function, "__wrapped__", None)
    return None


def key(rule: Rule) -> tuple[str, str]:
    return rule.endpoint, rule.rule


def enforced_rules(app: Flask) -> dict[tuple[str, str], tuple[Rule, str, frozenset[str]]]:
    """Every rule of the URL map whose view is behind a role check, with that check's kind
    ("page" or "api") and roles, by (endpoint, path)."""
    found = {}
    for rule in app.url_map.iter_rules():
        guard = enforced_guard(app.view_functions[rule.endpoint])
        if guard is not None:
            found[key(rule)] = rule, *guard
    return found


def test_the_declared_roles_are_the_roles_checked(app):
    """The sweeps below read _fieldwork_roles; it must say what the wrapper enforces, and
    a page guard must sit on a page, an API guard on /api/."""
    for rule, view in guarded_rules(app):
        guard = enforced_guard(view)
        declared = view._fieldwork_roles
        if declared is None:
            assert guard is None, rule.rule
            continue
        assert guard is not None, rule.rule
        kind, allowed = guard
        assert allowed == frozenset(declared), rule.rule
        assert (kind == "api") == rule.rule.startswith("/api/"), rule.rule
    guarded = enforced_rules(app)
    assert len(guarded) == declared_count(app)
    pages = [rule for rule, kind, _roles in guarded.values() if kind == "page"]
    assert len(pages) > 80  # the wrappers were recognised
    assert len(guarded) - len(pages) > 60


def declared_count(app: Flask) -> int:
    """The rules whose view declares roles (as opposed to public, or a static file)."""
    return sum(1 for _rule, view in guarded_rules(app) if view._fieldwork_roles is not None)


def url_with_values(rule: Rule, existing: dict[str, int] | None = None) -> str:
    """The rule's URL with a value for each variable: ids that do not exist (unless given in
    ``existing``), the first choice of an any() converter, a made-up string for the rest
    (codes, kinds, tokens)."""
    values = {name: str(value) for name, value in (existing or {}).items()}
    for name, converter in rule._converters.items():
        if name in values:
            continue
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = str(MISSING_ID)
        else:
            values[name] = "nope"
    return re.sub(r"<(?:[^<>]+:)?([^<>:]+)>", lambda m: values[m.group(1)], rule.rule)


def requests_to_check(app: Flask) -> Iterator[tuple[Rule, str, str, bool]]:
    """(rule, method, url, is_api) for every method of every rule behind a role check."""
    for rule, _kind, _roles in sorted(enforced_rules(app).values(), key=lambda g: g[0].rule):
        url = url_with_values(rule)
        for method in sorted(rule.methods & set(METHODS)):
            yield rule, method, url, rule.rule.startswith("/api/")


@pytest.fixture
def csrf_failures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of requests refused for a missing or wrong CSRF token (a 400 before the role
    check would hide it; the sweeps send each session's token and assert none is refused)."""
    failures: list[str] = []
    original = csrf.protect

    def protect(*args: Any, **kwargs: Any) -> None:
        from flask import request

        try:
            original(*args, **kwargs)
        except CSRFError:
            failures.append(request.path)
            raise

    monkeypatch.setattr(csrf, "protect", protect)
    return failures


def test_anonymous_users_get_the_login_page_or_a_401(moorslede, csrf_failures):
    """Pages send an anonymous visitor to the login page, the API answers 401, for every
    method of every guarded rule (a POST carries the visitor's CSRF token: without it the
    400 of the CSRF check would come first)."""
    app = moorslede
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/logout").status_code == 400  # the CSRF check applies to pages
    assert csrf_failures == ["/logout"]
    checked = set()
    for rule, method, url, is_api in requests_to_check(app):
        response = client.open(url, method=method, headers={"X-CSRFToken": token})
        where = (method, rule.rule, response.status_code)
        if is_api:
            assert response.status_code == 401, where
            assert response.get_json()["error"]["code"] == "unauthorized", where
        else:
            assert response.status_code == 302, where
            assert urlsplit(response.headers["Location"]).path == "/login", where
        checked.add(key(rule))
    assert csrf_failures == ["/logout"]
    assert checked == set(enforced_rules(app))
    assert len(checked) == declared_count(app)


def test_each_role_reaches_exactly_the_pages_declared_for_it(moorslede, csrf_failures):
    """Every guarded rule (pages and API, every method) for all five roles in one app: a role
    not declared gets 403, a declared role gets past the check — a GET to 200, or 404 where
    the URL names an object (ids that do not exist: the refusal comes before the lookup);
    another method to its own answer (validation, 404, a redirect), never 401/403 or an
    error. A GET of a neighbourhood or a volunteer is also asked with one that exists: 403
    or 200."""
    app = moorslede
    sessions = {}
    for role in ROLES:
        make_user(app, role)
        client = app.test_client()
        login(client, f"{role}@example.be")
        token = csrf_from(client.get("/home").get_data(as_text=True))
        sessions[role] = client, token, api_token(app.test_client(), f"{role}@example.be")
    with app.app_context():
        existing = {
            "neighbourhood_id": db.session.scalars(
                select(Neighbourhood.id).where(Neighbourhood.name == "Dadizele")
            ).one(),
            "volunteer_id": db.session.scalars(select(Volunteer.id)).one(),
        }

    def response_for(role: str, method: str, url: str, is_api: bool) -> Any:
        client, csrf_token, api_key = sessions[role]
        if is_api:
            return client.open(
                url,
                method=method,
                headers=bearer(api_key),
                query_string=API_QUERY if method == "GET" else None,
            )
        return client.open(url, method=method, headers={"X-CSRFToken": csrf_token})

    guarded = enforced_rules(app)
    checked: dict[str, set[tuple[str, str]]] = {"page": set(), "api": set()}
    with_existing = 0
    for rule, method, url, is_api in requests_to_check(app):
        allowed = app.view_functions[rule.endpoint]._fieldwork_roles
        for role in ROLES:
            response = response_for(role, method, url, is_api)
            where = (role, method, rule.rule, response.status_code)
            if is_api and role == "coordinator":  # a login session is no API credential
                assert sessions[role][0].open(url, method=method).status_code == 401, where
            if role not in allowed:
                assert response.status_code == 403, where
                if is_api:
                    assert response.get_json()["error"]["code"] == "forbidden", where
            elif method == "GET":
                assert response.status_code == (404 if rule.arguments else 200), where
            else:
                assert response.status_code not in (401, 403), where
                assert response.status_code < 500, where
                if response.status_code == 302:
                    assert urlsplit(response.headers["Location"]).path != "/login", where
        if method == "GET" and rule.arguments and rule.arguments <= existing.keys():
            real = url_with_values(rule, existing)
            for role in ROLES:
                response = response_for(role, method, real, is_api)
                assert response.status_code == (200 if role in allowed else 403), (role, real)
            with_existing += 1
        checked["api" if is_api else "page"].add(key(rule))
    assert csrf_failures == []
    assert with_existing == 6  # areas, analysis, indicators, summary; the volunteer twice
    assert checked["page"] | checked["api"] == set(guarded)
    assert len(checked["page"]) + len(checked["api"]) == len(guarded) == declared_count(app)


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


def test_only_coordinators_add_trainings_on_the_page(moorslede):
    """The trainings page is open to contact persons, its form (a check inside the view,
    not the decorator the sweeps read) to coordinators only."""
    from fieldwork.volunteers.models import Training

    app = moorslede
    training = {"title": "Signalen herkennen", "held_on": "2026-03-02"}
    for role, status in (("contact_person", 403), ("coordinator", 302)):
        make_user(app, role)
        client = app.test_client()
        login(client, f"{role}@example.be")
        page = client.get("/vrijwilligers/vorming").get_data(as_text=True)
        assert ('name="title"' in page) is (role == "coordinator")
        response = post_form(client, "/home", training, "/vrijwilligers/vorming")
        assert response.status_code == status, role
        with app.app_context():
            made = db.session.scalars(select(Training.created_by_id)).all()
        assert len(made) == (1 if role == "coordinator" else 0), role
