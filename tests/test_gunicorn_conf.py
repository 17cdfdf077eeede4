"""The production server configuration: gunicorn refuses oversized requests before the app sees them."""
from __future__ import annotations

import os
import socket

import pytest
from support import free_port, gunicorn, listening

from indexer.config import PROJECT_ROOT
from webapp import SECURITY_HEADERS


def ask(port: int, request: bytes) -> bytes:
    """The status line of the answer to a raw request."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return sock.makefile("rb").readline()


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "OBSERVATORY_INDEX": str(tmp_path / "index"), "WEB_CONCURRENCY": "1"}
    with listening(gunicorn(port), port, cwd=PROJECT_ROOT, env=env):
        yield port


def test_an_ordinary_request_reaches_the_app(server):
    status = ask(server, b"GET /about HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status.split()[1] == b"503"  # the app's own answer where no index has been built yet


def test_an_overlong_request_line_is_refused(server):
    line = b"GET /?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert ask(server, line).split()[1] == b"414"


def test_too_many_or_too_large_headers_are_refused(server):
    many = b"".join(b"X-H%d: v\r\n" % n for n in range(60))
    assert ask(server, b"GET / HTTP/1.1\r\nHost: localhost\r\n" + many + b"\r\n").split()[1] == b"431"
    large = b"X-Big: " + b"v" * 9000 + b"\r\n"
    assert ask(server, b"GET / HTTP/1.1\r\nHost: localhost\r\n" + large + b"\r\n").split()[1] == b"431"


def answer(port: int, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Status line, headers and body of the answer to a raw request (the server closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        raw = b"".join(iter(lambda: sock.recv(65536), b""))
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status.encode(), {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}, body


def test_the_apps_error_pages_carry_the_security_headers_through_gunicorn(server):
    status, headers, _ = answer(server, b"GET /about HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status.split()[1] == b"503"
    assert {name.lower(): value for name, value in SECURITY_HEADERS.items()}.items() <= headers.items()


def test_gunicorns_own_error_pages_escape_what_they_echo_and_close_the_connection(server):
    """gunicorn cannot add headers to the errors it writes itself (see gunicorn.conf.py): the proxy does."""
    status, headers, body = answer(server, b"GET / HTTP/1.1\r\nHost: localhost\r\n<script>x: 1\r\n\r\n")
    assert status.split()[1] == b"400"
    assert headers["connection"] == "close"
    assert b"<script>" not in body and b"&lt;script&gt;" in body
