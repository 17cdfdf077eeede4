"""Spelling help in a real chromium: the correction notice and the search box's completions, with and
without JavaScript, operated by keyboard. Screenshots land in build/screenshots/."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from test_browser import DESKTOP, PHONE, SCREENSHOTS, axe_violations, browser, open_page  # noqa: F401 (fixtures)
from test_spelling import PUBLICATIONS
from web_world import served_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_site(tmp_path_factory.mktemp("browser-spelling"), PUBLICATIONS) as url:
        yield url


def query(page) -> dict:
    return dict(parse_qsl(urlsplit(page.url).query))


def box_state(page) -> dict:
    return page.locator("#q").evaluate("""box => ({expanded: box.getAttribute("aria-expanded"),
        active: box.getAttribute("aria-activedescendant"), role: box.getAttribute("role")})""")


def test_completions_are_chosen_with_the_arrow_keys_and_searched_with_enter(open_page, base_url):
    page = open_page()
    page.goto(base_url)
    box = page.get_by_role("combobox", name="Search the Micro-credential Observatory")
    box.press_sequentially("stac")
    options = page.get_by_role("option")
    options.first.wait_for()
    assert options.all_inner_texts()[0] == "stackability"
    assert box_state(page) == {"expanded": "true", "active": None, "role": "combobox"}

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    assert box_state(page)["active"] == second.get_attribute("id")
    assert second.get_attribute("aria-selected") == "true" and options.first.get_attribute("aria-selected") == "false"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "spelling-completions-desktop.png"))

    page.keyboard.press("Escape")
    assert page.locator("#q-suggestions").is_hidden()
    assert box_state(page) == {"expanded": "false", "active": None, "role": "combobox"}
    assert box.input_value() == "stac", "Escape closes the list and keeps what was typed"

    page.keyboard.press("ArrowUp")  # reopens on the last option
    chosen = options.last.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=" in url)
    assert query(page) == {"q": chosen}


def test_enter_without_a_chosen_completion_searches_what_was_typed(open_page, base_url):
    page = open_page(viewport=PHONE)
    page.goto(base_url)
    page.locator("#q").press_sequentially("recognition of pri")
    page.get_by_role("option", name="recognition of prior", exact=True).wait_for()
    page.screenshot(path=str(SCREENSHOTS / "spelling-completions-phone.png"))
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=" in url)
    assert query(page) == {"q": "recognition of pri"}


def test_a_completion_can_be_clicked(open_page, base_url):
    page = open_page()
    page.goto(base_url)
    page.locator("#q").press_sequentially("micro")
    page.get_by_role("option", name="micro-credentials", exact=True).click()
    page.wait_for_url(lambda url: "q=" in url)
    assert query(page) == {"q": "micro-credentials"}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_misspelt_search_shows_the_corrected_results_and_can_search_as_written(open_page, base_url, javascript):
    page = open_page(javascript=javascript)
    page.goto(base_url)
    box = page.locator("#q")
    assert box_state(page)["role"] == ("combobox" if javascript else None)
    box.fill("credentails")
    box.press("Enter")
    page.wait_for_url(lambda url: "credentails" in url)
    notice = page.locator(".notice-spelling")
    assert notice.inner_text() == "Showing results for credentials — search instead for credentails"
    assert box.input_value() == "credentials"
    assert page.locator("ol.results > li").count() > 0
    page.screenshot(path=str(SCREENSHOTS / f"spelling-corrected-{'js' if javascript else 'nojs'}.png"))

    notice.get_by_role("link", name="credentails").click()
    page.wait_for_url(lambda url: "spell=off" in url)
    assert page.locator("ol.results > li").count() == 0
    assert notice.inner_text() == "Did you mean credentials?"
    notice.get_by_role("link", name="credentials").click()
    page.wait_for_url(lambda url: "spell" not in url)
    assert page.locator("ol.results > li").count() > 0 and not notice.count()


def test_the_spelling_notice_and_the_open_completion_list_have_no_axe_violations(open_page, base_url):
    page = open_page(viewport=DESKTOP, bypass_csp=True)
    page.goto(base_url + "/?q=credentails")
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("stac")
    page.get_by_role("option").first.wait_for()
    page.keyboard.press("ArrowDown")
    assert axe_violations(page) == []
