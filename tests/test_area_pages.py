"""The coordinator's neighbourhood pages and the neighbourhoods API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldwork.areas.models import AddressFixup, Municipality, Neighbourhood, Sector
from fieldwork.areas.resolve import resolve_address
from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db
from tests.conftest import api_token, bearer, login, make_user, post_form


@pytest.fixture
def coordinator(moorslede):
    make_user(moorslede, "coordinator")
    client = moorslede.test_client()
    login(client, "coordinator@example.be")
    return client


def neighbourhood(app, name):
    with app.app_context():
        return db.session.scalars(select(Neighbourhood).filter_by(name=name)).one().id


def sector_home(app, code):
    with app.app_context():
        return db.session.scalars(select(Sector).filter_by(code=code)).one().neighbourhood.name


def test_list_shows_neighbourhoods_with_sector_counts(moorslede, coordinator):
    html = coordinator.get("/areas/").get_data(as_text=True)
    assert "Moorslede (Dg.)" not in html
    assert "Dadizele" in html
    assert "Moorslede - niet te lokaliseren" in html


def test_rename_and_duplicate_name(moorslede, coordinator):
    nid = neighbourhood(moorslede, "Dadizele")
    url = f"/areas/neighbourhoods/{nid}"
    response = post_form(coordinator, url, {"name-name": "  Dadizele   Dorp "})
    assert response.status_code == 302
    assert neighbourhood(moorslede, "Dadizele Dorp") == nid
    clash = post_form(coordinator, url, {"name-name": "moorslede"})
    assert clash.status_code == 400
    assert "heeft al een buurt met de naam" in clash.get_data(as_text=True)
    assert neighbourhood(moorslede, "Dadizele Dorp") == nid
    with moorslede.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "neighbourhood_renamed" in actions


def test_new_neighbourhood_regroup_and_delete(moorslede, coordinator):
    created = post_form(coordinator, "/areas/36012/new", {"name-name": "Slijps"})
    assert created.status_code == 302
    nid = neighbourhood(moorslede, "Slijps")
    url = f"/areas/neighbourhoods/{nid}"
    moved = post_form(coordinator, url, {"sectors-sectors": ["36012A10-", "36012A19-"]})
    assert moved.status_code == 302
    assert sector_home(moorslede, "36012A10-") == "Slijps"
    assert sector_home(moorslede, "36012A001") == "Moorslede"
    refused = post_form(coordinator, url, {"sectors-sectors": ["36012ZZZZ"]})
    assert refused.status_code == 400
    assert sector_home(moorslede, "36012ZZZZ") == "Moorslede - niet te lokaliseren"
    # not empty yet: refused; after moving the sectors back: deleted
    post_form(coordinator, url, {}, action=f"{url}/delete")
    assert neighbourhood(moorslede, "Slijps") == nid
    back = neighbourhood(moorslede, "Moorslede")
    post_form(
        coordinator,
        f"/areas/neighbourhoods/{back}",
        {"sectors-sectors": ["36012A10-", "36012A19-"]},
    )
    assert post_form(coordinator, url, {}, action=f"{url}/delete").status_code == 302
    with moorslede.app_context():
        assert db.session.get(Neighbourhood, nid) is None


def test_fixup_list_places_an_address_and_is_audited(moorslede, coordinator):
    with moorslede.app_context():
        municipality = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
        fixup_id = resolve_address(
            municipality, street="Veldweg", house_number="9", postcode="8890"
        ).fixup.id
        db.session.commit()
    html = coordinator.get("/areas/fixups").get_data(as_text=True)
    assert "Veldweg" in html
    wrong = post_form(coordinator, "/areas/fixups", {"fixup_id": fixup_id, "sector": "72037A001"})
    assert wrong.status_code == 400
    done = post_form(coordinator, "/areas/fixups", {"fixup_id": fixup_id, "sector": "36012b001"})
    assert done.status_code == 302
    with moorslede.app_context():
        fixup = db.session.get(AddressFixup, fixup_id)
        assert fixup.resolved_sector.code == "36012B001"
        assert fixup.resolved_by_id
        assert "fixups_viewed" in db.session.scalars(select(AuditEvent.action)).all()


def test_neighbourhoods_api(moorslede):
    make_user(moorslede, "coordinator")
    client = moorslede.test_client()
    token = api_token(client, "coordinator@example.be")
    body = client.get(
        "/api/v1/neighbourhoods", query_string={"gemeente": "36012"}, headers=bearer(token)
    ).get_json()
    assert [n["name"] for n in body] == ["Dadizele", "Moorslede", "Moorslede - niet te lokaliseren"]
    assert body[0]["deelgemeenten"] == ["36012B"]
    assert len(body[0]["sectors"]) == 5
    assert body[2]["unlocatable"] is True
    missing = client.get(
        "/api/v1/neighbourhoods", query_string={"gemeente": "72037"}, headers=bearer(token)
    )
    assert missing.status_code == 404
    bad = client.get(
        "/api/v1/neighbourhoods", query_string={"gemeente": "36"}, headers=bearer(token)
    )
    assert bad.status_code == 422
    assert "gemeente" in bad.get_json()["error"]["fields"]


def test_patch_neighbourhood_renames_and_moves_sectors(moorslede):
    make_user(moorslede, "coordinator")
    client = moorslede.test_client()
    token = api_token(client, "coordinator@example.be")
    nid = neighbourhood(moorslede, "Dadizele")
    response = client.patch(
        f"/api/v1/neighbourhoods/{nid}",
        headers=bearer(token),
        json={"name": "Dadizele-Kern", "add_sectors": ["36012A001"]},
    )
    assert response.status_code == 200, response.get_json()
    assert "36012A001" in response.get_json()["sectors"]
    bad = client.patch(
        f"/api/v1/neighbourhoods/{nid}", headers=bearer(token), json={"add_sectors": ["72037A001"]}
    )
    assert bad.status_code == 422
    assert "add_sectors" in bad.get_json()["error"]["fields"]
    assert (
        client.patch(
            "/api/v1/neighbourhoods/99999", headers=bearer(token), json={"name": "x"}
        ).status_code
        == 404
    )


def test_two_coordinators_naming_a_new_neighbourhood_alike_at_once(moorslede, coordinator):
    """The second's check ran before the first committed: its write clashes on the unique
    name and it gets the form with the message (a 500 before), not a second neighbourhood."""
    from fieldwork.areas.services import create_neighbourhood
    from tests.conftest import csrf_from, while_uncommitted

    page = coordinator.get("/areas/36012/new").get_data(as_text=True)
    sent = {"csrf_token": csrf_from(page), "name-name": "Slijps"}

    def first() -> None:
        municipality = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
        create_neighbourhood(municipality, "Slijps")

    answers = while_uncommitted(
        moorslede, first, lambda: coordinator.post("/areas/36012/new", data=sent).status_code
    )
    assert answers == [400]
    with moorslede.app_context():
        names = db.session.scalars(select(Neighbourhood.name)).all()
    assert names.count("Slijps") == 1
