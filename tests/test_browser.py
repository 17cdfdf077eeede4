"""The search page in a real chromium, with and without JavaScript, at desktop and phone widths.

Screenshots land in build/screenshots/ (git-ignored, so a test run leaves the work tree clean); every
page type is checked with axe-core (tests/package.json: `npm ci --prefix tests`).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from support import SCREENSHOTS, live_app
from web_world import served_world

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_world(tmp_path_factory.mktemp("browser")) as world, live_app(world.settings) as url:
        yield url


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

    def opener(viewport=DESKTOP, javascript=True, bypass_csp=False):
        """`bypass_csp` only for injecting axe-core, whose script the strict CSP rightly refuses."""
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript, bypass_csp=bypass_csp,
                                      permissions=["clipboard-read", "clipboard-write"] if javascript else [])
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    opener.errors = errors
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
    bylines = page.locator(".result .byline").all_inner_texts()
    assert bylines and all(" · Report" in line for line in bylines)

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
    assert " · 2021 · " in page.locator(".result .byline").first.inner_text()
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
    page.wait_for_url("**#results")
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


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA rules run on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"axe-core missing: run `npm ci --prefix tests` ({AXE})")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                                "best-practice"]})""")
    return [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:3]})" for v in result["violations"]]


PAGE_TYPES = ["/", "/?q=stackable&region=Europe", "/?q=nothingmatchesthis", "/doc/oecd-quality-and-value?q=stackable",
              "/doc/dead-link-report", "/doc/oecd-quality-and-value/page/3?q=stackable", "/trends?q=stackable&q=badges",
              "/trends?q=stackable&by=region", "/about", "/status", "/no-such-page"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_type_has_no_axe_violations(open_page, base_url, viewport):
    page = open_page(viewport=viewport, bypass_csp=True)
    found = {}
    for url in PAGE_TYPES:
        page.goto(base_url + url)
        found[url] = axe_violations(page)
    assert not any(found.values()), {url: v for url, v in found.items() if v}
    # The error page's own 404 status is the one console error expected here.
    open_page.errors[:] = [e for e in open_page.errors if "status of 404" not in e]


def test_a_result_page_link_opens_the_reading_view_with_the_words_marked(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/?q=stackable")
    page.locator(".result a[href$='/page/3?q=stackable#first-match']").click()
    page.wait_for_url("**/doc/oecd-quality-and-value/page/3?q=stackable#first-match")  # opens at the first mark
    assert page.locator(".page-text mark").first.inner_text() == "Stackable"
    assert page.get_by_role("link", name="Open the source at this page (PDF)").get_attribute("href").endswith("#page=3")
    page.get_by_role("link", name="Page 4 ›").first.click()  # above and below the text
    assert "Page 4 of 4" in page.locator("h1").inner_text()


def test_trends_draw_a_line_per_query_with_a_table(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/?q=stackable")
    page.get_by_role("link", name="This search over time").click()
    page.get_by_label("Query 2").fill("badges")
    page.get_by_role("button", name="Show trends").click()
    page.wait_for_url(lambda url: "q=badges" in url)
    assert page.locator("svg.trend-chart polyline").count() == 2
    assert page.locator(".trend-table tbody tr").count() >= 5


def test_on_a_phone_ticking_a_filter_then_show_results_lands_on_the_results(open_page, base_url):
    for javascript in (True, False):
        page = open_page(viewport=PHONE, javascript=javascript)
        page.goto(base_url + "/?q=micro-credentials")
        page.get_by_text("Filters").first.click() if javascript else None
        page.locator("#f-region-Europe").check()
        if javascript:
            page.wait_for_url(lambda url: "region=Europe" in url)
        show = page.locator(".show-results")
        assert show.is_visible()
        show.click()
        page.wait_for_url(lambda url: "region=Europe" in url and url.endswith("#results"))
        results_top = page.locator("#results").bounding_box()["y"]
        assert -5 <= results_top <= PHONE["height"] / 2, "the results are in view, not a panel above them"
        assert page.locator(".result h3").count() >= 1


def test_the_copy_button_copies_the_citation_and_without_javascript_the_text_is_there(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/doc/oecd-quality-and-value")
    page.get_by_role("button", name="Copy APA 7th citation").click()
    expected = page.locator("#cite-apa").inner_text().strip()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert "Copied" in page.get_by_role("button", name="Copied APA 7th citation").inner_text()
    static = open_page(javascript=False)
    static.goto(base_url + "/doc/oecd-quality-and-value")
    assert static.locator("button[data-copy]").first.is_hidden()
    assert static.locator("#cite-apa").inner_text().startswith("OECD. (2021).")


def test_screenshots_of_the_new_pages(open_page, base_url):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = [("reading-desktop", DESKTOP, "/doc/oecd-quality-and-value/page/3?q=stackable"),
             ("reading-phone", PHONE, "/doc/oecd-quality-and-value/page/3?q=stackable"),
             ("trends-desktop", DESKTOP, "/trends?q=stackable&q=badges&q=recognition"),
             ("trends-phone", PHONE, "/trends?q=stackable&by=region"),
             ("cite-desktop", DESKTOP, "/doc/digital-badges-review#cite"),
             ("filters-phone", PHONE, "/?q=micro-credentials&region=Europe#results")]
    for name, viewport, url in shots:
        page = open_page(viewport=viewport)
        page.goto(base_url + url)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=name.startswith(("trends", "reading")))
        assert path.stat().st_size > 10_000
