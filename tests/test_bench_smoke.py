"""The benchmarks: their measures checked by hand, and each bench run end to end at a tiny scale.

The end-to-end runs are the commands of bench/README.md with small options, so a bench that no
longer runs from a clean checkout fails CI instead of failing the next person who measures.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench import metrics
from support import PROJECT



# ranking d1 d2 d3 d4; judged: d1 grade 3, d3 grade 1, d5 grade 2 (never retrieved)
RANKING = ["d1", "d2", "d3", "d4"]
JUDGED = {"d1": 3, "d3": 1, "d5": 2}


def test_ndcg_discounts_by_log_rank_against_the_ideal_order_of_all_judged_grades():
    dcg = 3 / 1 + 1 / 2                        # ranks 1 and 3: log2(2) = 1, log2(4) = 2
    ideal = 3 / 1 + 2 / math.log2(3) + 1 / 2   # grades 3, 2, 1 in the first three ranks
    assert metrics.ndcg(RANKING, JUDGED, 3) == pytest.approx(dcg / ideal)
    assert metrics.ndcg(RANKING, JUDGED, 3) == pytest.approx(0.735006, abs=1e-6)


def test_average_precision_divides_by_all_relevant_documents_not_only_those_found():
    assert metrics.average_precision(RANKING, JUDGED, 4) == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert metrics.average_precision(RANKING, JUDGED, 2) == pytest.approx(1 / 3)


def test_precision_and_recall_at_a_cutoff():
    assert metrics.precision(RANKING, JUDGED, 2) == 0.5
    assert metrics.precision(["d1"], JUDGED, 10) == 0.1   # a short list is padded with non-relevant
    assert metrics.recall(RANKING, JUDGED, 4) == pytest.approx(2 / 3)


def test_evaluate_averages_over_judged_queries_and_scores_a_missing_run_zero():
    scores = metrics.evaluate({"q1": RANKING}, {"q1": JUDGED, "q2": {"d9": 1}, "q3": {}})
    assert scores["P@10"] == pytest.approx((0.2 + 0.0) / 2)
    assert scores["Recall@100"] == pytest.approx((2 / 3 + 0) / 2)


def test_randomization_test_calls_a_consistent_win_significant_and_a_wash_not():
    assert metrics.randomization_p([0.6] * 8, [0.4] * 8) == pytest.approx(2 / 2 ** 8, abs=0.005)
    assert metrics.randomization_p([1, 0, 1, 0], [0, 1, 0, 1]) == 1.0


def run_bench(*args: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench", *args, "--out", str(out)], cwd=PROJECT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / f"{args[0]}.json").read_text())


def test_quality_bench_scores_every_engine_on_subsets_of_two_collections(tmp_path):
    data = run_bench("quality", "cranfield", "med", "--docs", "150", "--queries", "10", out=tmp_path)
    assert [run["collection"] for run in data["collections"]] == ["cranfield", "med"]
    for run in data["collections"]:
        results = {r["engine"]: r for r in run["results"]}
        assert set(results) == {"observatory", "tantivy", "sqlite-fts5", "rank-bm25"}
        assert run["docs"] == 150 and 0 < run["queries"] <= 10  # queries whose judged documents were cut go
        for result in results.values():
            assert 0.2 < result["nDCG@10"] <= 1, (run["collection"], result["engine"])
            assert 0 < result["Recall@100"] <= 1 and result["ms_p95"] >= result["ms_p50"] > 0
        assert run["verdict"]["best_competitor"] in results
    ratios = [row["ratio"] for row in data["summary"]["rows"]]
    assert data["summary"]["mean_ratio"] == pytest.approx(sum(ratios) / 2)


def test_speed_bench_builds_serves_and_adds_at_a_tiny_scale(tmp_path):
    data = run_bench("speed", "--scale", "0.02", "--queries", "24", "--workers", "2", "--extract-sample", "40",
                     out=tmp_path)
    assert data["complete"]
    build = data["builds"][0]
    assert build["report"]["full_text"] == data["publications"] and build["pages_per_s"] > 0
    assert data["no_change"]["http_statuses"].get("200", 0) == 0          # nothing downloaded again
    assert data["no_change"]["report"]["written"] == 0
    # served as a real site serves reports (Last-Modified when published): fresh, so not asked again
    assert data["no_change"]["report"]["fresh"] == data["publications"]
    assert data["no_change_asking"]["report"]["requests"] == data["publications"]
    assert data["add_one"]["report"]["written"] == 1 and data["add_one"]["found_s"] > 0
    assert [h["clients"] for h in data["http"]] == [1, 2]
    assert all(h["p95"] > 0 for h in data["http"]) and data["tantivy"]["p50"] > 0
    assert data["yardstick"]["n"] == data["yardstick_unhighlighted"]["n"] == data["in_process"]["n"]
    assert data["yardstick_http"]["n"] == data["http"][0]["n"]  # the yardstick served, the same requests
    assert data["compare"]["n"] > 0 and data["compare"]["p95"] > 0   # /api/compare, by=region
    assert data["serving_worker_peak_rss_mb"] > 0 and build["tree_rss_mb"] > 0


def test_extract_bench_compares_both_engines_with_pdftotext(tmp_path):
    data = run_bench("extract", "--files", "3", "--reports", "1", "--report-pages", "5", out=tmp_path)
    rows = {(s["set"], s["engine"]): s for s in data["summary"]}
    for engine in ("pdfium", "pdfminer", "pdftotext"):
        assert rows["generated reports", engine]["pages"] == 5
        assert rows["shared samples", engine]["files"] == 3
