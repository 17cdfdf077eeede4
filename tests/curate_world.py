"""A small built collection with a curator account, for the curators' screens (web and browser tests).

One record of each state a curator meets: a fine PDF, a dead link, one without a link yet, a local
file; the catalog carries hand-written comments, so a test can check that a change touched nothing else.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.build import build
from indexer.config import Settings
from indexer.curators import CuratorStore
from support import DocServer, make_pdf
from webapp import create_app

NAME, PASSWORD = "ada", "correct horse battery"

CATALOG = """\
# The test collection. Comments and blank lines are the curators' and must survive every change.

- id: fine-report
  title: "Micro-credentials in practice"
  year: 2022
  section: report
  type: report
  regions: ["Ireland"]
  url: "{fine}"

# Link: the old address; the ministry moved it.
- id: broken-link
  title: "National framework for short courses"
  year: 2021
  section: policy
  type: framework
  regions:
    - Canada
  url: "{gone}"

- id: no-link-yet
  title: "Webinar on digital badges for employers"
  year: 2021
  section: event
  type: event
  regions: ["International"]
  link: missing

- id: local-copy
  title: "A report kept as a local file"
  year: 2020
  section: report
  type: report
  regions: ["Europe"]
  path: files/local-copy.pdf
"""


def build_curate_world(tmp_path: Path, server: DocServer) -> Settings:
    fine = server.add("/fine.pdf", make_pdf(["Micro-credentials in practice: stackable short courses."]))
    (tmp_path / "corpus" / "files").mkdir(parents=True)
    (tmp_path / "corpus" / "files" / "local-copy.pdf").write_bytes(make_pdf(["Recognition of prior learning."]))
    settings = replace(Settings.from_env(catalog=tmp_path / "corpus" / "catalog.yaml", index=tmp_path / "index",
                                         cache=tmp_path / "cache"), http_timeout=2.0, http_retries=0)
    settings.catalog.write_text(CATALOG.format(fine=fine, gone=server.url("/gone.pdf")), encoding="utf-8")
    build(settings, progress=False, jobs=1)
    CuratorStore(settings.suggestion_db).add(NAME, PASSWORD)
    return settings


def token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, name: str = NAME, password: str = PASSWORD, **request):
    """`request`: more arguments for both requests (a `base_url` for a site with a base URL set)."""
    page = client.get("/curate/sign-in", **request)
    return client.post("/curate/sign-in", data={"name": name, "password": password,
                                               "csrf_token": token(page.get_data(as_text=True))}, **request)


@pytest.fixture
def world(tmp_path):
    """(settings, document server) of a fresh world per test."""
    server = DocServer()
    yield build_curate_world(tmp_path, server), server
    server.close()


@pytest.fixture
def client(world):
    """A test client of the world's app, signed in as the curator; `client.application` is the app."""
    app = create_app(world[0], TESTING=True)
    client = app.test_client()
    sign_in(client)
    client.application = app
    return client
