"""Curators' synonyms and acronyms: validated at build, kept with the index version, applied at query time."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import synonyms
from indexer.build import build
from indexer.cli import cli
from indexer.config import Settings
from indexer.search import SearchRequest, SearchService
from tests.support import entry, write_catalog
from webapp import create_app

TEXTS = {
    "writes-rpl": "Universities use RPL to award credit for work experience. RPL panels meet monthly.",
    "spells-it-out": "The recognition of prior learning lets adults gain credit for what they already know.",
    "unrelated": "Digital badges record short courses taken online; learning is prior to any credential.",
    "moocs": "Massive Open Online Courses (MOOCs) reach many learners. MOOCs are cheap to attend.",
}
SYNONYMS = """\
acronyms:
  RPL: recognition of prior learning
equivalents:
  - [badge, badges, open badge, emblem]
"""


def _collection(root: Path, synonyms_text: str | None = SYNONYMS) -> Settings:
    files = root / "files"
    files.mkdir(parents=True)
    entries = []
    for doc_id, text in TEXTS.items():
        (files / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        entries.append(entry(doc_id, title=f"Report {doc_id.replace('-', ' ')}", path=f"files/{doc_id}.txt"))
    write_catalog(root / "catalog.yaml", entries)
    if synonyms_text is not None:
        (root / "synonyms.yaml").write_text(synonyms_text, encoding="utf-8")
    return Settings.from_env(catalog=root / "catalog.yaml", index=root / "index", cache=root / "cache")


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    settings = _collection(tmp_path_factory.mktemp("synonyms"))
    build(settings, full=True, progress=False)
    return settings


def _search(settings, **args) -> dict:
    return SearchService(settings.index_dir).search(SearchRequest.from_args(args))


def _ids(found: dict) -> list[str]:
    return [r["id"] for r in found["results"]]


def test_an_acronym_finds_the_report_that_spells_it_out_below_the_one_that_writes_it(settings):
    found = _search(settings, q="RPL")
    assert _ids(found) == ["writes-rpl", "spells-it-out"]
    assert found["expanded"] == ["recognition of prior learning"]
    # the long form is searched as a phrase: its words apart do not match
    assert "unrelated" not in _ids(found)
    assert "<mark>recognition</mark>" in found["results"][1]["snippets"][0]["html"]


def test_lower_case_acronyms_and_equivalent_words_expand_too(settings):
    assert _ids(_search(settings, q="rpl credit"))[:2] == ["writes-rpl", "spells-it-out"]
    found = _search(settings, q="badge")
    assert found["expanded"] == ["open badge", "emblem"]   # "badges" is the same word as "badge"


def test_expand_off_restores_the_plain_results(settings):
    plain = _search(settings, q="RPL", expand="off")
    assert _ids(plain) == ["writes-rpl"]
    assert plain["expanded"] == []
    assert _search(settings, q="credit")["expanded"] == []    # nothing to add: an empty list
    with pytest.raises(Exception, match="expand must be on or off"):
        SearchRequest.from_args({"q": "RPL", "expand": "maybe"})


def test_the_page_says_what_was_also_searched_and_links_to_the_plain_search(settings):
    client = create_app(settings).test_client()
    page = client.get("/?q=RPL").get_data(as_text=True)
    assert "Also searched: “recognition of prior learning”" in page
    assert 'href="/?q=RPL&amp;expand=off"' in page
    plain = client.get("/?q=RPL&expand=off").get_data(as_text=True)
    assert "Also searched" not in plain and 'name="expand" value="off"' in plain
    api = client.get("/api/search?q=RPL").get_json()
    assert api["expanded"] == ["recognition of prior learning"]
    assert client.get("/api/search?q=RPL&expand=nope").status_code == 400


def test_the_site_changes_with_the_next_build_not_before(tmp_path):
    settings = _collection(tmp_path)
    build(settings, full=True, progress=False)
    service = SearchService(settings.index_dir)
    assert service.search(SearchRequest(q="RPL"))["expanded"]
    (tmp_path / "synonyms.yaml").unlink()
    assert service.search(SearchRequest(q="RPL"))["expanded"], "the file is kept with the index version"
    build(settings, progress=False)   # incremental, nothing else changed
    assert service.search(SearchRequest(q="RPL"))["expanded"] == []


@pytest.mark.parametrize("text, problem", [
    ("acronyms:\n  RPL: [recognition, prior]\n", "acronyms: entry 'RPL': the long form must be text, not a list of 2"),
    ("acronyms:\n  RPL:\n", "acronyms: entry 'RPL': the long form must be text, not nothing"),
    ("acronyms:\n  two words: long form\n", "acronyms: entry 'two words': an acronym is one word"),
    ("acronyms:\n  QA: the\n", "acronyms: entry 'QA': the long form 'the' has only very common words"),
    ("equivalents:\n  - [badge]\n", "equivalents: entry 1: must be a list of at least two words, not a list of 1"),
    ("equivalents:\n  - [badge, badges]\n  - stackable\n", "equivalents: entry 2: must be a list of at least two"),
    ("acronym:\n  RPL: recognition\n", "'acronym': unknown section (allowed: acronyms, equivalents)"),
    ("- RPL\n", "the file must be a mapping"),
    ("acronyms: [", "not valid YAML"),
])
def test_a_malformed_synonyms_file_names_the_entry_and_what_is_wrong(tmp_path, text, problem):
    path = tmp_path / "synonyms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(synonyms.SynonymsError) as err:
        synonyms.load(path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_build_refuses_a_malformed_file_with_exit_2_and_leaves_the_index(tmp_path):
    settings = _collection(tmp_path, "acronyms:\n  RPL: [recognition, prior]\n")
    result = CliRunner().invoke(cli, ["--catalog", str(settings.catalog), "--index", str(settings.index_dir),
                                      "--cache", str(settings.cache_dir), "build", "--quiet"])
    assert result.exit_code == 2
    assert "synonyms file not valid, index left as it was" in result.output
    assert f"{tmp_path / 'synonyms.yaml'}" in result.output and "entry 'RPL'" in result.output
    assert not (settings.index_dir / "current").exists()


def test_no_file_no_effect(tmp_path):
    settings = _collection(tmp_path, None)
    build(settings, full=True, progress=False)
    found = SearchService(settings.index_dir).search(SearchRequest(q="RPL"))
    assert _ids(found) == ["writes-rpl"] and found["expanded"] == []


def test_suggest_proposes_definitions_from_the_text_with_counts_and_publications(settings):
    args = ["--catalog", str(settings.catalog), "--index", str(settings.index_dir), "synonyms", "suggest"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "  MOOCs: Massive Open Online Courses  # 1 page(s): moocs" in result.output
    assert "RPL:" not in result.output      # the file has it already
    found = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    assert found == [{"acronym": "MOOCs", "long_form": "Massive Open Online Courses", "count": 1,
                      "publications": ["moocs"]}]
    assert synonyms.load(synonyms.path_for(settings.catalog)).acronyms == {"RPL": "recognition of prior learning"}


def test_the_shipped_synonyms_file_is_valid():
    from tests.support import REAL_CATALOG
    found = synonyms.load(synonyms.path_for(REAL_CATALOG))
    assert {"RPL", "ECTS", "EQF", "MOOC", "EHEA", "QA"} <= set(found.acronyms)
