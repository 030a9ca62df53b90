"""The findings and call sheets on a 360 px phone (issue 19, item 1): short for an ordinary
visit, each question asked once, fields that appear only when they apply, the save button
always at hand."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_browser import phone_page, serve
from tests.test_drafts_browser import log_in
from tests.test_form_errors_browser import first_call_target

pytestmark = pytest.mark.browser
SCREEN = 740  # the phone's height in CSS pixels (tests/test_browser.py)


@pytest.fixture
def demo_phone(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with serve(embedded_app) as base, phone_page() as page:
        yield page, base


def form_height(page) -> float:
    return page.evaluate("document.querySelector('form.card').getBoundingClientRect().height")


def open_findings_sheet(page, base: str) -> None:
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bezoeken")
    page.locator("a.visit-row").first.click()


def test_an_ordinary_visit_fits_in_two_screens_and_asks_each_question_once(demo_phone):
    page, base = demo_phone
    open_findings_sheet(page, base)
    page.get_by_label("Niet thuis").check()
    assert form_height(page) <= 2 * SCREEN  # not at home
    expect(page.get_by_label("Kaartje in de bus gestoken")).to_be_visible()

    page.get_by_label("Gesproken").check()
    expect(page.get_by_label("Kaartje in de bus gestoken")).to_be_hidden()
    # spoken, every fold closed: two screens (was 4,450 px with every question open)
    assert form_height(page) <= 2 * SCREEN
    folded = form_height(page)
    page.locator("summary", has_text="Welzijn").click()  # the themes talked about
    page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("ok", exact=True).check()
    assert form_height(page) - folded <= 0.75 * SCREEN  # a fold: six themes, a name and a row each

    # asked once: as the checkboxes, not again as themes
    assert page.get_by_role("radiogroup", name="Buurtgezel of kleine hulp").count() == 0
    assert page.get_by_role("radiogroup", name="Wil vrijwilliger worden").count() == 0
    assert page.get_by_label("Wil graag een buurtgezel").count() == 1
    # a strength is there or was not discussed: no "zorg"
    page.locator("summary", has_text="Zorg en gezondheid").click()
    strength = page.get_by_role("radiogroup", name="Potentiële mantelzorger")
    assert strength.get_by_label("zorg", exact=True).count() == 0
    assert strength.get_by_label("ja", exact=True).count() == 1

    # the paper form's number only when the resident signed on paper
    page.get_by_label("Wil contact met de aanspreekpersoon").check()
    page.get_by_label("Tekent hier op het scherm").check()
    number = page.locator("input[name=consent_reference]")
    expect(number).to_be_hidden()
    page.get_by_label("Ondertekende het papieren formulier").check()
    expect(number).to_be_visible()

    # the save button stays on screen at the bottom, wherever the volunteer is
    page.evaluate("window.scrollTo(0, 0)")
    box = page.get_by_role("button", name="Bewaren").bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= SCREEN


def test_a_call_back_time_is_asked_only_when_calling_back(demo_phone, embedded_app):
    target_id = first_call_target(embedded_app)
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bellen/{target_id}")
    when = page.locator("input[name=call_back_at]")
    expect(when).to_be_hidden()
    page.get_by_label("Geen antwoord").check()
    expect(when).to_be_hidden()
    page.get_by_label("Later terugbellen").check()
    expect(when).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


# Every visible control of the sheet: its tap target (the label around a radio or checkbox, the
# pill of a theme answer) and the size of the text on it.
CONTROLS = """[...document.querySelector('form.card').querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, summary')]
  .map((el) => el.closest('label') || el)
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map((el) => ({name: (el.textContent.trim() || el.name || el.tagName).slice(0, 40),
                 height: el.getBoundingClientRect().height,
                 font: parseFloat(getComputedStyle(el).fontSize)}))"""


def assert_large_controls(page) -> None:
    controls = page.evaluate(CONTROLS)
    assert controls
    assert [c for c in controls if c["height"] < 44 or c["font"] < 16] == []


def open_folds(page) -> list[str]:
    return page.locator("details.theme-group[open] > summary").all_inner_texts()


def test_one_theme_fold_open_still_fits_in_two_screens(demo_phone):
    page, base = demo_phone
    open_findings_sheet(page, base)
    page.get_by_label("Gesproken").check()
    # the largest fold (six themes), with a concern noted
    page.locator("summary", has_text="Welzijn").click()
    page.get_by_role("radiogroup", name="Eenzaamheid").get_by_label("zorg", exact=True).check()
    assert form_height(page) <= 2 * SCREEN  # was 1,694 px
    assert_large_controls(page)

    # one fold at a time: opening another closes the first, its answer kept and marked
    page.locator("summary", has_text="Zorg en gezondheid").click()
    assert open_folds(page) == ["Zorg en gezondheid"]
    assert form_height(page) <= 2 * SCREEN
    welzijn = page.locator("details.theme-group", has_text="Welzijn")
    marker = "getComputedStyle(el.querySelector('summary'), '::after').content"
    assert welzijn.evaluate(f"(el) => {marker}") != "none"
    assert (
        page.locator("details.theme-group", has_text="Wonen").evaluate(f"(el) => {marker}")
        == "none"
    )
    assert page.locator("input[name=theme_eenzaamheid][value=concern]").is_checked()

    # the fold is reached with the keyboard and says it is open
    summary = page.locator("summary", has_text="Welzijn")
    summary.focus()
    page.keyboard.press("Enter")
    assert open_folds(page) == ["Welzijn"]
    assert page.evaluate("document.activeElement.textContent.trim()") == "Welzijn"


def test_the_call_sheet_with_one_fold_open_fits_in_two_screens(demo_phone, embedded_app):
    target_id = first_call_target(embedded_app)
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bellen/{target_id}")
    page.get_by_label("Bereikt").check()
    assert open_folds(page) == []  # the conversation guide is the fold open at first
    assert page.locator("details.guide").evaluate("(el) => el.open")
    assert form_height(page) <= 2 * SCREEN  # was 2,352 px with every guide question open
    page.locator("summary", has_text="Welzijn").click()
    assert not page.locator("details.guide").evaluate("(el) => el.open")  # one fold at a time
    assert form_height(page) <= 2 * SCREEN
    assert_large_controls(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_parts_that_do_not_apply_are_hidden_from_the_first_paint(demo_phone):
    # without show_if.js (not yet run, or not loaded): the stylesheet alone hides the spoken
    # part until "Gesproken" is chosen, so the script causes no layout shift (Lighthouse CLS)
    page, base = demo_phone
    page.route("**/js/show_if.js", lambda route: route.abort())
    open_findings_sheet(page, base)
    spoken = page.get_by_role("heading", name="Als je de bewoner gesproken hebt")
    expect(spoken).to_be_hidden()
    expect(page.get_by_label("Kaartje in de bus gestoken")).to_be_hidden()
    page.get_by_label("Gesproken").check()
    expect(spoken).to_be_visible()
    expect(page.locator("input[name=consent_reference]")).to_be_hidden()
    page.get_by_label("Wil contact met de aanspreekpersoon").check()
    page.get_by_label("Ondertekende het papieren formulier").check()
    expect(page.locator("input[name=consent_reference]")).to_be_visible()


def _save_bar_position(page) -> str:
    return page.evaluate("getComputedStyle(document.querySelector('.save-bar')).position")


def test_the_save_bar_sticks_once_something_is_answered(demo_phone, embedded_app):
    """Before any answer it covers nothing (it would hide the last field in view, as
    Lighthouse found); from the first answer the save button stays at the bottom of the
    screen while the volunteer scrolls."""
    target_id = first_call_target(embedded_app)
    page, base = demo_phone
    log_in(page, base, "vrijwilliger@demo.fieldwork.be")
    page.goto(f"{base}/bellen/{target_id}")
    save = page.get_by_role("button", name="Bewaren")
    assert page.locator('[autocomplete="None"]').count() == 0  # a hint left unset is left out
    assert _save_bar_position(page) == "static"
    expect(save).not_to_be_in_viewport()
    page.get_by_label("Bereikt").check()
    assert _save_bar_position(page) == "sticky"
    expect(save).to_be_in_viewport()
    page.mouse.wheel(0, 600)
    expect(save).to_be_in_viewport()
