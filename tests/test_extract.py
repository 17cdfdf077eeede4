"""Extraction: the text a search can find, on the page a reader can open, and a reason when there is none."""
from __future__ import annotations

import functools
import pickle
import re
from collections import Counter

import pytest
from support import SHARED, make_pdf

from indexer.extract import Extraction, ExtractionError, detect_language, extract
from indexer.extract import html as html_reader
from indexer.extract import pdf as pdf_reader
from indexer.extract.normalize import SECTION_CHARS, normalize, split_sections

EVAL_PDFS_DIR = SHARED / "eval" / "pdfs"
REPORT60 = EVAL_PDFS_DIR / "generated" / "report60.pdf"
needs_eval_pdfs = pytest.mark.skipif(not EVAL_PDFS_DIR.is_dir(), reason="shared eval PDFs not available")

#: The eval PDFs that open only with a password (EVAL_PDFS_DIR/README.md lists them).
NEEDS_PASSWORD = {
    "pdfminer.six/encryption/aes-128-m.pdf",
    "pdfminer.six/encryption/aes-128.pdf",
    "pdfminer.six/encryption/aes-256-m.pdf",
    "pdfminer.six/encryption/aes-256-r6.pdf",
    "pdfminer.six/encryption/aes-256.pdf",
    "pdfminer.six/encryption/rc4-128.pdf",
    "pdfminer.six/encryption/rc4-40.pdf",
    "py-pdf-sample-files/005-libreoffice-writer-password/libreoffice-writer-password.pdf",
}


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@functools.cache
def eval_pdf_facts() -> dict[str, tuple[int, bool]]:
    """Page count and encryption of each eval PDF, from the table in its README."""
    row = re.compile(r"^\| `([^`]+)` \| [\d,]+ \| (\d+) \| (yes|no) \|$")
    readme = (EVAL_PDFS_DIR / "README.md").read_text(encoding="utf-8")
    return {m[1]: (int(m[2]), m[3] == "yes") for m in map(row.match, readme.splitlines()) if m}


# --- PDFs ------------------------------------------------------------------------------------------

def test_words_are_found_on_the_page_that_shows_them():
    result = extract(make_pdf(["Alpha policy on micro-credentials", "Bravo report on stackability"]), "pdf")

    assert result.paged and result.engine == "pdfium"
    assert len(result.pages) == 2
    assert "Alpha policy" in result.pages[0] and "Bravo" not in result.pages[0]
    assert "Bravo report" in result.pages[1] and "Alpha" not in result.pages[1]


@pytest.mark.parametrize("engine", ["pdfium", "pdfminer"])
def test_both_engines_keep_page_numbers_even_across_a_blank_page(engine):
    result = extract(make_pdf(["Alpha on page one", "", "Charlie on page three"]), "pdf", engine=engine)

    assert result.engine == engine
    assert [("alpha" in words(p), "charlie" in words(p)) for p in result.pages] == \
        [(True, False), (False, False), (False, True)]


@pytest.mark.parametrize("engine", ["pdfium", "pdfminer"])
def test_a_word_hyphenated_at_a_line_end_is_found_whole(engine):
    result = extract(make_pdf(["Learners value the stack-\nability of micro-credentials."]), "pdf", engine=engine)

    assert "stackability" in words(result.pages[0])
    assert "micro-credentials" in result.pages[0]


@pytest.mark.parametrize("engine", ["auto", "pdfium", "pdfminer"])
def test_a_pdf_with_only_an_image_has_no_text_layer(engine):
    with pytest.raises(ExtractionError) as error:
        extract(make_pdf([""], image=True), "pdf", engine=engine)

    assert error.value.reason == "no text layer (scanned?)"


@pytest.mark.parametrize("engine", ["auto", "pdfium", "pdfminer"])
def test_a_pdf_encrypted_with_an_empty_user_password_opens_and_says_so(engine):
    result = extract(make_pdf(["Open secret about credentials"], user_password=""), "pdf", engine=engine)

    assert result.encrypted
    assert "Open secret about credentials" in result.pages[0]


