"""Damage and faults heal: a full disk mid-build, a damaged live index, a manifest of the wrong shape,
a clock set back. Each leaves a servable index, and the next build repairs what needs repairing."""
from __future__ import annotations

import errno
import json
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from support import entry, make_pdf, write_catalog

from indexer import engine, layout
from indexer.build import build
from indexer.config import Settings
from indexer.layout import IndexRoot
from indexer.search import SearchRequest, SearchService
from webapp import create_app


@pytest.fixture
def world(tmp_path, doc_server):
    return _world(tmp_path, doc_server)


@pytest.fixture
def world_of_large_files(tmp_path, doc_server, monkeypatch):
    """Every file counts as large: the check when a version is opened reads 16 bytes at each end of
    a file, so damage between them is met by the searches that read it, as in a large segment."""
    monkeypatch.setattr(layout, "_FINGERPRINT_BYTES", 16)
    return _world(tmp_path, doc_server)


def _world(tmp_path, doc_server):
    settings = replace(Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index",
                                         cache=tmp_path / "cache"), http_timeout=2.0, http_retries=0)
    entries = [
        entry("stack-report", title="Stackable credentials", regions=["Australia"],
              url=doc_server.add("/stack.pdf", make_pdf(["On the stackability of short courses"]))),
        entry("quality-framework", title="A quality framework", type="framework", section="policy",
              url=doc_server.add("/quality.pdf", make_pdf(["Quality assurance of micro-credentials"]))),
    ]
    write_catalog(settings.catalog, entries)
    build(settings, progress=False, jobs=1)
    return SimpleNamespace(settings=settings, entries=entries, server=doc_server)


def live(world) -> Path:
    return IndexRoot(world.settings.index_dir, engine.SCHEMA).current()


def ids(world, q: str) -> list[str]:
    found = SearchService(world.settings.index_dir).search(SearchRequest.from_args({"q": q}))
    return [hit["id"] for hit in found["results"]]


def test_a_full_disk_during_an_incremental_build_leaves_no_partial_segment_files(world, monkeypatch):
    before = sorted(path.name for path in live(world).iterdir())
    write_catalog(world.settings.catalog, [*world.entries, entry(
        "new-report", url=world.server.add("/new.pdf", make_pdf(["Apprenticeships and badges"])))])
    real_add = engine.Writer.add

    def add_then_disk_full(self, *args, **kwargs):
        real_add(self, *args, **kwargs)  # the new segments' files are begun ...
        raise OSError(errno.ENOSPC, "No space left on device")  # ... and then the disk is full

    monkeypatch.setattr(engine.Writer, "add", add_then_disk_full)
    with pytest.raises(OSError):
        build(world.settings, progress=False, jobs=1)
    monkeypatch.undo()
    after = sorted(path.name for path in live(world).iterdir())
    assert after == before
    assert ids(world, "stackability") == ["stack-report"]
    build(world.settings, progress=False, jobs=1)
    assert ids(world, "apprenticeships") == ["new-report"]


def test_a_disk_full_inside_the_engines_commit_leaves_no_scratch_files_either(world, monkeypatch):
    """The engine's writer keeps a scratch folder beside the segments until its commit ends; a commit
    that fails inside the engine leaves it, and a full disk stays full unless the build removes it."""
    from indexer.engine import writer

    before = sorted(path.name for path in live(world).iterdir())
    write_catalog(world.settings.catalog, [*world.entries, entry(
        "new-report", url=world.server.add("/new.pdf", make_pdf(["Apprenticeships and badges"])))])

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "merge_small_segments", disk_full)  # called by the commit itself
    with pytest.raises(OSError):
        build(world.settings, progress=False, jobs=1)
    monkeypatch.undo()
    assert sorted(path.name for path in live(world).iterdir()) == before
    build(world.settings, progress=False, jobs=1)
    assert ids(world, "apprenticeships") == ["new-report"]


