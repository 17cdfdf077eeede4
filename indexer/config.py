"""Where things live: the one place that reads the environment.

The CLI, the web app and the benchmarks all ask `Settings.from_env()` so that an override given as
a flag, an environment variable or a test fixture means the same thing everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """An OBSERVATORY_* variable holds something unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    catalog: Path
    index_dir: Path
    cache_dir: Path
    user_agent: str = "ObservatorySearch/0.1 (+https://github.com/observatory-search; research indexer)"
    http_timeout: float = 30.0
    http_retries: int = 3
    max_download_bytes: int = 200 * 1024 * 1024
    max_redirects: int = 5
    #: Wall-clock bound on one download, retries and redirects included: a server dripping a byte
    #: at a time never trips the per-read `http_timeout`.
    fetch_deadline: float = 120.0
    #: Hosts (`host` or `host:port`) that may be fetched although they resolve to loopback,
    #: private, link-local or reserved addresses; everything else of that kind is refused (SSRF).
    allow_hosts: tuple[str, ...] = ()
    extract_timeout: float = 120.0
    #: Address-space limit of each extraction process: a decompression bomb fails that document
    #: ("too large to extract") instead of taking the machine's memory.
    extract_memory_mb: int = 1536
    #: Extracted text kept per page and per document; the rest is dropped with a warning, since
    #: one 60 MB page makes every search that matches it take seconds.
    max_page_chars: int = 200_000
    max_document_chars: int = 5_000_000
    fetch_threads: int = 8
    #: The longest an incremental build reuses a download without asking its server, however long
    #: the server says it stays fresh (RFC 9111); 0 asks about every download at every build.
    freshness_max: float = 86_400.0
    secret_key: str | None = None
    suggestions: Path | None = None  # readers' suggestion queue; None: `suggestion_db`'s default
    base_url: str | None = None  # absolute links (feeds, exports, OpenSearch) are made from this, never from Host
    #: Days the zero-result query counts are kept (`indexer/querylog.py`); 0 keeps none.
    query_log_days: int = 30
    #: Reverse proxies in front of the web app whose X-Forwarded-For/-Proto are believed (0: none).
    trusted_proxies: int = 0

    @classmethod
    def from_env(
        cls,
        catalog: str | os.PathLike | None = None,
        index: str | os.PathLike | None = None,
        cache: str | os.PathLike | None = None,
    ) -> Settings:
        """Explicit arguments win over OBSERVATORY_* variables, which win over the defaults."""
        env = os.environ

        def pick(value, var, default):
            return Path(value or env.get(var) or default).expanduser()

        def number(var, kind, default, zero=False):
            raw = env.get(var)
            if raw is None or not raw.strip():
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise SettingsError(f"{var}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None
            if not (value > 0 or zero and value == 0) or value == float("inf"):
                raise SettingsError(f"{var}={raw!r} must be a {'non-negative' if zero else 'positive'} finite number")
            return value

        allow = env.get("OBSERVATORY_ALLOW_HOSTS", "")
        return cls(
            catalog=pick(catalog, "OBSERVATORY_CATALOG", PROJECT_ROOT / "corpus" / "catalog.yaml"),
            index_dir=pick(index, "OBSERVATORY_INDEX", PROJECT_ROOT / "index"),
            cache_dir=pick(cache, "OBSERVATORY_CACHE", PROJECT_ROOT / "corpus" / "cache"),
            http_timeout=number("OBSERVATORY_HTTP_TIMEOUT", float, cls.http_timeout),
            fetch_deadline=number("OBSERVATORY_FETCH_DEADLINE", float, cls.fetch_deadline),
            freshness_max=number("OBSERVATORY_FRESHNESS_MAX", float, cls.freshness_max, zero=True),
            allow_hosts=tuple(host.strip().lower() for host in allow.split(",") if host.strip()),
            extract_timeout=number("OBSERVATORY_EXTRACT_TIMEOUT", float, cls.extract_timeout),
            extract_memory_mb=number("OBSERVATORY_EXTRACT_MEMORY_MB", int, cls.extract_memory_mb),
            secret_key=env.get("OBSERVATORY_SECRET_KEY"),
            suggestions=Path(env["OBSERVATORY_SUGGESTIONS"]).expanduser()
            if env.get("OBSERVATORY_SUGGESTIONS")
            else None,
            base_url=env.get("OBSERVATORY_BASE_URL") or None,
            query_log_days=number("OBSERVATORY_QUERY_LOG_DAYS", int, cls.query_log_days, zero=True),
            trusted_proxies=number("OBSERVATORY_TRUSTED_PROXIES", int, cls.trusted_proxies),
        )

    @property
    def suggestion_db(self) -> Path:
        """Beside the index folder, not in it (index versions are swapped and deleted, suggestions must
        not be) nor in the git-tracked corpus folder: the web app writes it, curators' commits never."""
        return self.suggestions or self.index_dir.parent / "suggestions.sqlite3"
