"""The coordinator's routing page: add, disable, reorder and delete rules; teams."""

from __future__ import annotations

from tests.conftest import bearer, login, make_user, post_form
from tests.test_routing_api import coordinator  # noqa: F401 - fixture


def saved_rules(client, token):
    return client.get("/api/v1/routing/rules", headers=bearer(token)).get_json()["rules"]


def test_coordinator_edits_rules_and_teams_on_the_page(app, coordinator):  # noqa: F811
    api, token, ids = coordinator
    page = app.test_client()
    login(page, "coordinator@example.be")
    team = post_form(
        page,
        "/routing/",
        {"action": "team", "team_name": "Dadizele", "members": ["an@example.be", "jan@example.be"]},
    )
    assert team.status_code == 302
    for name, target in (("Eerste", "user:an@example.be"), ("Tweede", "team:Dadizele")):
        post_form(
            page,
            "/routing/",
            {
                "action": "add",
                "name": name,
                "assign_to": target,
                "neighbourhoods": [str(ids["Dadizele"])],
                "themes": ["eenzaamheid"],
                "age_min": "80",
                "first_contact_days": "3",
            },
        )
    rules = saved_rules(api, token)
    assert [r["name"] for r in rules] == ["Eerste", "Tweede"]
    assert rules[0]["conditions"] == {
        "neighbourhoods": [ids["Dadizele"]],
        "themes": ["eenzaamheid"],
        "age_min": 80,
    }
    assert rules[1]["assign_to"] == {"team": "Dadizele"}
    post_form(page, "/routing/", {"action": "down", "index": "0"})
    assert [r["name"] for r in saved_rules(api, token)] == ["Tweede", "Eerste"]
    post_form(page, "/routing/", {"action": "toggle", "index": "1"})
    assert saved_rules(api, token)[1]["enabled"] is False
    post_form(page, "/routing/", {"action": "delete", "index": "0"})
    assert [r["name"] for r in saved_rules(api, token)] == ["Eerste"]
    html = page.get("/routing/").get_data(as_text=True)
    assert "Eerste" in html
    assert "uitgeschakeld" in html


def test_a_rule_for_a_deactivated_user_is_refused_with_a_message(app, coordinator):  # noqa: F811
    api, token, _ = coordinator
    page = app.test_client()
    login(page, "coordinator@example.be")
    response = post_form(
        page, "/routing/", {"action": "add", "name": "Oud", "assign_to": "user:oud@example.be"}
    )
    assert response.status_code == 302
    assert "oud@example.be is not an active" in page.get("/routing/").get_data(as_text=True)
    assert saved_rules(api, token) == []


def test_routing_page_is_for_coordinators_only(app, coordinator):  # noqa: F811
    for role in ("volunteer", "referrer", "analyst"):
        make_user(app, role)
    for email in (
        "an@example.be",
        "volunteer@example.be",
        "referrer@example.be",
        "analyst@example.be",
    ):
        client = app.test_client()
        login(client, email)
        assert client.get("/routing/").status_code == 403
