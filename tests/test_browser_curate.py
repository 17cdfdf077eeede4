"""The curators' screens in a real chromium, desktop and phone: the journeys of issue 20, by keyboard
where a curator would use one, each screen checked with axe-core.

Sign in, fix a broken link, upload a PDF and find its text, accept a suggestion, import a Zotero RIS
export of 20 references (3 already catalogued), read what readers did not find, sign out.
Screenshots land in build/screenshots/curate-*.png (docs/CURATORS.md publishes some).
"""
from __future__ import annotations

import pytest

from curate_world import NAME, PASSWORD, build_curate_world
from indexer.catalog import load_catalog
from indexer.suggestions import SuggestionQueue
from ris_world import ris_export, with_doi_record
from support import SCREENSHOTS, DocServer, live_app, make_pdf
from test_browser import DESKTOP, PHONE, axe_violations, browser, open_page  # noqa: F401 (shared fixtures)

pytestmark = pytest.mark.browser
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
#: A background build of one record takes about a second here; this only bounds a hang.
BUILD_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = DocServer()
    settings = build_curate_world(tmp_path_factory.mktemp("browser-curate"), server)
    with live_app(settings, SUGGEST_RATE_LIMIT="100 per minute", CURATE_SIGN_IN_LIMIT="100 per minute",
                  CURATE_SIGN_IN_LIMIT_PER_NAME="100 per minute") as url:
        yield settings, server, url
    server.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"curate-{name}.png"), full_page=True)


