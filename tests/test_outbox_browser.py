"""The phone's queue in a real browser (chromium, 360 px) with the connection switched off and
on again: every record arrives exactly once, with its signature, routed as before, and nothing
is left on the phone afterwards but the open assignments."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.test_browser import phone_page, serve, sign
from tests.test_drafts_browser import card_and_link, drafts, fill_card, log_in, only_submission

pytestmark = pytest.mark.browser
VOLUNTEER = "vrijwilliger@demo.fieldwork.be"


@pytest.fixture
def demo_phone(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with serve(embedded_app) as base, phone_page() as page:
        yield page, base


def queued(page) -> list[dict[str, Any]]:
    """The records waiting in this phone's IndexedDB queue."""
    return page.evaluate(
        """() => self.fieldworkOutbox.all().then((rs) => rs.map((r) => ({
            key: r.key, url: new URL(r.url).pathname, state: r.state, user: r.user})))"""
    )


def kept_pages(page) -> list[str]:
    return page.evaluate(
        """async () => (await caches.has("fieldwork-pages"))
            ? (await (await caches.open("fieldwork-pages")).keys())
                .map((r) => new URL(r.url).pathname)
            : []"""
    )


def wait_until(page, script: str, arg: Any = None, timeout: float = 60.0) -> None:
    """Poll ``script`` (a function, maybe async) until it is true; the page's CSP forbids
    eval, which Playwright's wait_for_function uses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"not true after {timeout} s: {script}"
        page.wait_for_timeout(200)


def queue_empties(page) -> None:
    """Wait until every record on the phone was received (and deleted), badge gone."""
    wait_until(page, "() => self.fieldworkOutbox.all().then((records) => records.length === 0)")
    expect(page.locator("[data-outbox-badge]")).to_be_hidden()


def controlled(page) -> None:
    """Wait until the service worker controls the page. A page loaded while the worker was
    still starting (a busy machine) is left to the network for good: load it again."""
    deadline = time.monotonic() + 60
    while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker never took the page"
        page.wait_for_timeout(1000)
        if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
            page.reload()


def worker_keeps(page, paths: list[str]) -> None:
    """Wait until the service worker controls the page and keeps these pages."""
    controlled(page)
    wait_until(
        page,
        """async (paths) => {
            if (!(await caches.has("fieldwork-pages"))) return false;
            const kept = (await (await caches.open("fieldwork-pages")).keys())
                .map((r) => new URL(r.url).pathname);
            return paths.every((p) => kept.includes(p));
        }""",
        paths,
    )


def round_ready_offline(page, base: str) -> list[str]:
    """Log in, open today's list online (the worker keeps its sheets), return the sheets."""
    log_in(page, base, VOLUNTEER)
    page.goto(f"{base}/bezoeken")
    controlled(page)
    page.reload()  # now through the worker, which is asked to keep the sheets
    sheets = [
        f"/bezoeken/{href.rsplit('/', 1)[1]}"
        for href in page.locator("a.visit-row").evaluate_all("(as) => as.map((a) => a.href)")
    ]
    worker_keeps(page, ["/bezoeken", *sheets[:3], "/wachtrij", "/offline"])
    return sheets


def fill_spoken_with_contact(page) -> None:
    page.get_by_label("Gesproken").check()
    page.locator("summary", has_text="Welzijn").click()  # the themes fold open on demand
    page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("zorg").check()
    page.get_by_label("Wil contact met de aanspreekpersoon").check()
    page.get_by_label("Tekent hier op het scherm").check()
    sign(page)


def visits_of(app, address_id: int) -> list[Any]:
    from fieldwork.extensions import db
    from fieldwork.visits.models import Visit

    with app.app_context():
        rows = db.session.scalars(select(Visit).where(Visit.address_id == address_id)).all()
        db.session.expunge_all()
        return list(rows)


