"""The researchers' journeys in a real chromium: keeping one's place, citing, following a search,
reading; at desktop and phone width, without JavaScript and by keyboard. Screenshots go to
build/screenshots/researchers-*.png."""
from __future__ import annotations

import pytest

from support import SCREENSHOTS
from test_browser import DESKTOP, PHONE, base_url, browser, open_page  # noqa: F401  (the shared fixtures)

pytestmark = pytest.mark.browser


def _shot(page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"researchers-{name}.png"), full_page=full_page)


def test_without_script_apply_filters_stays_in_sight_and_empty_fields_leave_no_trace(open_page, base_url):
    page = open_page(javascript=False)
    page.goto(base_url + "/?q=micro-credentials")
    box = page.locator("#facet-language input[type=checkbox]").first
    box.scroll_into_view_if_needed()
    box.check()
    apply = page.get_by_role("button", name="Apply filters")
    top, bottom = apply.bounding_box()["y"], apply.bounding_box()["y"] + apply.bounding_box()["height"]
    assert 0 <= top and bottom <= DESKTOP["height"], "the button is in the window next to the ticked box"
    _shot(page, "nojs-apply-filters")
    apply.click()
    page.wait_for_url(lambda url: "language=" in url)
    assert "year_from=" not in page.url and "year_to=" not in page.url


def test_on_a_phone_the_ticked_box_keeps_its_place_clear_of_the_sticky_bar(open_page, base_url):
    page = open_page(viewport=PHONE)
    page.goto(base_url + "/?q=micro-credentials")
    page.locator("details.filter-panel > summary").click()
    box = page.locator("#facet-language input[type=checkbox]").first
    box.scroll_into_view_if_needed()
    box_id = box.get_attribute("id")
    box.check()
    page.wait_for_url(lambda url: "language=" in url)
    page.wait_for_function(f"document.activeElement && document.activeElement.id === {box_id!r}")
    focused = page.evaluate("(() => { const r = document.activeElement.getBoundingClientRect(); return [r.top, r.bottom]; })()")
    bar = page.locator(".show-results").bounding_box()
    assert page.evaluate("window.scrollY") > 0, "not back at the top"
    assert focused[0] >= 0 and focused[1] <= bar["y"], "the focused box is above the sticky bar"
    _shot(page, "phone-facet-kept")


def test_by_keyboard_a_result_leads_to_its_neighbours_and_back_with_the_whole_search(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/?q=micro-credentials&region=Europe")
    page.locator(".result h3 a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/doc/**")
    assert "Result 1 of" in page.locator(".result-nav").inner_text()
    page.get_by_role("link", name="Next result ›").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.result-nav').innerText.includes('Result 2 of')")
    _shot(page, "doc-result-2")
    page.get_by_role("link", name="‹ Back to results").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "region=Europe" in url and "/doc/" not in url)
    assert "for “micro-credentials”" in page.locator("#results-heading").inner_text()


def test_a_document_page_offers_its_metadata_and_citations(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/doc/oecd-quality-and-value")
    assert page.locator('meta[name="citation_title"]').get_attribute("content") == \
        "Quality and value of micro-credentials in higher education"
    assert page.locator('script[type="application/ld+json"]').count() == 1
    page.locator("#cite").scroll_into_view_if_needed()
    _shot(page, "doc-cite")


@pytest.mark.parametrize("viewport, name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_reading_facet_list_and_follow_pages(open_page, base_url, viewport, name):
    page = open_page(viewport=viewport, javascript=name == "desktop")
    page.goto(base_url + "/doc/oecd-quality-and-value/page/1?q=policy")
    assert page.locator("#page-text p").count() >= 1
    assert page.get_by_role("link", name="Page 2 ›").count() == 2
    _shot(page, f"reading-{name}", full_page=True)
    page.goto(base_url + "/facet/organisation?q=micro-credentials")
    page.get_by_label("Show only values containing").fill("council")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(lambda url: "filter=council" in url)
    assert page.locator("input[name=organisation]").count() >= 1
    assert page.get_by_role("button", name="Apply").first.is_visible(), "with or without script"
    _shot(page, f"facet-{name}", full_page=True)
    page.goto(base_url + "/?q=micro-credentials")
    page.get_by_role("link", name="Follow this search").click()
    assert page.get_by_label("Feed address").input_value().endswith("/search.atom?q=micro-credentials")
    _shot(page, f"follow-{name}")


@pytest.mark.parametrize("javascript", [True, False])
def test_ticks_on_two_pages_and_a_new_sort_all_reach_the_export(open_page, base_url, javascript):
    page = open_page(javascript=javascript)
    page.goto(base_url + "/?per_page=3")
    first = page.locator("input[name=sel]").first.get_attribute("value")
    page.locator("input[name=sel]").first.check()
    if not javascript:
        page.get_by_role("button", name="Keep the ticks while changing page or sort").click()
        page.wait_for_url(lambda url: "sel=" in url)
    page.get_by_role("link", name="Next ›").click()
    page.wait_for_url(lambda url: "page=2" in url)
    second = page.locator("input[name=sel]").first.get_attribute("value")
    page.locator("input[name=sel]").first.check()
    if not javascript:
        page.get_by_role("button", name="Keep the ticks while changing page or sort").click()
        page.wait_for_url(lambda url: url.count("sel=") == 2)
    page.get_by_role("link", name="Title A–Z").click()
    page.wait_for_url(lambda url: "sort=title" in url)
    assert "(2)" in page.locator("#export-selected-label").inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="RIS of the ticked publications").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.count("TY  - ") == 2 and f"ID  - {first}" in text and f"ID  - {second}" in text
    page.get_by_role("link", name="Clear the 2 ticks").click()
    assert "sel=" not in page.url


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_new_pages_have_no_axe_violations(open_page, base_url, viewport):
    from test_browser import axe_violations
    page = open_page(viewport=viewport, bypass_csp=True)
    found = {}
    for url in ("/facet/organisation?q=micro-credentials", "/advanced", "/search/follow?q=badges",
                "/doc/oecd-quality-and-value?q=stackable&region=International", "/?year_from=2023&year_to=2021"):
        page.goto(base_url + url)
        found[url] = axe_violations(page)
    assert not any(found.values()), {url: v for url, v in found.items() if v}
