"""`python -m bench quality [NAME ...]`: ranking quality on the test collections, ours against the peers.

Every collection in ../shared/eval (Cranfield, MED, CACM, NPL, TIME) by default. All engines index
the same text (title line + abstract) and answer the same raw query text in the same run, so a table
compares engines, not machines or days. The best peer is the higher of the best figure in the
collection's README (its own harness) and the best of our peer runs. One default for all
collections: a change is kept only if the mean ratio to the best peer improves without any
collection falling below its best peer.
"""

from __future__ import annotations

import time
from statistics import fmean

from bench import collections, metrics
from bench.engines import COMPETITORS, Observatory, RankBm25
from bench.report import table, write_json

DEPTH = 100  # deepest cut-off of any measure


def run_engine(engine, collection: collections.Collection) -> dict:
    started = time.perf_counter()
    engine.index(collection.docs)
    index_s = time.perf_counter() - started
    runs, latencies = {}, []
    for q, text in collection.queries.items():
        started = time.perf_counter()
        runs[q] = engine.search(text, DEPTH)
        latencies.append(1000 * (time.perf_counter() - started))
    if hasattr(engine, "ask"):
        # Latency as a user meets it: the query as they typed it, the first page of results with
        # its snippets, not the 100 results the measures need (timed after the ranking run, so the
        # index is warm for every engine alike).
        latencies = []
        for text in collection.queries.values():
            started = time.perf_counter()
            engine.ask(text)
            latencies.append(1000 * (time.perf_counter() - started))
    per_query = {q: metrics.ndcg(runs[q], collection.qrels[q], 10) for q in collection.qrels}
    return {
        "engine": engine.name,
        "config": engine.config,
        **metrics.evaluate(runs, collection.qrels),
        "index_s": index_s,
        "ms_p50": metrics.percentile(latencies, 50),
        "ms_p95": metrics.percentile(latencies, 95),
        "ndcg10_per_query": per_query,
    }


def run_collection(collection: collections.Collection, engines, readme: list[collections.PeerFigure]) -> dict:
    results = []
    for engine in engines:
        print(
            f"quality: {collection.name}: {engine.name} on {len(collection.docs)} docs, "
            f"{len(collection.queries)} queries ...",
            flush=True,
        )
        results.append(run_engine(engine, collection))
    verdict = _verdict(results, readme)
    names = list(metrics.MEASURES)
    print()
    print(
        table(
            ["engine", *names, "index s", "p50 ms", "p95 ms"],
            [[r["engine"], *(r[n] for n in names), r["index_s"], r["ms_p50"], r["ms_p95"]] for r in results],
        )
    )
    if readme:
        print(f"\n{collection.name} README peers (their harness):")
        print(
            table(
                ["engine", "variant", "nDCG@10", "our run", "difference"],
                [[f.engine, f.variant, f.ndcg10, *_our_run(f, results)] for f in readme],
            )
        )
    if verdict:
        print(verdict["text"])
    print()
    return {
        "collection": collection.name,
        "docs": len(collection.docs),
        "queries": len(collection.qrels),
        "results": results,
        "readme_peers": [vars(f) for f in readme],
        "verdict": verdict,
    }


def _our_run(figure: collections.PeerFigure, results: list[dict]) -> list:
    """Our rank-bm25 run beside the README's: the one peer set up as their harness sets it up (our
    tantivy and FTS5 runs use their own documented query handling), so it should agree within 0.005."""
    ours = next((r for r in results if r["engine"] == RankBm25.name), None)
    if ours is None or not figure.engine.startswith("rank_bm25"):
        return ["", ""]
    return [ours["nDCG@10"], f"{ours['nDCG@10'] - figure.ndcg10:+.4f}"]


