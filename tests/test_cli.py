"""The `observatory` command as a curator uses it: add, build, search, status."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from indexer.catalog import load_catalog
from webapp.cli import cli
from indexer.search import SearchRequest, SearchService
from support import entry, make_pdf, write_catalog


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_CATALOG", str(tmp_path / "corpus" / "catalog.yaml"))
    monkeypatch.setenv("OBSERVATORY_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("OBSERVATORY_CACHE", str(tmp_path / "cache"))
    runner = CliRunner()

    def invoke(*args, code=0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result
    return invoke


@pytest.fixture
def catalog(tmp_path, doc_server):
    path = tmp_path / "corpus" / "catalog.yaml"
    write_catalog(path, [entry("nz-approval", title="NZ approval of micro-credentials", regions=["New Zealand"],
                               url=doc_server.add("/nz.pdf", make_pdf(["Approval rules", "Credit values and levels"])))])
    path.write_text("# The Observatory catalog: curators keep notes here.\n" + path.read_text())
    return path


def test_add_appends_a_validated_record_keeping_comments_and_builds(run, catalog, tmp_path, doc_server):
    url = doc_server.add("/oecd.pdf", make_pdf(["Labour market training with micro-credentials"]))
    run("add", url, "--title", "Micro-credentials for labour market training", "--year", "2023",
        "--section", "report", "--type", "report", "--region", "International", "--organisation", "OECD", "--build")
    text = catalog.read_text()
    assert text.startswith("# The Observatory catalog")
    assert "id: micro-credentials-for-labour-market-training-2023" in text
    hits = json.loads(run("search", "labour", "--json").output)
    assert [h["id"] for h in hits["results"]] == ["micro-credentials-for-labour-market-training-2023"]
    assert hits["results"][0]["organisation"] == "OECD"


def test_add_refuses_an_invalid_record_and_leaves_the_catalog_alone(run, catalog):
    before = catalog.read_text()
    result = run("add", "https://example.org/x.pdf", "--title", "X", "--year", "2023", "--section", "report",
                 "--type", "report", "--region", "Atlantis", code=2)
    assert "unknown region(s) 'Atlantis'" in result.output
    assert catalog.read_text() == before


ADD_ARGS = ("--year", "2023", "--section", "report", "--type", "report", "--region", "International")


def test_add_records_authors_summary_and_the_date_added(run, catalog):
    run("add", "https://example.org/a.pdf", "--title", "Stackable credentials", *ADD_ARGS, "--author", "Ana Silva",
        "--author", "Bo Chen", "--summary", "Why stacking matters.", "--added", "2024-02-29")
    run("add", "https://example.org/b.pdf", "--title", "Portable credentials", *ADD_ARGS)
    stackable, portable = load_catalog(catalog)[-2:]
    assert (stackable.authors, stackable.summary, stackable.added) == (("Ana Silva", "Bo Chen"), "Why stacking matters.",
                                                                       dt.date(2024, 2, 29))
    assert portable.added == dt.date.today() and portable.authors == ()


def test_add_refuses_a_duplicate_showing_the_existing_record(run, catalog):
    before = catalog.read_text()
    result = run("add", "https://example.org/other.pdf", "--title", "NZ Approval of Micro-Credentials", *ADD_ARGS, code=2)
    assert "nz-approval" in result.output and "NZ approval of micro-credentials" in result.output
    assert catalog.read_text() == before


def test_add_on_an_invalid_catalog_says_so_without_a_traceback(run, catalog):
    catalog.write_text("- id: nz-approval\n  year: soon\n")
    result = run("add", "https://example.org/x.pdf", "--title", "X", *ADD_ARGS, code=2)
    assert "catalog is invalid" in result.output and "field 'year'" in result.output
    assert catalog.read_text() == "- id: nz-approval\n  year: soon\n"


def test_add_refuses_a_mistyped_catalog_path_unless_asked_to_create_it(run, catalog):
    mistyped = catalog.with_name("catalgo.yaml")
    result = run("--catalog", str(mistyped), "add", "https://example.org/x.pdf", "--title", "X", *ADD_ARGS, code=2)
    assert "no such catalog" in result.output and "--create" in result.output and not mistyped.exists()
    run("--catalog", str(mistyped), "add", "https://example.org/x.pdf", "--title", "X", *ADD_ARGS, "--create")
    assert [r.id for r in load_catalog(mistyped)] == ["x-2023"]


def test_search_json_is_exactly_the_search_service_answer(run, catalog, tmp_path):
    run("build", "--quiet")
    output = json.loads(run("search", "credit", "--region", "New Zealand", "--json").output)
    expected = SearchService(tmp_path / "index").search(
        SearchRequest(q="credit", filters={"regions": ("New Zealand",)}))
    assert output == json.loads(json.dumps(expected))
    assert {"total", "page", "per_page", "results", "facets"} <= set(output)
    assert output["results"][0]["snippets"][0]["page"] == 2


def test_search_text_output_shows_pages_and_bad_filters_are_errors(run, catalog):
    run("build", "--quiet")
    out = run("search", "credit").output
    assert "NZ approval of micro-credentials (2022) [nz-approval]" in out and "p. 2" in out
    assert "year must be a whole number" in run("search", "x", "--year", "abc", code=2).output


def test_build_reports_an_invalid_catalog_with_file_entry_and_field(run, catalog):
    catalog.write_text(catalog.read_text().replace("section: report", "section: blog"))
    result = run("build", "--quiet", code=2)
    assert str(catalog) in result.output and "entry 1 (id 'nz-approval'): field 'section'" in result.output


def test_status_before_and_after_a_build(run, catalog):
    assert "1 not yet built: nz-approval" in run("status").output
    run("build", "--quiet")
    status = json.loads(run("status", "--json").output)
    assert (status["entries"], status["full_text"], status["pending"]) == (1, 1, [])


def test_search_without_an_index_says_how_to_make_one(run, catalog):
    assert "run `observatory build` first" in run("search", "x", code=1).output


def test_a_malformed_setting_is_named_without_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("OBSERVATORY_HTTP_TIMEOUT", "abc")
    result = CliRunner().invoke(cli, ["--catalog", str(tmp_path / "c.yaml"), "status"])
    assert result.exit_code == 2 and "OBSERVATORY_HTTP_TIMEOUT='abc' is not a number" in result.output
    assert "Traceback" not in result.output