def _truncate_postings(version: Path) -> None:
    postings = max(version.glob("pubs_*.pst"), key=lambda path: path.stat().st_size)
    postings.write_bytes(postings.read_bytes()[: postings.stat().st_size // 2])


def _garble_terms(version: Path) -> None:
    terms = max(version.glob("pubs_*.trm"), key=lambda path: path.stat().st_size)
    terms.write_bytes(b"\x00garbage" * (terms.stat().st_size // 8) + b"\x00" * (terms.stat().st_size % 8))


def _delete_a_column(version: Path) -> None:
    next(version.glob("pubs_*.year.col")).unlink()


@pytest.mark.parametrize("damage", [_truncate_postings, _garble_terms, _delete_a_column],
                         ids=["truncated postings", "garbled terms", "deleted column file"])
def test_a_damaged_live_index_is_served_as_503_and_the_next_build_rebuilds_it_in_full(world, damage):
    damage(live(world))
    client = create_app(world.settings, TESTING=True).test_client()
    for path in ("/?q=stackability", "/api/search?q=quality", "/doc/stack-report"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
    report = build(world.settings, progress=False, jobs=1)
    assert report.full and report.rebuilt_because.startswith("the live index is damaged (pubs_")
    assert ids(world, "stackability") == ["stack-report"]
    assert client.get("/?q=stackability").status_code == 200


def _garble_the_middle(version: Path, pattern: str) -> Path:
    """The bytes of the largest `pattern` file between its fingerprinted ends overwritten; its size kept."""
    target = max(version.glob(pattern), key=lambda path: path.stat().st_size)
    data = target.read_bytes()
    assert len(data) > 2 * layout._FINGERPRINT_BYTES + 8
    keep, middle = layout._FINGERPRINT_BYTES, len(data) - 2 * layout._FINGERPRINT_BYTES
    target.write_bytes(data[:keep] + (bytes(range(256)) * (middle // 256 + 1))[:middle] + data[-keep:])
    return target


#: Every route that reads the index: the search page and API, document and reading views, a citation,
#: feeds, an export, trends, compare, a facet's page.
READING_ROUTES = ("/", "/?q=stackability", "/api/search?q=quality", "/doc/stack-report?q=stackability",
                  "/doc/stack-report/page/1?q=stackability", "/doc/stack-report/cite.ris", "/feed.atom",
                  "/search.atom?q=quality", "/export.csv?q=quality", "/trends?q=quality", "/compare?q=quality",
                  "/api/compare?q=quality", "/facet/region")


def assert_unreadable(response, route: str) -> None:
    assert response.status_code == 503, (route, response.status_code)
    assert response.headers["Retry-After"] == "30", route


@pytest.mark.parametrize("route", READING_ROUTES)
def test_damage_between_the_ends_of_the_stored_fields_is_a_503_on_every_route(world_of_large_files, route, caplog):
    """Each route meets the damage itself (a fresh app each time): whatever the bytes make the engine
    raise while reading, the answer is the unreadable index's 503, logged for the operator."""
    garbled = _garble_the_middle(live(world_of_large_files), "pubs_*._stored.col")
    assert engine.damage(live(world_of_large_files)) is None  # the check at open cannot see it
    client = create_app(world_of_large_files.settings, TESTING=True).test_client()
    assert_unreadable(client.get(route), route)
    assert f"the search index cannot be read: {garbled.parent}: {garbled.name} is not what was written" in caplog.text


@pytest.mark.parametrize("pattern", ["pubs_*.pst", "pubs_*._stored.col"], ids=["postings", "stored fields column"])
def test_damage_found_by_a_search_makes_every_route_a_503_until_the_next_build_rebuilds_in_full(
        world_of_large_files, pattern):
    world = world_of_large_files
    garbled = _garble_the_middle(live(world), pattern)
    client = create_app(world.settings, TESTING=True).test_client()
    assert_unreadable(client.get("/api/search?q=stackability"), "/api/search?q=stackability")
    for route in READING_ROUTES:  # found once, the version is unreadable for every request
        assert_unreadable(client.get(route), route)
    report = build(world.settings, progress=False, jobs=1)
    assert report.full
    assert report.rebuilt_because == f"the live index is damaged ({garbled.name} is not what was written)"
    assert ids(world, "stackability") == ["stack-report"]
    for route in READING_ROUTES:
        assert client.get(route).status_code == 200, route


def test_a_build_reads_every_file_in_full_before_building_on_the_live_version(world_of_large_files):
    """Damage no search may ever read (a column's values garbled into other valid values) is found by the
    build, which reads all the bytes, and replaced instead of built on."""
    garbled = _garble_the_middle(live(world_of_large_files), "pubs_*.title_sort.col")
    report = build(world_of_large_files.settings, progress=False, jobs=1)
    assert report.full
    assert report.rebuilt_because == f"the live index is damaged ({garbled.name} is not what was written)"


@pytest.mark.parametrize("manifest", [[1, 2], {"stack-report": 7}, {"stack-report": {"meta_hash": 5}},
                                      {"stack-report": {"status": "full_text"}}],
                         ids=["a list", "an entry not a mapping", "a field of the wrong type", "fields missing"])
def test_a_manifest_of_the_wrong_shape_counts_as_absent(world, manifest):
    (live(world) / layout.MANIFEST).write_text(json.dumps(manifest))
    client = create_app(world.settings, TESTING=True).test_client()
    for path in ("/", "/?q=stackability", "/doc/stack-report", "/status", "/status.csv"):
        assert client.get(path).status_code == 200, path
    report = build(world.settings, progress=False, jobs=1)
    assert report.full and report.rebuilt_because == "the live index has no readable manifest"
    assert report.full_text == 2


def test_versions_are_ordered_by_build_not_by_the_clock(world, monkeypatch):
    """The clock set back six hours between builds: the version that was live before the last build
    is the one kept beside it, and the older one is deleted."""
    root = IndexRoot(world.settings.index_dir, engine.SCHEMA)
    first = root.current().name
    clock = iter(["20261204-120000", "20261204-120100"])
    nanoseconds = iter([900_000_000, 100_000_000])
    monkeypatch.setattr(layout, "time", SimpleNamespace(strftime=lambda fmt: next(clock),
                                                        time_ns=lambda: next(nanoseconds), time=time.time))
    build(world.settings, progress=False, jobs=1, full=True)
    second = root.current().name
    build(world.settings, progress=False, jobs=1, full=True)
    third = root.current().name
    assert len({first, second, third}) == 3
    assert sorted(path.name for path in world.settings.index_dir.glob("v-*")) == sorted([second, third])
    assert ids(world, "stackability") == ["stack-report"]


def test_the_version_live_before_a_build_is_kept_even_when_put_live_again_by_hand(world):
    """An operator rolls back to an older version by pointing `current` at it; the next full build
    keeps that one (a worker may still serve it), not the newer one nobody serves."""
    root = IndexRoot(world.settings.index_dir, engine.SCHEMA)
    first = root.current().name
    build(world.settings, progress=False, jobs=1, full=True)
    second = root.current().name
    root.current_link.unlink()
    root.current_link.symlink_to(first)  # the rollback
    build(world.settings, progress=False, jobs=1, full=True)
    third = root.current().name
    assert sorted(path.name for path in world.settings.index_dir.glob("v-*")) == sorted([first, third])
    assert second not in (first, third)
