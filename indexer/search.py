"""A query and filters in, results with facets and page snippets out, as plain data.

This is the one search code path: `observatory search --json` and `GET /api/search` both return
`SearchService.search(...)` unchanged. Ranking happens at publication level; facet counts are
computed from columns cached per index generation (a few thousand publications, so counting in
Python beats a grouped engine query per facet); pages are searched only inside the publications
on the page being shown, which keeps a query's cost independent of how many pages match.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from cachetools import LRUCache

from .catalog import DOCUMENT_TYPES, REGIONS, SECTIONS
from .store import IndexMissing, IndexRoot, ParsedQuery, Reader, read_manifest

SORTS = ("relevance", "newest", "oldest", "title")
FACETS = ("year", "regions", "type", "section")
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_QUERY_CHARS = 1_000


class InvalidRequest(ValueError):
    """A parameter the user (or a client) got wrong; the web layer answers 400 with the message."""


def _ints(values: list[str], name: str, low: int, high: int) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise InvalidRequest(f"{name} must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise InvalidRequest(f"{name} must be between {low} and {high}, got {number}")
        out.append(number)
    return out


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    years: tuple[int, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    regions: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    @classmethod
    def from_args(cls, args) -> "SearchRequest":
        """Validate GET-style parameters (a werkzeug MultiDict or a dict of lists/strings)."""
        def getlist(name: str) -> list[str]:
            if hasattr(args, "getlist"):
                values = args.getlist(name)
            else:
                raw = args.get(name, [])
                values = raw if isinstance(raw, (list, tuple)) else [raw]
            return [str(v) for v in values if str(v).strip() != ""]

        def single(name: str) -> str | None:
            values = getlist(name)
            return values[-1] if values else None

        q = single("q") or ""
        if len(q) > MAX_QUERY_CHARS:
            raise InvalidRequest(f"q is too long ({len(q)} characters; at most {MAX_QUERY_CHARS})")
        regions, types, sections = getlist("region"), getlist("type"), getlist("section")
        for name, values, vocabulary in (("region", regions, REGIONS), ("type", types, DOCUMENT_TYPES),
                                         ("section", sections, SECTIONS)):
            unknown = [v for v in values if v not in vocabulary]
            if unknown:
                hint = "" if name == "region" else f" (one of {', '.join(vocabulary)})"
                raise InvalidRequest(f"unknown {name} {unknown[0]!r}{hint}")
        sort = single("sort") or "relevance"
        if sort not in SORTS:
            raise InvalidRequest(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
        year_from = _ints(getlist("year_from")[-1:], "year_from", 1000, 9999)
        year_to = _ints(getlist("year_to")[-1:], "year_to", 1000, 9999)
        return cls(
            q=q.strip(),
            years=tuple(sorted(set(_ints(getlist("year"), "year", 1000, 9999)))),
            year_from=year_from[0] if year_from else None,
            year_to=year_to[0] if year_to else None,
            regions=tuple(dict.fromkeys(regions)), types=tuple(dict.fromkeys(types)),
            sections=tuple(dict.fromkeys(sections)),
            sort=sort,
            page=(_ints(getlist("page")[-1:], "page", 1, MAX_PAGE) or [1])[0],
            per_page=(_ints(getlist("per_page")[-1:], "per_page", 1, MAX_PER_PAGE) or [cls.per_page])[0],
        )

    def to_args(self, **changes) -> list[tuple[str, str]]:
        """The GET parameters of this state (defaults left out), for links that change one thing."""
        state = replace(self, **changes)
        args = [("q", state.q)] if state.q else []
        args += [("year", str(y)) for y in state.years]
        args += [("year_from", str(state.year_from))] if state.year_from is not None else []
        args += [("year_to", str(state.year_to))] if state.year_to is not None else []
        args += [("region", r) for r in state.regions]
        args += [("type", t) for t in state.types]
        args += [("section", s) for s in state.sections]
        args += [("sort", state.sort)] if state.sort != "relevance" else []
        args += [("page", str(state.page))] if state.page != 1 else []
        args += [("per_page", str(state.per_page))] if state.per_page != SearchRequest.per_page else []
        return args

    @property
    def filtered(self) -> bool:
        return bool(self.years or self.regions or self.types or self.sections
                    or self.year_from is not None or self.year_to is not None)


# ---------------------------------------------------------------- facet filters over cached columns


def _facet_values(record: dict, facet: str) -> tuple:
    value = record[facet]
    return tuple(value) if isinstance(value, list) else (value,)


def _predicates(req: SearchRequest) -> dict[str, Callable[[dict], bool]]:
    """One test per facet (OR inside a facet); facets are ANDed by the caller."""
    tests: dict[str, Callable[[dict], bool]] = {}
    if req.years:
        years = set(req.years)
        tests["year"] = lambda r: r["year"] in years
    if req.year_from is not None or req.year_to is not None:
        low, high = req.year_from or 0, req.year_to or 9999
        tests["year_range"] = lambda r: low <= r["year"] <= high
    for facet, chosen in (("regions", req.regions), ("type", req.types), ("section", req.sections)):
        if chosen:
            wanted = set(chosen)
            tests[facet] = lambda r, f=facet, w=wanted: any(v in w for v in _facet_values(r, f))
    return tests


def _selected(req: SearchRequest, facet: str) -> tuple:
    return {"year": req.years, "regions": req.regions, "type": req.types, "section": req.sections}[facet]


def _label(facet: str, value) -> str:
    if facet == "type":
        return DOCUMENT_TYPES.get(value, value)
    if facet == "section":
        return SECTIONS.get(value, value)
    return str(value)


def _facet_order(facet: str, counts: Counter) -> list:
    if facet == "year":
        return sorted(counts, reverse=True)
    if facet == "section":
        return [s for s in SECTIONS if s in counts]
    return sorted(counts, key=lambda v: (-counts[v], str(v)))


def _sort_key(sort: str, scores: dict[int, float], records: dict[int, dict]):
    def title(d):
        return records[d]["title"].casefold()
    if sort == "newest":
        return lambda d: (-records[d]["year"], -scores[d], title(d))
    if sort == "oldest":
        return lambda d: (records[d]["year"], -scores[d], title(d))
    if sort == "title":
        return lambda d: (title(d), -records[d]["year"])
    return lambda d: (-scores[d], -records[d]["year"], title(d))


# ---------------------------------------------------------------- the service


@dataclass
class _Snapshot:
    """An open index version with what is derived from it once, not per request."""

    reader: Reader
    records: dict[int, dict]
    by_id: dict[str, int]
    manifest: dict
    overview: dict | None = field(default=None)
    # A query's scores and a publication's snippets for it cannot change within one index
    # generation: facet clicks, paging and the back button ask for them again and again.
    scores: LRUCache = field(default_factory=lambda: LRUCache(maxsize=64))
    snippets: LRUCache = field(default_factory=lambda: LRUCache(maxsize=4096))

    def match(self, parsed: ParsedQuery, q: str) -> dict[int, float]:
        if q not in self.scores:
            self.scores[q] = self.reader.match(parsed)
        return self.scores[q]

    def page_hits(self, parsed: ParsedQuery, q: str, pub_ids: list[str]) -> dict[str, list]:
        missing = [pub_id for pub_id in pub_ids if (q, pub_id) not in self.snippets]
        found = self.reader.page_hits(parsed, missing) if missing else {}
        for pub_id in missing:
            self.snippets[(q, pub_id)] = found.get(pub_id, [])
        return {pub_id: self.snippets[(q, pub_id)] for pub_id in pub_ids}


def _public(record: dict, score: float, snippets: list[dict]) -> dict:
    return {
        "id": record["id"], "title": record["title"], "year": record["year"], "section": record["section"],
        "type": record["type"], "regions": record["regions"], "organisation": record.get("organisation"),
        "url": record.get("url"), "score": round(score, 4), "snippets": snippets,
        "jurisdiction": record.get("jurisdiction"), "language": record.get("language"),
        "full_text": record["full_text"], "status": "full text" if record["full_text"] else "metadata only",
        "failure": record.get("failure"), "pages": record.get("pages", 0), "kind": record.get("kind"),
        "type_label": record["type_label"], "section_label": record["section_label"], "added": record.get("added"),
    }


def _snippet_dicts(hits: list[tuple[int, str]]) -> list[dict]:
    return [{"page": page or None, "html": html} for page, html in hits]


class SearchService:
    """Answers searches from the live index version, reopening it when a build has changed it."""

    def __init__(self, index_dir: Path):
        self.root = IndexRoot(Path(index_dir))
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None

    def _current(self) -> _Snapshot:
        version = self.root.current()
        if version is None:
            raise IndexMissing(f"no index at {self.root.path}: run `observatory build` first")
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.reader.version != version or not snap.reader.up_to_date():
                reader = Reader(version)
                records = dict(reader.records())
                self._snapshot = _Snapshot(reader, records, {r["id"]: d for d, r in records.items()},
                                           read_manifest(version))
                if snap is not None:
                    snap.reader.close()
            return self._snapshot

    def search(self, req: SearchRequest, snippets: bool = True) -> dict:
        """`snippets=False` skips the page search (exports need every match, not where it is)."""
        with self._lock:
            snap = self._current()
            parsed = snap.reader.parse(req.q)
            scores = snap.match(parsed, req.q)
            return self._respond(snap, req, parsed, scores, snippets)

    def _respond(self, snap: _Snapshot, req: SearchRequest, parsed: ParsedQuery, scores: dict[int, float],
                 with_snippets: bool) -> dict:
        records, tests = snap.records, _predicates(req)
        matching = [d for d in scores if d in records]
        passes = {d: {name for name, test in tests.items() if not test(records[d])} for d in matching}
        hits = [d for d in matching if not passes[d]]
        facets = {}
        for facet in FACETS:
            # A facet's own selection is left out of its counts, so its other values stay choosable (OR).
            own = {facet}
            counts = Counter(v for d in matching if passes[d] <= own for v in _facet_values(records[d], facet))
            chosen = _selected(req, facet)
            for value in chosen:
                counts.setdefault(value, 0)
            facets[facet] = [{"value": v, "label": _label(facet, v), "count": counts[v], "selected": v in chosen}
                             for v in _facet_order(facet, counts)]
        sort = "newest" if req.sort == "relevance" and parsed.pubs is None else req.sort
        hits.sort(key=_sort_key(sort, scores, records))
        start = (req.page - 1) * req.per_page
        shown = hits[start:start + req.per_page]
        snippets = snap.page_hits(parsed, req.q, [records[d]["id"] for d in shown]) if with_snippets else {}
        return {
            "total": len(hits), "page": req.page, "per_page": req.per_page,
            "pages": max(1, -(-len(hits) // req.per_page)), "query": req.q, "sort": sort,
            "message": parsed.message,
            "results": [_public(records[d], scores[d], _snippet_dicts(snippets.get(records[d]["id"], [])))
                        for d in shown],
            "facets": facets,
        }

    def document(self, doc_id: str, q: str = "") -> dict | None:
        """One record with every field, its build status, and the pages matching `q`."""
        with self._lock:
            snap = self._current()
            docnum = snap.by_id.get(doc_id)
            if docnum is None:
                return None
            record = snap.records[docnum]
            parsed = snap.reader.parse(q)
            result = _public(record, 0.0, _snippet_dicts(snap.reader.pages_of(doc_id, parsed)))
            result.update({k: v for k, v in record.items() if k not in result})
            entry = snap.manifest.get(doc_id, {})
            result["build"] = {k: entry.get(k) for k in ("checked", "fetched_on", "engine", "content_sha")}
            result["message"] = parsed.message
            return result

    def local_file(self, doc_id: str) -> Path | None:
        """The file a local record was indexed from (server-side only: never shown to users)."""
        with self._lock:
            snap = self._current()
            docnum = snap.by_id.get(doc_id)
            if docnum is None or not snap.records[docnum].get("path"):
                return None
            location = snap.manifest.get(doc_id, {}).get("url")
            return Path(location) if location else None

    def similar(self, doc_id: str, limit: int = 5) -> list[dict]:
        with self._lock:
            snap = self._current()
            return [_public(snap.records[d], score, []) for d, score in snap.reader.similar(doc_id, limit)
                    if d in snap.records]

    def overview(self) -> dict:
        """The collection's shape and the build's to-do list (charts and the status page)."""
        with self._lock:
            snap = self._current()
            if snap.overview is None:
                records = list(snap.records.values())
                counts = {facet: Counter(v for r in records for v in _facet_values(r, facet)) for facet in FACETS}
                failures = sorted(
                    ({"id": r["id"], "title": r["title"], "url": r.get("url") or r.get("path"),
                      "reason": r.get("failure") or r.get("warning"),
                      "severity": "error" if r.get("failure") else "warning"}
                     for r in records if r.get("failure") or r.get("warning")),
                    key=lambda f: (f["severity"], f["id"]))
                snap.overview = {
                    "publications": len(records),
                    "full_text": sum(r["full_text"] for r in records),
                    "metadata_only": sum(not r["full_text"] for r in records),
                    "pages": sum(r.get("pages", 0) for r in records),
                    "facets": {facet: [{"value": v, "label": _label(facet, v), "count": counts[facet][v]}
                                       for v in _facet_order(facet, counts[facet])] for facet in FACETS},
                    "failures": failures,
                    "version": snap.reader.version.name,
                }
            return snap.overview
