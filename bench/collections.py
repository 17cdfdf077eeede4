"""The test collections in ../shared/eval (Cranfield, MED, CACM, NPL, TIME: one layout), and subsets for quick runs.

A subset keeps the judged documents of the queries it keeps (plus unjudged distractors), so that a
smoke run on 150 documents still has something to find for each query.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.config import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
NAMES = ("cranfield", "med", "cacm", "npl", "time")


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    text: str

    @property
    def content(self) -> str:
        """What a reader of the file sees: title on the first line (when there is one), then the abstract."""
        return f"{self.title}\n{self.text}\n" if self.title else f"{self.text}\n"


@dataclass(frozen=True)
class PeerFigure:
    """One row of a collection README's peer table: measured by the collection's own harness."""

    engine: str
    variant: str
    ndcg10: float


_PEER_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*([01]\.\d+)\s*\|", re.MULTILINE)


def readme_peers(name: str, directory: Path = EVAL_DIR) -> list[PeerFigure]:
    """The peer table of `../shared/eval/NAME/README.md` (engine, variant, nDCG@10), [] without one."""
    text = (directory / name / "README.md").read_text(encoding="utf-8")
    start = text.find("## Peer engines")
    if start < 0:
        return []
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else None]
    return [PeerFigure(engine, variant, float(ndcg)) for engine, variant, ndcg in _PEER_ROW.findall(section)]


@dataclass(frozen=True)
class Collection:
    name: str
    docs: list[Doc]
    queries: dict[str, str]  # query id -> text as a user would type it
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> grade (1..4)


def load(name: str, directory: Path = EVAL_DIR) -> Collection:
    directory = directory / name
    with open(directory / "docs.jsonl", encoding="utf-8") as f:
        docs = [Doc(d["id"], d["title"], d["text"]) for d in map(json.loads, f)]
    with open(directory / "queries.jsonl", encoding="utf-8") as f:
        queries = {q["id"]: q["text"] for q in map(json.loads, f)}
    qrels: dict[str, dict[str, int]] = {}
    with open(directory / "qrels.tsv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels.setdefault(row["query_id"], {})[row["doc_id"]] = int(row["grade"])
    return Collection(name, docs, queries, qrels)


def subset(collection: Collection, n_docs: int | None, n_queries: int | None) -> Collection:
    """The first `n_queries` judged queries over at most `n_docs` documents, judged ones first."""
    query_ids = [q for q in collection.queries if collection.qrels.get(q)][:n_queries]
    by_id = {d.id: d for d in collection.docs}
    limit = len(by_id) if n_docs is None else n_docs
    keep: dict[str, None] = {}
    for q in query_ids:
        keep.update(dict.fromkeys(collection.qrels[q]))
    keep.update(dict.fromkeys(by_id))  # distractors in collection order
    doc_ids = set(list(keep)[:limit])
    qrels = {q: {d: g for d, g in collection.qrels[q].items() if d in doc_ids} for q in query_ids}
    qrels = {q: j for q, j in qrels.items() if j}
    return Collection(
        collection.name,
        [d for d in collection.docs if d.id in doc_ids],
        {q: collection.queries[q] for q in qrels},
        qrels,
    )
