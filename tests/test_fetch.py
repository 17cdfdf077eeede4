"""The fetcher, against the local document server: what a curator would see in the status report."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import socket
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import urllib3

from indexer.config import Settings
from indexer.fetch import CacheWriteError, Fetcher, FetchError
from support import DocServer, free_port

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PAGE = "<!DOCTYPE html><html><head><title>Badges</title></head><body><p>Micro-credentials</p></body></html>"


@pytest.fixture
def settings(tmp_path):
    """Small timeouts and retries so failures are quick; the cache lives in the test's own folder."""
    return replace(Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index",
                                     cache=tmp_path / "cache"), http_timeout=0.5, http_retries=2)


@pytest.fixture
def fetcher(settings):
    return Fetcher(settings)


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The pauses urllib3's retry policy asks for (backoff, Retry-After), recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(urllib3.util.retry, "time", SimpleNamespace(sleep=recorded.append, time=time.time))
    return recorded


@pytest.fixture
def dials(monkeypatch) -> list[tuple[str, int]]:
    """The TCP connections urllib3 opens (each attempt, retries included), by address."""
    opened: list[tuple[str, int]] = []
    connect = urllib3.util.connection.create_connection

    def counting(address, *args, **kwargs):
        opened.append(address)
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    return opened


def fetch_error(fetcher, source, base_dir=Path(".")) -> str:
    with pytest.raises(FetchError) as failure:
        fetcher.fetch(source, base_dir)
    return failure.value.reason


# --- what kind of document ---------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["application/pdf", "text/html", "application/octet-stream"])
def test_pdf_is_recognised_by_its_bytes_whatever_the_server_calls_it(doc_server, fetcher, pdf, content_type):
    body = pdf(["Micro-credentials in Europe"])
    fetched = fetcher.fetch(doc_server.add("/report", body, content_type), Path("."))
    assert (fetched.kind, fetched.content, fetched.changed) == ("pdf", body, True)
    assert fetched.sha256 == hashlib.sha256(body).hexdigest()


def test_pdf_behind_leading_junk_is_still_a_pdf(doc_server, fetcher, pdf):
    body = b"\r\n\xef\xbb\xbf garbage from a CMS\n" + pdf(["text"])
    assert fetcher.fetch(doc_server.add("/junk.pdf", body, "text/plain"), Path(".")).kind == "pdf"


@pytest.mark.parametrize("body, content_type, kind", [
    (PAGE, "text/html; charset=utf-8", "html"),
    (PAGE.lower(), "text/plain", "html"),                     # the markup says html
    ("<p>a fragment</p>", "text/html", "html"),                # the header says html
    ("Plain notes on micro-credentials.\n", "text/plain", "text"),
    ("Ærø, Zürich, Kraków\n", "application/octet-stream", "text"),
    ("Notes in Latin-1: Zürich\n".encode("latin-1"), "text/plain; charset=latin-1", "text"),
])
def test_html_and_text_are_told_apart(doc_server, fetcher, body, content_type, kind):
    assert fetcher.fetch(doc_server.add("/doc", body, content_type), Path(".")).kind == kind


