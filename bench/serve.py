"""A static file server on 127.0.0.1 that behaves like a well-configured web server for the fetcher.

It sends ETag (size and mtime, as nginx does) and Last-Modified, answers conditional requests with
304, and counts responses by status, so the speed bench can see that a no-change rebuild downloads
nothing.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONTENT_TYPES = {".pdf": "application/pdf", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FileServer:
    """`mounts` maps a first path segment to a directory: {"corpus": Path(...)} serves /corpus/<file>."""

    def __init__(self, mounts: dict[str, Path]):
        self.mounts = {name: path.resolve() for name, path in mounts.items()}
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm the body then waits for
            # the client's delayed ACK, adding ~40 ms to every download.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self._respond(body=False)

            def do_GET(self):
                self._respond(body=True)

            def _respond(self, body: bool):
                mount, _, name = self.path.split("?")[0].lstrip("/").partition("/")
                root = server.mounts.get(mount)
                path = (root / name).resolve() if root else None
                if path is None or not path.is_file() or root not in path.parents:
                    return self._status(404)
                stat = path.stat()
                etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
                headers = {"ETag": etag, "Last-Modified": formatdate(stat.st_mtime, usegmt=True)}
                if self._not_modified(etag, stat.st_mtime):
                    return self._status(304, headers)
                data = path.read_bytes() if body else b""
                self._status(
                    200,
                    {
                        **headers,
                        "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                        "Content-Length": str(stat.st_size),
                    },
                    data,
                )

            def _not_modified(self, etag: str, mtime: float) -> bool:
                if "If-None-Match" in self.headers:
                    return etag in [t.strip() for t in self.headers["If-None-Match"].split(",")]
                since = self.headers.get("If-Modified-Since")
                try:
                    return since is not None and int(mtime) <= parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False

            def _status(self, status: int, headers: dict | None = None, data: bytes = b""):
                with server._lock:
                    server.statuses[status] += 1
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if "Content-Length" not in (headers or {}):
                    self.send_header("Content-Length", "0")
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                """A client hanging up mid-response is its business, not a traceback on the bench's output."""
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def counts(self) -> dict[int, int]:
        with self._lock:
            return dict(self.statuses)

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
