"""A tiny world for tests: a local document server on 127.0.0.1 and PDFs with known words on known pages.

Tests never touch the internet; they serve what they make from here, and count what was asked for.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from bench.serve import free_port  # noqa: F401  (one helper for the tests and the speed bench)
from indexer.config import PROJECT_ROOT as PROJECT

#: Eval data and real PDFs next to the checkout (`../shared`); tests that need them skip without them.
SHARED = PROJECT.parent / "shared"
REAL_CATALOG = PROJECT / "corpus" / "catalog.yaml"
#: Where the browser tests write screenshots (git-ignored); `make screenshots` publishes chosen ones.
SCREENSHOTS = PROJECT / "build" / "screenshots"


def make_pdf(pages: list[str], title: str | None = None, user_password: str | None = None,
             image: bool = False) -> bytes:
    """A PDF whose page n shows pages[n-1]: one PDF line per text line (so a test decides where lines
    break), text lines longer than ~90 characters wrapped at a space; "" makes a blank page.

    `image` puts a grey square on every page, as a scan has; `user_password` encrypts the file.
    """
    buf = io.BytesIO()
    encrypt = StandardEncryption(user_password, ownerPassword="owner", strength=128) \
        if user_password is not None else None
    pdf = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    if title:
        pdf.setTitle(title)
    for text in pages:
        lines = pdf.beginText(50, 800)
        for line in text.splitlines():
            for wrapped in textwrap.wrap(line, 90, break_long_words=False) or [""]:
                lines.textLine(wrapped)
        pdf.drawText(lines)
        if image:
            pdf.drawImage(ImageReader(Image.new("L", (64, 64), 128)), 60, 400, 200, 200)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    delay: float = 0.0
    location: str | None = None
    validators: bool = True  # send ETag and Last-Modified, honour conditional requests
    failures: int = 0  # answer the first N requests with failure_status, then behave
    failure_status: int = 503
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (also on failures)
    repeat: int = 1  # send the body this many times: a huge download without holding it in memory
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    drip: float = 0.0  # send the body a byte at a time, this many seconds apart
    sent: int = 0  # body bytes written so far (to the socket's buffers, not necessarily read)
    finished: threading.Event = field(default_factory=threading.Event)  # set when a response has ended


@dataclass
class DocServer:
    """Serves `routes` (path -> Route); `log` records (method, path, conditional?) for every request.

    `headers_seen` maps a path to the headers of the latest request for it.
    """

    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, str, bool]] = field(default_factory=list)
    headers_seen: dict[str, dict[str, str]] = field(default_factory=dict)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str, content_type: str = "application/pdf", **kw) -> str:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, content_type, **kw)
        return self.url(path)

    def requests_for(self, path: str) -> list[tuple[str, str, bool]]:
        return [entry for entry in self.log if entry[1] == path]

    def downloads_of(self, path: str) -> int:
        """Full responses with a body (not 304s)."""
        return sum(1 for method, p, status in self._served if p == path and status == 200)

    def __post_init__(self):
        self._served: list[tuple[str, str, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
                server.log.append(("GET", self.path, conditional))
                server.headers_seen[self.path] = dict(self.headers.items())
                route = server.routes.get(self.path)
                if route is None:
                    return self._send(404, b"not found", "text/plain")
                if route.delay:
                    time.sleep(route.delay)
                if route.failures:
                    route.failures -= 1
                    return self._send(route.failure_status, b"try again later", "text/plain", route.headers)
                if route.location:
                    self.send_response(route.status)
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    server._served.append(("GET", self.path, route.status))
                    return
                etag = '"' + hashlib.sha1(route.body).hexdigest() + '"'
                if route.validators and self.headers.get("If-None-Match") == etag:
                    server._served.append(("GET", self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                extra = {"ETag": etag, "Last-Modified": formatdate(usegmt=True)} if route.validators else {}
                self._send(route.status, route.body, route.content_type, {**extra, **route.headers}, route)

            def _send(self, status, body, content_type, extra=None, route: Route | None = None):
                """A response; with `route`, its repeat, drip and Content-Length, counting what is sent."""
                repeat = route.repeat if route else 1
                server._served.append(("GET", self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if route is None or route.content_length:
                    self.send_header("Content-Length", str(len(body) * repeat))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                chunks = [body[i:i + 1] for i in range(len(body))] if route and route.drip else [body]
                try:
                    for _ in range(repeat):
                        for chunk in chunks:
                            self.wfile.write(chunk)
                            if route:
                                route.sent += len(chunk)
                                if route.drip:
                                    self.wfile.flush()
                                    time.sleep(route.drip)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    if route:
                        route.finished.set()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        # a short poll interval so that close() (at every test's teardown) returns at once
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()


#: A text document whose extraction `extract_or_hang` never finishes.
HANGS = b"This document hangs the extraction: apprenticeships."
#: A text document whose extraction process `extract_or_hang` kills, as a native library dies of a bomb.
CRASHES = b"This document kills its extraction process: traineeships."


def extract_or_hang(content: bytes, kind: str, engine: str) -> dict:
    """The build's extraction job, except that HANGS blocks until the pool kills the process: a
    document over the time limit, whatever the machine's speed. (A module-level function, so the
    extraction processes can unpickle it.)"""
    from indexer import worker

    if content == HANGS:
        threading.Event().wait()
    if content == CRASHES:
        os.kill(os.getpid(), signal.SIGKILL)
    return worker.extract_job(content, kind, engine)


def write_catalog(path, entries: list[dict]) -> None:
    """Write entries as the curators would (a YAML list), creating the folder."""
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True), encoding="utf-8")


def entry(id: str, **fields) -> dict:
    """A valid catalog entry; tests override only what they are about."""
    base = {"id": id, "title": f"Title of {id}", "year": 2022, "section": "report", "type": "report",
            "regions": ["Ireland"]}
    base.update(fields)
    if not any(k in base for k in ("url", "path", "link")):
        base["link"] = "missing"
    return base


@contextlib.contextmanager
def live_app(settings, **config):
    """The web app on a free 127.0.0.1 port, served from a thread: yields its base URL."""
    from werkzeug.serving import make_server

    from webapp import create_app

    server = make_server("127.0.0.1", 0, create_app(settings, **config), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def listening(command: list[str], port: int, seconds: float = 60, **popen):
    """`command` (a server told to listen on 127.0.0.1:`port`) started, yielded once it accepts
    connections or has exited (check `poll()`), and terminated afterwards."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def gunicorn(port: int) -> list[str]:
    """The production server as `make production` runs it, on 127.0.0.1:`port` (run from PROJECT)."""
    return [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}"]
