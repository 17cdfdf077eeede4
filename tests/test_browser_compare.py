"""Compare passages in a real chromium: reached from a result page without script, grouped by a
facet, a card per row on a phone, no axe violations at either width; screenshots for a person to look at."""
from __future__ import annotations

import pytest

from compare_world import PUBLICATIONS
from support import SCREENSHOTS
from test_browser import DESKTOP, PHONE, axe_violations, browser, open_page  # noqa: F401  (fixtures)
from web_world import served_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_site(tmp_path_factory.mktemp("compare-browser"), PUBLICATIONS) as url:
        yield url


def test_from_a_result_page_to_a_table_grouped_by_region_without_javascript(open_page, base_url):
    page = open_page(javascript=False)
    page.goto(base_url + "/?q=stackable")
    page.get_by_role("link", name="Compare passages").click()
    page.wait_for_url("**/compare?q=stackable")
    assert page.locator(".compare-table tbody tr").count() == 6

    page.get_by_label("Group by").select_option("region")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(lambda url: "by=region" in url and "q=stackable" in url)
    groups = page.locator(".compare-group h3").all_inner_texts()
    assert [g.split(" – ")[0] for g in groups] == ["Australia", "Ireland", "New Zealand", "Europe"]
    new_zealand = page.locator(".compare-group", has_text="New Zealand –")
    assert new_zealand.locator("tbody th a").all_inner_texts() == [
        "New Zealand micro-credential framework", "Trans-Tasman recognition of short courses"]
    assert new_zealand.locator("mark").first.inner_text() == "stackable"

    page.locator(".compare-group", has_text="Ireland –").locator("a[href*='/page/2?q=stackable']").click()
    page.wait_for_url("**/doc/ireland-framework/page/2?q=stackable#first-match")
    assert page.locator(".page-text mark").first.inner_text() == "stackable"


def test_on_a_phone_each_row_is_a_card_and_nothing_scrolls_sideways(open_page, base_url):
    page = open_page(viewport=PHONE)
    page.goto(base_url + "/compare?q=stackable&by=region")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    first = page.locator(".compare-table tbody tr").first
    assert first.evaluate("el => getComputedStyle(el).display") == "block"
    box, title = first.bounding_box(), first.locator("th a").bounding_box()
    passage = first.locator(".snippet").first.bounding_box()
    assert passage["y"] >= title["y"] + title["height"], "the passages stand under the title, not beside it"
    assert box["width"] <= PHONE["width"]
    assert first.get_by_text("Matching pages:").is_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_compare_pages_have_no_axe_violations(open_page, base_url, viewport):
    page = open_page(viewport=viewport, bypass_csp=True)
    found = {}
    for url in ["/compare?q=stackable&by=region", "/compare?q=stackable", "/compare?q=nothingmatchesthis",
                "/compare?q=stackable&sel=ireland-framework", "/compare"]:
        page.goto(base_url + url)
        found[url] = axe_violations(page)
    assert not any(found.values()), {url: v for url, v in found.items() if v}


def test_screenshots_of_the_compare_page(open_page, base_url):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("compare-desktop", DESKTOP), ("compare-phone", PHONE)):
        page = open_page(viewport=viewport)
        page.goto(base_url + "/compare?q=stackable&by=region")
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
