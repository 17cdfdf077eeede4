"""The `observatory` command as a curator uses it: add, build, search, status."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

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
