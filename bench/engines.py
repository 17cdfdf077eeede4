"""Search engines behind one shape — `index(docs)` then `search(query, k) -> [doc id]` — for the quality bench.

Every engine gets the raw query text a user would paste (Cranfield's has stray `.`, `-dash`,
`/slip flow/`, `(i.e. ...)`); each competitor turns it into an OR of its terms the way its own
documentation suggests, so that no engine loses points to a syntax error. Ours gets it untouched,
through the web API, because that is what a user's query goes through.
"""
from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import yaml

from bench.collections import Doc

TANTIVY_SPECIAL = frozenset('+-&|!(){}[]^"~*?:\\/<>=\'')


def tantivy_escape(text: str, keep: str = "") -> str:
    """Lower-cased so AND/OR/NOT/IN stay words, and every operator character not in `keep` escaped."""
    return "".join("\\" + c if c in TANTIVY_SPECIAL and c not in keep else c for c in text.lower())


def english_analyzer():
    """tantivy's `en_stem` chain, reused so rank-bm25 sees the same terms as tantivy does."""
    import tantivy
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


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
    name = "rank-bm25"
    config = "BM25Okapi (k1 1.5, b 0.75), tantivy's en_stem terms"

    def index(self, docs: list[Doc]) -> None:
        from rank_bm25 import BM25Okapi
        self._analyzer = english_analyzer()
        self._ids = [d.id for d in docs]
        self._bm25 = BM25Okapi([self._analyzer.analyze(d.content) or [""] for d in docs])

    def search(self, query: str, k: int) -> list[str]:
        terms = self._analyzer.analyze(query)
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
            path.write_text(doc.content, encoding="utf-8")
            # A collection without titles (MED, NPL) gets the bare number: a made-up title's words
            # ("untitled", "document") would match queries that none of the text matches.
            records.append({"id": f"doc-{doc.id}", "title": doc.title or doc.id,
                            "year": 2020, "section": "report", "type": "report", "regions": ["International"],
                            "language": "en", "path": str(path.relative_to(self.work_dir))})
        catalog = self.work_dir / "catalog.yaml"
        catalog.write_text(yaml.safe_dump(records, sort_keys=False, allow_unicode=True), encoding="utf-8")
        settings = Settings.from_env(catalog=catalog, index=self.work_dir / "index", cache=self.work_dir / "cache")
        build(settings, full=True, progress=False)
        self._client = create_app(settings).test_client()

    def ask(self, query: str) -> None:
        """One search as a user sends it: GET /api/search?q=... with the default page size."""
        response = self._client.get("/api/search", query_string={"q": query})
        if response.status_code != 200:
            raise RuntimeError(f"/api/search?q={query!r} answered {response.status_code}")

    def search(self, query: str, k: int) -> list[str]:
        ids: list[str] = []
        page = 1
        while len(ids) < k:
            response = self._client.get("/api/search", query_string={"q": query, "per_page": self.per_page,
                                                                      "page": page})
            if response.status_code != 200:
                raise RuntimeError(f"/api/search?q={query!r} answered {response.status_code}: {response.get_data(True)}")
            results = response.get_json()["results"]
            ids += [r["id"].removeprefix("doc-") for r in results]
            if len(results) < self.per_page:
                break
            page += 1
        return ids[:k]


COMPETITORS = (Tantivy, Fts5, RankBm25)
