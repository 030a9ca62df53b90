"""Page weight. Issue: "Keep the pages light and framework-free: each capture page with its
scripts stays <= 60 KB transferred". Every capture page is rendered through the test client as
the person who uses it, on the demo data, and weighed with everything it makes a browser
fetch from the site on a first visit — read from the page itself, never from a list here:
its scripts, stylesheets (and what they url() or @import), images, icons, the web manifest
(and its icons), and the service worker with the static files it precaches when it installs.

"Transferred" is counted as a server sends it: text (HTML, CSS, JavaScript, JSON, the
manifest, SVG, the favicon) gzip-compressed at level 6 — nginx's and most servers' usual
level —, already compressed images (PNG, JPEG, WebP…) as they are. HTTP headers are not
counted. The database does not change what a page weighs: the embedded path only."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from tests.conftest import login

BUDGET = 60 * 1024  # bytes, page and everything it loads
ORIGIN = "http://localhost"  # the test client's site
# <link rel=…> a browser fetches (stylesheets, icons, the manifest, preloads)
FETCHED_RELS = {"stylesheet", "icon", "apple-touch-icon", "manifest", "preload", "modulepreload"}
COMPRESSED_TYPES = {  # sent gzipped; everything else (PNG, JPEG, WebP, fonts) as it is
    "application/javascript",
    "text/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
    "image/x-icon",
    "image/vnd.microsoft.icon",
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
PRECACHED = re.compile(r"""["'](/static/[^"']+)["']""")  # the worker's precache list


class References(HTMLParser):
    """Every URL in a page that a browser fetches, with what it is."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (kind, url as written)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "script" and a.get("src"):
            self.found.append(("script", a["src"]))
            if a.get("data-sw"):  # sw_register.js registers the worker named here
                self.found.append(("service worker", a["data-sw"]))
        elif tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & FETCHED_RELS:
                kind = "manifest" if "manifest" in rels else " ".join(sorted(rels))
                self.found.append((kind, a["href"]))
        elif tag in ("img", "source", "video", "audio", "iframe", "embed", "input", "object"):
            if tag == "input" and a.get("type") != "image":
                return
            for name in ("src", "data", "poster"):
                if a.get(name):
                    self.found.append((tag, a[name]))
            for candidate in a.get("srcset", "").split(","):
                if candidate.strip():
                    self.found.append((tag, candidate.split()[0]))


def references(html: str) -> list[tuple[str, str]]:
    parser = References()
    parser.feed(html)
    return parser.found


def absolute(base: str, ref: str) -> str:
    return urljoin(base, ref.strip())


def is_same_site(url: str) -> bool:
    """``url`` made absolute: on this site, or inline (data:)."""
    return url.startswith((ORIGIN + "/", "data:"))


def transferred(mimetype: str, body: bytes) -> int:
    if mimetype.startswith("text/") or mimetype in COMPRESSED_TYPES:
        return len(gzip.compress(body, compresslevel=6, mtime=0))
    return len(body)


@dataclass
class Weight:
    page: str
    parts: dict[str, tuple[str, int]] = field(default_factory=dict)  # url: (kind, bytes)
    external: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(size for _kind, size in self.parts.values())

    def report(self) -> str:
        lines = [f"{self.page}: {self.total} bytes ({self.total / 1024:.1f} KB) transferred"]
        for url, (kind, size) in sorted(self.parts.items(), key=lambda item: -item[1][1]):
            lines.append(f"  {size:>7}  {kind:<16} {url}")
        return "\n".join(lines)


def weigh(client: FlaskClient, path: str, html: str) -> Weight:
    """The page (``html``, as served at ``path``) and everything it makes a browser fetch."""
    page_url = ORIGIN + path
    weight = Weight(path)
    weight.parts[page_url] = ("page", transferred("text/html", html.encode()))
    queue = [(kind, absolute(page_url, ref)) for kind, ref in references(html)]
    while queue:
        kind, url = queue.pop(0)
        if url.startswith("data:") or url in weight.parts:
            continue  # inline, counted with the page; or weighed already
        if not is_same_site(url):
            weight.external.append(url)
            continue
        response = client.get(url.removeprefix(ORIGIN))
        if kind == "from css" and response.status_code == 404:
            continue  # a browser fetches a stylesheet's picture only for a rule in use
        assert response.status_code == 200, f"{path} links {url}: {response.status_code}"
        body = response.get_data()
        weight.parts[url] = (kind, transferred(response.mimetype, body))
        text = body.decode("utf-8", "replace")
        if response.mimetype == "text/css":
            queue += [
                ("from css", absolute(url, ref))
                for ref in (a or b for a, b in CSS_URL.findall(text))
                if not ref.startswith("#")  # url(#default#VML): no file
            ]
        elif kind == "manifest":
            manifest = json.loads(text)
            for entry in manifest.get("icons", []) + manifest.get("screenshots", []):
                queue.append(("manifest icon", absolute(url, entry["src"])))
        elif kind == "service worker":
            queue += [("precached", absolute(url, ref)) for ref in PRECACHED.findall(text)]
    return weight


