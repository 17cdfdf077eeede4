"""Getting a catalogued document's bytes, from the web or from the corpus folder, without asking twice.

A build fetches a few hundred documents on every run, most of them unchanged and many from slow
public sites, sometimes on a machine with no network at all. Hence: conditional requests against
an on-disk cache (a rebuild costs 304s, not downloads), retries only where trouble is likely to
pass, a short human reason for every failure (the status report shows it to curators), and an
offline build that fails in seconds rather than minutes.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import errno
import functools
import hashlib
import ipaddress
import json
import math
import mimetypes
import os
import re
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.retry import Retry

from indexer.config import Settings
from indexer.failures import Failure

KINDS = ("pdf", "html", "text")

#: Statuses that usually mean "not now" rather than "no".
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: urllib3 waits 0, 1, 2, 4 ... seconds between attempts: enough for a restart or a brief overload.
BACKOFF_FACTOR = 0.5
#: A server may ask for a longer pause (Retry-After); past this we stop waiting on it, or one
#: document would hold a build thread for an hour. All the waits of one download also fit in its
#: deadline (see `Fetcher._session`).
MAX_RETRY_AFTER = 10.0
#: RFC 9111 §4.2.2: a response without an explicit lifetime may be reused for a tenth of the time
#: since it last changed (a report unchanged for a year is trusted for a day, `freshness_max`).
HEURISTIC_FRACTION = 0.1

SNIFF_BYTES = 1024
CHUNK_BYTES = 64 * 1024
ACCEPT = "application/pdf, text/html;q=0.9, text/plain;q=0.8, */*;q=0.1"

_HTML_MARKERS = re.compile(rb"<!doctype\s+html|<html|<head|<body", re.IGNORECASE)
#: Formats worth naming in the failure reason; servers often call all of them octet-stream.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\xd0\xcf\x11\xe0", "application/msword"),
)
#: Declared types whose textual bodies (SVG, subtitles ...) are still not documents to index.
_NON_DOCUMENT_TYPES = ("image/", "audio/", "video/", "font/")
#: Socket errors that say the host cannot be reached at all (as refusals and DNS failures do).
_UNREACHABLE = {
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
}


class FetchError(Exception):
    """A document could not be had; `reason` is what the status report shows the curator, `code`
    the group it is listed in (most failures to fetch are a broken link)."""

    def __init__(self, reason: str, code: Failure = Failure.BROKEN):
        super().__init__(reason)
        self.reason = reason
        self.code = code


class CacheWriteError(Exception):
    """The download cache cannot be written (disk full, read-only, no permission).

    Not one document's failure: every later one would fail alike, and a build that went on would
    publish an index in which every document failed. So it stops the build, naming the real
    cause (e.g. "No space left on device") and the folder; `errno` is the operating system's.
    """

    def __init__(self, path: Path, error: OSError):
        super().__init__(f"cannot write the download cache in {path.parent}: {error.strerror or error}")
        self.errno = error.errno


class RefusedHost(FetchError):
    """A URL (or a redirect hop) whose host is internal: loopback, private, link-local ...

    Fetching it would let anyone who can edit the catalog (or any site it links to, through a
    redirect) have internal services' answers indexed and published (SSRF).
    """

    def __init__(self, reason: str):
        super().__init__(reason, Failure.OTHER)


class _DeadlinePassed(Exception):
    """Raised inside urllib3 (a connection opened, a retry due) once the download's deadline has passed."""


