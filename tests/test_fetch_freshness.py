"""An incremental build asks only about what may have changed: a download its server keeps fresh
(RFC 9111) is reused without a request until it goes stale; full and verifying builds ask anyway."""
from __future__ import annotations

import time
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path

import pytest

from indexer.build import build
from indexer.config import Settings
from indexer.fetch import Fetcher, freshness
from support import entry, write_catalog

NOW = 1_800_000_000.0
DAY = 86_400.0


def http_date(seconds: float) -> str:
    return formatdate(seconds, usegmt=True)


@pytest.mark.parametrize("headers, fresh_for", [
    ({"Cache-Control": "max-age=600"}, 600),
    ({"Cache-Control": "public, max-age=600", "Age": "100"}, 500),
    ({"Cache-Control": "max-age=600", "Date": http_date(NOW - 100)}, 600),       # a server's clock is not ours
    ({"Cache-Control": "no-cache, max-age=600"}, 0),
    ({"Cache-Control": "no-store"}, 0),
    ({"Cache-Control": "max-age=-5"}, 0),
    ({"Cache-Control": "max-age=999999"}, DAY),                                  # never beyond the bound
    ({"Expires": http_date(NOW + 3600), "Date": http_date(NOW)}, 3600),
    ({"Expires": "0", "Date": http_date(NOW)}, 0),                               # invalid: already expired
    ({"Cache-Control": "max-age=60", "Expires": http_date(NOW + 3600)}, 60),     # max-age wins
    ({"Last-Modified": http_date(NOW - 5 * DAY), "Date": http_date(NOW)}, DAY / 2),  # a tenth of its age
    ({"Last-Modified": http_date(NOW - 50 * DAY), "Date": http_date(NOW)}, DAY),
    ({"Last-Modified": "yesterday", "Date": http_date(NOW)}, 0),
    ({}, 0),
])
def test_a_responses_freshness_is_what_rfc_9111_gives_a_private_cache(headers, fresh_for):
    assert freshness(headers, NOW, DAY) == pytest.approx(fresh_for)


@pytest.fixture
def settings(tmp_path):
    return replace(
        Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "cache"),
        allow_hosts=("127.0.0.1",),
    )


def later(settings, seconds: float, **kw) -> Fetcher:
    """The fetcher of a build `seconds` from now: only the disk remembers the earlier ones."""
    fetcher = Fetcher(settings, **kw)
    fetcher.clock = lambda: time.time() + seconds
    return fetcher


def test_a_download_its_server_keeps_fresh_is_reused_without_asking_until_it_goes_stale(doc_server, settings, pdf):
    body = pdf(["Stackable credentials"])
    url = doc_server.add("/fresh.pdf", body, headers={"Cache-Control": "max-age=600"})
    Fetcher(settings).fetch(url, Path("."))

    soon = later(settings, 300)
    reused = soon.fetch(url, Path("."))
    assert (reused.changed, reused.content, reused.url) == (False, body, url)
    assert (soon.fresh, soon.requests_sent) == (1, 0)
    assert len(doc_server.requests_for("/fresh.pdf")) == 1

    stale = later(settings, 601)
    assert stale.fetch(url, Path(".")).changed is False
    assert (stale.fresh, stale.requests_sent) == (0, 1)
    assert [conditional for _, _, conditional in doc_server.requests_for("/fresh.pdf")] == [False, True]


def test_a_304_renews_the_freshness_of_what_it_confirms(doc_server, settings, pdf):
    url = doc_server.add("/renewed.pdf", pdf(["x"]), headers={"Cache-Control": "max-age=600"})
    Fetcher(settings).fetch(url, Path("."))
    later(settings, 601).fetch(url, Path("."))  # stale: asked, answered 304 with max-age again
    renewed = later(settings, 900)
    renewed.fetch(url, Path("."))
    assert (renewed.fresh, renewed.requests_sent) == (1, 0)


