"""An index the server cannot read is a clear 503 that heals by itself; one a build cannot write, a clear error.

Tests run as root, where `chmod 000` denies nothing, so an unreadable index is made the way disks
and careless copies make it: the live version's table of contents (`_pubs_*.toc`) truncated or
overwritten with garbage. An unwritable one is a file standing where the index directory should be,
and a denied `mkdir` (the error a non-root operator gets).
"""
from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.config import PROJECT_ROOT
from indexer.layout import IndexRoot
from support import DocServer, entry, write_catalog
from web_world import PUBLICATIONS, Page, build_world
from webapp import SECURITY_HEADERS, create_app
from webapp.cli import cli


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = DocServer()
    yield build_world(tmp_path_factory.mktemp("faults"), server, PUBLICATIONS[:4])
    server.close()


def live_toc(world) -> Path:
    root = IndexRoot(world.settings.index_dir, "")
    return max(root.current_link.resolve().glob("_pubs_*.toc"))


def assert_unreadable_answers(client):
    for path in ("/", "/?q=stackable", "/doc/eu-council-recommendation", "/export.csv?q=quality"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "the search index cannot be read" in Page(response.get_data(as_text=True)).text
        assert response.headers["Retry-After"] == "30"
        assert all(response.headers[name] == value for name, value in SECURITY_HEADERS.items())
    api = client.get("/api/search?q=stackable")
    assert api.status_code == 503
    assert api.get_json()["error"].startswith("the search index cannot be read: ")
    assert str(client.application.config["SETTINGS"].index_dir) not in api.get_data(as_text=True)  # no paths shown


@pytest.mark.parametrize("damage", [lambda data: data[:len(data) // 2], lambda data: b"\x00garbage" * 50,
                                    lambda data: b""], ids=["truncated", "garbage", "empty"])
def test_a_damaged_index_is_a_clear_503_and_serving_resumes_when_it_is_readable(world, damage, caplog):
    toc = live_toc(world)
    intact = toc.read_bytes()
    client = create_app(world.settings, TESTING=True).test_client()
    toc.write_bytes(damage(intact))
    try:
        assert_unreadable_answers(client)
    finally:
        toc.write_bytes(intact)
    assert "the search index cannot be read" in caplog.text and str(toc.parent) in caplog.text  # the operator's log
    # the same app, no restart: the next request opens the repaired index
    assert client.get("/api/search?q=stackable").get_json()["total"] >= 1
    assert client.get("/").status_code == 200


def test_a_damaged_new_version_is_a_503_until_a_build_replaces_it(world):
    client = create_app(world.settings, TESTING=True).test_client()
    assert client.get("/api/search?q=stackable").status_code == 200   # serving the current version
    world.rebuild(list(world.pubs.values()), full=True)
    toc = live_toc(world)
    toc.write_bytes(b"\x00garbage" * 50)
    assert_unreadable_answers(client)
    world.rebuild(list(world.pubs.values()), full=True)
    assert client.get("/api/search?q=stackable").get_json()["total"] >= 1


def test_a_build_into_an_index_path_blocked_by_a_file_names_it_and_exits_non_zero(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    write_catalog(catalog, [entry("a")])
    (tmp_path / "taken").write_text("not a directory")
    done = subprocess.run([sys.executable, "-m", "indexer", "--catalog", str(catalog),
                           "--index", str(tmp_path / "taken" / "index"), "--cache", str(tmp_path / "cache"),
                           "build", "--quiet"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"cannot write {tmp_path / 'taken' / 'index'}: Not a directory" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_build_denied_its_index_directory_names_it_and_exits_non_zero(tmp_path, monkeypatch):
    catalog = tmp_path / "catalog.yaml"
    write_catalog(catalog, [entry("a")])
    index_dir = tmp_path / "index"

    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))
    monkeypatch.setattr(Path, "mkdir", denied)
    result = CliRunner().invoke(cli, ["--catalog", str(catalog), "--index", str(index_dir),
                                      "--cache", str(tmp_path / "cache"), "build", "--quiet"])
    assert result.exit_code == 1
    assert f"cannot write {index_dir}: Permission denied" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_search_command_says_the_index_cannot_be_read(world):
    toc = live_toc(world)
    intact = toc.read_bytes()
    toc.write_bytes(b"")
    try:
        result = CliRunner().invoke(cli, ["--index", str(world.settings.index_dir), "search", "stackable"])
    finally:
        toc.write_bytes(intact)
    assert result.exit_code == 1
    assert f"{toc.parent}: " in result.output and "Traceback" not in result.output