def _fits(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "no sideways scrolling"


def _sign_in(page, url: str) -> None:
    page.goto(url + "/curate")
    page.get_by_label("Curator name").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/curate")


def _wait_for_the_build(page) -> None:
    page.locator("#build-status[data-state=finished]").wait_for(timeout=BUILD_TIMEOUT_MS)


@VIEWPORTS
def test_a_curator_signs_in_with_the_keyboard_and_signs_out(open_page, world, viewport):
    _, _, url = world
    page = open_page(viewport=viewport)
    page.goto(url + "/curate")
    page.wait_for_url("**/curate/sign-in?next=/curate")
    page.get_by_label("Curator name").focus()
    page.keyboard.type(NAME)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/curate")
    assert page.get_by_role("heading", level=1).inner_text() == "Curators’ dashboard"
    assert page.get_by_role("link", name="Broken link").is_visible()
    _fits(page, viewport)
    _shot(page, f"dashboard-{'phone' if viewport is PHONE else 'desktop'}")
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/curate/sign-in")
    assert page.get_by_role("status").inner_text() == "You are signed out."
    page.goto(url + "/curate")
    page.wait_for_url("**/curate/sign-in?next=/curate")


def test_a_wrong_password_is_said_and_nothing_else_is_shown(open_page, world):
    _, _, url = world
    page = open_page()
    page.goto(url + "/curate/sign-in")
    page.get_by_label("Curator name").fill(NAME)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "That name and password do not match an account."
    open_page.errors[:] = [e for e in open_page.errors if "status of 401" not in e]


def test_fix_a_broken_link_from_the_status_page(open_page, world):
    settings, server, url = world
    page = open_page()
    _sign_in(page, url)
    page.goto(url + "/status?reason=broken")
    page.get_by_role("link", name="Edit National framework for short courses").click()
    page.wait_for_url("**/curate/record/broken-link")
    assert "HTTP 404 Not Found" in page.locator(".record-problem").inner_text()
    page.get_by_label("Year").fill("20x1")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert").filter(has_text="Not saved")
    assert "Year: must be a four-digit year, not '20x1'" in summary.inner_text()
    _shot(page, "record-errors-desktop")
    summary.get_by_role("link", name="Year: must be a four-digit year, not '20x1'").click()
    assert page.evaluate("document.activeElement.id") == "year"
    page.keyboard.press("Control+A")
    page.keyboard.type("2021")
    moved = server.add("/moved/framework.pdf", make_pdf(["The national framework for short courses, moved."]))
    page.get_by_label("Link (URL)").fill(moved)
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").filter(has_text="Saved").is_visible()
    _wait_for_the_build(page)
    assert "1 written" in page.locator("#build-status").inner_text()
    page.goto(url + "/status")
    assert page.get_by_role("heading", name="Broken link (1)").count() == 0
    assert next(r for r in load_catalog(settings.catalog) if r.id == "broken-link").url == moved


@VIEWPORTS
def test_upload_a_pdf_and_find_its_text_seconds_later(open_page, world, viewport, tmp_path):
    settings, _, url = world
    word = "Azorean" if viewport is DESKTOP else "Madeiran"
    pdf = tmp_path / f"{word} report.pdf"
    pdf.write_bytes(make_pdf([f"Micro-credentials on the {word} islands: a survey of providers."]))
    page = open_page(viewport=viewport)
    _sign_in(page, url)
    page.get_by_role("link", name="Add a publication").click()
    page.get_by_label("Title").fill(f"Micro-credentials on the {word} islands")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("Section").select_option("report")
    page.get_by_label("Document type").select_option("survey")
    page.get_by_label("Regions").fill("Portugal")
    page.get_by_label("Or upload the file").set_input_files(str(pdf))
    _fits(page, viewport)
    _shot(page, f"add-{'phone' if viewport is PHONE else 'desktop'}")
    page.get_by_role("button", name="Add to the catalog").click()
    page.wait_for_url(f"**/curate/record/micro-credentials-on-the-{word.lower()}-islands-2024")
    _wait_for_the_build(page)
    page.goto(url + f"/?q={word}")
    first = page.locator(".result").first.inner_text()
    assert f"Micro-credentials on the {word} islands" in first and f"{word} islands: a survey of providers" in first, \
        "found by its text, with the snippet"


def test_accept_a_readers_suggestion(open_page, world):
    settings, server, url = world
    suggested = server.add("/suggested/rural.pdf", make_pdf(["Short courses for rural adult learners."]))
    reader = open_page()
    reader.goto(url + "/suggest")
    reader.get_by_label("Title").fill("Short courses for rural adult learners")
    reader.get_by_label("Web address (URL)").fill(suggested)
    reader.get_by_label("Year of publication").fill("2023")
    reader.get_by_role("button", name="Send suggestion").click()
    reader.wait_for_url("**/suggest?sent=1")

    page = open_page()
    _sign_in(page, url)
    page.get_by_role("link", name="Suggestions").first.click()
    item = page.locator(".suggestions li").filter(has_text="Short courses for rural adult learners")
    _shot(page, "suggestions-desktop")
    item.get_by_role("link", name="Accept…").click()
    assert page.get_by_label("Title").input_value() == "Short courses for rural adult learners"
    assert page.get_by_label("Link (URL)").input_value() == suggested
    page.get_by_label("Section").select_option("report")
    page.get_by_label("Document type").select_option("guide")
    page.get_by_label("Regions").fill("Ireland")
    page.get_by_role("button", name="Add to the catalog").click()
    page.wait_for_url("**/curate/record/short-courses-for-rural-adult-learners-2023")
    assert [s.state for s in SuggestionQueue(settings.suggestion_db).list(None)
            if s.url == suggested] == ["accepted"]
    _wait_for_the_build(page)


@VIEWPORTS
def test_import_a_zotero_ris_export_of_20_with_3_duplicates(open_page, world, viewport, tmp_path):
    settings, _, url = world
    fine = next(r for r in load_catalog(settings.catalog) if r.id == "fine-report")
    if viewport is DESKTOP:
        with_doi_record(settings)
    export = tmp_path / "Zotero export.ris"
    export.write_text(ris_export(fine.url), encoding="utf-8")
    page = open_page(viewport=viewport)
    _sign_in(page, url)
    page.get_by_role("link", name="Import references").click()
    page.get_by_label("Reference file").set_input_files(str(export))
    page.get_by_role("button", name="Preview").click()
    summary = page.locator("#import-summary").inner_text()
    _fits(page, viewport)
    _shot(page, f"import-preview-{'phone' if viewport is PHONE else 'desktop'}")
    before = len(load_catalog(settings.catalog))
    if viewport is DESKTOP:
        assert summary.startswith("20 entries: 17 ready to append, 3 duplicates")
        assert page.locator("tr.is-duplicate").count() == 3
        page.get_by_role("button", name="Append the ticked entries").click()
        page.wait_for_url(url + "/curate")
        assert page.get_by_role("status").filter(has_text="Appended 17 record(s)").is_visible()
        assert len(load_catalog(settings.catalog)) == before + 17
        _wait_for_the_build(page)
    else:  # after the desktop run every entry is a duplicate; alone, the same 17 are ready: never both
        ready, duplicates = page.locator("input[name=chosen]:checked").count(), page.locator("tr.is-duplicate").count()
        assert summary.startswith("20 entries:") and ready + duplicates == 20 and duplicates >= 3


def test_read_what_readers_did_not_find(open_page, world):
    _, _, url = world
    reader = open_page(viewport=PHONE)
    # Words far from the collection's (spelling help finds nothing either): one asked twice, in two spellings.
    for query in ("qqxv zzkw", "QQXV  Zzkw", "vvkq"):
        reader.goto(url + "/")
        reader.get_by_label("Search the Micro-credential Observatory").fill(query)
        with reader.expect_navigation():
            reader.keyboard.press("Enter")
        assert reader.locator("#results-heading").inner_text().startswith("0 publications")
    page = open_page()
    _sign_in(page, url)
    page.get_by_role("link", name="Not found by readers").click()
    rows = [row.split("\t")[:2] for row in page.locator("table.gaps tbody tr").all_inner_texts()]
    assert rows[:2] == [["qqxv zzkw", "2"], ["vvkq", "1"]]
    _shot(page, "gaps-desktop")


CURATOR_PAGES = ["/curate", "/curate/record/fine-report", "/curate/record/no-link-yet", "/curate/add",
                 "/curate/suggestions", "/curate/import", "/curate/gaps", "/curate/audit", "/status"]


@VIEWPORTS
def test_every_curator_screen_has_no_axe_violations(open_page, world, viewport):
    _, _, url = world
    page = open_page(viewport=viewport, bypass_csp=True)
    page.goto(url + "/curate/sign-in")
    found = {"/curate/sign-in": axe_violations(page)}
    _sign_in(page, url)
    for path in CURATOR_PAGES:
        page.goto(url + path)
        found[path] = axe_violations(page)
        _fits(page, viewport)
    page.goto(url + "/curate/record/fine-report")
    page.get_by_label("Year").fill("nineteen")
    page.get_by_role("button", name="Save").click()
    found["record with errors"] = axe_violations(page)
    assert not any(found.values()), {path: v for path, v in found.items() if v}
