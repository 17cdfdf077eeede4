"""Every link the pages, feeds and exports print, as template globals and plain functions.

`absolute_url` is the one place an absolute URL is made: from OBSERVATORY_BASE_URL, or for the
development server the address it was started on (`observatory serve` sets SERVER_ADDRESS), never
from the request's Host header, which anyone can forge. Where a format admits only absolute URLs
(OpenSearch templates, an Atom feed's self link) and neither is known, the address the request's
connection reached stands in (`own_address`): the server's own socket, not what the client wrote.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, g, request, url_for

from indexer.extract.captions import clock
from indexer.facets import FACET_BY_KEY
from indexer.search import SearchRequest

from .urls import state_url

bp = Blueprint("links", __name__)


def site_base() -> str | None:
    """The site's own absolute address, or None when neither the setting nor the dev server gives one."""
    base = current_app.config["SETTINGS"].base_url or current_app.config.get("SERVER_ADDRESS")
    return base.rstrip("/") if base else None


def own_address() -> str | None:
    """`scheme://host:port` of the local end of this request's connection (gunicorn and Werkzeug pass
    the socket in the WSGI environ); None for a Unix socket or a server that passes none.

    Behind a reverse proxy this is the proxy's way in, not the public address: set the base URL there.
    """
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if sock is None:
        return None
    try:
        host, port = sock.getsockname()[:2]
    except (AttributeError, OSError, TypeError, ValueError):  # no socket, or a Unix socket's path
        return None
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(request.scheme)
    return f"{request.scheme}://{host}" + ("" if port == default else f":{port}")


@bp.app_template_global("external_url")
def absolute_url(path: str, required: bool = False) -> str:
    """`path` (from url_for) made absolute from the site's base; without one, the path itself
    (relative links still work), unless the format `required` an absolute URL: then from the
    address the request reached."""
    base = site_base() or (own_address() if required else None)
    return base.rstrip("/") + path if base else path


def document_link(doc_id: str) -> str:
    """A publication's page here as an absolute URL (exports, feeds, sitemap, citations)."""
    return absolute_url(url_for("documents.document", doc_id=doc_id))


@bp.app_template_global()
def search_url(req: SearchRequest | None = None, **changes) -> str:
    """A state of the search page; the ticked results (`sel`) come along so paging keeps them."""
    url = state_url(url_for("search.search"), req or SearchRequest(), **changes)
    return with_selection(url)


def with_selection(url: str) -> str:
    selected = g.get("selected", ())
    return url + ("&" if "?" in url else "?") + urlencode([("sel", d) for d in selected]) if selected else url


#: The id of a page's first marked word: a link to a match opens the page there.
FIRST_MATCH = "first-match"


@bp.app_template_global()
def read_url(doc_id: str, page: int, req: SearchRequest | str | None = None, at_match: bool = False) -> str:
    """The reading view of one page; the search state (or just the words) comes along to be
    highlighted there and to lead back to the results. `at_match` opens it at the first marked word."""
    base = url_for("documents.read", doc_id=doc_id, number=page)
    if isinstance(req, str):
        req = SearchRequest(q=req) if req else None
    url = state_url(base, req) if req else base
    return url + f"#{FIRST_MATCH}" if at_match and req and req.q else url


@bp.app_template_global()
def facet_url(key: str, value) -> str:
    """The whole collection narrowed to one value of one facet."""
    return search_url(SearchRequest().with_selected(key, [value]))


@bp.app_template_global()
def facet_page_url(param: str, req: SearchRequest) -> str:
    """Every value of one facet for the search `req`, on a page of its own."""
    return state_url(url_for("search.facet_values", param=param), req, page=1)


@bp.app_template_global()
def doc_url(doc_id: str, req: SearchRequest | None = None) -> str:
    """Carries the search state along, so the document view highlights the query and leads back."""
    base = url_for("documents.document", doc_id=doc_id)
    return state_url(base, req) if req else base


@bp.app_template_global()
def source_url(record) -> str | None:
    """The online source, or for a publication the curators keep as a local file, that file here.

    Search results carry no `path`; a record without a URL whose content was fetched (it has a
    `kind`) can only have come from a local file.
    """
    if record.url:
        return record.url
    return url_for("documents.local_file", doc_id=record.id) if record.kind else None


@bp.app_template_global()
def page_link(url: str | None, kind: str | None, page: int | None) -> str | None:
    """PDF viewers open `#page=N`; other sources have no pages to point at."""
    if not url or page is None:
        return None
    return f"{url}#page={page}" if kind == "pdf" else url


#: Video sites whose players start at a query parameter `t` rather than at the Media Fragments `#t=`.
_QUERY_TIME_HOSTS = {"youtube.com": "{}s", "m.youtube.com": "{}s", "youtu.be": "{}"}
_FRAGMENT_TIME_HOSTS = {"vimeo.com": "#t={}s", "player.vimeo.com": "#t={}s"}


@bp.app_template_global()
def moment_link(url: str | None, seconds: int | None) -> str | None:
    """A recording at the moment a transcript passage starts: YouTube's `t` parameter, Vimeo's
    `#t=…s`, and the Media Fragments `#t=N` that browsers' players honour for a media file."""
    if not url or seconds is None:
        return None
    parts = urlsplit(url)
    site = (parts.hostname or "").removeprefix("www.")
    if site in _QUERY_TIME_HOSTS:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", _QUERY_TIME_HOSTS[site].format(seconds)))
        return urlunsplit(parts._replace(query=urlencode(query), fragment=""))
    return urlunsplit(parts._replace(fragment="")) + _FRAGMENT_TIME_HOSTS.get(site, "#t={}").format(seconds)


bp.add_app_template_filter(clock)


@bp.app_template_filter()
def host(url: str | None) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.") if url else ""


@bp.app_template_filter()
def language_name(code: str | None) -> str:
    return FACET_BY_KEY["language"].label(code) if code else ""
