"""`OBSERVATORY_FETCH_DEADLINE` bounds a whole download, whatever the server drips and wherever.

Each case is a raw server on 127.0.0.1 that sends its answer a byte (or a chunk) at a time, every
byte well inside the per-read `http_timeout`, for far longer than the deadline; the download must
end with the deadline's reason and the server must see the connection closed. (On the code before
the deadline covered connections, the status-line, header and Content-Length cases read on for the
drip's whole length and then succeeded or failed with another reason.)
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from support import entry, write_catalog

from indexer.build import build
from indexer.config import Settings
from indexer.fetch import Fetcher, FetchError
from indexer.layout import IndexRoot
from indexer.status import status_report

DRIP_SECONDS = 0.05
DEADLINE = 0.6
#: Bytes dripped per case: 200 x 0.05 s = 10 s, far past the deadline, each byte inside the read timeout.
DRIPPED = 200


@dataclass
class DripServer:
    """Answers every connection with `head` sent at once, then `drip` one piece at a time.

    `dropped` is set when a client hung up before the drip ended; `connections` counts attempts.
    """

    head: bytes = b""
    drip: list[bytes] = field(default_factory=list)
    connections: int = 0
    dropped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str = "/report.pdf") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self):
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket):
        with conn:
            conn.recv(65536)  # the request
            try:
                conn.sendall(self.head)
                for piece in self.drip:
                    if self._closed.wait(DRIP_SECONDS):
                        return
                    conn.sendall(piece)
            except OSError:
                self.dropped.set()
                return
            # The drip ended: a client still reading sees the rest (if any) now.
            probe = conn.recv(1) if not self.drip else b"x"
            if probe == b"":
                self.dropped.set()

    def close(self):
        self._closed.set()
        self._listener.close()


@pytest.fixture
def settings(tmp_path):
    return replace(Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index",
                                     cache=tmp_path / "cache"),
                   http_timeout=2.0, http_retries=2, fetch_deadline=DEADLINE)


@pytest.fixture
def drip_server():
    servers = []

    def make(head: bytes, drip: list[bytes]) -> DripServer:
        servers.append(DripServer(head, drip))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[i:i + 1] for i in range(len(data))]


CASES = {
    "status line": (b"", one_byte_at_a_time(b"HTTP/1.1 200 " + b"O" * DRIPPED)),
    "headers": (b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n",
                one_byte_at_a_time(b"X-Padding: " + b"a" * DRIPPED)),
    "body with Content-Length": (b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
                                 b"Content-Length: %d\r\n\r\n%%PDF-1.7\n" % (DRIPPED + 9),
                                 one_byte_at_a_time(b"x" * DRIPPED)),
    "body without length": (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                            one_byte_at_a_time(b"y" * DRIPPED)),
    "chunked body": (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
                     [b"1\r\nz\r\n"] * DRIPPED),
}


@pytest.mark.parametrize("case", CASES)
def test_a_dripping_server_is_cut_off_at_the_deadline_wherever_it_drips(drip_server, settings, case):
    server = drip_server(*CASES[case])
    fetcher = Fetcher(settings)
    with pytest.raises(FetchError) as failure:
        fetcher.fetch(server.url(), Path("."))
    assert failure.value.reason == f"download took longer than {DEADLINE:g} s"
    assert server.dropped.wait(5), "the connection is closed, not left dripping"
    assert fetcher.downloads == 0


def test_retries_of_slow_answers_stop_at_the_deadline(drip_server, settings):
    """Each attempt's 503 takes 0.3 s to arrive; 20 retries would take 6 s."""
    head = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n"
    server = drip_server(b"", [head, b"", b"", b"", b"", b"\r\n"])
    fetcher = Fetcher(replace(settings, http_retries=20))
    with pytest.raises(FetchError) as failure:
        fetcher.fetch(server.url(), Path("."))
    assert failure.value.reason == f"download took longer than {DEADLINE:g} s"
    assert server.connections < 21


def test_connection_attempts_are_cut_to_the_deadline(settings):
    """A port whose accept queue is full never answers a SYN: with a 30 s connect timeout and
    three retries, the download would take two minutes."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    queued = [socket.socket() for _ in range(3)]
    for client in queued:
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
    try:
        fetcher = Fetcher(replace(settings, http_timeout=30.0, http_retries=3))
        with pytest.raises(FetchError) as failure:
            fetcher.fetch(f"http://127.0.0.1:{port}/a.pdf", Path("."))
        assert failure.value.reason == f"download took longer than {DEADLINE:g} s"
    finally:
        for client in queued:
            client.close()
        listener.close()


def test_a_build_against_a_dripping_server_finishes_and_releases_its_lock(drip_server, settings, tmp_path):
    server = drip_server(*CASES["headers"])
    write_catalog(settings.catalog, [entry("dripped", url=server.url())])
    report = build(settings, progress=False, jobs=1)
    assert [problem["reason"] for problem in report.failures] == [f"download took longer than {DEADLINE:g} s"]
    assert status_report(settings)["groups"][0]["ids"] == ["dripped"]  # "broken"
    with IndexRoot(settings.index_dir, "").build_lock():  # a later build is not locked out
        pass
