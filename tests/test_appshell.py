"""The installable app shell: the web manifest, the favicon and the service worker's script."""

from __future__ import annotations

import io
import json
import re

from flask.testing import FlaskClient
from PIL import Image

from tests.conftest import login, make_user


def test_manifest_names_the_app_in_dutch_and_declares_its_icons(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "fieldwork – zorgzame buurt"
    assert manifest["short_name"] == "fieldwork"
    assert manifest["lang"] == "nl"
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b5394"  # the site's --accent
    assert manifest["background_color"] == "#ffffff"
    purposes = {icon["purpose"] for icon in manifest["icons"]}
    assert purposes == {"any", "maskable"}
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["purpose"] == "any"}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        picture = client.get(icon["src"])
        assert picture.status_code == 200, icon["src"]
        image = Image.open(io.BytesIO(picture.data))
        assert image.format == "PNG"
        assert icon["type"] == "image/png"
        assert f"{image.width}x{image.height}" == icon["sizes"]
        assert len(picture.data) < 10_000  # small: the whole shell is precached on a phone


def test_favicon_is_served_at_the_root(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "ICO"


def test_every_page_links_the_manifest_icons_and_the_worker(client: FlaskClient) -> None:
    make_user(client.application, "volunteer", name="Maria")
    anonymous = client.get("/login").get_data(as_text=True)
    login(client, "volunteer@example.be")
    signed_in = client.get("/home").get_data(as_text=True)
    assert "Dag Maria" in signed_in
    for html in (anonymous, signed_in):
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html
        assert '<meta name="theme-color" content="#0b5394">' in html
        assert '<link rel="icon" href="/favicon.ico"' in html
        assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in html
        assert 'src="/static/js/sw_register.js" data-sw="/sw.js" defer' in html
        assert "<script>" not in html  # CSP script-src 'self': no inline script


def test_service_worker_comes_from_the_root_uncached_and_caches_only_static_files(
    client: FlaskClient,
) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Service-Worker-Allowed" not in response.headers  # /sw.js: its scope is the site
    script = response.get_data(as_text=True)
    cache_name = re.search(r'const CACHE = "fieldwork-shell-([0-9a-f]{12})";', script)
    assert cache_name
    shell_line = re.search(r"const SHELL = (\[.*?\]);", script, re.S)
    assert shell_line
    shell = json.loads(shell_line.group(1))
    assert "/static/css/app.css" in shell
    assert "/static/js/signature.js" in shell
    assert all(path.startswith("/static/") for path in shell)  # never a page nor the API
    for path in shell:
        assert client.get(path).status_code == 200, path
    # the same files give the same cache name: a browser keeps its worker until they change
    assert client.get("/sw.js").get_data(as_text=True) == script


def test_every_script_and_stylesheet_of_the_site_is_in_the_shell():
    """A new script a capture page loads must work offline too: the worker precaches it."""
    from fieldwork.config import ROOT
    from fieldwork.core.appshell import SHELL_FILES

    static = ROOT / "fieldwork" / "static"
    site_files = {
        str(path.relative_to(static))
        for folder in ("js", "css")
        for path in (static / folder).iterdir()
        if path.suffix in (".js", ".css")
    }
    assert site_files <= set(SHELL_FILES), sorted(site_files - set(SHELL_FILES))


def test_a_page_fetched_to_be_kept_never_sets_the_session_cookie(client: FlaskClient) -> None:
    """The worker's fetch runs beside a login or logout; its answer must not put the session
    of before back."""
    kept = client.get("/wachtrij", headers={"X-Fieldwork-Keep": "1"})
    assert kept.status_code == 200
    assert "Set-Cookie" not in kept.headers
    opened = client.get("/wachtrij")  # the same page opened by the person does
    assert "Set-Cookie" in opened.headers