def test_a_round_in_airplane_mode_arrives_once_when_the_connection_returns(
    demo_phone, embedded_app
):
    from fieldwork.cases.models import Case
    from fieldwork.extensions import db

    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    first, second = (int(s.rsplit("/", 1)[1]) for s in sheets[:2])
    with embedded_app.app_context():
        cases_before = db.session.scalar(select(func.count()).select_from(Case))
    earlier = len(visits_of(embedded_app, second))  # the demo's earlier "not at home"

    page.context.set_offline(True)
    page.locator("a.visit-row").first.click()  # the kept sheet, from the phone
    expect(page.get_by_role("heading", name="Dadizeleplaats 3")).to_be_visible()
    fill_spoken_with_contact(page)
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")
    expect(page.get_by_text("Geen verbinding: bewaard op je toestel")).to_be_visible()
    expect(page.get_by_role("link", name="1 nog niet verstuurd")).to_be_visible()
    assert drafts(page) == {}  # in the queue now; a draft would only make a second record
    # the next door: not at home, with the quick button on the list
    page.locator(f"form[action='/bezoeken/{second}'] button").click()
    page.wait_for_url(f"{base}/bezoeken")
    expect(page.get_by_role("link", name="2 nog niet verstuurd")).to_be_visible()
    assert len(queued(page)) == 2
    assert visits_of(embedded_app, first) == []
    assert len(visits_of(embedded_app, second)) == earlier

    page.context.set_offline(False)  # home again: the online event sends the queue
    queue_empties(page)
    expect(page.get_by_text("2 verstuurd en ontvangen")).to_be_visible()
    assert queued(page) == []
    (spoken,) = visits_of(embedded_app, first)
    *_, not_home = visits_of(embedded_app, second)
    assert len(visits_of(embedded_app, second)) == earlier + 1
    assert spoken.outcome == "spoken"
    assert spoken.themes == {"eenzaamheid": "concern"}
    assert spoken.signature_png.startswith(b"\x89PNG")
    assert spoken.consent_id is not None
    assert not_home.outcome == "not_home"
    with embedded_app.app_context():  # routed to the contact person as before
        assert db.session.scalar(select(func.count()).select_from(Case)) == cases_before + 1
    # the visited sheet leaves the phone when the list is opened again; open ones stay
    page.goto(f"{base}/bezoeken")
    wait_until(
        page,
        """async (gone) => !(await (await caches.open("fieldwork-pages")).keys())
            .some((r) => new URL(r.url).pathname === gone)""",
        f"/bezoeken/{first}",
    )
    assert f"/bezoeken/{second}" in kept_pages(page)  # not at home: still on the list


def test_a_record_queued_offline_survives_a_reload_and_a_closed_tab(demo_phone, embedded_app):
    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    first, second = (int(s.rsplit("/", 1)[1]) for s in sheets[:2])
    earlier = len(visits_of(embedded_app, second))
    page.context.set_offline(True)
    page.goto(f"{base}{sheets[0]}")
    fill_spoken_with_contact(page)
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")
    page.reload()  # still offline: the list comes from the phone, the record still waits
    expect(page.get_by_role("link", name="1 nog niet verstuurd")).to_be_visible()
    page.goto(f"{base}{sheets[1]}")
    page.get_by_label("Niet thuis").check()
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")
    assert len(queued(page)) == 2

    context = page.context
    page.close()  # the tab is closed, the phone goes into a pocket
    context.set_offline(False)
    later = context.new_page()  # opening the app again later sends what waited
    later.goto(f"{base}/home")
    queue_empties(later)
    assert queued(later) == []
    assert [v.outcome for v in visits_of(embedded_app, first)] == ["spoken"]
    assert [v.outcome for v in visits_of(embedded_app, second)[earlier:]] == ["not_home"]
    assert visits_of(embedded_app, first)[0].signature_png.startswith(b"\x89PNG")


