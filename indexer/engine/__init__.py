"""The search engine behind a small facade: the only package that imports `whoosh`.

`schema` (what a version's files hold, `indexer.analysis` as Whoosh analyzers), `writer`
(whole publications in and out), `reader` (answers in publication ids and page texts), `query`
(the query language to Whoosh queries), `scoring` (BM25), `feedback` (matches reordered by the
words of the best ones), `internals` (the one module touching Whoosh's private API). Where
versions live on disk, the lock and the manifest are `layout`'s business, so another engine (an
OpenSearch adapter, say) would be one new package with the same facade. Snippets, marks and
phrase checks are analysis, not engine: see `indexer.snippets`.
"""

from __future__ import annotations

from ..analysis import ANALYSIS_VERSION
from .internals import discard_unfinished, segment_files, segment_sizes
from .query import EXPANSION_WEIGHT, ParsedQuery, with_alternatives
from .reader import Page, Reader, damage
from .schema import SCHEMA, SCHEMA_VERSION, create
from .writer import Writer

__all__ = [
    "ANALYSIS_VERSION",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Page",
    "ParsedQuery",
    "Reader",
    "Writer",
    "create",
    "EXPANSION_WEIGHT",
    "with_alternatives",
    "damage",
    "discard_unfinished",
    "segment_files",
    "segment_sizes",
]