class _Deadline:
    """The wall-clock bound of one download, from the first connection to the last byte, retries,
    backoff and redirects included.

    No per-read timeout can bound a server that drips its status line, headers or body a byte at
    a time, and a blocked read cannot be interrupted from its own thread; so every socket the
    download uses is registered here (`_GuardedConnection`: new ones and reused ones alike) and a
    timer shuts them all down at the deadline, which ends any read at once. Connection attempts
    and retry waits are cut to the time left, and no new attempt starts once it has passed.
    """

    _active = threading.local()  # the deadline of the download running in this thread

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut_off)
        self._timer.daemon = True

    @classmethod
    def current(cls) -> _Deadline | None:
        return getattr(cls._active, "deadline", None)

    def __enter__(self) -> Self:
        self._active.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._active.deadline = None
        self._timer.cancel()
        self._timer.join()
        with self._lock:
            self._sockets.clear()

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def watch(self, sock: socket.socket | None) -> None:
        """Shut `sock` down at the deadline; at once (raising `_DeadlinePassed`) if it has passed."""
        if sock is None:
            return
        with self._lock:
            if not self.expired.is_set():
                self._sockets.add(sock)
                return
        _shut(sock)
        raise _DeadlinePassed()

    def passed(self) -> bool:
        """Whether the deadline has come (a read timeout cut to it may fire just before the timer)."""
        return self.expired.is_set() or self.remaining() <= 0

    def check(self) -> None:
        if self.passed():
            raise _DeadlinePassed()

    def _cut_off(self) -> None:
        with self._lock:
            self.expired.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    @property
    def reason(self) -> str:
        return f"download took longer than {self.seconds:g} s"


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True)
class Fetched:
    """A document's bytes and what is known of them. `body` is None when a 304 was answered from a
    cached copy trusted by its size and modification time: most such records are unchanged and
    their bytes never needed, so `content` reads (and checks) them only when asked for."""

    body: bytes | None = field(repr=False)  # up to max_download_bytes: keep it out of test failure output
    kind: str
    sha256: str
    url: str
    changed: bool
    blob: Path | None = None  # where `content` is read from when `body` is None

    @functools.cached_property
    def content(self) -> bytes:
        if self.body is not None:
            return self.body
        assert self.blob is not None  # a Fetched without its body always says where the body is
        try:
            content = self.blob.read_bytes()
        except OSError as err:
            raise FetchError(f"the cached copy cannot be read ({err.strerror or err})") from err
        if hashlib.sha256(content).hexdigest() != self.sha256:
            with contextlib.suppress(OSError):
                self.blob.unlink()  # the next build downloads it again
            raise FetchError("the cached copy is damaged (it is downloaded again at the next build)")
        return content


def freshness(headers, now: float, most: float) -> float:
    """Seconds from `now` that a response may be reused without asking, for a private cache
    (RFC 9111 §4.2): none with `no-store` or `no-cache`; else `max-age`, else `Expires` − `Date`,
    else a tenth of `Date` − `Last-Modified` (§4.2.2); less the age caches on the way say it has
    (`Age`, §4.2.3; not now − `Date`, which a server whose clock is off would make all or nothing);
    never more than `most` (an operator's bound: `OBSERVATORY_FRESHNESS_MAX`)."""
    directives = {}
    for part in headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    date = _http_time(headers.get("Date")) or now
    if "max-age" in directives:
        lifetime = float(directives["max-age"]) if directives["max-age"].isdigit() else 0.0
    elif "Expires" in headers:
        expires = _http_time(headers["Expires"])  # an invalid date means already expired (§5.3)
        lifetime = expires - date if expires else 0.0
    elif last_modified := _http_time(headers.get("Last-Modified")):
        lifetime = HEURISTIC_FRACTION * max(0.0, date - last_modified)
    else:
        lifetime = 0.0
    age = headers.get("Age", "")
    return max(0.0, min(lifetime - (float(age) if age.isdigit() else 0.0), most))


def _http_time(value: str | None) -> float | None:
    """An HTTP date (RFC 9110 §5.6.7, all three formats) as epoch seconds, or None."""
    if not value:
        return None
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return email.utils.parsedate_to_datetime(value).timestamp()
    return None