def test_the_same_record_sent_three_times_is_stored_once(demo_phone, embedded_app):
    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    address_id = int(sheets[0].rsplit("/", 1)[1])
    page.goto(f"{base}{sheets[0]}")
    page.get_by_label("Niet thuis").check()
    # the record as the form would queue it, then three sends at once and one after
    key = page.evaluate(
        """async () => {
            const form = document.querySelector("form[data-outbox]");
            const fields = [];
            new FormData(form).forEach((v, n) => fields.push([n, v]));
            const record = {key: form.dataset.key, url: form.action, fields,
                            user: document.body.dataset.draftsUser, title: "t",
                            createdAt: Date.now(), state: "queued", tries: 0};
            await self.fieldworkOutbox.put(record);
            const session = await (await fetch("/wachtrij/sleutel")).json();
            const send = () => fetch(form.action, {method: "POST", headers: {
                    "X-Fieldwork-Outbox": "1", "Idempotency-Key": record.key},
                body: (() => { const d = new FormData(form); d.set("csrf_token",
                    session.csrf_token); return d; })()}).then((r) => r.json());
            const answers = await Promise.all([send(), send(), send()]);
            await self.fieldworkOutbox.flush(true);
            return {key: record.key, answers};
        }"""
    )
    assert all(answer["status"] == "received" for answer in key["answers"])
    assert sum(answer["again"] for answer in key["answers"]) == 2
    assert [v.outcome for v in visits_of(embedded_app, address_id)] == ["not_home"]
    assert queued(page) == []


