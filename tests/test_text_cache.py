"""The extracted-text cache is keyed by everything that shaped an entry, the limits too, and never
keeps a failure that was not the document's."""
from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from support import entry, make_pdf, write_catalog

from indexer import catalog, worker
from indexer.build import Builder, Outcome, build
from indexer.catalog import Record
from indexer.config import Settings
from indexer.fetch import Fetched
from indexer.search import SearchRequest, SearchService


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "cache")


def fetched(content: bytes) -> Fetched:
    return Fetched(content, "text", hashlib.sha256(content).hexdigest(), "file:///x.txt", True)


@pytest.mark.parametrize("full", [True, False], ids=["full build", "incremental build"])
def test_a_raised_document_limit_gives_the_whole_text_at_the_next_build(settings, doc_server, full):
    pages = ["Introduction to the framework.", "Annex on stackable apprenticeships."]
    write_catalog(settings.catalog, [entry("long", url=doc_server.add("/long.pdf", make_pdf(pages)))])
    short = replace(settings, max_document_chars=30)
    assert build(short, progress=False, jobs=1).failures[0]["group"] == "truncated"
    report = build(settings, progress=False, jobs=1, full=full)
    assert report.extractions == 1 and report.failures == []
    found = SearchService(settings.index_dir).search(SearchRequest.from_args({"q": "apprenticeships"}))
    assert [hit["id"] for hit in found["results"]] == ["long"]


class BrokenPool:
    """A pool that cannot run anything (as after a worker's crash broke it, or at shutdown)."""

    def schedule(self, *args, **kwargs):
        raise RuntimeError("the pool is not running")


def test_a_failure_of_the_pool_itself_is_not_cached_as_the_documents(settings):
    builder = Builder(settings, extractor="auto", pool=BrokenPool(), incremental=False)
    source = fetched(b"Quality assurance of short courses.")
    result = builder._extracted(source, "text", Outcome(id="a", meta_hash="m"))
    assert result["code"] == "other" and result["error"].startswith("extraction not run (RuntimeError")
    assert builder.texts.get(source.sha256) is None, "the next build extracts it"


def test_a_document_too_large_for_the_memory_limit_is_tried_again_with_more(settings):
    source = fetched(b"A decompression bomb, as far as the cache knows.")
    small = Builder(replace(settings, extract_memory_mb=450), extractor="auto", pool=BrokenPool(), incremental=False)
    small.texts.put(source.sha256, worker.too_large(450))
    assert small._cached(source.sha256)["code"] == "too-large", "the same limit would fail again"
    larger = Builder(replace(settings, extract_memory_mb=4000), extractor="auto", pool=BrokenPool(), incremental=False)
    assert larger._cached(source.sha256) is None


def test_renaming_a_type_label_changes_the_metadata_hash(monkeypatch):
    """The type's label is indexed (a search for "white paper" finds white papers), so the index must
    be rewritten when it changes."""
    record = Record.model_validate(entry("paper", type="white-paper"))
    before = record.metadata_hash()
    monkeypatch.setitem(catalog.DOCUMENT_TYPES, "white-paper", "Green paper")
    assert record.metadata_hash() != before
