"""The curators' to-do list: every problem in exactly one group, the newest first, on the CLI and the web."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from indexer import engine, worker
from indexer.build import build
from indexer.config import Settings
from indexer.failures import Failure
from indexer.layout import IndexRoot, read_manifest
from indexer.status import GROUPS, classify, problem_groups, problem_since, problems, status_report
from status_world import PROBLEM_IDS, build_problem_world
from support import CRASHES, entry, extract_or_hang, make_pdf, write_catalog
from webapp import create_app

@pytest.fixture
def world(tmp_path, doc_server):
    return build_problem_world(tmp_path, doc_server)


def _cli(settings: Settings, *args: str) -> str:
    command = [sys.executable, "-m", "indexer", "--catalog", str(settings.catalog), "--index",
               str(settings.index_dir), "--cache", str(settings.cache_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_status_json_puts_every_problem_in_exactly_the_group_named_for_it(world):
    report = json.loads(_cli(world, "status", "--json"))
    groups = {g["reason"]: g for g in report["groups"]}
    assert [g["reason"] for g in report["groups"]] == [group.reason for group in GROUPS]
    for reason in PROBLEM_IDS:
        assert groups[reason]["ids"] == [reason], reason
        assert groups[reason]["count"] == 1 and groups[reason]["label"]
    assert groups["other"]["ids"] == []
    every_id = [i for g in report["groups"] for i in g["ids"]]
    assert sorted(every_id) == sorted(set(every_id)) and "fine" not in every_id


def test_each_problem_shows_what_went_wrong(world):
    reasons = {p["id"]: p for p in json.loads(_cli(world, "status", "--json"))["failures"]}
    assert reasons["broken"]["reason"] == "HTTP 404 Not Found"
    assert reasons["stale"]["reason"].startswith("HTTP 404 Not Found; indexed the copy fetched on ")
    assert reasons["stale"]["severity"] == "warning"
    assert reasons["redirected"]["final_url"].startswith("http://localhost:")
    assert reasons["redirected"]["reason"] == f"now at {reasons['redirected']['final_url']}"
    assert reasons["not-a-document"]["reason"] == "unsupported content (image/png)"
    assert reasons["encrypted"]["reason"] == "encrypted (password required)"
    assert reasons["needs-ocr"]["reason"] == "no text layer (scanned?)"
    assert all(p["checked"] for p in reasons.values()), "every row says when it was last checked"


def test_status_text_lists_the_groups_and_can_show_one(world):
    out = _cli(world, "status")
    assert out.index("Broken link (1)") < out.index("No link yet (1)")
    assert "  broken: HTTP 404 Not Found" in out
    only = _cli(world, "status", "--reason", "encrypted")
    assert "Encrypted (1)" in only and "Broken link" not in only


def test_a_problem_keeps_the_date_it_was_first_seen_while_it_lasts(world):
    manifest_since = {p["id"]: p["since"] for p in json.loads(_cli(world, "status", "--json"))["failures"]}
    build(world, progress=False, jobs=1)
    again = {p["id"]: p["since"] for p in json.loads(_cli(world, "status", "--json"))["failures"]}
    assert again == manifest_since


def test_problem_since_restarts_when_the_problem_changes_kind():
    record = {"id": "a", "title": "A", "url": "https://example.org/a.pdf"}
    broken = {"failure": "HTTP 404 Not Found", "failure_code": "broken", "checked": "2026-02-01T00:00:00+00:00"}
    earlier = {"failure": "HTTP 410 Gone", "failure_code": "broken", "checked": "2026-01-20T00:00:00+00:00",
               "problem_since": "2026-01-01T00:00:00+00:00"}
    assert problem_since(record, broken, earlier) == "2026-01-01T00:00:00+00:00"
    scanned = {"failure": "no text layer (scanned?)", "failure_code": "needs-ocr", "checked": "2026-02-01T00:00:00+00:00"}
    assert problem_since(record, scanned, earlier) == "2026-02-01T00:00:00+00:00"
    assert problem_since(record, {"failure": None, "checked": "2026-02-01T00:00:00+00:00",
                                  "url": record["url"]}, earlier) is None


def test_newest_problems_come_first_within_a_group():
    records = [{"id": i, "title": i.upper(), "url": f"https://example.org/{i}"} for i in ("old", "new", "mid")]
    manifest = {i: {"failure": "HTTP 404 Not Found", "failure_code": "broken", "problem_since": since,
                    "checked": "2026-03-01"}
                for i, since in (("old", "2025-01-01"), ("new", "2026-02-01"), ("mid", "2025-06-01"))}
    manifest["new"]["failure"] = "DNS lookup failed for example.org"
    [broken] = [g for g in problem_groups(problems(records, manifest)) if g["count"]]
    assert broken["reason"] == "broken" and broken["ids"] == ["new", "mid", "old"]


@pytest.mark.parametrize("entry_fields, group", [
    ({"failure": "something nobody has seen before", "failure_code": "other"}, "other"),
    ({"failure": "a failure of a build before failures had codes"}, "other"),
    ({"failure": "a code this version does not know", "failure_code": "gremlins"}, "other"),
    ({"failure": "HTTP 404 Not Found", "failure_code": "too-large"}, "too-large"),  # the code decides, not the words
    ({"failure": "timed out after 30 s", "failure_code": "broken"}, "broken"),
    ({"failure": "no text layer (scanned?)", "failure_code": "encrypted"}, "encrypted"),
    ({"failure": None, "needs_ocr": True, "url": "https://example.org/a.pdf"}, "needs-ocr"),
    ({"failure": None, "url": "https://example.org/"}, "redirected"),
    ({"failure": None, "url": "https://www.example.org/reports/a.pdf"}, None),
])
def test_a_failure_is_grouped_by_its_code_and_the_rest_by_the_manifest_facts(entry_fields, group):
    assert classify({"id": "a", "url": "https://example.org/a.pdf"}, entry_fields) == group


def test_every_failure_code_names_a_group():
    assert {code.value for code in Failure} <= {group.reason for group in GROUPS}


def test_a_transcript_only_record_with_text_has_nothing_to_fix_but_one_not_built_yet_has_no_link():
    record = {"id": "talk", "title": "A talk", "link": "missing", "transcript": "talk.vtt"}
    assert classify(record, {"failure": None, "status": "full_text", "pages": 2}) is None
    assert classify(record, None) == "no-link"


def test_failures_keep_their_codes_from_where_they_happen_to_the_status_report(tmp_path, doc_server):
    """An encrypted PDF without a text layer is encrypted (not "needs OCR"); a document that kills its
    extraction process is too large (as a bomb does under the memory limit), not "crashed"; a
    recording indexed from its transcript alone is not missing a link."""
    captions = tmp_path / "talk.vtt"
    captions.write_text("WEBVTT\n\n00:00.000 --> 00:04.000\nStackable badges for employers.\n")
    write_catalog(tmp_path / "catalog.yaml", [
        entry("locked-scan", url=doc_server.add("/locked-scan.pdf", make_pdf(["", ""], user_password=""))),
        entry("bomb", url=doc_server.add("/bomb.txt", CRASHES, "text/plain")),
        entry("talk", transcript="talk.vtt"),
    ])
    settings = Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "c")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(worker, "extract_job", extract_or_hang)
        build(settings, progress=False, jobs=1)
    groups = {group["reason"]: group["ids"] for group in status_report(settings)["groups"] if group["ids"]}
    assert groups == {"encrypted": ["locked-scan"], "too-large": ["bomb"]}
    manifest = read_manifest(IndexRoot(settings.index_dir, engine.SCHEMA).current())
    assert manifest["bomb"]["failure"].startswith("too large to extract (the extraction process died")
    assert manifest["talk"]["status"] == "full_text"


# ---------------------------------------------------------------- the web page


@pytest.fixture
def client(world):
    return create_app(world, TESTING=True, STATUS_PAGE_SIZE=1).test_client()


def test_the_status_page_shows_each_group_with_its_count_and_a_link_to_it(client):
    html = client.get("/status").get_data(as_text=True)
    assert "Status for curators" in html
    for group in GROUPS:
        if group.reason != "other":
            assert f'href="/status?reason={group.reason}"' in html
            assert f"{group.label}" in html


def test_a_group_page_lists_only_that_group_paged(client, world):
    html = client.get("/status?reason=broken").get_data(as_text=True)
    assert "Broken link (1)" in html and "HTTP 404 Not Found" in html
    assert "unsupported content" not in html
    assert client.get("/status?reason=broken&page=2").status_code == 404
    assert client.get("/status?reason=no-such-thing").status_code == 404
    assert client.get("/status?reason=broken&page=x").status_code == 400


def test_a_group_of_many_is_split_into_pages(tmp_path):
    settings = Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "c")
    write_catalog(settings.catalog, [entry(f"rec-{n}") for n in range(5)])
    build(settings, progress=False, jobs=1)
    client = create_app(settings, TESTING=True, STATUS_PAGE_SIZE=2).test_client()
    pages = [client.get(f"/status?reason=no-link&page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    shown = [[f"rec-{n}" for n in range(5) if f"<code>rec-{n}</code>" in page] for page in pages]
    assert [len(ids) for ids in shown] == [2, 2, 1] and sorted(sum(shown, [])) == [f"rec-{n}" for n in range(5)]
    assert "page 2 of 3" in pages[1] and 'rel="next"' in pages[1] and 'rel="prev"' in pages[1]


def test_the_csv_export_has_every_problem_or_one_group(client):
    response = client.get("/status.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == len(PROBLEM_IDS) and {row["group"] for row in rows} >= {"broken", "stale", "no-link"}
    broken = next(row for row in rows if row["id"] == "broken")
    assert broken["reason"] == "HTTP 404 Not Found" and broken["checked"] and broken["link"].endswith("/doc/broken")
    only = list(csv.DictReader(io.StringIO(client.get("/status.csv?reason=stale").get_data(as_text=True))))
    assert [row["id"] for row in only] == ["stale"]
