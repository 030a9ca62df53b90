"""HTTP promises around the API and pages: a team cases still belong to is a 409 (not a
foreign-key 500), a 405 names the allowed methods, no dynamic response may be cached, and a
resident captured without phone or birth year is answered as the document says."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.routing.models import Team
from tests.conftest import bearer, login
from tests.test_audit_trail_glass import give_reason
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


def _team_case(app: Flask, client: Any, token: str) -> int:
    """A signal the rule 'Moorslede 65+' routes to that team: its case points to the team."""
    payload = intake(
        name="Jef Dewulf",
        street="Kerkstraat",
        number="1",
        theme="mobiliteit",
        resident={"statsec": "36012A001", "birth_year": 1950},
    )
    response = client.post("/api/v1/signals", json=payload, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    case_id = int(wait_for_status(client, token, response.get_json()["id"])["case_id"])
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        assert case.team_id is not None
    return case_id


def test_a_team_cases_still_belong_to_cannot_be_removed_409(app: Flask, setup: Any) -> None:  # noqa: F811
    client, token = setup
    _team_case(app, client, token)
    # the rule that used the team goes first, so only the case still holds on to it
    assert (
        client.put("/api/v1/routing/rules", json={"rules": []}, headers=bearer(token)).status_code
        == 200
    )

    response = client.put("/api/v1/routing/teams", json={"teams": []}, headers=bearer(token))

    assert response.status_code == 409, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "conflict"
    assert "Moorslede 65+" in error["message"]
    assert error["fields"]["teams"] == [
        "Er horen nog casussen bij: Moorslede 65+. "
        "Een team met casussen kan niet verwijderd worden."
    ]
    # nothing half-written: the team and its members are still there
    teams = client.get("/api/v1/routing/teams", headers=bearer(token)).get_json()["teams"]
    assert [(t["name"], t["members"]) for t in teams] == [
        ("Moorslede 65+", ["jan@example.be", "lies@example.be"])
    ]
    with app.app_context():
        assert db.session.scalars(select(Team.name)).all() == ["Moorslede 65+"]


def test_a_405_names_the_allowed_methods(app: Flask) -> None:
    client = app.test_client()
    api = client.delete("/api/v1/signals")
    assert api.status_code == 405
    assert api.get_json()["error"]["code"] == "method_not_allowed"
    assert set(api.headers["Allow"].split(", ")) >= {"POST"}
    page = client.delete("/login")
    assert page.status_code == 405
    assert set(page.headers["Allow"].split(", ")) >= {"GET", "POST"}


# Views that chose their own caching on purpose, always private (never a shared cache): the
# printable flyer (no personal data). The photo images take a string <kind>, not walked.
OWN_CACHING = {"photo_admin.flyer"}
# The app shell (web manifest, favicon, the service worker's script): no personal data, like the
# static files; revalidated on every load so a new version reaches the phone.
APP_SHELL = {"appshell.manifest", "appshell.favicon", "appshell.service_worker"}
# GETs with an effect on the session that the walk needs.
SKIP = {"auth.logout", "static"}


def _urls(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET route; integer ids filled with 1 (demo rows exist)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in SKIP:
            continue
        converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
        # int: the app's own (DatabaseIntConverter) or werkzeug's IntegerConverter
        if any(
            not kind.endswith(("IntConverter", "IntegerConverter")) for kind in converters.values()
        ):
            continue
        path = rule.rule
        for name in converters:
            path = path.replace(f"<int:{name}>", "1")
        urls.append((rule.endpoint, path))
    return urls


def test_no_dynamic_response_may_be_cached(embedded_app: Flask) -> None:
    """Walk every GET route (pages logged in as the coordinator, the API with a token):
    each answer says Cache-Control: no-store, whatever its status."""
    from fieldwork.demo.cli import DEMO_PASSWORD

    app = embedded_app
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    client = app.test_client()
    login(client, "regisseur@demo.fieldwork.be", DEMO_PASSWORD)
    give_reason(client, 1)  # a contact person's case: the coordinator says why first
    response = client.post(
        "/api/v1/auth/token",
        json={"email": "regisseur@demo.fieldwork.be", "password": DEMO_PASSWORD},
    )
    headers = bearer(response.get_json()["token"])
    checked = []
    for endpoint, url in _urls(app):
        answer = client.get(url, headers=headers if url.startswith("/api/") else None)
        cache = answer.headers.get("Cache-Control", "")
        if endpoint in OWN_CACHING and answer.status_code == 200:
            assert cache.startswith("private"), (url, cache)
            continue
        if endpoint in APP_SHELL:
            assert (answer.status_code, cache) == (200, "no-cache"), (url, cache)
            continue
        assert "no-store" in cache, (url, answer.status_code, cache)
        checked.append((url, answer.status_code))
    # the ones the issue names, reached with real data
    reached = {url for url, status in checked if status == 200}
    assert {"/api/v1/cases/1", "/cases/1", "/api/v1/queue", "/queue"} <= reached, reached
    assert len(checked) > 60


@pytest.mark.parametrize("unknown", ["phone", "birth_year"])
def test_a_resident_without_phone_or_birth_year_matches_the_document(
    app: Flask,
    setup: Any,  # noqa: F811
    unknown: str,
) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    client, token = setup
    payload = intake(name="Paula Vermeersch", resident={unknown: None})
    response = client.post("/api/v1/signals", json=payload, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    case_id = wait_for_status(client, token, response.get_json()["id"])["case_id"]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

    reason = {"X-Access-Reason": "Nagaan voor de test"}  # An's case, read by the coordinator
    case = client.get(f"/api/v1/cases/{case_id}", headers={**bearer(token), **reason})
    assert case.status_code == 200
    assert case.get_json()["resident"][unknown] is None
    schema["/api/v1/cases/{case_id}"]["GET"].validate_response(case)
