"""Fixtures shared by the test modules: a local document server and PDFs with known words."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import DocServer, make_pdf  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def doc_server():
    server = DocServer()
    yield server
    server.close()


@pytest.fixture
def pdf():
    return make_pdf