@pytest.mark.parametrize("body, content_type, reason", [
    (PNG, "image/png", "unsupported content (image/png)"),
    (PNG, "text/html", "unsupported content (image/png)"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "application/octet-stream", "unsupported content (application/zip)"),
    (bytes(range(256)) * 4, "application/octet-stream", "unsupported content (application/octet-stream)"),
    ('<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", "unsupported content (image/svg+xml)"),
    (b"", "text/plain", "empty document"),
])
def test_images_archives_and_binary_data_are_refused(doc_server, fetcher, body, content_type, reason):
    assert fetch_error(fetcher, doc_server.add("/thing", body, content_type)) == reason


# --- HTTP failures -----------------------------------------------------------------------------

def test_missing_page_fails_at_once_without_retries(doc_server, fetcher):
    assert fetch_error(fetcher, doc_server.url("/gone")) == "HTTP 404 Not Found"
    assert len(doc_server.requests_for("/gone")) == 1


def test_server_error_is_retried_then_reported(doc_server, fetcher):
    url = doc_server.add("/broken", "oops", "text/plain", status=500)
    assert fetch_error(fetcher, url) == "HTTP 500 Internal Server Error (after 2 retries)"
    assert len(doc_server.requests_for("/broken")) == 3
    assert fetcher.requests_sent == 3


def test_passing_trouble_is_ridden_out(doc_server, fetcher, pdf):
    url = doc_server.add("/busy", pdf(["x"]), failures=2, failure_status=503)
    assert fetcher.fetch(url, Path(".")).kind == "pdf"
    assert len(doc_server.requests_for("/busy")) == 3
    assert (fetcher.requests_sent, fetcher.downloads) == (3, 1)


def test_retry_after_is_honoured(doc_server, fetcher, pdf, waits):
    url = doc_server.add("/slow-down", pdf(["x"]), failures=1, failure_status=429, headers={"Retry-After": "1"})
    assert fetcher.fetch(url, Path(".")).kind == "pdf"
    assert waits == [1.0]
    assert len(doc_server.requests_for("/slow-down")) == 2


def test_slow_server_times_out(doc_server, fetcher):
    url = doc_server.add("/sleepy", "late", "text/plain", delay=1.0)
    assert fetch_error(fetcher, url) == "timed out after 0.5 s"
    assert len(doc_server.requests_for("/sleepy")) == 1, "a read timeout is not retried"
    assert fetcher.downloads == 0


def test_oversized_download_is_refused_from_its_content_length(doc_server, settings, pdf):
    fetcher = Fetcher(replace(settings, max_download_bytes=64 * 1024))
    url = doc_server.add("/big.pdf", pdf(["x"]) + bytes(70 * 1024))
    assert fetch_error(fetcher, url) == "too large (> 64 KB)"
    assert fetcher.downloads == 0


def test_oversized_stream_is_cut_off_once_past_the_cap(doc_server, settings):
    fetcher = Fetcher(replace(settings, max_download_bytes=1024 * 1024))
    url = doc_server.add("/endless", b"%PDF-1.7\n" + bytes(64 * 1024), repeat=100_000, content_length=False)
    assert fetch_error(fetcher, url) == "too large (> 1 MB)"
    route = doc_server.routes["/endless"]
    assert route.finished.wait(30), "the server's writes fail once the fetcher hangs up"
    assert route.sent < 64 * 1024 * 1024, "the cap plus socket buffers were read, not the 6 GB on offer"


def test_redirects_are_followed_to_the_final_url(doc_server, fetcher, pdf):
    final = doc_server.add("/files/report.pdf", pdf(["x"]))
    for hop in range(5):
        doc_server.add(f"/old/{hop}", b"", status=301, location=f"/old/{hop + 1}")
    doc_server.add("/old/5", b"", status=302, location="/files/report.pdf")
    assert fetcher.fetch(doc_server.url("/old/1"), Path(".")).url == final  # 5 redirects: the limit


def test_redirect_loop_is_reported(doc_server, fetcher):
    doc_server.add("/ping", b"", status=302, location="/pong")
    doc_server.add("/pong", b"", status=302, location="/ping")
    assert fetch_error(fetcher, doc_server.url("/ping")) == "too many redirects (> 5)"


def test_user_agent_is_honest(doc_server, fetcher, settings):
    fetcher.fetch(doc_server.add("/ua", "hello", "text/plain"), Path("."))
    assert doc_server.headers_seen["/ua"]["User-Agent"] == settings.user_agent


# --- unreachable hosts: an offline build must fail fast ----------------------------------------

def test_closed_port_is_refused_at_once_and_not_dialled_again(settings, waits, dials):
    calls = []

    class CountingSession(requests.Session):
        def get(self, url, **kwargs):
            calls.append(url)
            return super().get(url, **kwargs)

    fetcher = Fetcher(replace(settings, http_retries=3), session=CountingSession())
    port = free_port()
    assert fetch_error(fetcher, f"http://127.0.0.1:{port}/a.pdf") == "connection refused"
    assert fetch_error(fetcher, f"http://127.0.0.1:{port}/b.pdf") == "connection refused"
    assert len(calls) == len(dials) == 1
    assert not any(waits), "no backoff: a refusal is an answer"


@pytest.fixture
def unanswered_port():
    """A port whose accept queue is full: Linux drops further SYNs, so connecting times out."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    queued = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        queued.append(client)
    time.sleep(0.1)
    yield port
    for client in queued:
        client.close()
    listener.close()


def test_connect_timeout_is_retried_then_the_host_is_given_up(settings, unanswered_port, dials):
    fetcher = Fetcher(replace(settings, http_retries=1))
    assert fetch_error(fetcher, f"http://127.0.0.1:{unanswered_port}/a.pdf") == "timed out after 0.5 s"
    assert len(dials) == 2, "one retry of the connection"
    assert fetch_error(fetcher, f"http://127.0.0.1:{unanswered_port}/b.pdf") == "timed out after 0.5 s"
    assert len(dials) == 2, "the host is not dialled again"


def test_unresolvable_host(fetcher):
    assert fetch_error(fetcher, "http://nonexistent.invalid/x.pdf") == "DNS lookup failed for nonexistent.invalid"


def test_failed_dns_lookup_is_not_retried(settings, monkeypatch):
    """Timed by counting lookups, since a real resolver may drop a query and stall for seconds."""
    lookups = []

    def no_dns(host, *args, **kwargs):
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    fetcher = Fetcher(replace(settings, http_retries=3, http_timeout=30))
    for n in range(20):
        assert fetch_error(fetcher, f"https://offline.example/{n}.pdf") == "DNS lookup failed for offline.example"
    assert fetch_error(fetcher, "https://other.example/x.pdf") == "DNS lookup failed for other.example"
    assert lookups == ["offline.example", "other.example"]


def test_tls_to_a_plain_http_server_is_a_tls_error(doc_server, fetcher):
    url = doc_server.add("/secure", "hello", "text/plain").replace("http://", "https://")
    assert fetch_error(fetcher, url).startswith("TLS error: ")


@pytest.fixture
def self_signed_tls_port(tmp_path):
    """A TLS listener with a certificate nobody trusts; the handshake is all the test needs."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("openssl is needed to make a certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                context.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_untrusted_certificate_is_a_tls_error(fetcher, self_signed_tls_port):
    reason = fetch_error(fetcher, f"https://127.0.0.1:{self_signed_tls_port}/x.pdf")
    assert reason.startswith("TLS error: ") and "certificate" in reason


# --- the cache ---------------------------------------------------------------------------------

def test_second_fetch_asks_conditionally_and_is_served_from_the_cache(doc_server, settings, pdf):
    body = pdf(["Stackable credentials"])
    url = doc_server.add("/stable.pdf", body)
    first = Fetcher(settings).fetch(url, Path("."))

    again = Fetcher(settings)  # a later build: only the disk remembers
    second = again.fetch(url, Path("."))

    assert (first.changed, second.changed) == (True, False)
    assert (second.content, second.kind, second.sha256) == (body, "pdf", first.sha256)
    assert [conditional for _, _, conditional in doc_server.requests_for("/stable.pdf")] == [False, True]
    assert doc_server.downloads_of("/stable.pdf") == 1
    assert (again.requests_sent, again.downloads) == (1, 0)


def test_same_body_without_validators_is_unchanged(doc_server, fetcher):
    url = doc_server.add("/plain", "the same words", "text/plain", validators=False)
    fetcher.fetch(url, Path("."))
    second = fetcher.fetch(url, Path("."))
    assert second.changed is False
    assert fetcher.downloads == 2


def test_new_content_is_changed(doc_server, fetcher, pdf):
    url = doc_server.add("/living.pdf", pdf(["first edition"]))
    first = fetcher.fetch(url, Path("."))
    doc_server.add("/living.pdf", pdf(["second edition"]))
    second = fetcher.fetch(url, Path("."))
    assert second.changed is True and second.sha256 != first.sha256


def test_bodies_are_stored_once_by_content_hash(doc_server, fetcher, settings, pdf):
    body = pdf(["shared"])
    for path in ("/one.pdf", "/two.pdf"):
        fetcher.fetch(doc_server.add(path, body), Path("."))
    assert [p.name for p in (settings.cache_dir / "blobs").iterdir()] == [hashlib.sha256(body).hexdigest()]
    entries = [json.loads(p.read_text()) for p in (settings.cache_dir / "http").glob("*.json")]
    assert sorted(entry["url"] for entry in entries) == [doc_server.url("/one.pdf"), doc_server.url("/two.pdf")]
    assert {"etag", "last_modified", "sha256", "kind", "url", "fetched_at"} <= set(entries[0])


@pytest.mark.parametrize("damage", ["{not json", "[]", '{"sha256": "abc", "kind": "pdf"}', "\x00\xff"])
def test_corrupt_cache_entry_is_ignored(doc_server, fetcher, settings, pdf, damage):
    url = doc_server.add("/doc.pdf", pdf(["x"]))
    fetcher.fetch(url, Path("."))
    for entry in (settings.cache_dir / "http").glob("*.json"):
        entry.write_text(damage)
    fetched = fetcher.fetch(url, Path("."))
    assert fetched.kind == "pdf" and fetched.changed is True
    assert doc_server.requests_for("/doc.pdf")[-1][2] is False  # asked in full


def test_lost_cached_body_means_a_full_download(doc_server, fetcher, settings, pdf):
    url = doc_server.add("/doc.pdf", pdf(["x"]))
    fetcher.fetch(url, Path("."))
    for blob in (settings.cache_dir / "blobs").iterdir():
        blob.unlink()
    assert fetcher.fetch(url, Path(".")).content == doc_server.routes["/doc.pdf"].body
    assert doc_server.requests_for("/doc.pdf")[-1][2] is False


def test_rotten_cached_body_is_fetched_again_after_a_304(doc_server, fetcher, settings, pdf):
    url = doc_server.add("/doc.pdf", pdf(["x"]))
    fetcher.fetch(url, Path("."))
    for blob in (settings.cache_dir / "blobs").iterdir():
        blob.write_bytes(b"half a file")
    assert fetcher.fetch(url, Path(".")).content == doc_server.routes["/doc.pdf"].body
    assert [conditional for _, _, conditional in doc_server.requests_for("/doc.pdf")] == [False, True, False]


# --- files in the corpus folder ----------------------------------------------------------------

def test_local_file_relative_to_the_catalog(tmp_path, fetcher, pdf):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "paper.pdf").write_bytes(pdf(["local"]))
    first = fetcher.fetch("docs/paper.pdf", tmp_path)
    second = fetcher.fetch(str(tmp_path / "docs" / "paper.pdf"), Path("/elsewhere"))
    assert (first.kind, first.url, first.changed) == ("pdf", str(tmp_path / "docs" / "paper.pdf"), True)
    assert second.changed is False


