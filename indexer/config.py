"""Where things live: the one place that reads the environment.

The CLI, the web app and the benchmarks all ask `Settings.from_env()` so that an override given as
a flag, an environment variable or a test fixture means the same thing everywhere.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    extract_timeout: float = 120.0
    fetch_threads: int = 8
    secret_key: str | None = None
    suggestions: Path | None = None  # readers' suggestion queue; None: `suggestion_db`'s default
    base_url: str | None = None  # absolute links (feeds, exports, OpenSearch) are made from this, never from Host

    @classmethod
    def from_env(cls, catalog: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                 cache: str | os.PathLike | None = None) -> "Settings":
        """Explicit arguments win over OBSERVATORY_* variables, which win over the defaults."""
        env = os.environ

        def pick(value, var, default):
            return Path(value or env.get(var) or default).expanduser()

        return cls(
            catalog=pick(catalog, "OBSERVATORY_CATALOG", PROJECT_ROOT / "corpus" / "catalog.yaml"),
            index_dir=pick(index, "OBSERVATORY_INDEX", PROJECT_ROOT / "index"),
            cache_dir=pick(cache, "OBSERVATORY_CACHE", PROJECT_ROOT / "corpus" / "cache"),
            http_timeout=float(env.get("OBSERVATORY_HTTP_TIMEOUT", cls.http_timeout)),
            extract_timeout=float(env.get("OBSERVATORY_EXTRACT_TIMEOUT", cls.extract_timeout)),
            secret_key=env.get("OBSERVATORY_SECRET_KEY"),
            suggestions=Path(env["OBSERVATORY_SUGGESTIONS"]).expanduser() if env.get("OBSERVATORY_SUGGESTIONS") else None,
            base_url=env.get("OBSERVATORY_BASE_URL") or None,
        )

    @property
    def suggestion_db(self) -> Path:
        """Beside the index folder, not in it (index versions are swapped and deleted, suggestions must
        not be) nor in the git-tracked corpus folder: the web app writes it, curators' commits never."""
        return self.suggestions or self.index_dir.parent / "suggestions.sqlite3"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)
