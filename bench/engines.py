"""Search engines behind one shape — `index(docs)` then `search(query, k) -> [doc id]` — for the quality bench.

Every engine gets the raw query text a user would paste (Cranfield's has stray `.`, `-dash`,
`/slip flow/`, `(i.e. ...)`); each competitor turns it into an OR of its terms the way its own
documentation suggests, so that no engine loses points to a syntax error. Ours gets it untouched,
through the web API, because that is what a user's query goes through.
"""

from __future__ import annotations

import functools
import re
import shutil
import sqlite3
from pathlib import Path

import yaml

from bench.collections import Doc
from indexer.search import MAX_QUERY_CHARS

#: Whoosh 2.7's English stop list (`whoosh.analysis.STOP_WORDS`), which the READMEs' rank-bm25
#: runs drop; written out because only the indexer's engine module may import Whoosh.
WHOOSH_STOP_WORDS = frozenset(
    """
    a an and are as at be by can for from have if in is it may not of on or tbd that the this to us
    we when will with yet you your
""".split()
)

TANTIVY_SPECIAL = frozenset("+-&|!(){}[]^\"~*?:\\/<>='")


def tantivy_escape(text: str, keep: str = "") -> str:
    """Lower-cased so AND/OR/NOT/IN stay words, and every operator character not in `keep` escaped."""
    return "".join("\\" + c if c in TANTIVY_SPECIAL and c not in keep else c for c in text.lower())


class Tantivy:
    name = "tantivy"
    config = "en_stem tokenizer, BM25, query parser with OR default, operators escaped"

    def index(self, docs: list[Doc]) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("body", tokenizer_name="en_stem")
        self._index = tantivy.Index(builder.build())
        writer = self._index.writer()
        for doc in docs:
            writer.add_document(tantivy.Document(id=doc.id, body=doc.content))
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()

    def search(self, query: str, k: int) -> list[str]:
        parsed = self._index.parse_query(tantivy_escape(query), ["body"])
        hits = self._searcher.search(parsed, k).hits
        return [self._searcher.doc(address)["id"][0] for _, address in hits]


class Fts5:
    name = "sqlite-fts5"
    config = "porter unicode61 tokenizer, bm25(), terms as OR'ed quoted strings"

    def index(self, docs: list[Doc]) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, body, tokenize='porter unicode61')")
        self._db.executemany("INSERT INTO docs (id, body) VALUES (?, ?)", [(d.id, d.content) for d in docs])
        self._db.execute("INSERT INTO docs (docs) VALUES ('optimize')")

    def search(self, query: str, k: int) -> list[str]:
        terms = re.findall(r"\w+", query.lower())
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = self._db.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, k))
        return [row[0] for row in rows]


class RankBm25:
    """rank-bm25 set up as the collections' READMEs measured it (their harness, `bench_search.py`).

    The library brings no analysis: lower-case alphanumeric tokens, Whoosh's stop words dropped,
    NLTK's Porter stemmer (its default mode), over the same title-and-text the others index.
    """

    name = "rank-bm25"
    config = "BM25Okapi (k1 1.2, b 0.75), [a-z0-9]+ tokens, Whoosh stop words dropped, NLTK Porter"

    def index(self, docs: list[Doc]) -> None:
        from nltk.stem import PorterStemmer
        from rank_bm25 import BM25Okapi

        self._stem = functools.lru_cache(maxsize=None)(PorterStemmer().stem)
        self._ids = [d.id for d in docs]
        self._bm25 = BM25Okapi([self._terms(d.content) or [""] for d in docs], k1=1.2, b=0.75)

    def _terms(self, text: str) -> list[str]:
        return [self._stem(t) for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in WHOOSH_STOP_WORDS]

    def search(self, query: str, k: int) -> list[str]:
        terms = self._terms(query)
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [self._ids[i] for i in order[:k] if scores[i] > 0]


class Observatory:
    """Our indexer and search, reached exactly as a user reaches them: a catalog of local files, then /api/search."""

    name = "observatory"
    config = "default settings: build() over a catalog of .txt files, GET /api/search"
    per_page = 100

    def __init__(self, work_dir: Path):
        self.work_dir = work_dir

    def index(self, docs: list[Doc]) -> None:
        from indexer.build import build
        from indexer.config import Settings
        from webapp import create_app

        shutil.rmtree(self.work_dir, ignore_errors=True)
        files = self.work_dir / "docs"
        files.mkdir(parents=True)
        records = []
        for doc in docs:
            path = files / f"doc-{doc.id}.txt"
            # As the acceptance runs do it: the file holds the document's `text` (for CACM and
            # Cranfield it starts with the title already), a collection without titles (MED, NPL,
            # TIME) gets "Document N", and every record the same year, section, type and region.
            path.write_text(doc.text + "\n", encoding="utf-8")
            records.append(
                {
                    "id": f"doc-{doc.id}",
                    "title": doc.title or f"Document {doc.id}",
                    "year": 2020,
                    "section": "article",
                    "type": "journal-article",
                    "regions": ["International"],
                    "language": "en",
                    "path": str(path.relative_to(self.work_dir)),
                }
            )
        catalog = self.work_dir / "catalog.yaml"
        catalog.write_text(yaml.safe_dump(records, sort_keys=False, allow_unicode=True), encoding="utf-8")
        settings = Settings.from_env(catalog=catalog, index=self.work_dir / "index", cache=self.work_dir / "cache")
        build(settings, full=True, progress=False)
        self._client = create_app(settings).test_client()

    def ask(self, query: str) -> None:
        """One search as a user sends it: GET /api/search?q=... with the default page size."""
        response = self._client.get("/api/search", query_string={"q": query[:MAX_QUERY_CHARS]})
        if response.status_code != 200:
            raise RuntimeError(f"/api/search?q={query!r} answered {response.status_code}")

    def search(self, query: str, k: int) -> list[str]:
        query = query[:MAX_QUERY_CHARS]  # what the API accepts; the acceptance runs cut queries alike
        ids: list[str] = []
        page = 1
        while len(ids) < k:
            response = self._client.get(
                "/api/search", query_string={"q": query, "per_page": self.per_page, "page": page}
            )
            if response.status_code != 200:
                raise RuntimeError(
                    f"/api/search?q={query!r} answered {response.status_code}: {response.get_data(True)}"
                )
            results = response.get_json()["results"]
            ids += [r["id"].removeprefix("doc-") for r in results]
            if len(results) < self.per_page:
                break
            page += 1
        return ids[:k]


COMPETITORS = (Tantivy, Fts5, RankBm25)