def test_a_worker_update_while_two_records_wait_keeps_and_sends_both(demo_phone, embedded_app):
    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    ids = [int(s.rsplit("/", 1)[1]) for s in sheets[:2]]
    earlier = [len(visits_of(embedded_app, i)) for i in ids]
    old_worker = page.evaluate("navigator.serviceWorker.controller.scriptURL")
    page.context.set_offline(True)
    for sheet in sheets[:2]:
        page.goto(f"{base}{sheet}")
        page.get_by_label("Niet thuis").check()
        page.get_by_role("button", name="Bewaren").click()
        page.wait_for_url(f"{base}/bezoeken")
    assert len(queued(page)) == 2
    # a new version of the app is deployed while the phone is away
    embedded_app.extensions["appshell_version"] = "new-version"
    page.context.route("**/wachtrij/sleutel", lambda route: route.abort())  # hold the queue
    page.context.set_offline(False)
    page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            await registration.update();
        }"""
    )
    wait_until(
        page,
        """async () => (await caches.keys()).includes("fieldwork-shell-new-version")
            && !(await caches.keys()).some((n) => n.startsWith("fieldwork-shell-")
                 && n !== "fieldwork-shell-new-version")""",
    )
    assert len(queued(page)) == 2  # the update did not touch the queue
    assert [len(visits_of(embedded_app, i)) for i in ids] == earlier
    page.context.unroute("**/wachtrij/sleutel")
    page.goto(f"{base}/bezoeken")
    queue_empties(page)
    assert queued(page) == []
    for address_id, before in zip(ids, earlier, strict=True):
        assert [v.outcome for v in visits_of(embedded_app, address_id)[before:]] == ["not_home"]
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == old_worker


def test_logging_out_clears_the_phones_copy_of_the_round(demo_phone):
    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    assert sheets[0] in kept_pages(page)
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", name="Aanmelden")).to_be_visible()
    # nothing of the round stays; the queue and offline pages (no resident in them) may be
    # kept again for whoever signs in next
    wait_until(
        page,
        """async () => !(await caches.has("fieldwork-pages"))
            || !(await (await caches.open("fieldwork-pages")).keys())
                .some((r) => new URL(r.url).pathname.startsWith("/bezoeken"))""",
    )
    assert set(kept_pages(page)) <= {"/wachtrij", "/offline", "/sw-kept-groups"}
    page.context.set_offline(True)
    with contextlib.suppress(PlaywrightError):  # the browser's own "no internet" page
        page.goto(f"{base}{sheets[0]}")  # nothing of the round is left to show
    assert page.get_by_role("heading", name="Dadizeleplaats 3").count() == 0


@pytest.mark.parametrize("via", ["link", "gp"])
def test_a_referral_card_filed_offline_arrives_once(demo_phone, embedded_app, via):
    """By a baker through a one-time link, and by a GP logged in, in a cellar practice."""

    code, token = card_and_link(embedded_app)
    page, base = demo_phone
    if via == "gp":
        log_in(page, base, "huisarts@demo.fieldwork.be")
    page.goto(f"{base}/r/{token}/k/{code}" if via == "link" else f"{base}/k/{code}")
    controlled(page)
    page.context.set_offline(True)  # the signal goes while the card is filled in
    fill_card(page)
    page.get_by_role("button", name="Kaart versturen").click()
    page.wait_for_url(f"{base}/wachtrij")
    expect(page.get_by_text("Geen verbinding: bewaard op je toestel")).to_be_visible()
    expect(page.get_by_text("Doorverwijskaart").first).to_be_visible()  # drawn from the phone
    page.context.set_offline(False)
    queue_empties(page)
    submission = only_submission(embedded_app, code)
    assert submission.via == ("link" if via == "link" else "account")
    # filled in offline, arrived later: both moments are kept
    assert submission.observed_at <= submission.created_at
    assert queued(page) == []


def test_two_phones_that_visited_one_address_offline_both_keep_their_record(
    demo_phone, embedded_app
):
    """Maria and Jef go as a pair; each records the same door offline on their own phone.
    Both sheets arrive once; the second is kept and flagged for the coordinator."""
    from fieldwork.auth.models import User
    from fieldwork.extensions import db
    from fieldwork.visits.models import VisitAddress

    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    address_id = int(sheets[0].rsplit("/", 1)[1])
    with embedded_app.app_context():
        jef = db.session.scalars(select(User).where(User.email == "jef@demo.fieldwork.be")).one()
        db.session.get(VisitAddress, address_id).partner_id = jef.id
        db.session.commit()
    earlier = len(visits_of(embedded_app, address_id))
    second_phone = page.context.browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    other = second_phone.new_page()
    other.set_default_timeout(10_000)
    log_in(other, base, "jef@demo.fieldwork.be")
    other.goto(f"{base}/bezoeken")
    controlled(other)
    other.reload()
    worker_keeps(other, [sheets[0]])

    for phone in (page, other):  # both at the door, both without signal
        phone.context.set_offline(True)
        phone.goto(f"{base}{sheets[0]}")
        fill_spoken_with_contact(phone)
        phone.get_by_role("button", name="Bewaren").click()
        phone.wait_for_url(f"{base}/bezoeken")
        assert len(queued(phone)) == 1
    for phone in (page, other):  # Maria's arrives first, then Jef's
        phone.context.set_offline(False)
        queue_empties(phone)
        assert queued(phone) == []
    visits = visits_of(embedded_app, address_id)[earlier:]
    assert [v.outcome for v in visits] == ["spoken", "spoken"]
    assert [v.flag for v in visits] == [None, "duplicate"]
    assert all(v.signature_png.startswith(b"\x89PNG") for v in visits)
    assert all(v.observed_at is not None for v in visits)
    other.reload()  # the next page Jef opens says what happened to his sheet
    expect(other.get_by_text("je coördinator kijkt het na")).to_be_visible()
    second_phone.close()


def test_the_next_person_on_a_shared_phone_does_not_save_the_last_ones_queue(embedded_app):
    """Jef's session ran out before his visit was sent, so the phone keeps it; Maria signs in
    on the same phone. Her list hides Jef's record, and so must the file she saves."""
    import json

    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with serve(embedded_app) as base, phone_page() as page:
        log_in(page, base, "jef@demo.fieldwork.be")
        page.goto(f"{base}/wachtrij")
        jef = page.evaluate("() => document.body.dataset.draftsUser")
        page.context.clear_cookies()
        page.evaluate(  # what outbox.js keeps for a sending refused with "log in again"
            """(user) => self.fieldworkOutbox.put({key: "11111111-2222-4333-8444-555555555555",
                url: location.origin + "/bezoeken/1", user, title: "Gesproken: Kerkstraat 3",
                createdAt: Date.now(), state: "login", tries: 1,
                fields: [["outcome", "spoken"], ["note", "Mevrouw Claes, valt vaak"]]})""",
            jef,
        )
        log_in(page, base, VOLUNTEER)
        page.goto(f"{base}/wachtrij")
        maria = page.evaluate("() => document.body.dataset.draftsUser")
        assert maria != jef
        expect(page.locator("[data-outbox-list] li")).to_have_count(0)
        with page.expect_download() as download:
            page.locator("[data-outbox-export]").click()
        saved = json.loads(Path(download.value.path()).read_text())
        assert saved["records"] == []
        assert len(queued(page)) == 1  # Jef's record is still on the phone for Jef


