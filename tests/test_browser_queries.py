"""Query syntax as a reader meets it in a real chromium: a quoted phrase, and "all the words"."""
from __future__ import annotations

import pytest

from indexer.build import build
from indexer.config import Settings
from support import entry, live_app, make_pdf, write_catalog
from test_browser import SCREENSHOTS, browser, open_page  # noqa: F401  (fixtures)
from test_queries import DOCS

pytestmark = pytest.mark.browser
PHRASE = '"half-life of roughly three years"'


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-queries")
    (root / "corpus" / "files").mkdir(parents=True)
    entries = []
    for doc_id, pages in DOCS.items():
        (root / "corpus" / "files" / f"{doc_id}.pdf").write_bytes(make_pdf(pages))
        entries.append(entry(doc_id, title=f"Report {doc_id.replace('-', ' ')}", path=f"files/{doc_id}.pdf"))
    settings = Settings.from_env(catalog=root / "corpus" / "catalog.yaml", index=root / "index", cache=root / "cache")
    write_catalog(settings.catalog, entries)
    build(settings, progress=False, jobs=1)
    with live_app(settings) as url:
        yield url


def test_a_phrase_shows_only_the_page_that_holds_it_and_folds_the_others(open_page, base_url):
    page = open_page()
    page.goto(base_url)
    page.get_by_label("Search the Micro-credential Observatory").fill(PHRASE)
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=*")
    result = page.locator(".result").filter(has_text="Report half life")
    assert [t.split("\n")[0] for t in result.locator(".page-ref").all_inner_texts()] == ["p. 3"]
    assert "half-life of roughly three years" in result.locator(".snippet").inner_text().lower()
    folded = result.get_by_role("link", name="3 more pages contain some of the words")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phrase-desktop.png"), full_page=True)
    folded.click()
    page.wait_for_url("**/doc/half-life?*")
    assert [t.split("\n")[0] for t in page.locator(".page-ref").all_inner_texts()] == ["p. 3"]


def test_several_words_offer_the_publications_with_all_of_them(open_page, base_url):
    page = open_page(javascript=False)
    page.goto(f"{base_url}/?q=credentials+employers")
    total = page.locator("#results-heading").inner_text()
    page.get_by_role("link", name="Show only those").click()
    page.wait_for_url("**match=all**")
    assert page.locator("#results-heading").inner_text() != total
    assert page.get_by_text("Showing publications with all the words").is_visible()
