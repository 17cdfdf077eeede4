"""One model per concept: what the index stores, caches and reports cannot disagree with itself."""
from __future__ import annotations

from indexer import engine
from indexer.catalog import DOCUMENT_TYPES
from indexer.search import SearchService
from indexer.status import status_report
from support import entry, make_pdf
from test_build import three_reports, world  # noqa: F401  (fixture)


def test_a_change_of_analysis_re_extracts_instead_of_reusing_cached_stems(world, monkeypatch):
    world.write(three_reports(world))
    assert world.build().extractions == 3
    assert world.build().extractions == 0, "same analysis: the cached terms serve"
    monkeypatch.setattr(engine, "ANALYSIS_VERSION", engine.ANALYSIS_VERSION + 1)
    monkeypatch.setattr(engine, "SCHEMA", f"{engine.SCHEMA_VERSION}.{engine.ANALYSIS_VERSION}")
    report = world.build()
    assert report.full and report.extractions == 3, "an index of other stems is rebuilt from fresh terms"
    assert world.ids("stackability") == ["stack-report"]


def test_a_renamed_label_shows_everywhere_without_a_rebuild(world, monkeypatch):
    world.write(three_reports(world))
    world.build()
    monkeypatch.setitem(DOCUMENT_TYPES, "framework", "Quality framework or recommendation")
    result = world.search("quality")
    [hit] = [h for h in result["results"] if h["id"] == "quality-framework"]
    assert hit["type_label"] == "Quality framework or recommendation"
    assert {v["value"]: v["label"] for v in result["facets"]["type"]}["framework"] == hit["type_label"]


def test_the_build_report_the_status_command_and_the_web_overview_list_the_same_failures(world):
    world.write([*three_reports(world), entry("dead", url=world.server.url("/gone.pdf")),
                 entry("no-link", title="Unlinked")])
    report = world.build()
    listed = [(f["id"], f["reason"]) for f in report.failures]
    assert listed == [("dead", "HTTP 404 Not Found"), ("no-link", "no source link (catalog says link: missing)")]
    assert [(f["id"], f["reason"]) for f in status_report(world.settings)["failures"]] == listed
    assert [(f["id"], f["reason"]) for f in SearchService(world.settings.index_dir).overview()["failures"]] == listed


def test_an_incremental_build_adds_its_words_to_the_vocabulary_without_recounting_every_page(world, monkeypatch):
    from indexer import spelling
    from indexer.layout import IndexRoot

    reports = three_reports(world)
    world.write(reports)
    world.build()
    world.write([*reports, entry("new", url=world.server.add("/new.pdf", make_pdf(
        ["Interoperability of learner wallets"])))])

    def recount(reader):
        raise AssertionError("an incremental build must not recount every page")

    monkeypatch.setattr(spelling, "_texts", recount)
    assert world.build().written == 1
    version = IndexRoot(world.settings.index_dir, engine.SCHEMA).current()
    counts = spelling._stored(version, None).counts
    assert counts["interoperability"] >= 1 and counts["stackability"] >= 1