@pytest.mark.parametrize("engine", ["auto", "pdfium", "pdfminer"])
def test_a_pdf_that_needs_a_password_is_flagged_encrypted(engine):
    with pytest.raises(ExtractionError) as error:
        extract(make_pdf(["Closed secret"], user_password="letmein"), "pdf", engine=engine)

    assert error.value.reason == "encrypted (password required)"
    assert error.value.encrypted


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty"),
    pytest.param(b"<html><body>Not a PDF</body></html>", id="html"),
    pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 20, id="header-then-garbage"),
    pytest.param(make_pdf(["Cut short"])[:600], id="truncated"),
])
@pytest.mark.parametrize("engine", ["auto", "pdfium", "pdfminer"])
def test_corrupt_bytes_are_reported_as_not_a_valid_pdf(content, engine):
    with pytest.raises(ExtractionError) as error:
        extract(content, "pdf", engine=engine)

    assert error.value.reason.startswith("not a valid PDF: ")
    assert not error.value.encrypted


def test_an_unexpected_library_failure_becomes_a_reason(monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(pdf_reader.pdfium, "PdfDocument", crash)

    with pytest.raises(ExtractionError) as error:
        extract(make_pdf(["Anything"]), "pdf")

    assert error.value.reason == "extraction failed: RuntimeError: boom"


def test_a_page_the_engine_cannot_read_is_left_empty_and_the_others_keep_their_numbers(monkeypatch):
    read_page = pdf_reader._pdfium_page_text

    def fail_on_page_two(document, index):
        if index == 1:
            raise pdf_reader.pdfium.PdfiumError("Failed to load page.")
        return read_page(document, index)
    monkeypatch.setattr(pdf_reader, "_pdfium_page_text", fail_on_page_two)

    result = extract(make_pdf(["Alpha", "Bravo", "Charlie"]), "pdf")

    assert result.pages == ["Alpha", "", "Charlie"]


BODY = ["Alpha paragraph on stackability of short courses.\nIt continues with portability for learners.",
        "Bravo paragraph on quality assurance.\nProviders describe learning outcomes.",
        "Charlie paragraph on recognition.\nEmployers read the credential.",
        "Delta paragraph on workload.\nCredits follow ECTS.",
        "Echo paragraph on digital wallets.\nLearners keep their credentials."]


@pytest.mark.parametrize("engine", ["pdfium", "pdfminer"])
@pytest.mark.parametrize("header, footer", [
    pytest.param("Micro-credentials report 2021", "Page {n}", id="title-and-page-n"),
    pytest.param("Micro-credentials report 2021 | {n}", "- {n} -", id="numbered-header-and-dashed-number"),
    pytest.param("Observatory", "{n}", id="bare-page-number"),
])
def test_running_headers_and_page_numbers_are_stripped(engine, header, footer):
    pages = [f"{header.format(n=n)}\n{body}\n{footer.format(n=n)}" for n, body in enumerate(BODY, 1)]

    result = extract(make_pdf(pages), "pdf", engine=engine)

    assert result.pages == BODY


def test_running_lines_need_a_clear_majority_of_pages():
    pages = [f"{body}\nPage {n}" for n, body in enumerate(BODY, 1)]
    pages[0] = "See the annex for details.\n" + pages[0]
    pages[3] = "See the annex for details.\n" + pages[3]

    result = extract(make_pdf(pages), "pdf")

    assert [page.startswith("See the annex for details.") for page in result.pages] == \
        [True, False, False, True, False]
    assert not any("Page" in page for page in result.pages)


def test_a_short_document_keeps_its_repeated_lines():
    pages = [f"Observatory\n{body}\nPage {n}" for n, body in enumerate(BODY[:3], 1)]

    assert extract(make_pdf(pages), "pdf").pages == pages


def test_a_page_of_nothing_but_running_lines_keeps_them():
    pages = [f"Observatory\n{body}\nPage {n}" for n, body in enumerate(BODY, 1)] + ["Observatory\nPage 6"]

    result = extract(make_pdf(pages), "pdf")

    assert result.pages == BODY + ["Observatory\nPage 6"]


def test_a_scan_with_a_heading_per_page_needs_ocr():
    pages = [f"Chapter {n}: scanned minutes of the board" for n in range(1, 6)]

    result = extract(make_pdf(pages, image=True), "pdf")

    assert result.needs_ocr
    assert "Chapter 3: scanned minutes of the board" in result.pages[2]


def test_a_typed_cover_does_not_hide_a_scanned_body():
    cover = "\n".join(["Annual report on micro-credentials, typed cover and foreword with a long text line."] * 8)

    assert extract(make_pdf([cover, "Figure 1", "Figure 2"], image=True), "pdf").needs_ocr


def test_pages_of_prose_do_not_need_ocr():
    prose = "\n".join(["Micro-credentials certify the learning outcomes of short, assessed courses."] * 4)

    result = extract(make_pdf([prose, prose, ""], image=True), "pdf")

    assert len(prose) > pdf_reader.LITTLE_TEXT_CHARS and not result.needs_ocr


@needs_eval_pdfs
def test_a_pdf_pdfium_refuses_is_read_by_pdfminer():
    content = (EVAL_PDFS_DIR / "py-pdf-sample-files/017-unreadable-meta-data/unreadablemetadata.pdf").read_bytes()

    with pytest.raises(ExtractionError, match="not a valid PDF"):
        extract(content, "pdf", engine="pdfium")
    result = extract(content, "pdf")
    assert result.engine == "pdfminer" and any(result.pages)


def test_an_extraction_error_keeps_its_reason_and_flag_across_processes():
    copy = pickle.loads(pickle.dumps(ExtractionError("encrypted (password required)", encrypted=True)))

    assert (copy.reason, copy.encrypted, str(copy)) == \
        ("encrypted (password required)", True, "encrypted (password required)")


def test_an_unknown_kind_is_a_reason_but_an_unknown_engine_is_a_bug():
    with pytest.raises(ExtractionError, match=r"unsupported content \(docx\)"):
        extract(b"PK\x03\x04", "docx")
    with pytest.raises(ValueError):
        extract(make_pdf(["Text"]), "pdf", engine="tesseract")


# --- the eval PDFs ---------------------------------------------------------------------------------

@needs_eval_pdfs
@pytest.mark.parametrize("path", sorted(EVAL_PDFS_DIR.rglob("*.pdf")) if EVAL_PDFS_DIR.is_dir() else [],
                         ids=lambda path: path.relative_to(EVAL_PDFS_DIR).as_posix())
def test_every_eval_pdf_gives_text_or_a_reason(path):
    name = path.relative_to(EVAL_PDFS_DIR).as_posix()
    pages, encrypted = eval_pdf_facts()[name]
    try:
        result = extract(path.read_bytes(), "pdf")
    except ExtractionError as error:
        assert error.reason.strip()
        assert (error.reason == "encrypted (password required)") == (name in NEEDS_PASSWORD)
        assert error.encrypted == encrypted
        return
    assert name not in NEEDS_PASSWORD
    assert result.paged and any(result.pages)
    assert result.encrypted == encrypted
    if result.engine == "pdfium":  # the README counted pages with PDFium
        assert len(result.pages) == pages


@pytest.fixture(scope="module", params=["pdfium", "pdfminer"])
def report60(request) -> Extraction:
    if not REPORT60.is_file():
        pytest.skip("shared report60.pdf not available")
    return extract(REPORT60.read_bytes(), "pdf", engine=request.param)


def test_report60_loses_its_running_header_and_page_numbers_only(report60):
    assert len(report60.pages) == 60
    assert not any("Working Draft" in page or re.search(r"^Page \d+$", page, re.MULTILINE)
                   for page in report60.pages)
    assert report60.pages[0].startswith("Synthetic Policy Report on Aeronautical Research\nFunding")


def test_report60_text_has_the_ground_truth_words(report60):
    truth = Counter(words(REPORT60.with_name("report60.truth.txt").read_text(encoding="utf-8")))
    found = Counter(words("\n".join(report60.pages)))

    assert sum((truth & found).values()) / sum(truth.values()) > 0.95
    assert sum((truth & found).values()) / sum(found.values()) > 0.99  # no header words on every page


# --- normalisation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    pytest.param("e\ufb03cient \ufb01les \ufb02ow", "efficient files flow", id="ligatures-expand"),
    pytest.param("(cid:12)Credit(cid:3) points", "Credit points", id="cid-placeholders-go"),
    pytest.param("stack-\nability", "stackability", id="line-end-hyphen-joins"),
    pytest.param("stack-  \n  ability", "stackability", id="line-end-hyphen-joins-despite-spaces"),
    pytest.param("stack\ufffeability", "stackability", id="pdfium-line-end-hyphen-mark-joins"),
    pytest.param("Anglo\ufffeSaxon", "Anglo-\nSaxon", id="pdfium-line-end-hyphen-mark-before-capital-stays"),
    pytest.param("a micro-credential", "a micro-credential", id="real-hyphen-stays"),
    pytest.param("Anglo-\nSaxon", "Anglo-\nSaxon", id="hyphen-before-capital-stays"),
    pytest.param("trans\u00ad\nparent", "transparent", id="soft-hyphen-at-line-end-joins"),
    pytest.param("trans\u00adparent", "transparent", id="soft-hyphen-inside-goes"),
    pytest.param("too   many \t spaces\u00a0here ", "too many spaces here", id="space-runs-collapse"),
    pytest.param("one\n\n\n \n\n\ntwo", "one\n\ntwo", id="blank-line-runs-collapse"),
    pytest.param("line one\nline two\n\nnext paragraph", "line one\nline two\n\nnext paragraph",
                 id="paragraphs-stay"),
    pytest.param("page one\x0cpage two\x0c", "page one\n\npage two", id="form-feed-is-a-break"),
    pytest.param("\ufeffbell\x07 and\x00 nul\x1b", "bell and nul", id="control-chars-go"),
    pytest.param("windows\r\nlines\rold mac", "windows\nlines\nold mac", id="line-ends-unify"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_long_text_is_cut_into_sections_at_paragraph_breaks():
    paragraphs = [f"Paragraph {n} " + "word " * 100 for n in range(40)]
    text = "\n\n".join(p.strip() for p in paragraphs)

    sections = split_sections(text)

    assert len(sections) > 1
    assert all(len(s) <= SECTION_CHARS for s in sections)
    assert "\n\n".join(sections) == text


def test_a_paragraph_longer_than_a_section_is_cut_between_words():
    text = " ".join(f"word{n}" for n in range(3000))

    sections = split_sections(text)

    assert len(sections) > 1 and all(len(s) <= SECTION_CHARS for s in sections)
    assert " ".join(sections) == text


# --- web pages and plain text ----------------------------------------------------------------------

ARTICLE = """<!doctype html>
<html><head><meta charset="utf-8"><title>  Micro-credentials   in Europe </title>
<script>var tracking = "SCRIPTTOKEN";</script><style>.banner { color: red }</style></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About NAVTOKEN</a></li></ul></nav>
<div id="cookie-banner" class="cookie-consent">We use cookies COOKIETOKEN. <button>Accept all</button></div>
<main><article>
<h1>Micro-credentials in Europe</h1>
<p>The Council Recommendation on a European approach to micro-credentials for lifelong learning and
employability was adopted in June 2022. It asks member states to make stackability possible.</p>
<p>Learners should be able to combine micro-credentials from different providers into larger
qualifications, and providers should describe learning outcomes, workload and quality assurance.</p>
<p>National qualification frameworks are being opened to short courses so that the value of a
micro-credential is visible to employers across borders.</p>
</article></main>
<footer>Copyright 2024 FOOTERTOKEN. Privacy policy.</footer>
</body></html>"""


def test_a_web_page_gives_its_main_text_only():
    result = extract(ARTICLE.encode(), "html")

    text = "\n".join(result.pages)
    assert (result.engine, result.paged) == ("html", False)
    assert "make stackability possible" in text and "visible to employers" in text
    for token in ("SCRIPTTOKEN", "NAVTOKEN", "COOKIETOKEN", "FOOTERTOKEN", "color: red"):
        assert token not in text


def test_a_long_web_page_is_cut_into_sections_between_paragraphs():
    body = "".join(f"<p>Paragraph{n} {'about credentials ' * 40}end{n}.</p>" for n in range(30))
    result = extract(f"<html><body><article>{body}</article></body></html>".encode(), "html")

    assert len(result.pages) > 1 and all(len(s) <= SECTION_CHARS for s in result.pages)
    assert all(sum(f"Paragraph{n} " in s and f"end{n}." in s for s in result.pages) == 1 for n in range(30))


def test_a_web_page_without_main_content_falls_back_to_its_visible_text(monkeypatch):
    monkeypatch.setattr(html_reader.trafilatura, "extract", lambda *args, **kwargs: None)
    page = b"""<html><head><title>Events</title><style>p{}</style></head><body>
        <script>SCRIPTTOKEN()</script><div>Webinar</div><div>12 May</div><p>Registration<br>open</p></body></html>"""

    result = extract(page, "html")

    assert result.pages == ["Webinar\n\n12 May\n\nRegistration\nopen"]


def test_a_web_page_in_its_declared_legacy_charset_is_decoded():
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Formación profesional en España</p></body></html>'

    assert "Formación profesional en España" in extract(page.encode("cp1252"), "html").pages[0]


def test_an_empty_web_page_is_a_reason():
    with pytest.raises(ExtractionError, match="no text"):
        extract(b"<html><body><script>x()</script></body></html>", "html")


def test_plain_text_is_decoded_and_sectioned():
    text = ("Über micro-credentials.\n\n" + "word " * 2000).encode("utf-8")

    result = extract(text, "text")

    assert (result.engine, result.paged) == ("text", False)
    assert result.pages[0].startswith("Über micro-credentials.") and len(result.pages) > 1


def test_plain_text_in_a_legacy_encoding_is_guessed():
    text = "La formación profesional en España ofrece microcredenciales. Según el Ministerio, son útiles."

    assert extract(text.encode("cp1252"), "text").pages == [text]


def test_empty_plain_text_is_a_reason():
    with pytest.raises(ExtractionError, match="no text"):
        extract(b" \n\x0c\n ", "text")


# --- language --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, language", [
    pytest.param("Micro-credentials certify the learning outcomes of short, transparently assessed courses.", "en",
                 id="english"),
    pytest.param("Las microcredenciales certifican los resultados del aprendizaje de cursos breves y evaluados.",
                 "es", id="spanish"),
    pytest.param("Hello", None, id="too-short"),
    pytest.param("2023 2024 2025 12.5 % 7,770", None, id="numbers-only"),
    pytest.param("", None, id="empty"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("meta", ['<meta charset="utf-8">', ""], ids=["declared", "undeclared"])
def test_a_utf8_page_with_a_few_undecodable_bytes_keeps_its_text_with_a_warning(meta):
    """Two stray bytes must neither make the page undecodable nor turn every accent into mojibake."""
    page = (f"<html><head>{meta}<title>T</title></head><body><p>Les micro-certifications européennes "
            + "sont reconnues dans toute l’Europe. " * 20 + "</p><p>broken STRAY here</p></body></html>")
    content = page.encode("utf-8").replace(b"STRAY", b"\xff\xfe")
    result = extract(content, "html")
    assert "micro-certifications européennes" in result.pages[0] and "l’Europe" in result.pages[0]
    assert "broken \ufffd\ufffd here" in "\n".join(result.pages)
    assert result.warning == "2 undecodable byte sequence(s) replaced"