def test_a_refused_record_reopened_to_correct_keeps_every_choice(demo_phone, embedded_app):
    """Offline: spoken, loneliness a concern, wants contact, consent "signs on the screen"
    but nothing drawn. Online the server refuses it; "open to correct" must fill in every
    choice again (the radios and checkboxes came back empty, and the record had left the
    queue: saving with only the signature added lost her answers)."""
    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    address_id = int(sheets[0].rsplit("/", 1)[1])
    page.context.set_offline(True)
    page.goto(f"{base}{sheets[0]}")
    page.get_by_label("Gesproken").check()
    page.locator("summary", has_text="Welzijn").click()
    page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("zorg").check()
    page.get_by_label("Wil contact met de aanspreekpersoon").check()
    page.get_by_label("Tekent hier op het scherm").check()  # but no signature drawn
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")
    page.context.set_offline(False)
    wait_until(
        page,
        "() => self.fieldworkOutbox.all().then((rs) => rs.length === 1 && rs[0].state === 'error')",
    )
    assert visits_of(embedded_app, address_id) == []
    page.goto(f"{base}/wachtrij")
    page.get_by_role("button", name="Openen om te verbeteren").click()
    page.wait_for_url(f"{base}{sheets[0]}")
    expect(page.get_by_label("Gesproken")).to_be_checked()
    page.locator("details", has=page.locator("summary", has_text="Welzijn")).evaluate(
        "(details) => { details.open = true; }"
    )
    expect(page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("zorg")).to_be_checked()
    expect(page.get_by_label("Wil contact met de aanspreekpersoon")).to_be_checked()
    expect(page.get_by_label("Tekent hier op het scherm")).to_be_checked()
    sign(page)
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")
    wait_until(page, "() => self.fieldworkOutbox.all().then((rs) => rs.length === 0)")
    (visit,) = visits_of(embedded_app, address_id)
    assert (visit.outcome, visit.wants_contact) == ("spoken", True)


def test_a_draft_typed_offline_survives_a_look_at_the_kept_list(demo_phone):
    """Online, door 2 is "not at home" (the list says which draft is done with). Later,
    offline, she starts the sheet of door 2 again, looks at the list kept on the phone and
    comes back: the draft is still there (the kept list removed it on every offline visit)."""
    page, base = demo_phone
    sheets = round_ready_offline(page, base)
    page.goto(f"{base}{sheets[1]}")
    page.get_by_label("Niet thuis").check()
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"{base}/bezoeken")
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
    page.goto(f"{base}{sheets[1]}")
    page.get_by_label("Gesproken").check()
    wait_until(page, "(path) => Object.keys(localStorage).some((k) => k.endsWith(path))", sheets[1])
    page.goto(f"{base}/bezoeken")  # the kept copy
    page.goto(f"{base}{sheets[1]}")
    expect(page.get_by_label("Gesproken")).to_be_checked()