class _Retry(Retry):
    """urllib3's retry policy, except that a host which cannot be resolved, refuses, cannot be
    routed to or fails the TLS handshake has given an answer, not had a hiccup.

    Offline, every catalogued host fails like that at once; retrying each with backoff would turn
    a build of a few hundred dead links into minutes of waiting, and a bad certificate is no
    better a second later. Connect timeouts and 429/5xx are still retried: those do pass.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        deadline = _Deadline.current()
        if deadline is not None:
            deadline.check()
        if isinstance(error, (NewConnectionError, SSLError)):  # NameResolutionError is one of the former
            raise MaxRetryError(_pool, url, error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    #: The longest Retry-After honoured; set per Fetcher so that all of a download's waits fit its deadline.
    max_retry_after = MAX_RETRY_AFTER

    def new(self, **kw) -> _Retry:
        policy = super().new(**kw)
        policy.max_retry_after = self.max_retry_after
        return policy

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            return min(super().parse_retry_after(retry_after), self.max_retry_after, _time_left())
        except InvalidHeader:
            return 0.0  # unreadable: fall back to our own backoff

    def get_backoff_time(self) -> float:
        return min(super().get_backoff_time(), _time_left())


def _time_left() -> float:
    deadline = _Deadline.current()
    return deadline.remaining() if deadline is not None else float("inf")


if TYPE_CHECKING:  # a mixin: at run time it is combined with the pool's own connection class
    from urllib3.connection import HTTPConnection as _Connection
else:
    _Connection = object


class _GuardedConnection(_Connection):
    """Refuses internal hosts on every connection: each hop of a redirect chain and each retry
    opens its connections here.

    Every address the host resolves to is checked before dialling, so an internal service is
    never even connected to. The socket then connects by name again (urllib3 resolves anew), so
    the address actually connected to is checked too, before a byte of the request is sent: a
    DNS answer that changes between the two lookups (rebinding) gains nothing. Proxies (none are
    configured) would defeat the second check.
    """

    allow_hosts: tuple[str, ...] = ()

    def _new_conn(self):
        deadline = _Deadline.current()
        if deadline is not None:
            deadline.check()
            if isinstance(self.timeout, (int, float)):  # a connection attempt ends with it too
                self.timeout = min(self.timeout, max(deadline.remaining(), 0.001))
        sock = self._connect_guarded()
        if deadline is not None:
            deadline.watch(sock)
        return sock

    def request(self, *args, **kwargs):
        """A connection reused from the pool is watched by this download's deadline too."""
        deadline = _Deadline.current()
        if deadline is not None:
            deadline.watch(self.sock)
        return super().request(*args, **kwargs)

    def _connect_guarded(self):
        host = self.host.lower()
        if host in self.allow_hosts or f"{host}:{self.port}" in self.allow_hosts:
            return super()._new_conn()
        try:
            addresses = {str(info[4][0]) for info in socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)}
        except socket.gaierror as err:
            raise NameResolutionError(self.host, self, err) from err  # as urllib3's own lookup would
        for address in sorted(addresses):
            _refuse_internal(host, address)
        sock = super()._new_conn()
        try:
            _refuse_internal(host, sock.getpeername()[0])
        except RefusedHost:
            sock.close()
            raise
        return sock


class _GuardedAdapter(HTTPAdapter):
    """An adapter whose connection pools open `_GuardedConnection`s allowing `allow_hosts`."""

    def __init__(self, allow_hosts: tuple[str, ...], **kwargs):
        self.allow_hosts = allow_hosts  # before super().__init__, which builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        allowed = {"allow_hosts": self.allow_hosts}
        self.poolmanager.pool_classes_by_scheme = {
            scheme: type(
                f"Guarded{pool.__name__}",
                (pool,),
                {
                    "ConnectionCls": type(
                        f"Guarded{pool.ConnectionCls.__name__}", (_GuardedConnection, pool.ConnectionCls), allowed
                    )
                },
            )
            for scheme, pool in self.poolmanager.pool_classes_by_scheme.items()
        }


def _refuse_internal(host: str, address: str) -> None:
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 scope (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    kinds = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved or ip.is_unspecified),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    )  # e.g. carrier-grade NAT, 100.64.0.0/10
    kind = next((name for name, matches in kinds if matches), None)
    if kind is not None:
        shown = host if host.strip("[]") == str(ip) else f"{host} ({ip})"
        raise RefusedHost(f"refused: {shown} is a {kind} address (allow it with OBSERVATORY_ALLOW_HOSTS)")