def test_edited_local_file_is_changed(tmp_path, fetcher):
    note = tmp_path / "note.txt"
    note.write_text("draft")
    fetcher.fetch("note.txt", tmp_path)
    note.write_text("final")
    assert fetcher.fetch("note.txt", tmp_path).changed is True


def test_missing_local_file(tmp_path, fetcher):
    assert fetch_error(fetcher, "docs/missing.pdf", tmp_path) == f"file not found: {tmp_path / 'docs' / 'missing.pdf'}"


def test_an_impossible_local_name_is_a_failure_not_a_crash(tmp_path, fetcher):
    name = "x" * 300 + ".pdf"
    assert fetch_error(fetcher, name, tmp_path) == f"cannot read {tmp_path / name}: File name too long"


def test_other_url_schemes_are_refused(fetcher):
    assert fetch_error(fetcher, "ftp://example.org/a.pdf") == "unsupported URL scheme (ftp)"


# --- shared by the build's threads -------------------------------------------------------------

def test_threads_share_one_fetcher(doc_server, fetcher, pdf):
    urls = [doc_server.add(f"/t{n}.pdf", pdf([f"document {n}"])) for n in range(16)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda url: fetcher.fetch(url, Path(".")), urls))
    assert [r.url for r in results] == urls
    assert (fetcher.requests_sent, fetcher.downloads) == (16, 16)


