"""The coordinator sets up teams and rules over the API; the dry run; validation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.extensions import db
from tests.conftest import api_token, bearer, import_areas, make_user
from tests.test_signals import intake, wait_for_status


@pytest.fixture
def coordinator(app, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    import_areas(app, "36012")
    make_user(app, "coordinator")
    make_user(app, "contact_person", email="an@example.be", name="An Peeters")
    make_user(app, "contact_person", email="jan@example.be", name="Jan Vermeulen")
    make_user(app, "contact_person", email="oud@example.be", active=False)
    with app.app_context():
        ids = {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}
    client = app.test_client()
    return client, api_token(client, "coordinator@example.be"), ids


def rules(ids, dadizele_to="an@example.be"):
    return {
        "rules": [
            {
                "name": "Dadizele",
                "conditions": {"neighbourhoods": [ids["Dadizele"]]},
                "assign_to": {"user": dadizele_to},
                "first_contact_days": 3,
            },
            {
                "name": "Moorslede 65+",
                "conditions": {"neighbourhoods": [ids["Moorslede"]], "age_min": 65},
                "assign_to": {"team": "Moorslede"},
            },
        ]
    }


TEAMS = {"teams": [{"name": "Moorslede", "members": ["an@example.be", "jan@example.be"]}]}


def test_setup_then_each_signal_lands_in_the_right_queue(app, coordinator):
    client, token, ids = coordinator
    assert client.put("/api/v1/routing/teams", json=TEAMS, headers=bearer(token)).status_code == 200
    saved = client.put("/api/v1/routing/rules", json=rules(ids), headers=bearer(token))
    assert saved.status_code == 200, saved.get_json()
    assert client.get("/api/v1/routing/rules", headers=bearer(token)).get_json() == saved.get_json()
    dadizele = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()
    moorslede = client.post(
        "/api/v1/signals",
        headers=bearer(token),
        json=intake(name="Jef Dewulf", street="Kerkstraat", resident={"statsec": "36012A001"}),
    ).get_json()
    first = wait_for_status(client, token, dadizele["id"])
    second = wait_for_status(client, token, moorslede["id"])
    assert first["routing_reason"] == "regel 1: buurt=Dadizele → An Peeters"
    assert second["routing_reason"] == "regel 2: buurt=Moorslede, leeftijd≥65 → Jan Vermeulen"
    jan = api_token(client, "jan@example.be")
    queue = client.get("/api/v1/queue", headers=bearer(jan)).get_json()["items"]
    assert [i["case_id"] for i in queue] == [second["case_id"]]


def test_rule_pointing_at_a_deactivated_user_is_refused_whole(app, coordinator):
    client, token, ids = coordinator
    client.put("/api/v1/routing/teams", json=TEAMS, headers=bearer(token))
    response = client.put(
        "/api/v1/routing/rules", json=rules(ids, "oud@example.be"), headers=bearer(token)
    )
    assert response.status_code == 422
    assert "rules.0.assign_to.user" in response.get_json()["error"]["fields"]
    assert client.get("/api/v1/routing/rules", headers=bearer(token)).get_json() == {"rules": []}


def test_unknown_team_theme_or_neighbourhood_is_refused(app, coordinator):
    client, token, _ = coordinator
    bad = {
        "rules": [
            {"name": "x", "conditions": {"themes": ["verveling"]}, "assign_to": {"team": "Nergens"}}
        ]
    }
    assert client.put("/api/v1/routing/rules", json=bad, headers=bearer(token)).status_code == 422
    bad = {
        "rules": [
            {
                "name": "x",
                "conditions": {"neighbourhoods": [999]},
                "assign_to": {"user": "an@example.be"},
            }
        ]
    }
    fields = client.put("/api/v1/routing/rules", json=bad, headers=bearer(token)).get_json()[
        "error"
    ]["fields"]
    assert "rules.0.conditions.neighbourhoods" in fields


def test_a_team_used_by_a_rule_cannot_be_removed(app, coordinator):
    client, token, ids = coordinator
    client.put("/api/v1/routing/teams", json=TEAMS, headers=bearer(token))
    client.put("/api/v1/routing/rules", json=rules(ids), headers=bearer(token))
    response = client.put("/api/v1/routing/teams", json={"teams": []}, headers=bearer(token))
    assert response.status_code == 422


def test_dry_run_marks_what_would_change_and_saves_nothing(app, coordinator):
    client, token, ids = coordinator
    client.put("/api/v1/routing/teams", json=TEAMS, headers=bearer(token))
    client.put("/api/v1/routing/rules", json=rules(ids), headers=bearer(token))
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    wait_for_status(client, token, signal_id)
    draft = rules(ids, "jan@example.be")
    result = client.post("/api/v1/routing/dry-run", json=draft, headers=bearer(token)).get_json()
    assert result["changed"] == 1
    assert result["items"][0]["proposed"] == "regel 1: buurt=Dadizele → Jan Vermeulen"
    unchanged = client.post(
        "/api/v1/routing/dry-run", json=rules(ids), headers=bearer(token)
    ).get_json()
    assert unchanged["changed"] == 0
    saved = client.get("/api/v1/routing/rules", headers=bearer(token)).get_json()
    assert saved["rules"][0]["assign_to"] == {"user": "an@example.be"}


@pytest.mark.parametrize("role", ["volunteer", "referrer", "contact_person", "analyst"])
def test_only_the_coordinator_edits_routing(app, coordinator, role):
    client, _, ids = coordinator
    make_user(app, role)
    token = api_token(client, f"{role}@example.be")
    assert (
        client.put("/api/v1/routing/rules", json=rules(ids), headers=bearer(token)).status_code
        == 403
    )


def test_absent_owner_is_skipped_to_the_deputy(app, coordinator):
    from datetime import date, timedelta

    client, token, ids = coordinator
    client.put("/api/v1/routing/teams", json=TEAMS, headers=bearer(token))
    client.put("/api/v1/routing/rules", json=rules(ids), headers=bearer(token))
    today = date.today()  # noqa: DTZ011 - the app uses the UTC date, the same here at noon
    away = {
        "absences": [
            {
                "user": "an@example.be",
                "from": str(today - timedelta(days=1)),
                "to": str(today + timedelta(days=7)),
                "deputy": "jan@example.be",
            }
        ]
    }
    saved = client.put("/api/v1/routing/absences", json=away, headers=bearer(token))
    assert saved.status_code == 200, saved.get_json()
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    reason = wait_for_status(client, token, signal_id)["routing_reason"]
    assert reason == "regel 1: buurt=Dadizele → Jan Vermeulen (vervangt An Peeters, afwezig)"


def test_absence_validation(app, coordinator):
    client, token, _ = coordinator
    bad = {
        "absences": [
            {
                "user": "an@example.be",
                "from": "2026-12-10",
                "to": "2026-12-01",
                "deputy": "oud@example.be",
            }
        ]
    }
    response = client.put("/api/v1/routing/absences", json=bad, headers=bearer(token))
    assert response.status_code == 422
    assert "to" in str(response.get_json()["error"]["fields"])
    bad["absences"][0]["to"] = "2026-12-20"
    fields = client.put("/api/v1/routing/absences", json=bad, headers=bearer(token)).get_json()[
        "error"
    ]["fields"]
    assert "absences.0.deputy" in fields


def test_dry_run_with_the_same_rules_changes_nothing_for_teams_and_unmatched(app, coordinator):
    client, token, ids = coordinator
    client.put("/api/v1/routing/teams", json=TEAMS, headers=bearer(token))
    client.put("/api/v1/routing/rules", json=rules(ids), headers=bearer(token))
    team_signal = client.post(
        "/api/v1/signals",
        headers=bearer(token),
        json=intake(name="Jef Dewulf", street="Kerkstraat", resident={"statsec": "36012A001"}),
    ).get_json()
    unmatched = client.post(
        "/api/v1/signals",
        headers=bearer(token),
        json=intake(
            name="Tom Young",
            street="Kerkstraat",
            number="8",
            resident={"statsec": "36012A001", "birth_year": 1990},
        ),
    ).get_json()
    for signal in (team_signal, unmatched):
        wait_for_status(client, token, signal["id"])
    same = client.post("/api/v1/routing/dry-run", json=rules(ids), headers=bearer(token))
    assert same.get_json()["changed"] == 0
    no_team = {"rules": rules(ids)["rules"][:1]}
    result = client.post("/api/v1/routing/dry-run", json=no_team, headers=bearer(token)).get_json()
    changed = {i["signal_id"] for i in result["items"] if i["changed"]}
    assert changed == {team_signal["id"]}


def test_a_deactivated_contact_persons_open_cases_go_to_the_coordinator(app, coordinator):
    """An leaves; her open case would wait in a queue nobody reads, and a new signal about
    the same resident would join it. Deactivated on the page or with the CLI, her cases are
    handed to the coordinator and she leaves her teams."""
    from fieldwork.auth.models import User
    from fieldwork.cases.models import Case
    from fieldwork.routing.models import TeamMember
    from tests.conftest import csrf_from, login

    client, token, ids = coordinator
    only_an = {
        "rules": [
            {
                "name": "Dadizele",
                "conditions": {"neighbourhoods": [ids["Dadizele"]]},
                "assign_to": {"user": "an@example.be"},
            }
        ]
    }
    ruled = client.put("/api/v1/routing/rules", json=only_an, headers=bearer(token))
    assert ruled.status_code == 200, ruled.get_json()
    first = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()
    case_id = wait_for_status(client, token, first["id"])["case_id"]
    with app.app_context():
        an, coordinator_id = (
            db.session.scalar(select(User.id).where(User.email == email))
            for email in ("an@example.be", "coordinator@example.be")
        )
        assert db.session.get_one(Case, case_id).owner_id == an
    page = app.test_client()
    login(page, "coordinator@example.be")
    csrf = csrf_from(page.get("/users/").get_data(as_text=True))
    assert page.post(f"/users/{an}/deactivate", data={"csrf_token": csrf}).status_code == 302
    with app.app_context():
        assert db.session.get_one(Case, case_id).owner_id == coordinator_id
    second = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()
    assert "An Peeters" not in wait_for_status(client, token, second["id"])["routing_reason"]

    # the CLI does the same as the page: out of every team
    assert (
        client.put(
            "/api/v1/routing/teams",
            json={
                "teams": [{"name": "Moorslede", "members": ["jan@example.be", "JAN@example.be"]}]
            },
            headers=bearer(token),
        ).status_code
        == 200
    )  # listed twice, spelled twice: one member
    result = app.test_cli_runner().invoke(args=["users", "deactivate", "--email", "jan@example.be"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(TeamMember.user_id)) is None
