"""A built collection with one record of each kind of problem, for the status tests (CLI, web, browser).

Every document comes from the local document server; the stale record's link dies between the first
and the second build, so it keeps its earlier copy with a warning.
"""
from __future__ import annotations

from dataclasses import replace

from pathlib import Path

from indexer.build import build
from indexer.config import Settings
from support import DocServer, entry, make_pdf, write_catalog

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: The record ids, each named for the group it must land in; "fine" has nothing to fix.
PROBLEM_IDS = ("no-link", "broken", "redirected", "not-a-document", "encrypted", "needs-ocr", "too-large",
               "unreadable", "stale", "truncated")


def build_problem_world(tmp_path: Path, s: DocServer) -> Settings:
    s.add("/elsewhere.pdf", make_pdf(["The report, moved to another site."]))
    s.add("/fading.pdf", make_pdf(["A report that was there at the first build."]))
    entries = [
        entry("fine", title="Micro-credentials in practice",
              url=s.add("/fine.pdf", make_pdf(["Micro-credentials in practice."]))),
        entry("no-link", title="Webinar on digital badges for employers"),
        entry("broken", title="National framework for short courses (2021 edition)", url=s.url("/gone.pdf")),
        entry("redirected", title="A report whose link now leads to another site",
              url=s.add("/moved.pdf", b"", status=301, location=f"http://localhost:{s.port}/elsewhere.pdf")),
        entry("not-a-document", title="An infographic rather than a report",
              url=s.add("/picture.png", PNG, "image/png")),
        entry("encrypted", title="A password-protected survey",
              url=s.add("/locked.pdf", make_pdf(["Secret"], user_password="pw"))),
        entry("needs-ocr", title="A scanned policy paper", url=s.add("/scan.pdf", make_pdf(["", ""]))),
        entry("too-large", title="A very large annual report",
              url=s.add("/huge.pdf", b"%PDF-1.4\n" + b"0" * 4096, repeat=64)),
        entry("unreadable", title="A damaged PDF", url=s.add("/damaged.pdf", b"%PDF-1.4\n1 0 obj garbage")),
        entry("stale", title="A study whose link died after the first build", url=s.url("/fading.pdf")),
        entry("truncated", title="A report longer than the text limits",
              url=s.add("/long.pdf", make_pdf([f"section {'abcdef'[n]} " + "qualifications " * 150
                                               for n in range(6)]))),
    ]
    settings = replace(Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index",
                                         cache=tmp_path / "cache"),
                       http_timeout=2.0, http_retries=0, max_download_bytes=100_000, max_document_chars=6_000)
    write_catalog(settings.catalog, entries)
    build(settings, progress=False, jobs=1)
    del s.routes["/fading.pdf"]
    build(settings, progress=False, jobs=1)
    return settings
