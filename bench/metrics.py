"""Ranking-quality measures, written out so the numbers can be checked by hand against trec_eval.

Conventions follow trec_eval (`ndcg_cut`, `map_cut`, `P`, `recall`): gain is the grade itself,
the discount is log2(rank + 1), MAP@k and recall divide by *all* relevant documents of the query
(not only those retrieved), and a missing result counts as not relevant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import fmean

import numpy as np

Ranking = Sequence[str]
Judgments = Mapping[str, int]  # doc id -> grade (>= 1 relevant; absent or 0 not relevant)


def ndcg(ranking: Ranking, judged: Judgments, k: int) -> float:
    dcg = sum(judged.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def average_precision(ranking: Ranking, judged: Judgments, k: int) -> float:
    relevant = sum(1 for g in judged.values() if g > 0)
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0) > 0:
            hits += 1
            total += hits / rank
    return total / relevant if relevant else 0.0


def precision(ranking: Ranking, judged: Judgments, k: int) -> float:
    return sum(1 for doc in ranking[:k] if judged.get(doc, 0) > 0) / k


def recall(ranking: Ranking, judged: Judgments, k: int) -> float:
    relevant = sum(1 for g in judged.values() if g > 0)
    found = sum(1 for doc in ranking[:k] if judged.get(doc, 0) > 0)
    return found / relevant if relevant else 0.0


MEASURES = {
    "nDCG@10": lambda r, j: ndcg(r, j, 10),
    "MAP@100": lambda r, j: average_precision(r, j, 100),
    "P@10": lambda r, j: precision(r, j, 10),
    "Recall@100": lambda r, j: recall(r, j, 100),
}


def evaluate(runs: Mapping[str, Ranking], qrels: Mapping[str, Judgments]) -> dict[str, float]:
    """Mean of every measure over the judged queries; a judged query the run skipped scores zero."""
    judged = [q for q, j in qrels.items() if any(g > 0 for g in j.values())]
    return {name: fmean(measure(runs.get(q, ()), qrels[q]) for q in judged) for name, measure in MEASURES.items()}


def randomization_p(a: Sequence[float], b: Sequence[float], trials: int = 10_000, seed: int = 0) -> float:
    """Two-sided p-value of a paired sign-flip randomization test on per-query scores.

    A small margin on 225 queries can be luck; this says how often swapping the two engines'
    scores query by query at random gives a mean difference at least as large.
    """
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    observed = abs(diffs.mean())
    signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(trials, len(diffs)))
    return float((np.abs((signs * diffs).mean(axis=1)) >= observed - 1e-12).mean())


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (linear interpolation, as numpy's default), 0 for no samples."""
    return float(np.percentile(samples, q)) if len(samples) else 0.0
