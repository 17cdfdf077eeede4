"""Changing the catalog from the curators' screens: one entry's lines and nothing else, the catalog's
own messages per field, concurrent edits refused, uploads and links added, retired records cut out,
every change in the audit trail and indexed by a background build."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from curate_world import NAME, client, sign_in, token, world  # noqa: F401 (client, world: fixtures)
from indexer.additions import ConcurrentEdit, InvalidRecord, entry_hash, entry_lines, replace_record, retire_record
from indexer.catalog import load_catalog
from indexer.curators import CuratorStore
from indexer.search import SearchRequest, SearchService
from support import REAL_CATALOG, make_pdf
from test_additions import real_catalog  # noqa: F401 (the fixture)


def _split(path: Path, record_id: str) -> tuple[bytes, bytes, bytes]:
    """The file's bytes before the entry, the entry's own lines, and after it."""
    text = path.read_text(encoding="utf-8")
    first, end = entry_lines(text)[record_id]
    lines = text.splitlines(keepends=True)
    return tuple("".join(part).encode() for part in (lines[:first], lines[first:end], lines[end:]))


def test_an_edit_of_the_real_catalog_changes_that_entrys_lines_only(real_catalog):
    target = "heinnovate-role-of-mc-video-2021"  # between hand-written "# Link:" comments and blank lines
    before, entry, after = _split(real_catalog, target)
    record = next(r for r in load_catalog(real_catalog) if r.id == target)
    fields = {**record.model_dump(), "title": "HEInnovate: the role of micro-credentials (video)", "year": 2022}
    replace_record(real_catalog, target, fields, entry_hash(real_catalog, target))
    new_before, new_entry, new_after = _split(real_catalog, target)
    assert (new_before, new_after) == (before, after), "every other byte of the file is unchanged"
    assert new_entry != entry and b'title: "HEInnovate: the role of micro-credentials (video)"' in new_entry
    assert before.endswith(b"was not found.\n"), "the entry's # Link: comment stays above it"
    edited = next(r for r in load_catalog(real_catalog) if r.id == target)
    assert (edited.title, edited.year, edited.url) == (fields["title"], 2022, record.url)


def test_retiring_cuts_out_the_entry_with_its_comments_and_nothing_else(real_catalog):
    target = "heinnovate-role-of-mc-video-2021"
    text = real_catalog.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    first, end = entry_lines(text)[target]
    retire_record(real_catalog, target, entry_hash(real_catalog, target))
    expected = "".join([*lines[:first - 2], *lines[end + 1:]])  # two comment lines above, the blank line after
    assert real_catalog.read_text(encoding="utf-8") == expected
    assert target not in {r.id for r in load_catalog(real_catalog)}
    assert len(load_catalog(real_catalog)) == len(load_catalog(REAL_CATALOG)) - 1


def test_an_edit_made_after_someone_elses_is_refused_and_theirs_kept(real_catalog):
    target = "ontario-mc-quality-framework-2023"
    record = next(r for r in load_catalog(real_catalog) if r.id == target)
    opened = entry_hash(real_catalog, target)
    replace_record(real_catalog, target, {**record.model_dump(), "year": 2022}, opened)  # another curator saves
    with pytest.raises(ConcurrentEdit, match="changed by someone else"):
        replace_record(real_catalog, target, {**record.model_dump(), "title": "Mine"}, opened)
    kept = next(r for r in load_catalog(real_catalog) if r.id == target)
    assert (kept.year, kept.title) == (2022, record.title)


def test_an_invalid_edit_names_each_field_with_the_catalogs_message_and_writes_nothing(real_catalog):
    target = "ontario-mc-quality-framework-2023"
    record = next(r for r in load_catalog(real_catalog) if r.id == target)
    before = real_catalog.read_bytes()
    with pytest.raises(InvalidRecord) as err:
        replace_record(real_catalog, target, {**record.model_dump(), "year": "20x3", "regions": ["Atlantis"],
                                              "type": "novel"}, entry_hash(real_catalog, target))
    assert err.value.problems["year"] == ["must be a four-digit year, not '20x3'"]
    assert err.value.problems["regions"][0].startswith("unknown region(s) 'Atlantis'")
    assert err.value.problems["type"][0].startswith("'novel' is not a document type")
    assert real_catalog.read_bytes() == before


# ---------------------------------------------------------------- through the web app


def _wait_for_build(client) -> dict:
    runner = client.application.extensions["observatory.curate"].builds
    assert runner.wait(120), "the background build did not finish"
    return client.get("/curate/build.json").get_json()


def _form(client, path: str, **changes) -> dict:
    """The form at `path` as the browser would send it, with `changes`."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.values, self._textarea, self._select = {}, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "file", "submit"):
                self.values[a["name"]] = a.get("value", "")
            elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
                self.values[a["name"]] = "y"
            elif tag == "textarea":
                self._textarea = a["name"]
                self.values[a["name"]] = ""
            elif tag == "select":
                self._select = a["name"]
            elif tag == "option" and "selected" in a:
                self.values[self._select] = a.get("value", "")

        def handle_data(self, data):
            if self._textarea:
                self.values[self._textarea] += data.lstrip("\n") if not self.values[self._textarea] else data

        def handle_endtag(self, tag):
            if tag == "textarea":
                self._textarea = None

    parser = Fields()
    parser.feed(client.get(path).get_data(as_text=True))
    return {**parser.values, **changes}


