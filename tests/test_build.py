"""`observatory build`: every entry becomes searchable, rebuilds touch only what changed, failures never stop it."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from indexer.build import build
from indexer.catalog import CatalogError
from indexer.config import Settings
from indexer.search import SearchRequest, SearchService
from indexer import engine, worker
from indexer.analysis import index_terms
from indexer.layout import BuildInProgress, IndexRoot
from support import HANGS, SHARED, entry, extract_or_hang, make_pdf, write_catalog

from webapp import create_app


@pytest.fixture
def world(tmp_path, doc_server):
    """A catalog served by the local document server, and settings pointing into tmp_path."""

    class World:
        server = doc_server
        settings = replace(Settings.from_env(catalog=tmp_path / "corpus" / "catalog.yaml", index=tmp_path / "index",
                                             cache=tmp_path / "cache"), http_timeout=2.0, http_retries=1)
        entries: list[dict] = []

        def write(self, entries):
            self.entries = entries
            write_catalog(self.settings.catalog, entries)

        def build(self, **kw):
            return build(self.settings, progress=False, jobs=2, **kw)

        def search(self, q="", **args):
            return SearchService(self.settings.index_dir).search(SearchRequest.from_args({"q": q, **args}))

        def ids(self, q="", **args):
            return [hit["id"] for hit in self.search(q, **args)["results"]]

    return World()


def three_reports(world) -> list[dict]:
    s = world.server
    return [
        entry("stack-report", title="Stackable credentials in Australia", regions=["Australia"],
              url=s.add("/stack.pdf", make_pdf(["Introduction", "On the stackability of short courses", "Annex"]))),
        entry("quality-framework", title="A quality framework", type="framework", section="policy",
              regions=["Europe"], url=s.add("/quality.pdf", make_pdf(["Quality assurance of micro-credentials"]))),
        entry("blog-post", title="A blog post", type="commentary", section="article", regions=["Canada"],
              url=s.add("/blog.html", "<html><head><title>B</title></head><body><nav>Home Menu</nav><main>"
                        "<p>Employers value digital badges earned alongside work, according to our survey "
                        "of hiring managers across the provinces.</p></main></body></html>", "text/html")),
    ]


def test_every_entry_is_searchable_by_its_text_with_page_numbers(world):
    world.write(three_reports(world))
    report = world.build()
    assert (report.entries, report.full_text, report.metadata_only) == (3, 3, 0)
    hits = world.search("stackable")["results"]
    assert [h["id"] for h in hits] == ["stack-report"]
    result = world.search("short courses")["results"][0]
    assert result["id"] == "stack-report"
    assert result["snippets"][0]["page"] == 2
    assert "<mark>courses</mark>" in result["snippets"][0]["html"]
    assert world.ids("digital badges") == ["blog-post"]
    assert world.ids("Menu") == [], "navigation of HTML pages is not indexed"


def test_a_rebuild_without_changes_downloads_and_extracts_nothing(world):
    world.write(three_reports(world))
    world.build()
    report = world.build()
    assert (report.written, report.unchanged, report.downloads, report.extractions) == (0, 3, 0, 0)
    rebuild_requests = world.server.log[3:]
    assert len(rebuild_requests) == 3 and all(conditional for _, _, conditional in rebuild_requests), \
        "rebuilds send conditional requests"


def test_a_metadata_change_is_reindexed_without_refetching(world):
    entries = three_reports(world)
    world.write(entries)
    world.build()
    entries[1] = {**entries[1], "title": "The Brand New Quality Charter"}
    world.write(entries)
    report = world.build()
    assert (report.written, report.downloads, report.extractions) == (1, 0, 0)
    assert world.ids("charter") == ["quality-framework"]
    assert world.ids("assurance") == ["quality-framework"], "the full text survives a metadata-only change"


def test_a_content_change_is_downloaded_and_extracted_again(world):
    world.write(three_reports(world))
    world.build()
    world.server.add("/quality.pdf", make_pdf(["Nothing about that any more", "Recognition of prior learning"]))
    report = world.build()
    assert (report.written, report.downloads, report.extractions) == (1, 1, 1)
    assert world.ids("recognition") == ["quality-framework"]
    assert world.ids("assurance") == []


def test_added_and_removed_entries(world):
    entries = three_reports(world)
    world.write(entries[:2])
    world.build()
    world.write(entries[1:])
    report = world.build()
    assert (report.written, report.removed, report.extractions) == (1, 1, 1)
    assert world.ids("stackable") == []
    assert world.ids("badges") == ["blog-post"]
    assert world.search()["total"] == 2


def test_failures_are_recorded_per_entry_and_the_rest_is_indexed(world, tmp_path):
    s = world.server
    (tmp_path / "corpus" / "files").mkdir(parents=True)
    (tmp_path / "corpus" / "files" / "notes.txt").write_text("Local notes about learner wallets.")
    world.write([
        entry("good", url=s.add("/good.pdf", make_pdf(["Learning accounts for adults"]))),
        entry("dead-link", title="Obituary of a link", url=s.url("/gone.pdf")),
        entry("server-error", url=s.add("/err.pdf", b"oops", status=500)),
        entry("slow", url=s.add("/slow.pdf", make_pdf(["late"]), delay=5)),
        entry("picture", url=s.add("/logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")),
        entry("corrupt", url=s.add("/corrupt.pdf", b"%PDF-1.4\n garbage without objects")),
        entry("scanned", url=s.add("/scanned.pdf", make_pdf(["", ""]))),
        entry("locked", url=s.add("/locked.pdf", make_pdf(["secret words"], user_password="pw"))),
        entry("offline", url="http://observatory-test.invalid/x.pdf"),
        entry("local-file", path="files/notes.txt"),
        entry("no-link", title="Unlinked framework"),
    ])
    report = world.build()
    reasons = {f["id"]: f["reason"] for f in report.failures}
    assert reasons["dead-link"] == "HTTP 404 Not Found"
    assert reasons["server-error"].startswith("HTTP 500")
    assert "timed out" in reasons["slow"]
    assert "unsupported content (image/png)" in reasons["picture"]
    assert reasons["corrupt"]
    assert reasons["scanned"] == "no text layer (scanned?)"
    assert "encrypted" in reasons["locked"]
    assert reasons["offline"]
    assert "link: missing" in reasons["no-link"]
    assert set(reasons) == {"dead-link", "server-error", "slow", "picture", "corrupt", "scanned", "locked",
                            "offline", "no-link"}
    assert (report.full_text, report.metadata_only) == (2, 9)
    assert world.ids("wallets") == ["local-file"]
    assert world.ids("obituary") == ["dead-link"], "a failed entry is still found by its metadata"
    assert world.ids("unlinked") == ["no-link"]
    assert world.search()["total"] == 11


def test_a_link_that_dies_keeps_its_text_with_a_warning(world):
    world.write(three_reports(world))
    world.build()
    del world.server.routes["/stack.pdf"]
    report = world.build()
    problem = next(f for f in report.failures if f["id"] == "stack-report")
    assert problem["severity"] == "warning" and "HTTP 404" in problem["reason"]
    assert world.ids("stackability") == ["stack-report"]


def test_forced_pdfminer_extraction_gives_the_same_pages(world):
    world.write(three_reports(world)[:1])
    report = world.build(extractor="pdfminer")
    assert report.extractions == 1
    assert world.search("short courses")["results"][0]["snippets"][0]["page"] == 2


def test_an_invalid_catalog_stops_before_touching_the_index(world):
    world.write(three_reports(world))
    world.build()
    before = IndexRoot(world.settings.index_dir, engine.SCHEMA).current()
    world.settings.catalog.write_text(world.settings.catalog.read_text().replace("year: 2022", "year: soon", 1))
    with pytest.raises(CatalogError, match="field 'year'"):
        world.build()
    assert IndexRoot(world.settings.index_dir, engine.SCHEMA).current() == before
    assert world.search()["total"] == 3


def test_full_rebuild_swaps_in_a_new_version_atomically(world):
    world.write(three_reports(world))
    world.build()
    first = IndexRoot(world.settings.index_dir, engine.SCHEMA).current()
    service = SearchService(world.settings.index_dir)
    assert service.search(SearchRequest())["total"] == 3
    report = world.build(full=True)
    second = IndexRoot(world.settings.index_dir, engine.SCHEMA).current()
    assert report.full and second != first
    assert report.downloads == 0 and report.extractions == 0, "a full rebuild still uses the caches"
    assert service.search(SearchRequest(q="stackable"))["total"] == 1, "a live service follows the swap"


def test_a_second_concurrent_build_is_refused(world):
    world.write(three_reports(world))
    root = IndexRoot(world.settings.index_dir, engine.SCHEMA)
    with root.build_lock():
        with pytest.raises(BuildInProgress, match="another build is running"):
            world.build()


def _cli(settings: Settings, *args) -> list[str]:
    return [sys.executable, "-m", "indexer", "--catalog", str(settings.catalog), "--index", str(settings.index_dir),
            "--cache", str(settings.cache_dir), *args]


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_kill_9_during_a_build_leaves_the_previous_index_servable(world):
    entries = three_reports(world)
    world.write(entries)
    world.build()
    slow = [entry(f"slow-{n}", url=world.server.add(f"/slow{n}.pdf", make_pdf([f"slowword{n}"]), delay=20))
            for n in range(4)]
    changed = [{**entries[0], "title": "Renamed while building"}, *entries[1:], *slow]
    world.write(changed)
    env = {**os.environ, "OBSERVATORY_HTTP_TIMEOUT": "60"}
    for args in (["build", "--quiet"], ["build", "--full", "--quiet"]):
        proc = subprocess.Popen(_cli(world.settings, *args), env=env, start_new_session=True)
        _wait_for(lambda: any(path.startswith("/slow") for _, path, _ in world.server.log))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        world.server.log.clear()
        assert world.search()["total"] == 3
        assert world.ids("renamed") == []
        assert world.ids("stackable") == ["stack-report"]
    for route in world.server.routes.values():
        route.delay = 0
    report = world.build()
    assert report.entries == 7 and world.ids("renamed") == ["stack-report"]
    assert not list(world.settings.index_dir.glob(".tmp-*")), "abandoned temporaries are cleaned up"


def test_the_cli_refuses_a_build_while_another_runs(world):
    world.write([entry("slow", url=world.server.add("/s.pdf", make_pdf(["x"]), delay=20))])
    env = {**os.environ, "OBSERVATORY_HTTP_TIMEOUT": "60"}
    first = subprocess.Popen(_cli(world.settings, "build", "--quiet"), env=env, start_new_session=True)
    try:
        _wait_for(lambda: world.server.log)
        second = subprocess.run(_cli(world.settings, "build", "--quiet"), capture_output=True, text=True, timeout=60)
        assert second.returncode == 3
        assert "another build is running" in second.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


def test_status_lists_failures_for_curators(world):
    world.write([*three_reports(world), entry("dead", url=world.server.url("/missing.pdf"))])
    world.build()
    out = subprocess.run(_cli(world.settings, "status", "--json"), capture_output=True, text=True, check=True)
    status = json.loads(out.stdout)
    assert (status["entries"], status["full_text"], status["metadata_only"]) == (4, 3, 1)
    [failure] = status["failures"]
    assert {key: failure[key] for key in ("id", "title", "url", "reason", "severity", "group")} == {
        "id": "dead", "title": "Title of dead", "url": world.server.url("/missing.pdf"),
        "reason": "HTTP 404 Not Found", "severity": "error", "group": "broken"}


@pytest.mark.skipif(not (SHARED / "eval" / "pdfs").exists(), reason="shared eval PDFs not present")
def test_the_real_world_pdfs_each_extract_or_are_recorded_as_failures(tmp_path):
    shutil.copytree(SHARED / "eval" / "pdfs", tmp_path / "pdfs")  # local files must be inside the catalog's folder
    pdfs = sorted((tmp_path / "pdfs").rglob("*.pdf"))
    settings = Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "cache")
    write_catalog(settings.catalog, [entry(f"pdf-{n}", path=str(p)) for n, p in enumerate(pdfs)])
    report = build(settings, progress=False, jobs=2)
    assert report.entries == len(pdfs) == report.full_text + report.metadata_only
    failed = {f["id"]: f["reason"] for f in report.failures}
    assert all(reason for reason in failed.values())
    assert report.full_text >= len(pdfs) * 0.7, failed
    by_name = {p.name: f"pdf-{n}" for n, p in enumerate(pdfs)}
    assert by_name["report60.pdf"] not in failed
    assert "encrypted" in failed[by_name["libreoffice-writer-password.pdf"]]
    hit = SearchService(settings.index_dir).search(SearchRequest(q="boundary layer", per_page=100))
    assert by_name["report60.pdf"] in [h["id"] for h in hit["results"]]


def test_a_document_over_the_extraction_time_limit_is_killed_and_the_build_goes_on(world, monkeypatch):
    world.settings = replace(world.settings, extract_timeout=0.5)
    world.write([entry("huge", url=world.server.add("/huge.txt", HANGS, "text/plain")), *three_reports(world)])
    with monkeypatch.context() as patch:
        patch.setattr(worker, "extract_job", extract_or_hang)
        report = world.build()
    assert {f["id"]: f["reason"] for f in report.failures} == {"huge": "extraction timed out after 0.5 s"}
    assert report.full_text == 3
    assert world.ids("apprenticeships") == []
    report = world.build()
    assert report.extractions == 0, "the same limit would time out again: no build waits for it twice"
    assert {f["id"] for f in report.failures} == {"huge"}
    world.settings = replace(world.settings, extract_timeout=30)
    report = world.build()
    assert report.extractions == 1, "with more time, the document is tried again"
    assert world.ids("apprenticeships") == ["huge"]


def test_an_offline_build_keeps_every_record_findable_by_its_metadata(world):
    world.write([entry("ontario-framework", title="Ontario Micro-credentials Quality Framework", regions=["Canada"],
                       jurisdiction="Ontario", url="http://ontario.invalid/framework.pdf"),
                 entry("nz-rationale", title="Aotearoa New Zealand's Rationale", regions=["New Zealand"],
                       url="http://nzqa.invalid/rationale.pdf")])
    report = world.build()
    assert (report.full_text, report.metadata_only, len(report.failures)) == (0, 2, 2)
    result = world.search("quality framework", region=["Canada"])
    assert [h["id"] for h in result["results"]] == ["ontario-framework"]
    assert result["results"][0]["snippets"] == [] and result["results"][0]["full_text"] is False
    service = SearchService(world.settings.index_dir)
    assert service.document("nz-rationale", q="rationale")["snippets"] == []
    assert service.similar("nz-rationale") == [], "similarity is over the full text, which it does not have"
    page = create_app(world.settings).test_client().get("/?q=quality+framework&region=Canada")
    assert page.status_code == 200 and "Ontario Micro-credentials Quality Framework" in page.get_data(True)


def test_an_unchanged_index_is_opened_once_even_without_page_text(world, monkeypatch):
    """An index of metadata only (an offline build) has an empty pages index: it must not look stale."""
    import indexer.search

    world.write([entry("offline", title="Offline framework", url="http://offline.invalid/a.pdf")])
    world.build()
    opened = []
    monkeypatch.setattr(indexer.search, "Reader", lambda version: opened.append(version) or engine.Reader(version))
    service = SearchService(world.settings.index_dir)
    for _ in range(3):
        assert [h["id"] for h in service.search(SearchRequest(q="framework"))["results"]] == ["offline"]
    assert len(opened) == 1
    world.build()  # nothing changed: only the manifest (when each entry was checked) is rewritten
    assert service.search(SearchRequest(q="framework"))["total"] == 1 and len(opened) == 1
    world.write([entry("offline", title="Offline framework, revised", url="http://offline.invalid/a.pdf")])
    world.build()
    assert service.search(SearchRequest(q="revised"))["total"] == 1 and len(opened) == 2, "a commit is seen"


def _segments(world) -> dict[str, list[str]]:
    return engine.segment_sizes(IndexRoot(world.settings.index_dir, engine.SCHEMA).current())


def test_an_incremental_add_leaves_the_merged_segments_alone(world, monkeypatch):
    """Adding one publication writes one small segment per index; the big ones are not rewritten."""
    entries = three_reports(world)
    world.write(entries)
    world.build()
    first = _segments(world)
    world.write([*entries, entry("added", url=world.server.add("/added.pdf", make_pdf(["Learner wallets"])))])
    world.build()
    after = _segments(world)
    assert all(list(after[name])[:-1] == list(first[name]) for name in after), (first, after)
    assert world.ids("wallets") == ["added"] and world.ids("stackable") == ["stack-report"]


def test_small_segments_are_merged_past_the_threshold_and_optimize_merges_all(world, monkeypatch):
    monkeypatch.setattr(engine.writer, "MAX_SEGMENTS", 4)
    entries = three_reports(world)
    world.write(entries)
    world.build()
    big = {name: max(ids, key=ids.get) for name, ids in _segments(world).items()}
    for n in range(4):
        entries.append(entry(f"added-{n}", url=world.server.add(f"/a{n}.pdf", make_pdf([f"Wallet number{n}x"]))))
        world.write(entries)
        world.build()
        now = _segments(world)
        assert all(len(ids) <= 4 and big[name] in ids for name, ids in now.items()), now
    assert world.ids("wallet") and len(world.ids("wallet")) == 4
    subprocess.run(_cli(world.settings, "build", "--quiet", "--optimize"), check=True, timeout=120)
    assert {name: len(ids) for name, ids in _segments(world).items()} == {"pubs": 1, "pages": 1}
    assert sorted(world.ids("wallet")) == [f"added-{n}" for n in range(4)]
    assert world.ids("stackable") == ["stack-report"]


def test_page_writer_processes_end_with_the_build_whatever_happens(tmp_path):
    """A full build writes pages in several processes: a cancelled build or one without any page
    text must not leave them waiting (the build process would wait for them at exit)."""
    import multiprocessing

    for name, pages in (("cancelled", ["Learner wallets"]), ("no-pages", [])):
        version = tmp_path / name
        version.mkdir()
        engine.create(version)
        try:
            with engine.Writer(version, processes=2) as writer:
                writer.add({"id": "a", "title": "A", "year": 2022, "regions": [], "type": "report",
                            "section": "report"}, "", pages, [index_terms(p) for p in pages], True)
                if name == "cancelled":
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        assert not multiprocessing.active_children()
    reader = engine.Reader(tmp_path / "no-pages")
    assert list(reader.records()) == ["a"] and reader.up_to_date()


def test_a_full_disk_during_a_full_build_reports_itself_and_leaves_no_half_version(world, monkeypatch):
    import errno

    from click.testing import CliRunner

    from indexer import engine as engine_module
    from webapp.cli import cli

    world.write(three_reports(world))
    world.build()
    live = IndexRoot(world.settings.index_dir, engine.SCHEMA).current()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(world.settings.index_dir / "x.seg"))

    monkeypatch.setattr(engine_module.Writer, "add", disk_full)
    with pytest.raises(OSError) as raised:
        world.build(full=True)
    assert raised.value.errno == errno.ENOSPC, "the real error, not 'this writer is closed'"
    assert not list(world.settings.index_dir.glob(".tmp-v-*")), "no half-written version left behind"
    assert IndexRoot(world.settings.index_dir, engine.SCHEMA).current() == live
    result = CliRunner().invoke(cli, ["--catalog", str(world.settings.catalog), "--index",
                                      str(world.settings.index_dir), "--cache", str(world.settings.cache_dir),
                                      "build", "--full", "--quiet"])
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert world.ids("stackability") == ["stack-report"], "the live index still serves"
