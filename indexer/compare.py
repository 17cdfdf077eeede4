"""Compare what the documents say: each matching publication's best passages for a query, side by side.

"What does each country's framework say about stackability?" is answered from what the index already
holds: the best matching pages of each publication on one page of results (as stored: running
headers and footers were removed at extraction), cut into sentences, and the sentences holding the
query's words, found and marked by the same hit finder as the snippets. Grouped by a facet, a
publication stands under each of its values (a framework of two countries under both).

Knows nothing of Flask: the web app's `/compare` pages, `/api/compare` and the exports present what
`compare()` returns.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from . import analysis, snippets
from .engine import Page
from .facets import FACETS, Facet, InvalidRequest
from .search import MAX_PER_PAGE, MatchingPages, SearchRequest, SearchService

#: Passages a publication is shown with: enough to compare, few enough for a table row.
PASSAGES_PER_ROW = 3
#: Best matching pages of a publication its passages are looked for in (a long report matching on
#: 80 pages must not cost 80 pages' reading).
PAGES_READ = 3
#: A passage longer than this is the part of its sentence around the hits, cut between words.
MAX_PASSAGE_CHARS = 300
#: Rows of a group; the rest are one link away (the group's value as a filter).
GROUP_ROWS = 10

#: Words whose full stop ends no sentence ("e.g. Ireland", "p. 4", "Dr. Smith").
ABBREVIATIONS = frozenset(
    {
        "al",
        "approx",
        "art",
        "cf",
        "ch",
        "co",
        "dr",
        "e.g",
        "ed",
        "eds",
        "eg",
        "fig",
        "figs",
        "i.e",
        "ie",
        "inc",
        "jr",
        "ltd",
        "mr",
        "mrs",
        "ms",
        "no",
        "nos",
        "p",
        "para",
        "pp",
        "prof",
        "sec",
        "sr",
        "st",
        "vol",
        "vols",
        "vs",
    }
)

#: A sentence ends at . ! ? or … (closing quotes and brackets go with it) before a capital or a digit;
#: a blank line or a list bullet also starts one.
_BOUNDARY = re.compile(r"""[.!?…]["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])|\n[ \t]*\n\s*|\n\s*(?=[•▪◦‣●\-–*]\s)""")
#: The word a full stop ends (searched backwards from the stop, so the pattern is anchored at its end).
_LAST_WORD = re.compile(r"[^\s(\[\"'“‘]*\Z")
#: "U.S.", "e.g.": letters each with a stop.
_INITIALS = re.compile(r"(?:\w\.)+\w")
_SPACE = re.compile(r"\s")


def facet_by(param: str | None) -> Facet | None:
    """The facet a `by` parameter names (its URL parameter: region, type, year...), or None for one table."""
    if not param:
        return None
    spec = next((f for f in FACETS if f.param == param), None)
    if spec is None:
        raise InvalidRequest(f"by must be one of {', '.join(f.param for f in FACETS)}, got {param!r}")
    return spec


@dataclass(frozen=True)
class CompareRequest:
    """A search state (words, facets, years, match, sort, page) plus the facet to group by and,
    optionally, the publications to compare instead of the search's results (`sel`, in that order)."""

    search: SearchRequest = field(default_factory=SearchRequest)
    by: Facet | None = None
    ids: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args) -> CompareRequest:
        """Validate GET parameters (a werkzeug MultiDict or a dict of lists/strings), as `SearchRequest`'s."""

        def getlist(name: str) -> list[str]:
            values = args.getlist(name) if hasattr(args, "getlist") else args.get(name, [])
            return [
                str(v).strip() for v in (values if isinstance(values, (list, tuple)) else [values]) if str(v).strip()
            ]

        ids = tuple(dict.fromkeys(getlist("sel")))
        if len(ids) > MAX_PER_PAGE:
            raise InvalidRequest(f"sel names {len(ids)} publications; at most {MAX_PER_PAGE} are compared")
        by = getlist("by")
        return cls(SearchRequest.from_args(args), facet_by(by[-1] if by else None), ids)

    def to_args(self, **changes) -> list[tuple[str, str]]:
        """The GET parameters of this state with some of the search's changed (`by=None` drops the grouping)."""
        by = changes.pop("by", self.by)
        return [
            *self.search.to_args(**changes),
            *([("by", by.param)] if by else []),
            *(("sel", pub_id) for pub_id in self.ids),
        ]


def compare(service: SearchService, req: CompareRequest, correct: bool = True) -> dict:
    """The table as plain data, the shape of `GET /api/compare` (see the README).

    Rows are one page of the search's results (`page`, `per_page`), in its order, or the `sel`
    publications; grouped, each group lists its best `GROUP_ROWS` of them and counts every match of
    its value. `correct` as in `SearchService.search`: a query that finds nothing may be answered
    by its spelling correction, and "query" then says so.
    """
    search, by = req.search, req.by
    if req.ids:
        chosen = service.records(req.ids)
        start = (search.page - 1) * search.per_page
        shown, total, query = chosen[start : start + search.per_page], len(chosen), search.q
        counts = Counter(value for record in chosen for value in by.values(record)) if by else Counter()
    else:
        data = service.search(search, snippets=False, correct=correct)
        shown, total, query = data["results"], data["total"], data["query"]
        counts = Counter({b["value"]: b["count"] for b in data["facets"][by.key]}) if by else Counter()
    found = service.matching_pages(query, search.match, [r["id"] for r in shown], PAGES_READ)
    rows = [(record, _row(record, found)) for record in shown]
    groups: list[dict]
    if by is None:
        groups = [{"value": None, "label": None, "total": total, "rows": [row for _, row in rows]}]
    else:
        wanted = set(search.selected(by.key)) if not req.ids else set()
        groups = []
        for value in by.ordered(counts):
            members = [row for record, row in rows if value in by.values(record)]
            if members and (not wanted or value in wanted):
                groups.append(
                    {"value": value, "label": by.label(value), "total": counts[value], "rows": members[:GROUP_ROWS]}
                )
    return {"query": query, "by": by.param if by else None, "total": total, "groups": groups}


