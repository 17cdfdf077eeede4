"""Facts about the real catalog (corpus/catalog.yaml) that validation cannot know, and the collection summary.

What `load_catalog` enforces (vocabularies, id pattern, unique ids and sources, url schemes, one source
per record) is tested in test_catalog.py; loading the real catalog here already proves it holds.

The counts below are the ones the catalog was built with (issue 3). When a curator adds or merges
records on purpose, update them in the same change: a mismatch here means the catalog changed.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest

from indexer.catalog import SECTIONS, Record, load_catalog
from indexer.collection import summarise, to_markdown
from support import REAL_CATALOG


#: Records per section after splitting the Observatory page and merging duplicate listings.
EXPECTED_PER_SECTION = {"policy": 35, "report": 68, "article": 132, "event": 68}
EXPECTED_TOTAL = sum(EXPECTED_PER_SECTION.values())

#: Publication years of this collection (the page starts in 2015; nothing is dated after 2026).
FIRST_YEAR, LAST_YEAR = 2015, 2026

#: Words in an organisation or title that mean a Canadian provincial body or a provincial publication.
PROVINCIAL_MARKERS = ("Ontario", "British Columbia", "BC ", "BCcampus", "Alberta", "Quebec", "Québec",
                      "Manitoba", "Saskatchewan", "Nova Scotia", "HEQCO", "ONCAT", "PEQAB")


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return load_catalog(REAL_CATALOG)


def _normalise(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.casefold())


def test_titles_are_unique_ignoring_case_and_punctuation(records):
    counts = Counter(_normalise(r.title) for r in records)
    duplicates = sorted(r.title for r in records if counts[_normalise(r.title)] > 1)
    assert duplicates == []


def test_language_is_only_given_when_not_english(records):
    assert [r.id for r in records if r.language == "en"] == []


def test_years_are_plausible_for_this_collection(records):
    assert [(r.id, r.year) for r in records if not FIRST_YEAR <= r.year <= LAST_YEAR] == []


def test_every_section_is_present_with_its_documented_count(records):
    assert dict(Counter(r.section for r in records)) == EXPECTED_PER_SECTION


def test_canadian_provincial_records_name_their_jurisdiction(records):
    provincial = [r for r in records if "Canada" in r.regions
                  and any(marker in f" {r.organisation or ''} {r.title} " for marker in PROVINCIAL_MARKERS)]

    assert provincial, "the markers no longer find any provincial record"
    assert [r.id for r in provincial if not r.jurisdiction] == []


def test_a_jurisdiction_belongs_to_a_country(records):
    supranational = {"Europe", "International"}
    with_jurisdiction = [r for r in records if r.jurisdiction]

    assert with_jurisdiction
    assert [r.id for r in with_jurisdiction if set(r.regions) <= supranational] == []


def test_merged_duplicates_appear_once(records):
    titles = Counter(_normalise(r.title) for r in records)
    for title in ("Implementation of MOOCs for Microcredentials and European University Alliances",
                  "Current Trends in Microcredential Design and Delivery",
                  "Joint ETUC-ETUCE Position on Micro-credentials",
                  "Educational Credentials Come of Age",
                  "Enabling Learning for Life: New Realities for Work and Education"):
        assert titles[_normalise(title)] == 1, title


def test_evident_typos_are_fixed(records):
    text = " ".join(r.title for r in records)
    for typo in ("Defintion", "Evoling", "Micro-crederntials", "Microcredentals", "TheMicro-credential"):
        assert typo not in text


# ---------------------------------------------------------------- collection.summarise / to_markdown

def _record(**fields) -> Record:
    base = {"id": "x", "title": "X", "year": 2021, "section": "report", "type": "report",
            "regions": ["Europe"], "link": "missing"}
    base.update(fields)
    return Record.model_validate(base)


@pytest.fixture
def tiny() -> list[Record]:
    return [
        _record(id="a", title="A", year=2020, section="policy", type="framework",
                regions=["Canada"], jurisdiction="Ontario", url="https://example.org/a.pdf", link=None),
        _record(id="b", title="B", year=2021, section="report", type="report",
                regions=["Europe", "Ireland"]),
        _record(id="c", title="C", year=2021, section="report", type="report",
                regions=["International"], path="files/c.pdf", link=None),
    ]


def test_summarise_counts_sections_types_regions_years_and_sources(tiny):
    s = summarise(tiny)
    assert s["total"] == 3
    assert s["sections"] == {"policy": 1, "report": 2, "article": 0, "event": 0}
    assert s["types"] == {"report": 2, "framework": 1}
    assert s["regions"] == {"Canada": 1, "Europe": 1, "International": 1, "Ireland": 1}
    assert s["years"] == {2020: 1, 2021: 2}
    assert list(s["years"]) == [2020, 2021]
    assert (s["with_source"], s["with_url"], s["with_path"], s["link_missing"]) == (2, 1, 1, 1)


def test_summarise_of_nothing_is_all_zero():
    s = summarise([])
    assert s["total"] == 0 and s["with_source"] == 0 and s["link_missing"] == 0
    assert s["sections"] == dict.fromkeys(SECTIONS, 0)
    assert s["types"] == {} and s["regions"] == {} and s["years"] == {}


def test_summarise_accepts_any_iterable(tiny):
    assert summarise(iter(tiny)) == summarise(tiny)


def test_to_markdown_has_a_table_per_facet_with_labels(tiny):
    md = to_markdown(summarise(tiny))
    assert "**3** publications" in md
    assert "2 with a source to index, 1 still without a link" in md
    assert "| Major policy initiatives | 1 |" in md
    assert "| Events, conferences & webinars | 0 |" in md
    assert "| Report | 2 |" in md
    assert "| Framework or recommendation | 1 |" in md
    assert "| Europe | 1 |" in md and "| Canada | 1 |" in md
    assert "| 2020 | 2021 |" in md and "| 1 | 2 |" in md
    for line in md.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line


def test_to_markdown_groups_the_long_tail_of_countries():
    countries = ["Australia", "Canada", "Germany", "Ireland", "Malaysia"]
    records = [_record(id=f"r{i}", title=f"R{i}", regions=[c]) for i, c in enumerate(countries)]
    md = to_markdown(summarise(records), top_regions=2)
    assert "| Other countries (3) | 3 |" in md
    assert "| Malaysia |" not in md


def test_to_markdown_of_an_empty_collection():
    md = to_markdown(summarise([]))
    assert "**0** publications" in md and "(no publications)" in md


def test_summary_of_the_real_catalog_matches_the_documented_counts(records):
    s = summarise(records)
    assert s["sections"] == EXPECTED_PER_SECTION
    assert s["with_source"] + s["link_missing"] == EXPECTED_TOTAL
    assert to_markdown(s).count("\n|") > 10