def main(args) -> dict:
    names = args.collections or list(collections.NAMES)
    unknown = set(names) - set(collections.NAMES)
    if unknown:
        raise SystemExit(f"unknown collection(s) {', '.join(sorted(unknown))}; known: {', '.join(collections.NAMES)}")
    runs = []
    for name in names:
        engines = [Observatory(args.out / "quality-work"), *(cls() for cls in COMPETITORS)]
        engines = [e for e in engines if not args.engines or e.name in args.engines]
        collection = collections.subset(collections.load(name), args.docs, args.queries)
        whole = args.docs is None and args.queries is None
        runs.append(run_collection(collection, engines, collections.readme_peers(name) if whole else []))
    summary = _summary(runs)
    if summary:
        print(
            table(
                ["collection", "ours nDCG@10", "best peer", "peer nDCG@10", "ratio", "p95 ms"],
                [
                    [r["collection"], r["ours"], r["peer"], r["peer_ndcg"], r["ratio"], r["ms_p95"]]
                    for r in summary["rows"]
                ],
            )
        )
        print(f"\nmean ratio {summary['mean_ratio']:.3f}, worst {summary['worst_ratio']:.3f}")
    data = {"collections": runs, "summary": summary}
    print("\nwrote", write_json(args.out, "quality", data))
    return data


def _verdict(results: list[dict], readme: list[collections.PeerFigure]) -> dict | None:
    """The target on one collection: our default settings at or above the best peer on nDCG@10, the
    best peer being the higher of our own peer runs and the README's figures."""
    ours = next((r for r in results if r["engine"] == Observatory.name), None)
    others = [r for r in results if r is not ours]
    if ours is None or not (others or readme):
        return None
    run = max(others, key=lambda r: r["nDCG@10"]) if others else None
    listed = max(readme, key=lambda f: f.ndcg10) if readme else None
    run_text = f"our run {run['engine']} {run['nDCG@10']:.4f}" if run else "no peer run"
    listed_text = f"README {listed.engine} ({listed.variant}) {listed.ndcg10:.4f}" if listed else "no README figure"
    if run and (listed is None or run["nDCG@10"] >= listed.ndcg10):
        name, figure = run["engine"], run["nDCG@10"]
        queries = list(ours["ndcg10_per_query"])
        p = metrics.randomization_p(
            [ours["ndcg10_per_query"][q] for q in queries], [run["ndcg10_per_query"][q] for q in queries]
        )
        test = f"; paired randomization p = {p:.3f}"
    else:
        name, figure, p, test = f"{listed.engine} (README)", listed.ndcg10, None, ""
    margin = ours["nDCG@10"] - figure
    ratio = ours["nDCG@10"] / figure if figure else float("inf")
    return {
        "met": margin >= 0,
        "best_competitor": name,
        "best_ndcg": figure,
        "margin": margin,
        "ratio": ratio,
        "p_value": p,
        "text": f"best peer: {listed_text}; {run_text}\n"
        f"target {'MET' if margin >= 0 else 'NOT MET'}: observatory nDCG@10 {ours['nDCG@10']:.4f} vs "
        f"{name} {figure:.4f} (ratio {ratio:.3f}{test})",
    }


def _summary(runs: list[dict]) -> dict | None:
    rows = []
    for run in runs:
        verdict = run["verdict"]
        if not verdict:
            continue
        ours = next(r for r in run["results"] if r["engine"] == Observatory.name)
        rows.append(
            {
                "collection": run["collection"],
                "ours": ours["nDCG@10"],
                "peer": verdict["best_competitor"],
                "peer_ndcg": verdict["best_ndcg"],
                "ratio": verdict["ratio"],
                "ms_p95": ours["ms_p95"],
            }
        )
    if not rows:
        return None
    ratios = [r["ratio"] for r in rows]
    return {"rows": rows, "mean_ratio": fmean(ratios), "worst_ratio": min(ratios)}


def add_arguments(parser) -> None:
    parser.add_argument(
        "collections",
        nargs="*",
        metavar="NAME",
        help=f"collections to run (default all: {', '.join(collections.NAMES)})",
    )
    parser.add_argument(
        "--docs", type=int, help="index only this many documents (judged ones of the kept queries first)"
    )
    parser.add_argument("--queries", type=int, help="run only the first N judged queries")
    parser.add_argument(
        "--engines",
        type=lambda s: s.split(","),
        default=None,
        help="comma-separated subset of: observatory,tantivy,sqlite-fts5,rank-bm25",
    )
