"""Pseudo-relevance feedback reorders a question's own matches and nothing else."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import build
from indexer.config import Settings
from indexer.engine import feedback
from indexer.search import SearchRequest, SearchService
from tests.support import entry, write_catalog

TEXTS = {
    "pv-guide": "Solar panels on a roof feed a photovoltaic inverter. Size the photovoltaic inverter "
                "for the rooftop solar panels.",
    "pv-install": "Installing solar panels on a roof needs a photovoltaic inverter and mounting rails.",
    # matches the question by one word, in a long text about the topic the best matches share
    "inverter-care": "After the installation the photovoltaic inverter needs care: keep the photovoltaic "
                     "inverter cool and its vents clean.",
    # matches the question by the same one word, in a slightly shorter text about something else
    "kitchen": "Kitchen cabinet installation: measure the wall, hang the doors and level the worktop.",
    # about the topic, but without any of the question's words: never a match
    "pv-warranty": "Photovoltaic inverter warranty: photovoltaic inverter repairs are free.",
}
#: Other notes, so that the topic's words are rare in the collection as they would be in a real one.
OTHERS = ["Bread rises when yeast ferments sugar.", "Tides follow the moon.", "Chess openings favour the centre.",
          "Violins need fine spruce.", "Glaciers carve valleys.", "Bees dance to show nectar.",
          "Rust forms on wet iron.", "Owls hunt at night.", "Clay shrinks in the kiln.", "Maps use a scale."]
QUESTION = "solar panels roof installation"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("feedback")
    files = root / "files"
    files.mkdir()
    entries = []
    for doc_id, text in {**TEXTS, **{f"other-{n}": text for n, text in enumerate(OTHERS)}}.items():
        (files / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        entries.append(entry(doc_id, title="Note", path=f"files/{doc_id}.txt"))
    write_catalog(root / "catalog.yaml", entries)
    made = Settings.from_env(catalog=root / "catalog.yaml", index=root / "index", cache=root / "cache")
    build(made, full=True, progress=False)
    return made


def _search(index_dir: Path, **args) -> dict:
    return SearchService(index_dir).search(SearchRequest.from_args(args))


def _ids(found: dict) -> list[str]:
    return [r["id"] for r in found["results"]]


def test_feedback_lifts_a_match_about_the_topic_of_the_best_matches(settings, monkeypatch):
    found = _search(settings.index_dir, q=QUESTION)
    assert sorted(_ids(found)[:2]) == ["pv-guide", "pv-install"]
    assert _ids(found)[2:] == ["inverter-care", "kitchen"]
    monkeypatch.setattr(feedback, "MIN_QUERY_TERMS", 10**6)
    # BM25 alone puts the shorter text, about kitchens, first of the two one-word matches
    assert _ids(_search(settings.index_dir, q=QUESTION))[2:] == ["kitchen", "inverter-care"]


def test_feedback_never_adds_a_match_nor_changes_counts_facets_or_marks(settings, monkeypatch):
    found = _search(settings.index_dir, q=QUESTION)
    monkeypatch.setattr(feedback, "MIN_QUERY_TERMS", 10**6)
    plain = _search(settings.index_dir, q=QUESTION)
    assert "pv-warranty" not in _ids(found)
    assert sorted(_ids(found)) == sorted(_ids(plain))
    assert found["total"] == plain["total"] == 4
    assert found["facets"] == plain["facets"]
    assert found["all_words_total"] == plain["all_words_total"]
    care = next(r for r in found["results"] if r["id"] == "inverter-care")
    html = " ".join(s["html"] for s in care["snippets"])
    assert "<mark>installation</mark>" in html and "<mark>photovoltaic" not in html.lower()


def test_a_short_query_and_query_syntax_are_ranked_without_feedback(settings, monkeypatch):
    queries = ["installation", "roof installation", '"solar panels" roof installation',
               "title:note solar roof installation", "solar panels roof installation -kitchen"]
    found = [_search(settings.index_dir, q=q)["results"] for q in queries]
    monkeypatch.setattr(feedback, "MIN_QUERY_TERMS", 10**6)
    plain = [_search(settings.index_dir, q=q)["results"] for q in queries]
    assert [[(r["id"], r["score"]) for r in rs] for rs in found] == [[(r["id"], r["score"]) for r in rs] for rs in plain]


def test_match_all_keeps_its_matches_under_feedback(settings, monkeypatch):
    found = _search(settings.index_dir, q="solar panels roof", match="all")
    monkeypatch.setattr(feedback, "MIN_QUERY_TERMS", 10**6)
    plain = _search(settings.index_dir, q="solar panels roof", match="all")
    assert sorted(_ids(found)) == sorted(_ids(plain)) == ["pv-guide", "pv-install"]


def test_expand_off_is_ranked_with_feedback_too_and_adds_nothing(settings):
    on = _search(settings.index_dir, q=QUESTION)
    off = _search(settings.index_dir, q=QUESTION, expand="off")
    assert _ids(off) == _ids(on) and off["expanded"] == [] == on["expanded"]
