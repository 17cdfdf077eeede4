"""A publication described for the tools that read pages rather than exports: Highwire Press
`citation_*` meta tags (Zotero's Embedded Metadata translator, Google Scholar), schema.org JSON-LD
(search engines) and a COinS span per search result (Zotero offers to save several at once)."""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urlsplit

from .export import last_first
from .publication import Publication

#: Which Highwire tag names the issuing body, by the record's type: it is also how Zotero decides
#: the item type (report, thesis) from a page.
_BODY_TAG = {"thesis": "citation_dissertation_institution", "book": "citation_publisher"}
_REPORTS = {"report", "white-paper", "survey", "literature-review", "guide", "position-paper", "framework", "policy"}

#: schema.org types; what is neither an article, a book, a recording nor an event is a Report.
_SCHEMA_TYPES = {
    "journal-article": "ScholarlyArticle",
    "book": "Book",
    "thesis": "Thesis",
    "video": "VideoObject",
    "podcast": "PodcastEpisode",
    "event": "Event",
    "platform": "WebSite",
    "commentary": "Article",
}


#: Zotero item types (its RIS translator's for our RIS types), as a `z.itemType` meta tag: Zotero's
#: Embedded Metadata translator reads it through its RDF import, where Highwire tags can only say
#: journal article, report, thesis, book or conference paper.
_ZOTERO_TYPES = {
    "journal-article": "journalArticle",
    "book": "book",
    "thesis": "thesis",
    "video": "videoRecording",
    "podcast": "audioRecording",
    "event": "presentation",
    "platform": "webpage",
    "commentary": "blogPost",
}

#: Zotero item types without a publisher field, where the issuing body would be dropped (Zotero says so).
_NO_PUBLISHER = {"journalArticle", "presentation", "webpage", "blogPost"}


def zotero_type(p: Publication) -> str:
    return _ZOTERO_TYPES.get(p.type, "report")


def doi(url: str | None) -> str | None:
    """The DOI a doi.org link resolves (Zotero stores it and can look the work up by it)."""
    parts = urlsplit(url or "")
    name = unquote(parts.path.lstrip("/"))
    return name if parts.hostname in ("doi.org", "dx.doi.org") and name.startswith("10.") else None


def highwire_tags(p: Publication, page_url: str) -> list[tuple[str, str]]:
    """Only people are `citation_author`s: Zotero splits every such name into given and family name
    ("European Commission" -> "Commission, European"), so an issuing body goes in its own tag only."""
    tags = [("citation_title", p.title), ("z.itemType", zotero_type(p))]
    tags += [("citation_author", last_first(name)) for name in p.authors]
    tags.append(("citation_publication_date", str(p.year)))
    if p.organisation and zotero_type(p) not in _NO_PUBLISHER:
        name = _BODY_TAG.get(p.type) or (
            "citation_technical_report_institution" if p.type in _REPORTS else "citation_publisher"
        )
        tags.append((name, p.organisation))
    if p.summary:
        tags.append(("citation_abstract", p.summary))
    if found := doi(p.url):
        tags.append(("citation_doi", found))
    if p.language:
        tags.append(("citation_language", p.language))
    if p.url and p.kind == "pdf":
        tags.append(("citation_pdf_url", p.url))
    tags.append(("citation_abstract_html_url", page_url))
    tags += [("citation_keywords", region) for region in p.regions]
    return tags


def json_ld(p: Publication, page_url: str) -> dict:
    kind = _SCHEMA_TYPES.get(p.type, "Report")
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": kind,
        "name": p.title,
        "url": page_url,
        "author": [{"@type": "Person", "name": name} for name in p.authors]
        or ([{"@type": "Organization", "name": p.organisation}] if p.organisation else []),
        "genre": p.type_label,
        "keywords": list(p.regions),
    }
    data["startDate" if kind == "Event" else "datePublished"] = str(p.year)
    if p.organisation:
        data["organizer" if kind == "Event" else "publisher"] = {"@type": "Organization", "name": p.organisation}
    if p.summary:
        data["description"] = p.summary
    if p.language:
        data["inLanguage"] = p.language
    if p.url:
        data["sameAs"] = p.url
    if p.added:
        data["dateCreated"] = p.added
    return {key: value for key, value in data.items() if value not in ([], "")}


def coins(p: Publication) -> str:
    """An OpenURL ContextObject (Z39.88-2004) for the `title` of a `<span class="Z3988">`."""
    creators = [("rft.au", last_first(name)) for name in p.authors] or (
        [("rft.aucorp", p.organisation)] if p.organisation else []
    )
    if p.type == "journal-article":
        fields = [("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"), ("rft.genre", "article"), ("rft.atitle", p.title)]
    elif p.type == "thesis":
        fields = [("rft_val_fmt", "info:ofi/fmt:kev:mtx:dissertation"), ("rft.title", p.title)]
        fields += [("rft.inst", p.organisation)] if p.organisation else []
    elif p.type == "book" or p.type in _REPORTS:
        fields = [
            ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"),
            ("rft.genre", "book" if p.type == "book" else "report"),
            ("rft.btitle", p.title),
        ]
        fields += [("rft.pub", p.organisation)] if p.organisation else []
    else:
        fields = [("rft_val_fmt", "info:ofi/fmt:kev:mtx:dc"), ("rft.title", p.title), ("rft.type", p.type_label)]
        creators = [("rft.creator", name) for name in p.creators]
    fields += creators + [("rft.date", str(p.year))]
    fields += [("rft_id", p.url)] if p.url else []
    fields += [("rft.language", p.language)] if p.language else []
    return urlencode([("ctx_ver", "Z39.88-2004"), *fields])
