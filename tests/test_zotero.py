"""Zotero's own translators over the site: its translation server reads a document page (the
Embedded Metadata translator: Highwire tags and `z.itemType`) and imports the RIS and BibTeX exports.

The server is Node code from GitHub (zotero/translation-server with its translators, translate,
utilities and zotero-schema submodules), which this test cannot fetch: point
ZOTERO_TRANSLATION_SERVER at a checkout with its npm dependencies installed
(`git clone --recursive https://github.com/zotero/translation-server && npm install --omit=dev`).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from support import free_port, listening
from web_world import served_site

SERVER_DIR = Path(os.environ.get("ZOTERO_TRANSLATION_SERVER", "/nonexistent"))

pytestmark = pytest.mark.skipif(
    not (SERVER_DIR / "src" / "server.js").is_file() or not (SERVER_DIR / "node_modules").is_dir()
    or not shutil.which("node"),
    reason="Zotero's translation server cannot be built here: set ZOTERO_TRANSLATION_SERVER to a checkout "
           "of github.com/zotero/translation-server (with submodules) after `npm install --omit=dev`")


@pytest.fixture(scope="module")
def zotero():
    port = free_port()
    env = {**os.environ, "NODE_CONFIG": json.dumps({"host": "127.0.0.1", "port": port})}
    with listening(["node", "src/server.js"], port, seconds=120, cwd=SERVER_DIR, env=env) as process:  # ~750 translators
        assert process.poll() is None, "the translation server did not start"
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with served_site(tmp_path_factory.mktemp("zotero")) as url:
        yield url


def translate(zotero: str, endpoint: str, body: str) -> list[dict]:
    request = Request(f"{zotero}/{endpoint}", data=body.encode("utf-8"), headers={"Content-Type": "text/plain"})
    with urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def creators(item: dict) -> list:
    return [c.get("name") or (c["lastName"], c["firstName"]) for c in item.get("creators", [])]


def test_zotero_saves_a_document_page_as_the_publication_it_describes(zotero, site):
    [report] = translate(zotero, "web", f"{site}/doc/eu-council-recommendation")
    assert report["itemType"] == "report" and report["date"] == "2022"
    assert report["title"] == "Council Recommendation on a European approach to micro-credentials"
    assert report["institution"] == "Council of the European Union" and creators(report) == []
    assert report["abstractNote"] == "The Council's recommendation on common standard elements."
    assert report["url"] == f"{site}/doc/eu-council-recommendation" and report["language"] == "en"
    [article] = translate(zotero, "web", f"{site}/doc/mooc-journal-article")
    assert article["itemType"] == "journalArticle" and creators(article) == [("Smith", "J.")]
    assert "abstractNote" not in article, "no summary: the page's description is not taken for one"
    [event] = translate(zotero, "web", f"{site}/doc/ecs-webinar")
    assert event["itemType"] == "presentation" and event["date"] == "2021"
    [podcast] = translate(zotero, "web", f"{site}/doc/skills-podcast")
    assert podcast["itemType"] == "audioRecording" and podcast["date"] == "2024"


def test_zotero_imports_the_ris_and_bibtex_exports_with_corporate_authors_whole(zotero, site):
    ids = ["oecd-quality-and-value", "mooc-journal-article", "ecs-webinar", "esco-europass"]
    query = "&".join(f"sel={i}" for i in ids)
    for fmt in ("ris", "bib"):
        with urlopen(f"{site}/export.{fmt}?{query}", timeout=30) as response:
            items = translate(zotero, "import", response.read().decode("utf-8"))
        assert [i["itemType"] for i in items if i["itemType"] == "note"] == [], f"{fmt}: no stray child notes"
        by_title = {i["title"]: i for i in items}
        report = by_title["Quality and value of micro-credentials in higher education"]
        assert report["itemType"] == "report" and creators(report) == ["OECD"] and report["institution"] == "OECD"
        assert report["reportType"] == "Report" and report["date"] == "2021"
        guide = by_title["Europass digital credentials and ESCO skills"]
        assert creators(guide) == ["European Commission"] and guide["reportType"] == "Guide or toolkit"
        assert creators(by_title["MOOCs as a path to micro-credentials"]) == [("Smith", "J.")]
        webinar = by_title["Webinar: micro-credentials and employability"]
        assert creators(webinar) == ["European Commission"] and webinar["date"] == "2021"
        if fmt == "ris":
            assert webinar["itemType"] == "presentation" and report["language"] == "en"
