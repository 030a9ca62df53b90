"""Health check, OpenAPI document, language switch, translations, error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import _make_app, csrf_from, login, make_user

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_reports_database_and_broker(app, client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    if app.config.get("REDIS_URL"):
        assert body["database"]["backend"] == "postgresql"
        assert body["broker"]["backend"] == "redis"
    else:
        assert body["database"]["backend"] == "sqlite"
        assert body["broker"]["backend"] == "eager"


def test_healthz_degraded_when_the_broker_is_down(tmp_path):
    app = _make_app(
        f"sqlite:///{tmp_path}/x.db",
        REDIS_URL="redis://127.0.0.1:1/0",
        RATELIMIT_STORAGE_URI="memory://",
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["broker"]["ok"] is False


def test_openapi_document_comes_from_the_schemas(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token",
        "/api/v1/areas/resolve",
        "/api/v1/neighbourhoods",
        "/api/v1/neighbourhoods/{neighbourhood_id}",
        "/api/v1/users",
        "/api/v1/me",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    params = {p["name"] for p in spec["paths"]["/api/v1/areas/resolve"]["get"]["parameters"]}
    assert {"lat", "lon", "statsec", "street", "postcode"} <= params
    assert "Resolution" in spec["components"]["schemas"]


def test_language_switch_to_english_and_back(app, client):
    make_user(app, "volunteer")
    login(client, "volunteer@example.be")
    assert "Vandaag" in client.get("/home").get_data(as_text=True)
    token = csrf_from(client.get("/home").get_data(as_text=True))
    client.post("/language/en", data={"csrf_token": token, "next": "/home"})
    english = client.get("/home").get_data(as_text=True)
    assert "Today" in english
    assert 'lang="en"' in english
    token = csrf_from(english)
    back = client.post("/language/nl", data={"csrf_token": token, "next": "//evil.example"})
    assert back.headers["Location"] == "/home"
    assert "Vandaag" in client.get("/home").get_data(as_text=True)


def test_every_ui_string_has_a_dutch_translation():
    method_map = [("fieldwork/**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "_l": None, "gettext": None}
        )
    }
    with (ROOT / "translations/nl/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(str(m) for m in found if m and m not in translated)
    assert missing == [], "run `make translations-update` and translate: " + ", ".join(missing)


def test_unknown_page_is_a_dutch_404_page_and_api_404_is_json(client):
    page = client.get("/bestaat-niet")
    assert page.status_code == 404
    assert "Deze pagina bestaat niet" in page.get_data(as_text=True)
    api = client.get("/api/v1/bestaat-niet")
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "not_found"


def test_pages_send_security_headers_and_no_external_assets(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert not re.search(r'(src|href)="https?://', response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("tiles", "allowed"),
    [
        ("", "img-src 'self' data:;"),
        (
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "img-src 'self' data: https://tile.openstreetmap.org;",
        ),
        (
            "https://{s}.tile.example.org/{z}/{x}/{y}.png",
            "img-src 'self' data: https://*.tile.example.org;",
        ),
        ("//tiles.example.org/{z}/{x}/{y}.png", "img-src 'self' data: tiles.example.org;"),
    ],
)
def test_only_the_configured_tile_server_may_serve_images(
    sqlite_template, tmp_path, tiles, allowed
):
    import shutil

    from fieldwork import create_app

    path = tmp_path / "tiles.db"
    shutil.copy(sqlite_template, path)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "x",
            "TESTING": True,
            "MAP_TILES_URL": tiles,
        }
    )
    policy = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert allowed in policy
    assert "script-src 'self'" in policy