class Fetcher:
    """Shared by the build's fetch threads: each thread gets its own requests.Session.

    On a 304 the cached copy is trusted while its size and modification time are those recorded
    when it was stored (hashing every cached download made a no-change rebuild of 3,300 records
    take seconds); `verify` reads and hashes each one instead (`build --full`, `build --verify`).

    An incremental build does not ask about a download that is still fresh (`freshness`: what its
    server said, or a tenth of the time since it changed, at most `freshness_max`) and whose cached
    copy still has its recorded size and modification time: one request per unchanged record was
    all an incremental build still cost. `verify` asks about every one.

    `requests_sent` counts HTTP responses received (retries and redirect hops included);
    `downloads` counts full bodies received (not 304s); `fresh` the downloads reused without asking.
    A host that could not be connected to at all (DNS, refused, unreachable, connect timeout, TLS)
    is not dialled again by this Fetcher: its remaining documents fail at once with the same reason.
    A `session` passed in is used as given, by every thread, with its own retry and redirect policy
    (tests and callers that bring their own transport); the refusal of internal hosts
    (`_GuardedConnection`) is then theirs to make.
    """

    def __init__(self, settings: Settings, *, session: requests.Session | None = None, verify: bool = False):
        self.settings = settings
        self.verify = verify
        self.requests_sent = 0
        self.downloads = 0
        self.fresh = 0
        self.clock = time.time  # what freshness is measured against (tests move it)
        self._given_session = session
        self._local = threading.local()
        self._lock = threading.Lock()
        self._unreachable: dict[str, str] = {}
        self._entries = settings.cache_dir / "http"
        self._blobs = settings.cache_dir / "blobs"

    def fetch(self, source: str, base_dir: Path) -> Fetched:
        if re.match(r"https?://", source, re.IGNORECASE):
            return self._fetch_url(source)
        scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*)://", source)
        if scheme:
            raise FetchError(f"unsupported URL scheme ({scheme.group(1)})")
        return self._fetch_file(source, base_dir)

    # --- the web -------------------------------------------------------------------------------

    def _fetch_url(self, url: str) -> Fetched:
        with self._lock:
            known_dead = self._unreachable.get(_host_key(url))
        if known_dead:
            raise FetchError(known_dead)
        entry = self._load_entry(url)
        if entry is not None and not (self._blobs / entry["sha256"]).is_file():
            entry = None
        if entry is not None and not self.verify and self._still_fresh(entry):
            with self._lock:
                self.fresh += 1
            sha = entry["sha256"]
            return Fetched(None, entry["kind"], sha, entry["url"], changed=False, blob=self._blobs / sha)
        with _Deadline(self.settings.fetch_deadline) as deadline:
            try:
                fetched = self._request(url, entry, deadline)
                if fetched is None:  # 304, but the cached body has vanished or rotted since: ask in full
                    fetched = self._request(url, None, deadline)
                    assert fetched is not None  # asked without a cached copy, no 304 can come back
            except _DeadlinePassed:
                raise FetchError(deadline.reason) from None
        return fetched

    def _request(self, url: str, entry: dict | None, deadline: _Deadline) -> Fetched | None:
        headers = {"Accept": ACCEPT, "User-Agent": self.settings.user_agent}
        if entry is not None:
            if entry.get("etag"):
                headers["If-None-Match"] = entry["etag"]
            if entry.get("last_modified"):
                headers["If-Modified-Since"] = entry["last_modified"]
        timeout = min(self.settings.http_timeout, max(deadline.remaining(), 0.001))
        try:
            with self._session().get(url, headers=headers, timeout=(timeout, timeout), stream=True) as response:
                self._count_responses(response)
                if response.status_code == 304 and entry is not None:
                    return self._not_modified(url, response.url, entry, self._freshness(response, entry))
                if not 200 <= response.status_code < 300:
                    raise FetchError(_status_reason(response))
                content = self._read_body(response, deadline)
                final_url = response.url
                content_type = response.headers.get("Content-Type")
                validators = {
                    "etag": response.headers.get("ETag"),
                    "last_modified": response.headers.get("Last-Modified"),
                    **self._freshness(response, None),
                }
        except requests.RequestException as exc:
            if deadline.passed() or any(isinstance(c, _DeadlinePassed) for c in _causes(exc)):
                raise _DeadlinePassed() from exc
            raise self._failure(exc, url) from exc
        with self._lock:
            self.downloads += 1
        kind = detect_kind(content, content_type)
        sha = hashlib.sha256(content).hexdigest()
        self._store_blob(sha, content)
        self._save_entry(url, {**validators, "sha256": sha, "kind": kind, "url": final_url, **self._blob_stat(sha)})
        changed = entry is None or entry["sha256"] != sha
        return Fetched(content, kind, sha, final_url, changed)

    def _not_modified(self, url: str, final_url: str, entry: dict, fresh: dict) -> Fetched | None:
        sha = entry["sha256"]
        entry = {**entry, "url": final_url, **fresh}
        if not self.verify and self._trusted(entry):
            self._save_entry(url, entry)
            return Fetched(None, entry["kind"], sha, final_url, changed=False, blob=self._blobs / sha)
        content = self._read_blob(sha)
        if content is None:
            return None
        self._save_entry(url, {**entry, **self._blob_stat(sha)})
        return Fetched(content, entry["kind"], sha, final_url, changed=False)

    #: The response headers kept with a cache entry for freshness: a 304 updates them (§4.3.4).
    _CACHE_HEADERS = {"cache_control": "Cache-Control", "expires": "Expires", "last_modified": "Last-Modified"}

    def _freshness(self, response: requests.Response, entry: dict | None) -> dict:
        """What a cache entry keeps of a response's freshness: its caching headers (a 304's own
        replace the stored ones, §4.3.4), when it was checked, and for how long it stays fresh."""
        headers = CaseInsensitiveDict(
            {name: entry[key] for key, name in self._CACHE_HEADERS.items() if entry and entry.get(key)}
        )
        headers.update(response.headers)
        now = self.clock()
        kept = {key: headers.get(name) for key, name in self._CACHE_HEADERS.items()}
        # Unbounded here: `freshness_max` bounds it when read, so a lowered bound holds at once.
        return {**kept, "checked_at": now, "fresh_for": freshness(headers, now, math.inf)}

    def _still_fresh(self, entry: dict) -> bool:
        """Checked since less than its freshness ago (at most `freshness_max`), by a clock that has
        not gone back, and its cached copy untouched."""
        checked, fresh_for, now = entry.get("checked_at"), entry.get("fresh_for"), self.clock()
        if not isinstance(checked, (int, float)) or not isinstance(fresh_for, (int, float)):
            return False
        return checked <= now < checked + min(fresh_for, self.settings.freshness_max) and self._trusted(entry)

    def _trusted(self, entry: dict) -> bool:
        """Whether the cached copy still has the size and modification time recorded with it."""
        stat = self._blob_stat(entry["sha256"])
        return bool(stat) and all(entry.get(key) == value for key, value in stat.items())

    def _read_body(self, response: requests.Response, deadline: _Deadline) -> bytes:
        """Stops at the size cap, whatever the server claimed (a lying or absent Content-Length is
        common), and at the download's deadline (whose timer shuts the socket: a body without a
        length then merely seems to end, so the deadline is asked, not the stream)."""
        limit = self.settings.max_download_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"too large (> {_size(limit)})", Failure.TOO_LARGE)
        chunks, received = [], 0
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                received += len(chunk)
                if received > limit:
                    raise FetchError(f"too large (> {_size(limit)})", Failure.TOO_LARGE)
                chunks.append(chunk)
        except requests.RequestException:
            if not deadline.expired.is_set():
                raise
        if deadline.expired.is_set():
            response.close()  # its socket is shut: never hand the connection back to the pool
            raise _DeadlinePassed()
        return b"".join(chunks)

    def _session(self) -> requests.Session:
        if self._given_session is not None:
            return self._given_session
        session = getattr(self._local, "session", None)
        if session is None:
            retries = self.settings.http_retries
            policy = _Retry(
                total=retries,
                connect=retries,
                status=retries,
                read=False,  # a read timeout already cost http_timeout; trying again rarely helps
                backoff_factor=BACKOFF_FACTOR,
                status_forcelist=RETRY_STATUSES,
                respect_retry_after_header=True,
                raise_on_status=False,
            )
            policy.max_retry_after = min(MAX_RETRY_AFTER, self.settings.fetch_deadline / (retries + 1))
            adapter = _GuardedAdapter(self.settings.allow_hosts, max_retries=policy)
            session = requests.Session()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.max_redirects = self.settings.max_redirects
            self._local.session = session
        return session

    def _count_responses(self, response: requests.Response) -> None:
        received = 0
        for hop in (*response.history, response):
            retries = getattr(hop.raw, "retries", None)
            history = retries.history if isinstance(retries, Retry) else ()
            received += 1 + sum(1 for attempt in history if attempt.status is not None)
        with self._lock:
            self.requests_sent += received

    def _failure(self, exc: requests.RequestException, url: str) -> FetchError:
        failed_url = getattr(exc.request, "url", None) or url
        reason, host_level = _describe(exc, failed_url, self.settings)
        if host_level:
            with self._lock:
                self._unreachable[_host_key(failed_url)] = reason
        return FetchError(reason)

    # --- the corpus folder ---------------------------------------------------------------------

    def _fetch_file(self, source: str, base_dir: Path) -> Fetched:
        path = Path(source).expanduser()
        if not path.is_absolute():
            path = Path(base_dir) / path
        path = path.resolve()
        limit = self.settings.max_download_bytes
        try:
            if not path.exists():
                raise FetchError(f"file not found: {path}")
            if not path.is_file():
                raise FetchError(f"not a file: {path}")
            if path.stat().st_size > limit:
                raise FetchError(f"too large (> {_size(limit)})", Failure.TOO_LARGE)
            content = path.read_bytes()
        except OSError as exc:  # a name too long, a folder we may not enter ...
            raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from exc
        kind = detect_kind(content, mimetypes.guess_type(path.name)[0])
        sha = hashlib.sha256(content).hexdigest()
        entry = self._load_entry(str(path))
        self._save_entry(str(path), {"sha256": sha, "kind": kind, "url": str(path)})
        changed = entry is None or entry["sha256"] != sha
        return Fetched(content, kind, sha, str(path), changed)

    # --- the cache -----------------------------------------------------------------------------

    def _entry_path(self, key: str) -> Path:
        return self._entries / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def _load_entry(self, key: str) -> dict | None:
        """Anything unreadable or odd counts as never fetched: the cure for a bad cache is a download."""
        try:
            entry = json.loads(self._entry_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS or not _is_sha256(entry.get("sha256")):
            return None
        if not all(
            isinstance(entry.get(name), (str, type(None)))
            for name in ("etag", "last_modified", "url", "cache_control", "expires")
        ):
            return None
        return entry

    def _save_entry(self, key: str, entry: dict) -> None:
        entry = {**entry, "fetched_at": datetime.now(UTC).isoformat(timespec="seconds")}
        _write_atomically(self._entry_path(key), json.dumps(entry, indent=1).encode())

    def _store_blob(self, sha: str, content: bytes) -> None:
        path = self._blobs / sha
        if not path.is_file():
            _write_atomically(path, content)

    def _blob_stat(self, sha: str) -> dict:
        """What a cached copy is trusted by on a 304: its size and modification time ({} if it is gone)."""
        try:
            stat = (self._blobs / sha).stat()
        except OSError:
            return {}
        return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def _read_blob(self, sha: str) -> bytes | None:
        try:
            content = (self._blobs / sha).read_bytes()
        except OSError:
            return None
        return content if hashlib.sha256(content).hexdigest() == sha else None


def detect_kind(content: bytes, content_type: str | None) -> str:
    """The bytes decide first: servers label PDFs text/html or octet-stream, and wrap them in junk."""
    if not content:
        raise FetchError("empty document", Failure.NOT_A_DOCUMENT)
    head = content[:SNIFF_BYTES]
    declared = (content_type or "").split(";")[0].strip().lower()
    if b"%PDF" in head:
        return "pdf"
    magic = next((name for signature, name in _MAGIC if head.startswith(signature)), None)
    if magic:
        raise FetchError(f"unsupported content ({magic})", Failure.NOT_A_DOCUMENT)
    if _HTML_MARKERS.search(head):
        return "html"
    if declared.startswith(_NON_DOCUMENT_TYPES) or not _looks_textual(head):
        shown = declared if declared and not declared.startswith("text/") else "binary data"
        raise FetchError(f"unsupported content ({shown})", Failure.NOT_A_DOCUMENT)
    return "html" if declared in ("text/html", "application/xhtml+xml") else "text"


def _looks_textual(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)  # not final: the sample may end mid-character
        return True
    except UnicodeDecodeError:
        pass
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f")
    return controls <= len(head) // 100  # legacy 8-bit text, not binary


def _describe(exc: requests.RequestException, url: str, settings: Settings) -> tuple[str, bool]:
    """(reason, whether the whole host is unreachable) for a requests failure.

    requests wraps urllib3's errors, which wrap the socket's; the useful one is somewhere inside.
    """
    if isinstance(exc, requests.TooManyRedirects):
        return f"too many redirects (> {settings.max_redirects})", False
    causes = list(_causes(exc))

    def find(kind):
        return next((cause for cause in causes if isinstance(cause, kind)), None)

    timed_out = f"timed out after {settings.http_timeout:g} s"
    if find(NameResolutionError):
        return f"DNS lookup failed for {urlsplit(url).hostname}", True
    if find(ConnectionRefusedError):
        return "connection refused", True
    code = next((c.errno for c in causes if isinstance(c, OSError) and c.errno in _UNREACHABLE), None)
    if code is not None:
        return _UNREACHABLE[code], True
    unconnected = find(NewConnectionError)
    if unconnected is not None:
        return f"cannot connect ({getattr(unconnected.__cause__, 'strerror', None) or unconnected})", True
    if find(ConnectTimeoutError):
        return timed_out, True
    if isinstance(exc, requests.Timeout) or find(ReadTimeoutError):
        return timed_out, False
    certificate = find(ssl.SSLCertVerificationError)
    if certificate is not None:
        return f"TLS error: {certificate.verify_message or certificate.reason}", True
    tls = find(ssl.SSLError) or find(requests.exceptions.SSLError)
    if tls is not None:
        detail = getattr(tls, "reason", None) or tls.__class__.__name__
        return f"TLS error: {str(detail).replace('_', ' ').lower()}", True
    if find(ConnectionResetError):
        return "connection reset by the server", False
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broken during download", False
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "could not decompress the response", False
    if isinstance(
        exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
    ):
        return f"invalid URL: {url}", False
    root = causes[-1]
    return f"connection failed ({type(root).__name__}: {str(root)[:120]})", False


def _causes(exc: BaseException):
    """Breadth-first through args, .reason, __cause__ and __context__: outermost first, root last."""
    seen, queue = set(), [exc]
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (*current.args, getattr(current, "reason", None), current.__cause__, current.__context__)
        queue.extend(item for item in linked if isinstance(item, BaseException))


def _status_reason(response: requests.Response) -> str:
    code = response.status_code
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = response.reason or ""
    reason = f"HTTP {code} {phrase}".rstrip()
    retries = getattr(response.raw, "retries", None)
    attempts = len(retries.history) if isinstance(retries, Retry) else 0
    if attempts:
        reason += f" (after {attempts} {'retry' if attempts == 1 else 'retries'})"
    return reason


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"


def _size(limit: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if limit >= factor:
            return f"{limit / factor:.4g} {unit}"
    return f"{limit} bytes"


def _is_sha256(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file and rename, so a killed build never leaves half a body under a content hash."""
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException as err:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        if isinstance(err, OSError):
            raise CacheWriteError(path, err) from err
        raise
