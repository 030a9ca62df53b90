"""The app shell's service worker in a real browser (chromium, 360 px): static files from its
cache when offline; of the pages only the queue page and the offline page, never another."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.test_browser import phone  # noqa: F401  (the fixture: app served, chromium phone)

pytestmark = pytest.mark.browser


def test_worker_serves_static_files_offline_but_never_a_page(phone: tuple[Any, str]) -> None:  # noqa: F811
    page, base = phone
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill("volunteer@example.be")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/home")
    # the worker installs and activates (bounded: without one the test fails in 20 s, never
    # hangs); a page loaded after that goes through it
    active = page.evaluate(
        """() => Promise.race([
            navigator.serviceWorker.ready.then((registration) => registration.active.scriptURL),
            new Promise((_, reject) => setTimeout(() => reject(new Error("no worker")), 20000)),
        ])"""
    )
    assert active == f"{base}/sw.js"
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{base}/sw.js"
    expect(page.get_by_role("heading", name="Dag Maria")).to_be_visible()
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys())
                for (const request of await (await caches.open(name)).keys())
                    urls.push(new URL(request.url).pathname);
            return urls;
        }"""
    )
    assert "/static/css/app.css" in cached
    # no page but the queue and the offline page (no resident data in them), no API answer
    kept = {"/wachtrij", "/offline", "/sw-kept-groups"}
    assert all(path.startswith("/static/") or path in kept for path in cached), cached

    page.context.set_offline(True)
    css = page.evaluate(
        """async () => {
            const response = await fetch('/static/css/app.css');
            return {status: response.status, text: await response.text()};
        }"""
    )
    assert css["status"] == 200
    assert "--accent: #0b5394" in css["text"]
    api = page.evaluate("fetch('/api/v1/auth/me').then(r => r.status, () => 'network error')")
    assert api == "network error"  # nor an API answer
    page.goto(f"{base}/home")  # the dashboard is not kept on the phone: the offline page
    expect(page.get_by_role("heading", name="Geen verbinding")).to_be_visible()
    expect(page.get_by_role("heading", name="Dag Maria")).to_be_hidden()
    page.context.set_offline(False)
    page.goto(f"{base}/home")
    expect(page.get_by_role("heading", name="Dag Maria")).to_be_visible()
