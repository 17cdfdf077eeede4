"""What the W3C feed validator and the OpenSearch specification ask of the feeds and the description,
checked on real servers (the development server and gunicorn), since an absolute URL without a
configured base comes from the connection a request arrived on, which a test client has not; and
every page type through the Nu HTML checker (vnu.jar from tests/package.json, Java from the Makefile)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.request import Request, urlopen

import feedparser
import pytest
from curate_world import sign_in
from support import DocServer, free_port, gunicorn, listening, live_app
from web_world import PUBLICATIONS, build_world, served_world

from indexer.build import build
from indexer.config import PROJECT_ROOT
from indexer.curators import CuratorStore
from webapp import create_app

EVIL = {"Host": "evil.example"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with served_world(tmp_path_factory.mktemp("validators")) as world:
        yield world


def fetch(url: str) -> str:
    with urlopen(Request(url, headers=EVIL), timeout=30) as response:
        return response.read().decode("utf-8")


def updated(client, url: str = "/feed.atom") -> dict[str, str]:
    """Each entry's document id and its `updated`, as the feed says them."""
    feed = feedparser.parse(client.get(url).data)
    assert not feed.bozo, feed.bozo_exception
    return {e.link.rsplit("/", 1)[-1]: e.updated for e in feed.entries}


def test_no_two_feed_entries_share_updated_and_published_is_the_day_added(world):
    client = create_app(world.settings, TESTING=True).test_client()
    for url in ("/feed.atom", "/search.atom", "/search.atom?q=micro-credentials"):
        dates = updated(client, url)
        assert len(set(dates.values())) == len(dates) > 1, url
    feed = feedparser.parse(client.get("/feed.atom").data)
    added = {p.id: p.added for p in PUBLICATIONS if p.added}
    for entry in feed.entries:
        doc_id = entry.link.rsplit("/", 1)[-1]
        if doc_id in added:
            assert entry.published.startswith(added[doc_id] + "T00:00:00"), doc_id
        assert entry.updated_parsed >= entry.published_parsed, doc_id


def test_updated_stays_through_unchanged_and_full_rebuilds_and_moves_when_a_record_changes(tmp_path):
    server = DocServer()
    try:
        world = build_world(tmp_path, server)
        client = create_app(world.settings, TESTING=True).test_client()
        before = updated(client)
        build(world.settings, progress=False, jobs=1)
        build(world.settings, full=True, progress=False, jobs=1)
        assert updated(client) == before, "nothing changed: a feed reader sees nothing new"
        catalog = world.settings.catalog
        title = "Quality and value of micro-credentials in higher education"
        catalog.write_text(catalog.read_text(encoding="utf-8").replace(title, title + " (revised)"), encoding="utf-8")
        build(world.settings, progress=False, jobs=1)
        after = updated(client)
        assert after.pop("oecd-quality-and-value") > before.pop("oecd-quality-and-value")
        assert after == before
    finally:
        server.close()


def test_the_dev_server_makes_self_links_and_the_follow_address_absolute_without_a_base_url(world):
    with live_app(world.settings) as url:
        feed = fetch(url + "/feed.atom")
        assert f'<link href="{url}/feed.atom" rel="self"/>' in feed
        assert "evil.example" not in feed
        search = fetch(url + "/search.atom?q=badges+%26+claims")
        assert f'<link href="{url}/search.atom?q=badges+%26+claims" rel="self"/>' in search
        assert f'value="{url}/search.atom?q=micro-credentials"' in fetch(url + "/search/follow?q=micro-credentials")
        assert_valid_opensearch(fetch(url + "/opensearch.xml"), url)


def assert_valid_opensearch(body: str, base: str) -> None:
    templates = re.findall(r'template="([^"]*)"', body)
    assert templates == [f"{base}/?q={{searchTerms}}", f"{base}/search.atom?q={{searchTerms}}",
                         f"{base}/opensearch.xml"]
    assert len(re.search(r"<ShortName>(.*)</ShortName>", body)[1]) <= 16
    assert "method=" not in body and '<Query role="example" searchTerms="' in body


