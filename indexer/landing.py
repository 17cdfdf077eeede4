"""Landing pages: a publisher's page about a report, whose one PDF is the report itself.

Many catalog links lead to such a page. Following it to the PDF makes the publication searchable in full
text with page numbers; following the wrong link would index someone else's document under this record,
so the evidence is taken in order of strength and any doubt means no link:

1. `<meta name="citation_pdf_url">`, which scholarly publishers write for Google Scholar;
2. a link whose text says it is the full report, or whose file name spells the page's title;
3. a link whose text offers a download or a PDF;
4. the only PDF link of the page's main content.

Below the meta tag, links must stay with the publisher: the same registrable domain (ec.europa.eu and
op.europa.eu are one publisher, education.gov.au and dewr.gov.au are two). tldextract reads that off
the Public Suffix List; comparing host names would refuse a publisher's own download host, and
comparing their last two labels would take every .gov.au site for one publisher.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import tldextract
from lxml import etree

#: The list bundled with tldextract, never a download at run time; private suffixes (github.io) count,
#: so two users' pages on one hosting service are two sites.
_DOMAINS = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

_FULL_REPORT = re.compile(r"\b(full|complete|whole)[ -](report|text|publication|document|study|paper)\b", re.I)
_DOWNLOAD = re.compile(r"\b(download|pdf|read the (report|publication|study|paper))\b", re.I)
_PDF_PATH = re.compile(r"\.pdf$", re.I)
_WORD = re.compile(r"[^\W_]+")
_MIN_TITLE_WORDS = 2
"""A file name must share at least this many words with the title ("report.pdf" resembles every title)."""
_TITLE_SHARE = 0.6
"""Share of a file name's words found in the page's title: file names abbreviate, add dates and versions."""
_MAIN = "(//main | //*[@role='main'])[1]"
#: Site furniture (menus, banners, sidebars) links to policies and brochures, not to this publication; a
#: header or footer inside the main content is the publication's own.
_FURNITURE = (
    "ancestor::nav or ancestor::aside or ancestor::*[self::header or self::footer]"
    "[not(ancestor::main or ancestor::article or ancestor::*[@role='main'])]"
)


def document_link(content: bytes, url: str) -> str | None:
    """The URL of the one PDF the page at `url` is about, or None when there is none or it is not certain."""
    try:
        tree = lxml.html.document_fromstring(content)
    except (etree.ParserError, ValueError):
        return None
    base = urljoin(url, (tree.xpath("string((//base/@href)[1])") or "").strip())
    meta = [urljoin(base, value.strip()) for value in tree.xpath("//meta[@name='citation_pdf_url']/@content")]
    meta = [link for link in meta if urlsplit(link).scheme in ("http", "https")]
    if meta:
        return meta[0]
    links = _pdf_links(tree, base)
    site = _site(url)
    local = {link: text for link, text in links.items() if _site(link) == site}
    title = _title_words(tree)
    titled = {link for link in local if _resembles(link, title)}
    for tier in (
        {link for link, text in local.items() if _FULL_REPORT.search(text)},
        titled,
        {link for link, text in local.items() if _DOWNLOAD.search(text)},
    ):
        if len(tier) == 1:
            return tier.pop()
        if tier:  # several candidates: the title may tell which one, else it is a list, not a landing page
            best = tier & titled
            return best.pop() if len(best) == 1 else None
    return next(iter(local)) if len(links) == 1 and local else None


def _pdf_links(tree: lxml.html.HtmlElement, base: str) -> dict[str, str]:
    """PDF URLs (without fragments) of the page's main content, each with all the words that link to it."""
    scope = (tree.xpath(_MAIN) or [tree])[0]
    links: dict[str, str] = {}
    for anchor in scope.xpath(f".//a[@href][not({_FURNITURE})]"):
        link = urldefrag(urljoin(base, anchor.get("href").strip())).url
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https"):
            continue
        if not (_PDF_PATH.search(parts.path) or (anchor.get("type") or "").lower() == "application/pdf"):
            continue
        words = " ".join([anchor.text_content(), anchor.get("title") or "", anchor.get("aria-label") or ""])
        links[link] = f"{links.get(link, '')} {' '.join(words.split())}".strip()
    return links


def _site(url: str) -> str:
    parts = _DOMAINS(url)
    return parts.top_domain_under_public_suffix or (urlsplit(url).hostname or "")


def _title_words(tree: lxml.html.HtmlElement) -> set[str]:
    """Words of the publication's title as the page gives it, hyphenated words also joined ("micro-credentials"
    is spelt "microcredentials" in many file names)."""
    titles = tree.xpath("//meta[@name='citation_title' or @property='og:title']/@content | //h1 | //title")
    text = " ".join(t if isinstance(t, str) else t.text_content() for t in titles).lower()
    joined = {word.replace("-", "") for word in re.findall(r"[^\W_]+(?:-[^\W_]+)+", text)}
    return set(_WORD.findall(text)) | joined


def _resembles(link: str, title: set[str]) -> bool:
    name = urlsplit(link).path.rsplit("/", 1)[-1]
    words = [word for word in _WORD.findall(_PDF_PATH.sub("", name).lower()) if not word.isdigit()]
    shared = sum(word in title for word in words)
    return shared >= _MIN_TITLE_WORDS and shared >= _TITLE_SHARE * len(words)
