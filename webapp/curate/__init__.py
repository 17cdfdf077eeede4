"""The curators' screens (/curate): keep the collection from the browser, signed in.

`corpus/catalog.yaml` stays the one source of truth: every change here is a small change of that
file (see `indexer.additions`), with the curator's name in the audit trail. docs/CURATORS.md
describes the screens.
"""

from . import adding, auth, imports, moderation, records  # noqa: F401 (each adds its routes to `bp`)
from .blueprint import bp

__all__ = ["bp"]