def test_saving_the_form_changes_the_catalog_audits_and_builds(client, world):
    settings, _ = world
    form = _form(client, "/curate/record/fine-report", title="Micro-credentials in practice, revised")
    response = client.post("/curate/record/fine-report", data=form)
    assert response.status_code == 303
    assert next(r for r in load_catalog(settings.catalog) if r.id == "fine-report").title.endswith("revised")
    [entry] = CuratorStore(settings.suggestion_db).trail("fine-report")
    assert (entry.curator, entry.action, entry.detail) == (NAME, "edited", "title")
    build = _wait_for_build(client)
    assert build["state"] == "finished" and build["report"]["written"] == 1
    found = SearchService(settings.index_dir).search(SearchRequest(q="revised"))
    assert [r["id"] for r in found["results"]] == ["fine-report"]


def test_the_form_shows_the_catalogs_message_beside_each_wrong_field(client, world):
    settings, _ = world
    before = settings.catalog.read_bytes()
    response = client.post("/curate/record/fine-report", data=_form(client, "/curate/record/fine-report",
                                                                    year="20x3", regions="Atlantis"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<span class="error" id="year-error"><span class="visually-hidden">Error: </span>must be a four-digit year, not &#39;20x3&#39;</span>' in page
    assert "unknown region(s) &#39;Atlantis&#39;" in page and 'aria-invalid="true"' in page
    assert settings.catalog.read_bytes() == before


def test_a_concurrent_edit_in_the_browser_is_refused_with_a_message(client, world):
    settings, _ = world
    mine = _form(client, "/curate/record/fine-report", title="My title")
    theirs = _form(client, "/curate/record/fine-report", title="Their title")
    assert client.post("/curate/record/fine-report", data=theirs).status_code == 303
    response = client.post("/curate/record/fine-report", data=mine)
    assert response.status_code == 409
    assert "changed by someone else after you opened it" in response.get_data(as_text=True)
    assert next(r for r in load_catalog(settings.catalog) if r.id == "fine-report").title == "Their title"


def test_pasting_a_link_for_a_record_without_one(client, world):
    settings, server = world
    url = server.add("/badges.pdf", make_pdf(["Digital badges for employers: a webinar's slides."]))
    page = client.get("/status?reason=no-link").get_data(as_text=True)
    assert 'action="/curate/record/no-link-yet/link"' in page, "the status row has the field"
    response = client.post("/curate/record/no-link-yet/link", data={"csrf_token": token(page), "url": url})
    assert response.status_code == 303
    record = next(r for r in load_catalog(settings.catalog) if r.id == "no-link-yet")
    assert (record.url, record.link) == (url, None)
    assert _wait_for_build(client)["state"] == "finished"
    assert SearchService(settings.index_dir).search(SearchRequest(q="slides"))["total"] == 1


def test_retry_now_fetches_the_record_again_and_says_what_happened(client, world):
    settings, server = world
    page = client.get("/status").get_data(as_text=True)
    assert 'href="/curate/record/broken-link"' in page and 'action="/curate/record/broken-link/retry"' in page
    failing = client.post("/curate/record/broken-link/retry", data={"csrf_token": token(page)}, follow_redirects=True)
    assert "still failing (HTTP 404 Not Found)" in failing.get_data(as_text=True)
    server.add("/gone.pdf", make_pdf(["The national framework is back."]))
    works = client.post("/curate/record/broken-link/retry", data={"csrf_token": token(page)}, follow_redirects=True)
    assert "it works now" in works.get_data(as_text=True)
    assert _wait_for_build(client)["state"] == "finished"
    assert SearchService(settings.index_dir).search(SearchRequest(q="back"))["results"][0]["id"] == "broken-link"


def _add(client, **fields):
    page = client.get("/curate/add").get_data(as_text=True)
    data = {"csrf_token": token(page), "year": "2024", "section": "report", "type": "report", "regions": "Europe",
            "follow": "y", **fields}
    return client.post("/curate/add", data=data, content_type="multipart/form-data")


def test_an_uploaded_pdf_is_kept_beside_the_catalog_and_found_after_the_build(client, world):
    settings, _ = world
    body = make_pdf(["Quality assurance of short learning programmes in Portugal."])
    response = _add(client, title="Short learning programmes in Portugal", file=(io.BytesIO(body), "SLP.pdf"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/curate/record/"
                                                                                 "short-learning-programmes-in-portugal-2024")
    record = load_catalog(settings.catalog)[-1]
    assert record.path == "files/short-learning-programmes-in-portugal-2024.pdf"
    assert (settings.catalog.parent / record.path).read_bytes() == body
    assert _wait_for_build(client)["state"] == "finished"
    assert SearchService(settings.index_dir).search(SearchRequest(q="Portugal"))["results"][0]["id"] == record.id


def test_a_duplicate_upload_is_refused_showing_the_existing_record(client, world):
    settings, _ = world
    before = settings.catalog.read_bytes()
    same = (settings.catalog.parent / "files" / "local-copy.pdf").read_bytes()
    response = _add(client, title="A new name for the same file", file=(io.BytesIO(same), "copy.pdf"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Already in the catalog</strong> (same file content)" in page
    assert '<a href="/curate/record/local-copy">A report kept as a local file</a>' in page
    assert settings.catalog.read_bytes() == before


def test_adding_by_link_and_a_duplicate_link(client, world):
    settings, server = world
    url = server.add("/new.pdf", make_pdf(["Employers and micro-credentials."]))
    assert _add(client, title="Employers and micro-credentials", url=url).status_code == 303
    again = _add(client, title="Something else entirely", url=url)
    assert again.status_code == 200 and "(same URL)" in again.get_data(as_text=True)
    assert [r.url for r in load_catalog(settings.catalog)].count(url) == 1


def test_retiring_from_the_browser_removes_the_record_and_keeps_its_file(client, world):
    settings, _ = world
    page = client.get("/curate/record/local-copy").get_data(as_text=True)
    form = {"csrf_token": token(page), "entry_hash": entry_hash(settings.catalog, "local-copy")}
    unconfirmed = client.post("/curate/record/local-copy/retire", data=form, follow_redirects=True)
    assert "to retire it" in unconfirmed.get_data(as_text=True)
    assert "local-copy" in {r.id for r in load_catalog(settings.catalog)}
    assert client.post("/curate/record/local-copy/retire", data={**form, "confirm": "yes"}).status_code == 303
    assert "local-copy" not in {r.id for r in load_catalog(settings.catalog)}
    assert (settings.catalog.parent / "files" / "local-copy.pdf").is_file()
    assert CuratorStore(settings.suggestion_db).trail("local-copy")[0].action == "retired"
    assert _wait_for_build(client)["report"]["removed"] == 1
    assert client.get("/curate/record/local-copy").status_code == 404


def test_the_dashboard_shows_groups_suggestions_gaps_and_the_last_build(client, world):
    settings, _ = world
    client.get("/?q=quantum+basket+weaving")
    client.get("/?q=Quantum%20%20Basket%20WEAVING")
    client.get("/?q=quantum+basket+weaving&region=Europe")  # not anywhere in the collection: a gap too
    client.get("/?q=stackable&region=Japan")                # found, but not in Japan: a narrowing, not a gap
    client.get("/?q=stackable")                             # found: not a gap
    page = client.get("/curate").get_data(as_text=True)
    assert '<a href="/status?reason=broken">Broken link</a> <span class="count">1</span>' in page
    assert '<a href="/status?reason=no-link">No link yet</a> <span class="count">1</span>' in page
    gaps = page.split('id="gaps-heading"', 1)[1]
    assert "<tr><td>quantum basket weaving</td><td>3</td></tr>" in gaps and gaps.count("<tr><td>") == 1
    assert "No build was started from these screens yet." in page and "The live index was last built at" in page


def test_a_broken_catalog_is_said_on_every_screen_instead_of_failing(client, world):
    settings, _ = world
    settings.catalog.write_text(settings.catalog.read_text() + "\n- id: Bad Id\n  title: x\n", encoding="utf-8")
    for path in ("/curate", "/curate/record/fine-report", "/curate/suggestions"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "The catalog is not valid" in response.get_data(as_text=True) and "Bad Id" in response.get_data(as_text=True)
