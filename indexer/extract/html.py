"""Main text of a web page: what a reader came for, without menus, scripts and cookie banners."""

from __future__ import annotations

import re

import lxml.html
import trafilatura
from lxml import etree

from ..failures import Failure
from .model import Extraction, ExtractionError
from .normalize import normalize, split_sections
from .text import decode

_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_NOT_TEXT = ("script", "style", "noscript", "template", etree.Comment, etree.ProcessingInstruction)
_BLOCKS = (
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
)


def extract_html(content: bytes) -> Extraction:
    declared = _DECLARED_CHARSET.search(content[:4096])
    markup, warning = decode(content, declared.group(1).decode("ascii") if declared else None)
    # lxml refuses a str that still carries an encoding declaration; the bytes are decoded already.
    markup = _XML_DECLARATION.sub("", markup, count=1)
    try:
        tree = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        raise ExtractionError("no text (empty page)", Failure.NOT_A_DOCUMENT) from None
    main = trafilatura.extract(markup, include_comments=False, include_tables=True, deduplicate=False)
    # trafilatura writes one block (paragraph, heading, list item) per line; blocks are our paragraphs.
    text = normalize(main.replace("\n", "\n\n")) if main else normalize(_plain_text(tree))
    if not text:
        raise ExtractionError("no text (empty page)", Failure.NOT_A_DOCUMENT)
    return Extraction(pages=split_sections(text), paged=False, engine="html", warning=warning)


def _plain_text(tree: lxml.html.HtmlElement) -> str:
    """What a text browser would show; used when trafilatura finds no main content, e.g. on a bare page."""
    body = tree.find("body")
    if body is None:
        return ""
    etree.strip_elements(body, *_NOT_TEXT, with_tail=False)
    for block in body.iter(*_BLOCKS):
        block.text = "\n\n" + (block.text or "")
        block.tail = "\n\n" + (block.tail or "")
    for line_break in body.iter("br"):
        line_break.tail = "\n" + (line_break.tail or "")
    return body.text_content()