# --- hostile servers and catalogs --------------------------------------------------------------

def test_a_server_dripping_bytes_is_cut_off_at_the_download_deadline(doc_server, settings):
    fetcher = Fetcher(replace(settings, fetch_deadline=0.5))
    url = doc_server.add("/drip", "%PDF-1.7\n" + "x" * 400, "application/pdf", drip=0.02)  # ~8 s in all
    assert fetch_error(fetcher, url) == "download took longer than 0.5 s"
    assert fetcher.downloads == 0


def test_a_body_without_length_cut_at_the_deadline_is_not_taken_as_whole(doc_server, settings):
    fetcher = Fetcher(replace(settings, fetch_deadline=0.5))
    url = doc_server.add("/drip", "plain text " * 40, "text/plain", drip=0.02, content_length=False)
    assert fetch_error(fetcher, url) == "download took longer than 0.5 s"


def test_retry_after_waits_fit_in_the_download_deadline(doc_server, settings, pdf, waits):
    # The waits are recorded, not slept: the deadline is far enough that a busy machine's own
    # slowness never reaches it (it bounds real time, which is then the test's, not the waits').
    fetcher = Fetcher(replace(settings, http_retries=3, fetch_deadline=20.0))
    url = doc_server.add("/later", pdf(["x"]), failures=3, headers={"Retry-After": "3600"})
    assert fetcher.fetch(url, Path(".")).kind == "pdf"
    assert len(waits) == 3 and sum(waits) <= 20.0


@pytest.fixture
def ssrf_settings(settings, doc_server):
    """Only the document server's own port is allowed: another port on the machine is internal."""
    return replace(settings, allow_hosts=(f"127.0.0.1:{doc_server.port}",))


