"""The production server configuration: gunicorn refuses oversized requests before the app sees them."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from indexer.config import PROJECT_ROOT
from support import free_port


def ask(port: int, request: bytes) -> bytes:
    """The status line of the answer to a raw request."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return sock.makefile("rb").readline()


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "OBSERVATORY_INDEX": str(tmp_path / "index"), "WEB_CONCURRENCY": "1"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}"],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=30)


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
