"""`python -m bench quality`: ranking quality on Cranfield, ours against tantivy, SQLite FTS5 and rank-bm25.

All engines index the same text (title line + abstract) and answer the same raw query text in the
same run, so the table compares engines, not machines or days.
"""
from __future__ import annotations

import time

from bench import cranfield, metrics
from bench.engines import COMPETITORS, Observatory
from bench.report import table, write_json

DEPTH = 100   # deepest cut-off of any measure


def run_engine(engine, collection: cranfield.Collection) -> dict:
    started = time.perf_counter()
    engine.index(collection.docs)
    index_s = time.perf_counter() - started
    started = time.perf_counter()
    runs = {q: engine.search(text, DEPTH) for q, text in collection.queries.items()}
    query_s = time.perf_counter() - started
    per_query = {q: metrics.ndcg(runs[q], collection.qrels[q], 10) for q in collection.queries}
    return {"engine": engine.name, "config": engine.config, **metrics.evaluate(runs, collection.qrels),
            "index_s": index_s, "ms_per_query": 1000 * query_s / max(1, len(runs)),
            "ndcg10_per_query": per_query}


def main(args) -> dict:
    engines = [Observatory(args.out / "quality-work"), *(cls() for cls in COMPETITORS)]
    unknown = set(args.engines or ()) - {e.name for e in engines}
    if unknown:
        raise SystemExit(f"unknown engine(s) {', '.join(sorted(unknown))}; known: {', '.join(e.name for e in engines)}")
    engines = [e for e in engines if not args.engines or e.name in args.engines]
    collection = cranfield.subset(cranfield.load(), args.docs, args.queries)
    results = []
    for engine in engines:
        print(f"quality: {engine.name} on {len(collection.docs)} docs, {len(collection.queries)} queries ...", flush=True)
        results.append(run_engine(engine, collection))
    names = list(metrics.MEASURES)
    print()
    print(table(["engine", *names, "index s", "ms/query"],
                [[r["engine"], *(r[n] for n in names), r["index_s"], r["ms_per_query"]] for r in results]))
    verdict = _verdict(results)
    if verdict:
        print("\n" + verdict["text"])
    data = {"docs": len(collection.docs), "queries": len(collection.queries), "results": results, "verdict": verdict}
    print("\nwrote", write_json(args.out, "quality", data))
    return data


def _verdict(results: list[dict]) -> dict | None:
    """The issue's target: our default settings beat the best competitor on nDCG@10."""
    ours = next((r for r in results if r["engine"] == Observatory.name), None)
    others = [r for r in results if r is not ours]
    if ours is None or not others:
        return None
    best = max(others, key=lambda r: r["nDCG@10"])
    margin = ours["nDCG@10"] - best["nDCG@10"]
    queries = list(ours["ndcg10_per_query"])
    p = metrics.randomization_p([ours["ndcg10_per_query"][q] for q in queries],
                                [best["ndcg10_per_query"][q] for q in queries])
    met = margin > 0
    return {"met": met, "best_competitor": best["engine"], "margin": margin, "p_value": p,
            "text": f"target {'MET' if met else 'NOT MET'}: observatory nDCG@10 {ours['nDCG@10']:.3f} vs "
                    f"{best['engine']} {best['nDCG@10']:.3f} ({margin:+.3f}; paired randomization p = {p:.3f})"}


def add_arguments(parser) -> None:
    parser.add_argument("--docs", type=int, help="index only this many documents (judged ones of the kept queries first)")
    parser.add_argument("--queries", type=int, help="run only the first N judged queries")
    parser.add_argument("--engines", type=lambda s: s.split(","), default=None,
                        help="comma-separated subset of: observatory,tantivy,sqlite-fts5,rank-bm25")

