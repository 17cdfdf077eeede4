"""The curators' pages in a real chromium: the status to-do list and the suggestion form, desktop and phone.

Screenshots land in build/screenshots/ (git-ignored): they are for looking at, not for review diffs.
"""
from __future__ import annotations

import pytest

from indexer.suggestions import SuggestionQueue
from status_world import PROBLEM_IDS, build_problem_world
from support import SCREENSHOTS, DocServer, live_app
from test_browser import DESKTOP, PHONE, browser, open_page  # noqa: F401 (fixtures shared with the search tests)

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def world(tmp_path_factory):
    documents = DocServer()
    settings = build_problem_world(tmp_path_factory.mktemp("curators"), documents)
    with live_app(settings, SUGGEST_RATE_LIMIT="100 per minute") as url:
        yield settings, url
    documents.close()


@pytest.fixture
def base_url(world):
    return world[1]


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_a_curator_opens_one_group_and_downloads_it(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/status")
    groups = page.get_by_role("navigation", name=f"To do ({len(PROBLEM_IDS)})")
    assert groups.get_by_role("link").count() == len(PROBLEM_IDS) + 1, "a link per group, and the CSV"
    groups.get_by_role("link", name="Broken link 1").click()
    page.wait_for_url("**/status?reason=broken")
    assert page.get_by_role("heading", level=2, name="Broken link (1)").is_visible()
    rows = page.locator("table.problems tbody tr")
    assert rows.count() == 1 and "HTTP 404 Not Found" in rows.first.inner_text()
    csv = page.request.get(base_url + page.get_by_role("link", name="Download these as CSV").get_attribute("href"))
    assert csv.headers["content-type"].startswith("text/csv") and ",broken," in csv.text()
    _shot(page, "status-group-desktop")


def test_the_status_table_becomes_labelled_cards_on_a_phone(open_page, base_url):
    page = open_page(viewport=PHONE)
    page.goto(base_url + "/status")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    cell = page.locator("table.problems td[data-label='Problem']").first
    assert cell.evaluate("el => getComputedStyle(el, '::before').content") == '"Problem"'
    _shot(page, "status-phone")


def test_screenshot_of_the_status_overview(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/status")
    headings = page.locator(".problem-group h2").all_inner_texts()
    assert headings[0] == "Broken link (1)" and headings[-1] == "No link yet (1)"
    _shot(page, "status-desktop")


def test_a_reader_corrects_the_form_and_sends_a_suggestion(open_page, world):
    settings, base_url = world
    page = open_page(viewport=PHONE)
    page.goto(base_url + "/suggest")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Web address (URL)").fill("example.org/report")
    page.get_by_label("Year of publication").fill("2023")
    page.get_by_role("button", name="Send suggestion").click()
    summary = page.get_by_role("alert")
    assert "Enter the publication’s title." in summary.inner_text()
    assert page.get_by_label("Web address (URL)").input_value() == "example.org/report", "nothing typed is lost"
    _shot(page, "suggest-errors-phone")

    summary.get_by_role("link", name="Enter the publication’s title.").click()
    assert page.evaluate("document.activeElement.id") == "title"
    page.keyboard.type("Micro-credentials and the labour market")
    page.get_by_label("Web address (URL)").fill("https://example.org/report.pdf")
    page.get_by_label("Your e-mail (optional)").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send suggestion", "the honeypot is skipped"
    page.keyboard.press("Enter")
    page.wait_for_url("**/suggest?sent=1")
    assert page.get_by_role("status").inner_text().startswith("Thank you.")
    assert [s.title for s in SuggestionQueue(settings.suggestion_db).list()] == ["Micro-credentials and the labour market"]


def test_screenshot_of_the_empty_form(open_page, base_url):
    page = open_page()
    page.goto(base_url + "/suggest")
    box = page.get_by_label("Leave this field empty").bounding_box()
    assert box["x"] + box["width"] <= 0, "the honeypot is off-screen"
    _shot(page, "suggest-desktop")
