"""Fixtures shared by the test modules: a local document server and PDFs with known words."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import DocServer, make_pdf  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def local_servers_allowed():
    """The tests' document servers run on 127.0.0.1, which the fetcher refuses unless allowed
    (SSRF), and "localhost" stands for another host in redirect tests; tests about that refusal build their Settings with their own `allow_hosts`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVATORY_ALLOW_HOSTS", "127.0.0.1,localhost")
        yield


@pytest.fixture
def doc_server():
    server = DocServer()
    yield server
    server.close()


@pytest.fixture
def pdf():
    return make_pdf
