"""Bad input never becomes a 500; re-imports respect the coordinator; fix-ups move
residents; the demo refuses a production database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from fieldwork.areas.models import AddressFixup, Municipality, Neighbourhood, Sector
from fieldwork.extensions import db
from fieldwork.signals.models import Resident, Signal
from tests.conftest import api_token, bearer, import_areas, login, make_user, post_form


def test_the_longest_sub_municipality_codes_import(app, runner):
    result = runner.invoke(args=["areas", "import", "--municipality", "38002"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(Sector).where(Sector.code.like("38002%"))).first()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/neighbourhoods/99999999999",
        "/areas/neighbourhoods/99999999999",
        "/cases/99999999999",
    ],
)
def test_huge_ids_are_404_not_500(app, url):
    import_areas(app, "36012")
    make_user(app, "coordinator")
    client = app.test_client()
    login(client, "coordinator@example.be")
    token = api_token(app.test_client(), "coordinator@example.be")
    method = client.patch if url.startswith("/api/") else client.get
    response = method(url, headers=bearer(token), json={"name": "x"})
    assert response.status_code == 404


def test_nul_characters_are_a_400(app):
    import_areas(app, "36012")
    make_user(app, "coordinator")
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    assert (
        client.get(
            "/api/v1/areas/resolve", query_string={"statsec": "36012\x00"}, headers=bearer(token)
        ).status_code
        == 400
    )
    assert client.post("/login", data={"email": "a\x00@b.be", "password": "x"}).status_code == 400


def test_half_an_emoji_is_a_400_not_a_crash(app):
    """A note cut in the middle of an emoji by JavaScript's slice: a lone surrogate, which
    neither database driver can encode."""
    from tests.test_signals import intake

    import_areas(app, "36012")
    make_user(app, "coordinator")
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    body = json.dumps(intake(note="Komt weinig buiten \U0001f622")).replace(
        "\\ud83d\\ude22", "\\ud83d"
    )
    answer = client.post(
        "/api/v1/signals", data=body, content_type="application/json", headers=bearer(token)
    )
    assert answer.status_code == 400
    assert "niet bewaard kan worden" in answer.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signal)) == 0


def test_a_deleted_neighbourhood_stays_deleted_on_reimport(app):
    import_areas(app, "36012")
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        moorslede = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one()
        for sector in list(dadizele.sectors):
            sector.neighbourhood = moorslede
        db.session.delete(dadizele)
        db.session.commit()
    import_areas(app, "36012")
    with app.app_context():
        names = db.session.scalars(select(Neighbourhood.name)).all()
    assert "Dadizele" not in names


def test_bucket_and_ambiguous_points_are_flagged(app):
    import_areas(app, "36012")
    make_user(app, "volunteer")
    client = app.test_client()
    token = api_token(client, "volunteer@example.be")
    bucket = client.get(
        "/api/v1/areas/resolve", query_string={"statsec": "36012ZZZZ"}, headers=bearer(token)
    ).get_json()
    assert bucket["flagged"] is True
    with app.app_context():  # split Dadizele's sectors over two neighbourhoods
        moorslede = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one()
        db.session.scalars(
            select(Sector).filter_by(code="36012B001")
        ).one().neighbourhood = moorslede
        db.session.commit()
    point = client.get(
        "/api/v1/areas/resolve", query_string={"lat": 50.8485, "lon": 3.0985}, headers=bearer(token)
    ).get_json()
    assert point["deelgemeente"] == "36012B"
    assert point["flagged"] is True


def test_placing_a_fixup_moves_the_resident_out_of_the_bucket(app):
    import_areas(app, "36012")
    make_user(app, "coordinator")
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    payload = {
        "resident": {
            "name": "Anna Vos",
            "street": "Veldweg",
            "house_number": "2",
            "postcode": "8890",
            "gemeente": "36012",
        },
        "theme": "eenzaamheid",
        "domain": "welzijn",
        "consent": {"given": True, "how": "verbal"},
    }
    assert client.post("/api/v1/signals", json=payload, headers=bearer(token)).status_code == 201
    with app.app_context():
        resident = db.session.scalars(select(Resident)).one()
        assert resident.neighbourhood.is_unlocatable
        fixup_id = db.session.scalars(select(AddressFixup.id)).one()
    page = app.test_client()
    login(page, "coordinator@example.be")
    assert (
        post_form(page, "/areas/fixups", {"fixup_id": fixup_id, "sector": "36012B001"}).status_code
        == 302
    )
    with app.app_context():
        resident = db.session.scalars(select(Resident)).one()
        assert resident.neighbourhood.name == "Dadizele"
        assert resident.sector.code == "36012B001"


def test_a_neighbourhood_with_residents_cannot_be_deleted(app):
    test_placing_a_fixup_moves_the_resident_out_of_the_bucket(app)
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        moorslede = db.session.scalars(select(Neighbourhood).filter_by(name="Moorslede")).one()
        for sector in list(dadizele.sectors):
            sector.neighbourhood = moorslede
        db.session.commit()
        dadizele_id = dadizele.id
    page = app.test_client()
    login(page, "coordinator@example.be")
    url = f"/areas/neighbourhoods/{dadizele_id}"
    post_form(page, url, {}, action=f"{url}/delete")
    with app.app_context():
        assert db.session.get(Neighbourhood, dadizele_id) is not None


def test_demo_refuses_a_configured_database_without_force(app, runner):
    app.config["DATABASE_URL"] = "postgresql://elsewhere/prod"
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "DATABASE_URL is set" in result.output
    with app.app_context():
        assert db.session.scalars(select(Municipality)).first() is None


def test_mail_password_stays_a_string():
    from fieldwork.config import load_environment

    config: dict = {}
    load_environment(
        config,
        {
            "MAIL_PASSWORD": "1234",
            "MAIL_USERNAME": "on",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "true",
        },
    )
    assert config == {
        "MAIL_PASSWORD": "1234",
        "MAIL_USERNAME": "on",
        "MAIL_PORT": 587,
        "MAIL_USE_TLS": True,
    }
