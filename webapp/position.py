"""Where a publication stands in the search it was opened from: "result 3 of 8", and its neighbours,
as library catalogues show it, so reading one result never loses the list."""

from __future__ import annotations

from dataclasses import dataclass, replace

from indexer.search import SearchRequest, SearchService


@dataclass(frozen=True)
class Position:
    number: int
    total: int
    previous: tuple[str, SearchRequest] | None  # (id, the search state whose page shows it)
    next: tuple[str, SearchRequest] | None


def position(service: SearchService, req: SearchRequest, doc_id: str) -> Position | None:
    """None when the page was not reached from a search, or the publication is not on its page."""
    if not (req.q or req.filtered):
        return None
    data = service.search(req, snippets=False, correct=False)
    ids = [r["id"] for r in data["results"]]
    if doc_id not in ids:
        return None
    i = ids.index(doc_id)
    previous = (ids[i - 1], req) if i > 0 else _edge(service, req, data["page"] - 1, -1)
    following = (
        (ids[i + 1], req)
        if i + 1 < len(ids)
        else (_edge(service, req, data["page"] + 1, 0) if data["page"] < data["pages"] else None)
    )
    return Position((data["page"] - 1) * data["per_page"] + i + 1, data["total"], previous, following)


def _edge(service: SearchService, req: SearchRequest, page: int, index: int):
    """The first (index 0) or last (-1) result of another page of the same search."""
    if page < 1:
        return None
    on_page = replace(req, page=page)
    results = service.search(on_page, snippets=False, correct=False)["results"]
    return (results[index]["id"], on_page) if results else None