@pytest.fixture
def production(world):
    """The production server (one worker) over the test world, with no base URL configured."""
    port = free_port()
    env = {**os.environ, "WEB_CONCURRENCY": "1", "OBSERVATORY_CATALOG": str(world.settings.catalog),
           "OBSERVATORY_INDEX": str(world.settings.index_dir),
           "OBSERVATORY_CACHE": str(world.settings.cache_dir)}
    env.pop("OBSERVATORY_BASE_URL", None)
    with listening(gunicorn(port), port, cwd=PROJECT_ROOT, env=env):
        yield f"http://127.0.0.1:{port}"


def test_gunicorn_without_a_base_url_makes_opensearch_templates_from_its_own_address_not_the_host(production):
    assert_valid_opensearch(fetch(production + "/opensearch.xml"), production)
    assert f'<link href="{production}/feed.atom" rel="self"/>' in fetch(production + "/feed.atom")


def test_with_a_base_url_every_template_comes_from_it(world):
    based = create_app(replace(world.settings, base_url="https://observatory.example/"), TESTING=True).test_client()
    body = based.get("/opensearch.xml", headers={"Host": "observatory.example"}).get_data(as_text=True)
    assert_valid_opensearch(body, "https://observatory.example")


VNU = Path(__file__).parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

#: One URL of every page type a reader meets (with facets, ticks, a correction, a reversed range,
#: a recording, a hostile title, the 404), then the curators' screens, signed in.
PAGES = ["/", "/?q=micro-credentials", "/?q=micro-credentials&region=Europe&sel=oecd-quality-and-value&sort=added",
         "/?q=zzzqqqxx", "/?q=stackabel", "/?q=badges&year_from=2023&year_to=2020",
         "/doc/oecd-quality-and-value?q=stackable", "/doc/ecs-webinar", "/doc/hostile-title",
         "/doc/oecd-quality-and-value/page/3?q=stackable", "/advanced", "/facet/organisation?q=micro-credentials",
         "/compare?q=micro-credentials&by=region", "/compare", "/status", "/trends", "/about",
         "/search/follow?q=micro-credentials", "/no-such-page", "/curate/sign-in"]
CURATOR_PAGES = ["/curate", "/curate/record/oecd-quality-and-value", "/curate/add", "/curate/import",
                 "/curate/suggestions", "/curate/gaps", "/curate/audit"]


@pytest.mark.nu
@pytest.mark.skipif(not VNU.is_file() or not shutil.which("java"),
                    reason="the Nu HTML checker needs tests/node_modules (npm ci --prefix tests) and Java "
                           "(apt-get install default-jre-headless; `make test` installs both)")
def test_every_page_type_passes_the_nu_html_checker(world, tmp_path):
    CuratorStore(world.settings.suggestion_db).add("vnu", "a long enough passphrase")
    client = create_app(world.settings, TESTING=True).test_client()
    files = {}
    for url in PAGES + CURATOR_PAGES:
        if url == CURATOR_PAGES[0]:
            sign_in(client, "vnu", "a long enough passphrase")
        response = client.get(url)
        assert response.status_code == (404 if url == "/no-such-page" else 200), url
        path = tmp_path / f"page-{len(files)}.html"
        path.write_bytes(response.data)
        files[f"file:{path}"] = url
    canary = tmp_path / "canary.html"  # proves the checker read the files and reports what it finds
    canary.write_text('<!doctype html><html lang="en"><title>x</title><p id="a"></p><p id="a"></p></html>')
    checked = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--exit-zero-always", str(canary),
                              *(name.removeprefix("file:") for name in files)],
                             check=True, capture_output=True, text=True, timeout=600)
    messages = json.loads(checked.stderr)["messages"]
    errors = [f"{files.get(m.get('url'), m.get('url'))} line {m.get('lastLine')}: {m['message']}"
              for m in messages if m["type"] in ("error", "non-document-error")]
    assert errors.pop(0).startswith(f"file:{canary} line 1: Duplicate ID")
    assert errors == []