def _row(record: dict, found: MatchingPages) -> dict:
    pages, matching = found.pages.get(record["id"], ([], 0))
    return {
        "id": record["id"],
        "title": record["title"],
        "year": record["year"],
        "regions": record["regions"],
        "organisation": record.get("organisation"),
        "type": record["type"],
        "pages": matching,
        "matched_in": found.matched_in.get(record["id"], []),
        "passages": passages(pages, found.terms, found.phrases),
    }


# ---------------------------------------------------------------- passages


def passages(pages: list[Page], terms: frozenset, phrases: tuple = (), limit: int = PASSAGES_PER_ROW) -> list[dict]:
    """The best sentences of these pages (best page first) for the query: most distinct words, then
    most hits, then the better page and the earlier place; each at most once (a sentence a report
    repeats on several pages is one passage); with phrases, only sentences holding one of them."""
    candidates = []
    for rank, page in enumerate(pages):
        for start, end, hits in _sentences_with_hits(page.text, terms):
            window = _window(page.text, start, end, hits, phrases)
            if window is not None:
                distinct = len({hit.term for hit in hits})
                candidates.append(((-distinct, -len(hits), rank, start), page, window, hits))
    chosen, seen = [], set()
    for _, page, (start, end, opened, closed), hits in sorted(candidates, key=lambda c: c[0]):
        key = " ".join(page.text[start:end].split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        marked = snippets.marked(page.text, hits, start, end)
        chosen.append(
            {
                "page": page.number or None,
                "time": page.time,
                "html": " ".join(f"{'… ' if opened else ''}{marked}{' …' if closed else ''}".split()),
            }
        )
        if len(chosen) == limit:
            break
    return chosen


def _sentences_with_hits(text: str, terms: frozenset):
    """(start, end, hits) of each sentence of `text` holding at least one hit, ends without spaces."""
    hits = analysis.hits(text, terms)
    if not hits:
        return
    starts = [0] + [match.end() for match in _BOUNDARY.finditer(text) if not _abbreviated(text, match.start())]
    by_sentence: dict[int, list] = {}
    for hit in hits:
        by_sentence.setdefault(bisect.bisect_right(starts, hit.start) - 1, []).append(hit)
    for index, found in by_sentence.items():
        start = starts[index]
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        while end > start and text[end - 1].isspace():
            end -= 1
        yield start, end, found


def _abbreviated(text: str, stop: int) -> bool:
    """Whether the full stop at `stop` ends an abbreviation or an initial rather than a sentence."""
    if text[stop] != ".":
        return False
    found = _LAST_WORD.search(text, max(0, stop - 20), stop)
    word = found.group().casefold() if found else ""
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or bool(_INITIALS.fullmatch(word))


def _window(text: str, start: int, end: int, hits: list, phrases: tuple) -> tuple[int, int, bool, bool] | None:
    """The passage of the sentence text[start:end] as (start, end, cut at the start, cut at the end):
    all of it when short enough, else the stretch of at most MAX_PASSAGE_CHARS, cut between words,
    holding the most hits; with phrases, only a stretch holding one (None when the sentence holds none)."""

    def holds_phrase(a: int, b: int) -> bool:
        return not phrases or any(snippets.says_phrase(text[a:b], phrase) for phrase in phrases)

    if end - start <= MAX_PASSAGE_CHARS:
        return (start, end, False, False) if holds_phrase(start, end) else None
    best = None
    for hit in hits:
        a = _word_start(text, max(start, hit.start - MAX_PASSAGE_CHARS // 5), start)
        b = _word_end(text, min(end, a + MAX_PASSAGE_CHARS), a)
        inside = sum(1 for h in hits if a <= h.start and h.end <= b)
        if (best is None or inside > best[0]) and holds_phrase(a, b):
            best = (inside, a, b)
    return (best[1], best[2], best[1] > start, best[2] < end) if best else None


def _word_start(text: str, at: int, floor: int) -> int:
    """`at`, moved forward past a partly cut word (never before `floor`, the sentence's start)."""
    if at <= floor or text[at - 1].isspace():
        return at
    space = _SPACE.search(text, at)
    return space.end() if space else at


def _word_end(text: str, at: int, floor: int) -> int:
    """`at`, moved back to the end of the last whole word before it."""
    if at >= len(text) or text[at].isspace():
        return at
    cut = max(text.rfind(" ", floor, at), text.rfind("\n", floor, at))
    return cut if cut > floor else at


def without_grouping(req: CompareRequest, value) -> CompareRequest:
    """The state that lists every publication of one group: its value as the only filter of the
    grouping facet, one table, from the first page (or, comparing chosen publications, all of them)."""
    search = req.search if req.ids or req.by is None else req.search.with_selected(req.by.key, [value])
    return replace(req, search=replace(search, page=1), by=None)
