"""Resolving an address: sector code, point in polygon, street table, the bucket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import shape
from sqlalchemy import select

from fieldwork.areas.models import AddressFixup, Municipality
from fieldwork.areas.resolve import resolve_address
from fieldwork.extensions import db
from tests.conftest import api_token, bearer, import_areas, make_user

ROOT = Path(__file__).resolve().parent.parent
STREETS = ROOT / "data" / "demo" / "streets_moorslede_hamont-achel.csv"


def polygon(code: str):
    data = json.loads((ROOT / "data/statbel/deelgemeenten_vlaanderen_brussel.geojson").read_text())
    feature = next(f for f in data["features"] if f["properties"]["deelgemeente"] == code)
    return shape(feature["geometry"])


@pytest.fixture
def api(app):
    import_areas(app, "36012", "72037")
    make_user(app, "volunteer")
    client = app.test_client()
    token = api_token(client, "volunteer@example.be")

    def get(**params):
        return client.get("/api/v1/areas/resolve", query_string=params, headers=bearer(token))

    return get


def test_resolve_by_sector_code(api):
    response = api(statsec="36012b001")
    assert response.status_code == 200
    assert response.get_json() == {
        "gemeente": "36012",
        "deelgemeente": "36012B",
        "statsec": "36012B001",
        "neighbourhood": {"id": response.get_json()["neighbourhood"]["id"], "name": "Dadizele"},
        "resolved_by": "statsec",
        "flagged": False,
    }


@pytest.mark.parametrize(
    ("code", "name"),
    [("36012B", "Dadizele"), ("36012A", "Moorslede"), ("72037B", "Achel"), ("72037A", "Hamont")],
)
def test_resolve_by_point_inside_each_sub_municipality(api, code, name):
    inside = polygon(code).representative_point()
    body = api(lat=inside.y, lon=inside.x).get_json()
    assert body["deelgemeente"] == code
    assert body["neighbourhood"]["name"] == name
    assert body["resolved_by"] == "point"
    assert body["statsec"] is None


def test_resolve_real_coordinates_of_the_dadizele_basilica(api):
    body = api(lat=50.8485, lon=3.0985).get_json()
    assert body["deelgemeente"] == "36012B"


def test_point_outside_every_imported_area_is_a_json_404(api):
    response = api(lat=50.4669, lon=4.8675)  # Namur: not imported
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_resolve_by_street_forgives_case_accents_and_abbreviations(app, api, runner):
    assert runner.invoke(args=["areas", "streets", "load", str(STREETS)]).exit_code == 0
    body = api(street="  KERKSTR. ", postcode="8890").get_json()
    assert body["statsec"] == "36012A001"
    assert body["resolved_by"] == "street"


def test_unknown_street_in_a_known_postcode_lands_in_the_bucket(app, api, runner):
    runner.invoke(args=["areas", "streets", "load", str(STREETS)])
    body = api(street="Nergensstraat", postcode="8890").get_json()
    assert body["resolved_by"] == "unlocatable"
    assert body["flagged"] is True
    assert body["statsec"] == "36012ZZZZ"
    assert api(street="Nergensstraat", postcode="9999").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 50.8}, "lon"),
        ({"lat": 200, "lon": 3}, "lat"),
        ({"lat": "abc", "lon": 3}, "lat"),
        ({"street": "Kerkstraat"}, "postcode"),
        ({}, "_schema"),
        ({"street": "Kerkstraat", "postcode": "88"}, "postcode"),
    ],
)
def test_bad_queries_are_422_with_field_details(api, params, field):
    response = api(**params)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_unresolvable_address_goes_to_the_bucket_and_the_fixup_list(moorslede):
    with moorslede.app_context():
        municipality = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
        found = resolve_address(
            municipality,
            street="Onbekende Dreef",
            house_number="3",
            postcode="8890",
            source_type="test",
            source_id=7,
        )
        db.session.commit()
        assert found.resolved_by == "unlocatable"
        assert found.neighbourhood.is_unlocatable
        assert found.sector.code == "36012ZZZZ"
        fixup = db.session.scalars(select(AddressFixup)).one()
        assert (fixup.street, fixup.source_id, fixup.resolved_at) == ("Onbekende Dreef", "7", None)


def test_point_in_another_municipality_is_not_trusted(app):
    import_areas(app, "36012", "72037")
    achel = polygon("72037B").representative_point()
    with app.app_context():
        moorslede = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
        found = resolve_address(moorslede, lat=achel.y, lon=achel.x)
        assert found.resolved_by == "unlocatable"
        assert found.fixup is not None
        assert found.fixup.reason == "resolved outside this municipality"