# --- the capture pages, each as the person who uses it -------------------------------------


@dataclass
class Capture:
    who: str | None  # a demo e-mail address, or None: no account (a public page)
    path: str
    shows: str = ""  # in the page: it was rendered with the data, not empty


@pytest.fixture
def captures(embedded_app: Flask) -> dict[str, Capture]:
    """The demo data (`flask demo load`): Maria's visit round and call list, the GP's referral
    cards, and a one-time link for a baker."""
    from fieldwork.auth.models import User
    from fieldwork.calls.models import CallTarget
    from fieldwork.extensions import db
    from fieldwork.referrals.models import ReferralCard
    from fieldwork.referrals.services import create_link
    from fieldwork.visits.services import my_open_addresses

    loaded = embedded_app.test_cli_runner().invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    maria = "vrijwilliger@demo.fieldwork.be"
    with embedded_app.app_context():
        maria_user = db.session.scalars(select(User).filter_by(email=maria)).one()
        maria_id = maria_user.id
        address = my_open_addresses(maria_user)[0]  # the first on her list
        address_id, address_name = address.id, str(escape(address.name))
        target = db.session.scalars(
            select(CallTarget)
            .where(CallTarget.caller_id == maria_id, CallTarget.status == "to_call")
            .order_by(CallTarget.id)
        ).first()
        assert target is not None
        target_id, target_name = target.id, str(escape(target.name))
        gp_card, link_card = db.session.scalars(
            select(ReferralCard.code)
            .where(ReferralCard.state == "handed_out")
            .order_by(ReferralCard.id)
            .limit(2)
        ).all()
        card = db.session.scalars(select(ReferralCard).filter_by(code=link_card)).one()
        _, token = create_link(
            card.series.municipality, "Bakkerij Vandamme", "bakker", None, 14, None
        )
        db.session.commit()
    return {
        "findings sheet": Capture(maria, f"/bezoeken/{address_id}", address_name),
        "call sheet": Capture(maria, f"/bellen/{target_id}", target_name),
        "my calls": Capture(maria, "/bellen", f'href="/bellen/{target_id}"'),
        "referral card, logged in": Capture(
            "huisarts@demo.fieldwork.be", f"/k/{gp_card}", "Eenzaamheid"
        ),
        "referral card, one-time link": Capture(None, f"/r/{token}/k/{link_card}", "Eenzaamheid"),
        "Ik wil helpen": Capture(None, "/ik-wil-helpen/36012", "Dadizele"),
    }


def open_page(app: Flask, capture: Capture) -> tuple[FlaskClient, str]:
    from fieldwork.demo.cli import DEMO_PASSWORD

    client = app.test_client()
    if capture.who:
        assert login(client, capture.who, DEMO_PASSWORD).status_code == 302
    response = client.get(capture.path)
    assert response.status_code == 200, (capture.path, response.status_code)
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert capture.shows in html, f"{capture.path} does not show {capture.shows!r}"
    return client, html


def capture_pages(app: Flask, captures: dict[str, Capture]) -> Iterator[tuple[str, str]]:
    for name, capture in captures.items():
        yield name, open_page(app, capture)[1]


