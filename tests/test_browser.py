"""The search page in a real chromium, with and without JavaScript, at desktop and phone widths.

Screenshots land in docs/screenshots/ so a change to the look is seen in review, not only tested.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from support import DocServer
from web_world import build_world
from webapp import create_app

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    documents = DocServer()
    world = build_world(tmp_path_factory.mktemp("browser"), documents)
    server = make_server("127.0.0.1", 0, create_app(world.settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    documents.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """A fresh context per test; console errors (CSP violations among them) fail the test."""
    contexts, errors = [], []

    def opener(viewport=DESKTOP, javascript=True):
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not errors, errors


def test_search_tick_a_facet_remove_its_chip_page_and_open_a_document(open_page, base_url):
    page = open_page()
    page.goto(base_url)
    page.get_by_label("Search the Micro-credential Observatory").fill("education")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=education")
    heading = page.locator("#results-heading")
    assert heading.inner_text().endswith("for “education”")

    page.locator("#f-type-report").check()                     # auto-submits
    page.wait_for_url("**/?q=education&type=report")
    assert page.evaluate("document.activeElement.id") == "f-type-report", "focus stays where the user was"
    types = page.locator(".result .meta div:nth-child(2) dd").all_inner_texts()
    assert types and all(t == "Report" for t in types)

    page.get_by_role("link", name="Document type: Report (remove)").click()
    page.wait_for_url("**/?q=education")
    assert page.locator("#f-type-report").is_checked() is False

    page.goto(base_url)
    page.get_by_role("link", name="Next ›").click()
    page.wait_for_url("**/?page=2")
    assert "page 2 of 2" in page.locator(".results-range").inner_text()
    page.go_back()
    page.wait_for_url(base_url + "/")
    assert "page 1 of 2" in page.locator(".results-range").inner_text()

    first = page.locator(".result h3 a").first
    title = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text() == title


def test_everything_works_without_javascript(open_page, base_url):
    page = open_page(javascript=False)
    page.goto(base_url)
    page.locator("#f-region-Europe").check()
    framework = page.locator("#f-type-framework")
    if not framework.is_visible():  # a long facet keeps its tail behind "more", a <details> that needs no script
        page.locator("#facet-type .facet-more summary").click()
    framework.check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(lambda url: "region=Europe" in url and "type=framework" in url)
    assert page.locator(".result h3").all_inner_texts() == [
        "Council Recommendation on a European approach to micro-credentials"]

    page.get_by_label("From year").fill("2021")
    page.get_by_role("button", name="Apply year range").click()
    page.wait_for_url(lambda url: "year_from=2021" in url)
    assert page.get_by_role("link", name="From: 2021 (remove)").is_visible()

    page.get_by_role("link", name="Document type: Framework or recommendation (remove)").click()
    page.get_by_role("link", name="Oldest").click()
    page.wait_for_url(lambda url: "sort=oldest" in url)
    assert page.locator(".result .meta dd").first.inner_text() == "2021"
    page.locator(".result h3 a").first.click()
    assert page.get_by_role("link", name="‹ Back to results").is_visible()


def test_keyboard_users_can_skip_to_results_and_always_see_the_focus(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/?q=education")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to results")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0, "the skip link shows when focused"
    page.keyboard.press("Enter")
    assert page.url.endswith("#results")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_phone_width_has_no_sideways_scrolling_and_filters_fold_away(open_page, base_url):
    page = open_page(viewport=PHONE)
    page.goto(base_url + "/?region=Europe")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    filters = page.locator("details.filter-panel")
    assert filters.evaluate("el => el.open") is False
    page.get_by_text("Filters (1 active)").click()
    assert page.locator("#f-region-Europe").is_visible()


def test_screenshots_of_the_search_page_and_document_view(open_page, base_url):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = [("search-desktop", DESKTOP, "/?q=micro-credentials&type=report&type=policy"),
             ("search-phone", PHONE, "/?q=micro-credentials&type=report&type=policy"),
             ("doc-desktop", DESKTOP, "/doc/oecd-quality-and-value?q=stackable"),
             ("doc-phone", PHONE, "/doc/oecd-quality-and-value?q=stackable")]
    for name, viewport, url in shots:
        page = open_page(viewport=viewport)
        page.goto(base_url + url)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