def test_a_report_unchanged_for_months_is_trusted_for_a_tenth_of_that_at_most_the_bound(doc_server, settings, pdf):
    old = {"Last-Modified": http_date(time.time() - 200 * DAY)}
    url = doc_server.add("/report.pdf", pdf(["x"]), headers=old)
    Fetcher(settings).fetch(url, Path("."))
    assert later(settings, DAY - 60).fetch(url, Path(".")) and len(doc_server.requests_for("/report.pdf")) == 1
    later(settings, DAY + 60).fetch(url, Path("."))
    assert len(doc_server.requests_for("/report.pdf")) == 2
    hourly = replace(settings, freshness_max=3600.0)
    Fetcher(hourly).fetch(url, Path("."))
    later(hourly, 7200).fetch(url, Path("."))
    assert len(doc_server.requests_for("/report.pdf")) == 4


@pytest.mark.parametrize("headers", [{"Cache-Control": "no-cache"}, {}])
def test_without_freshness_every_build_asks(doc_server, settings, pdf, headers):
    """`{}`: the test server's Last-Modified is the moment of the answer, so nothing is fresh."""
    url = doc_server.add("/asked.pdf", pdf(["x"]), headers=headers)
    for _ in range(3):
        Fetcher(settings).fetch(url, Path("."))
    assert len(doc_server.requests_for("/asked.pdf")) == 3


def test_a_bound_of_zero_asks_at_every_build(doc_server, settings, pdf):
    never = replace(settings, freshness_max=0.0)
    url = doc_server.add("/cached.pdf", pdf(["x"]), headers={"Cache-Control": "max-age=600"})
    for _ in range(2):
        Fetcher(never).fetch(url, Path("."))
    assert len(doc_server.requests_for("/cached.pdf")) == 2


def test_a_verifying_fetcher_asks_even_when_fresh(doc_server, settings, pdf):
    url = doc_server.add("/verified.pdf", pdf(["x"]), headers={"Cache-Control": "max-age=600"})
    Fetcher(settings).fetch(url, Path("."))
    verifying = later(settings, 10, verify=True)  # build --full, build --verify
    assert verifying.fetch(url, Path(".")).content == doc_server.routes["/verified.pdf"].body
    assert (verifying.fresh, verifying.requests_sent) == (0, 1)


@pytest.mark.parametrize("damage", ["rewrite", "delete"])
def test_a_fresh_download_whose_cached_copy_changed_is_fetched_again(doc_server, settings, pdf, damage):
    body = pdf(["x"])
    url = doc_server.add("/rotten.pdf", body, headers={"Cache-Control": "max-age=600"})
    Fetcher(settings).fetch(url, Path("."))
    [blob] = (settings.cache_dir / "blobs").iterdir()
    blob.write_bytes(b"half a file") if damage == "rewrite" else blob.unlink()
    again = later(settings, 10)
    assert again.fetch(url, Path(".")).content == body
    assert again.fresh == 0 and doc_server.downloads_of("/rotten.pdf") == 2


def test_an_incremental_build_reports_what_it_did_not_ask_and_a_full_build_asks_all(doc_server, settings, pdf):
    urls = [doc_server.add(f"/{n}.pdf", pdf([f"report {n}"]), headers={"Cache-Control": "max-age=600"})
            for n in range(3)]
    write_catalog(settings.catalog, [entry(f"r{n}", url=url) for n, url in enumerate(urls)])
    first = build(settings, full=True, progress=False, jobs=1)
    assert (first.requests, first.fresh) == (3, 0)
    write_catalog(settings.catalog, [entry(f"r{n}", url=url) for n, url in enumerate(urls)]
                  + [entry("new", url=doc_server.add("/new.pdf", pdf(["added today"])))])
    added = build(settings, progress=False, jobs=1)
    assert (added.written, added.requests, added.fresh) == (1, 1, 3)
    again = build(settings, full=True, progress=False, jobs=1)
    assert (again.requests, again.fresh) == (4, 0)
