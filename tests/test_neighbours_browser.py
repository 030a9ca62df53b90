"""A caring neighbour on a 360 px phone (the demo's Griet, code BUUR-2026): the signal form
fits the screen, and a signal sent without a connection waits on the phone and arrives once
when the connection returns (the capture forms' queue, static/js/outbox.js)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldwork.demo.neighbours import DEMO_CODE
from fieldwork.extensions import db
from fieldwork.neighbours.models import NeighbourSignal
from fieldwork.signals.models import Signal
from tests.test_browser import fits_the_screen
from tests.test_outbox_browser import controlled, demo_phone, queue_empties, queued, worker_keeps

pytestmark = pytest.mark.browser
__all__ = ["demo_phone"]


def neighbour_signals(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (s.source, s.theme)
            for s in db.session.scalars(
                select(Signal)
                .join(NeighbourSignal, NeighbourSignal.signal_id == Signal.id)
                .order_by(Signal.id)
            )
        ]


def test_a_caring_neighbour_files_offline_and_it_arrives_once(demo_phone, embedded_app):
    page, base = demo_phone
    before = neighbour_signals(embedded_app)
    assert before == [("neighbour", "veiligheid")]  # the demo's, in An's queue
    page.goto(f"{base}/zorgzame-buur/word/36012")  # the public join page fits too
    expect(page.get_by_role("heading", name="Word zorgzame buur")).to_be_visible()
    assert fits_the_screen(page)
    page.goto(f"{base}/zorgzame-buur/aanmelden")
    page.get_by_label("Je code").fill(DEMO_CODE.lower())
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/zorgzame-buur/mijn")
    expect(page.get_by_role("heading", name="Dag Griet Desmet")).to_be_visible()
    assert fits_the_screen(page)
    controlled(page)
    page.reload()  # through the worker now, which keeps the neighbour's pages
    worker_keeps(page, ["/zorgzame-buur/mijn", "/zorgzame-buur/signaal"])

    page.get_by_role("link", name="Een zorg doorgeven").click()
    page.wait_for_url(f"{base}/zorgzame-buur/signaal")
    expect(page.get_by_role("heading", name="Een zorg doorgeven")).to_be_visible()
    assert fits_the_screen(page)

    page.context.set_offline(True)
    page.get_by_label("Naam van de bewoner").fill("Jozef Declercq")
    page.get_by_label("Straat").fill("Kerkstraat")
    page.get_by_label("Huisnummer").fill("20")
    page.get_by_label("Eenzaamheid").check()
    page.get_by_label("Wat viel je op?").fill("Zien hem al een week niet meer buiten.")
    page.get_by_label("Ja, de bewoner gaat akkoord met contact").check()
    assert fits_the_screen(page)
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url(f"{base}/zorgzame-buur/mijn")  # the kept page, from the phone
    expect(page.get_by_text("Geen verbinding: bewaard op je toestel")).to_be_visible()
    expect(page.get_by_role("link", name="1 nog niet verstuurd")).to_be_visible()
    assert len(queued(page)) == 1
    assert neighbour_signals(embedded_app) == before  # nothing arrived yet

    page.context.set_offline(False)  # back online: the queue is sent
    queue_empties(page)
    assert neighbour_signals(embedded_app) == [*before, ("neighbour", "eenzaamheid")]
    page.goto(f"{base}/zorgzame-buur/mijn")
    expect(page.locator('[data-step="received"]').first).to_be_visible()
    assert fits_the_screen(page)