@pytest.mark.parametrize("url, kind", [
    ("http://127.0.0.1:{closed}/x.pdf", "loopback"),
    ("http://localhost:{closed}/x.pdf", "loopback"),
    ("http://[::1]:{closed}/x.pdf", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.7/x.pdf", "private"),
    ("http://192.168.1.1/x.pdf", "private"),
    ("http://224.0.0.1/x.pdf", "multicast"),
    ("http://240.0.0.1/x.pdf", "reserved"),
])
def test_internal_hosts_are_refused_without_being_dialled(ssrf_settings, url, kind):
    reason = fetch_error(Fetcher(ssrf_settings), url.format(closed=free_port()))
    assert reason.startswith("refused: ") and f"is a {kind} address" in reason
    assert "OBSERVATORY_ALLOW_HOSTS" in reason


def test_a_redirect_to_an_internal_port_is_refused(doc_server, ssrf_settings):
    internal = DocServer()
    try:
        internal.add("/admin", "internal secrets", "text/plain")
        doc_server.add("/innocent", b"", status=302, location=internal.url("/admin"))
        reason = fetch_error(Fetcher(ssrf_settings), doc_server.url("/innocent"))
    finally:
        internal.close()
    assert reason == "refused: 127.0.0.1 is a loopback address (allow it with OBSERVATORY_ALLOW_HOSTS)"
    assert internal.log == [], "the internal server was never asked"


def test_a_host_resolving_to_an_internal_address_only_later_is_refused(doc_server, ssrf_settings, monkeypatch):
    """DNS rebinding: public for the check, loopback for the connection; the answer is not used."""
    real_lookup, answers = socket.getaddrinfo, iter(["93.184.216.34"])

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real_lookup(host, port, *args, **kwargs)
        return real_lookup(next(answers, "127.0.0.1"), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    doc_server.add("/secret", "internal secrets", "text/plain")
    reason = fetch_error(Fetcher(ssrf_settings), f"http://rebind.example:{doc_server.port}/secret")
    assert reason.startswith("refused: rebind.example (127.0.0.1) is a loopback address")


def test_allowed_hosts_are_fetched_by_name_or_by_name_and_port(doc_server, settings):
    url = doc_server.add("/ok", "fine", "text/plain")
    for allowed in ("127.0.0.1", f"127.0.0.1:{doc_server.port}"):
        assert Fetcher(replace(settings, allow_hosts=(allowed,))).fetch(url, Path(".")).kind == "text"
    other_port = replace(settings, allow_hosts=(f"127.0.0.1:{free_port()}",))
    assert fetch_error(Fetcher(other_port), url).startswith("refused: 127.0.0.1 is a loopback address")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_an_unwritable_cache_stops_with_the_real_cause(doc_server, fetcher, monkeypatch, code):
    def full(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("indexer.fetch.tempfile.mkstemp", full)
    with pytest.raises(CacheWriteError) as failure:
        fetcher.fetch(doc_server.add("/doc", "hello", "text/plain"), Path("."))
    assert failure.value.errno == code
    assert str(failure.value).endswith(f"cache/blobs: {os.strerror(code)}")


# --- trusting the cache on a 304 (issue 21) ------------------------------------------------------

def _rot_in_place(blob: Path) -> None:
    """Same size, same modification time, other bytes: what only reading the bytes can tell."""
    stat = blob.stat()
    blob.write_bytes(bytes(255 - byte for byte in blob.read_bytes()))
    os.utime(blob, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_304_trusts_the_cached_copy_by_size_and_time_and_reads_it_only_when_asked(doc_server, settings, pdf):
    body = pdf(["Stackable credentials"])
    url = doc_server.add("/stable.pdf", body)
    Fetcher(settings).fetch(url, Path("."))
    [blob] = (settings.cache_dir / "blobs").iterdir()
    _rot_in_place(blob)
    trusted = Fetcher(settings).fetch(url, Path("."))  # a later incremental build
    assert (trusted.changed, trusted.sha256) == (False, hashlib.sha256(body).hexdigest())
    assert [conditional for _, _, conditional in doc_server.requests_for("/stable.pdf")] == [False, True]
    with pytest.raises(FetchError, match="the cached copy is damaged"):
        _ = trusted.content  # read at last, the bytes are checked: rot never reaches the text cache
    assert not blob.exists(), "so the next build downloads it again"


def test_a_verifying_fetcher_hashes_the_cached_copy_and_downloads_a_rotten_one(doc_server, settings, pdf):
    body = pdf(["Stackable credentials"])
    url = doc_server.add("/stable.pdf", body)
    Fetcher(settings).fetch(url, Path("."))
    [blob] = (settings.cache_dir / "blobs").iterdir()
    _rot_in_place(blob)
    verified = Fetcher(settings, verify=True).fetch(url, Path("."))  # build --verify, or --full
    assert verified.content == body
    assert [conditional for _, _, conditional in doc_server.requests_for("/stable.pdf")] == [False, True, False]