@pytest.mark.parametrize(
    "page",
    [
        "findings sheet",
        "call sheet",
        "my calls",
        "referral card, logged in",
        "referral card, one-time link",
        "Ik wil helpen",
    ],
)
def test_a_capture_page_with_all_it_loads_stays_within_60_kb(
    embedded_app: Flask, captures: dict[str, Capture], page: str, record_property: Any
) -> None:
    capture = captures[page]
    client, html = open_page(embedded_app, capture)
    weight = weigh(client, capture.path, html)
    record_property("transferred_bytes", weight.total)
    print(f"\n{page}\n{weight.report()}")
    assert not weight.external, f"{page} loads from another site: {weight.external}"
    assert any(kind == "script" for kind, _size in weight.parts.values()), weight.report()
    assert weight.total <= BUDGET, f"{page} is over the {BUDGET} byte budget.\n{weight.report()}"


def test_the_weight_follows_what_the_page_really_loads(
    embedded_app: Flask, captures: dict[str, Capture]
) -> None:
    """A framework added to a capture page counts at once: the weighing reads the page."""
    capture = captures["findings sheet"]
    client, html = open_page(embedded_app, capture)
    light = weigh(client, capture.path, html)
    leaflet = "/static/vendor/leaflet-1.9.4/leaflet"
    heavy = weigh(
        client,
        capture.path,
        html.replace(
            "</head>",
            f'<link rel="stylesheet" href="{leaflet}.css"><script src="{leaflet}.js" defer>'
            "</script></head>",
        ),
    )
    added = {url: part for url, part in heavy.parts.items() if url not in light.parts}
    assert set(added) >= {f"{ORIGIN}{leaflet}.js", f"{ORIGIN}{leaflet}.css"}
    assert any("/images/" in url for url in added)  # the stylesheet's url() pictures too
    assert heavy.total - light.total > 40 * 1024, heavy.report()
    assert heavy.total > BUDGET, heavy.report()


# --- no CDN: everything a page loads comes from the site itself ----------------------------

TAG_WITH_URL = re.compile(
    r"<(script|link|img|source|iframe|embed|object|video|audio)\b[^>]*?"
    r"\b(?:src|href|srcset|data|poster)\s*=\s*[\"']\s*((?:https?:)?//[^\"'\s]+)",
    re.I,
)


def test_no_page_loads_anything_from_another_site(
    embedded_app: Flask, captures: dict[str, Capture]
) -> None:
    from tests.conftest import ROOT

    # the capture pages as rendered, and the login and home pages of every demo role
    pages = dict(capture_pages(embedded_app, captures))
    pages["/login"] = embedded_app.test_client().get("/login").get_data(as_text=True)
    for who in ("vrijwilliger", "huisarts", "aanspreekpersoon", "regisseur", "analist"):
        capture = Capture(f"{who}@demo.fieldwork.be", "/home")
        pages[f"home of {who}"] = open_page(embedded_app, capture)[1]
    for name, html in pages.items():
        found = references(html)
        assert found, name
        outside = [url for _kind, url in found if not is_same_site(absolute(ORIGIN + "/", url))]
        assert outside == [], f"{name} loads from another site: {outside}"
        client = embedded_app.test_client()
        for _kind, url in found:  # and nothing those stylesheets pull in
            if url.endswith(".css"):
                css = client.get(url).get_data(as_text=True)
                for a, b in CSS_URL.findall(css):
                    assert is_same_site(absolute(ORIGIN + url, a or b)), (name, url, a or b)
    # every other page too: no template writes another site's address into a loading tag
    for template in sorted((ROOT / "templates").rglob("*.html")):
        found = [m.group(2) for m in TAG_WITH_URL.finditer(template.read_text())]
        assert found == [], f"{template.relative_to(ROOT)} loads from another site: {found}"
    for stylesheet in sorted((ROOT / "fieldwork" / "static" / "css").glob("*.css")):
        for a, b in CSS_URL.findall(stylesheet.read_text()):
            assert is_same_site(absolute(ORIGIN + "/static/css/", a or b)), (stylesheet, a or b)


def test_the_weighing_tells_a_cdn_from_the_site() -> None:
    html = (
        '<link rel="stylesheet" href="/static/css/app.css">'
        '<script src="https://cdn.example.org/htmx.min.js"></script>'
        '<img src="//images.example.org/a.png" srcset="/static/a.png 1x, /static/b.png 2x">'
        '<a href="https://example.org/">a link is not loaded</a>'
    )
    found = [absolute(ORIGIN + "/page", url) for _kind, url in references(html)]
    assert [url for url in found if not is_same_site(url)] == [
        "https://cdn.example.org/htmx.min.js",
        "http://images.example.org/a.png",
    ]
    assert TAG_WITH_URL.search(html)
