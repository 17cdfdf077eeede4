"""Landing pages: the one PDF a publisher's page is about is followed; lists, brochures and other sites are not."""
from __future__ import annotations

import pytest

from indexer.landing import document_link

PAGE_URL = "https://www.example.eu/publications/micro-credentials-in-europe"


def page(body: str, head: str = "", title: str = "Micro-credentials in Europe: a policy review") -> bytes:
    """A publisher's page: site menu and footer with their own PDFs around the main content."""
    return f"""<!doctype html><html><head><title>{title} | Example Agency</title>{head}</head><body>
    <header><nav><a href="/">Home</a> <a href="/files/annual-plan-2024.pdf">Annual plan</a></nav></header>
    <main><h1>{title}</h1><p>This review maps micro-credential policy across Europe.</p>{body}</main>
    <aside><a href="/files/newsletter.pdf">Newsletter</a></aside>
    <footer><a href="/files/privacy-policy.pdf">Privacy policy (PDF)</a></footer>
    </body></html>""".encode()


@pytest.mark.parametrize("content, expected", [
    pytest.param(page("", head='<meta name="citation_pdf_url" content="https://cdn.example.org/review.pdf">'
                          '<meta name="citation_title" content="Micro-credentials in Europe">'),
                 "https://cdn.example.org/review.pdf", id="citation-pdf-url-meta-tag"),
    pytest.param(page('<a href="/files/MCE_2023_web.pdf">Download the full report</a>'
                      '<a href="/files/summary.pdf">Download the executive summary</a>'),
                 "https://www.example.eu/files/MCE_2023_web.pdf", id="link-text-says-full-report"),
    pytest.param(page('<a href="https://op.example.eu/doc/microcredentials-europe-policy-review-v2.pdf">Annex</a>'
                      '<a href="/files/methodology-note.pdf">Annex</a>'),
                 "https://op.example.eu/doc/microcredentials-europe-policy-review-v2.pdf",
                 id="file-name-spells-the-title-on-a-sister-host"),
    pytest.param(page('<p><a href="../files/report.pdf#page=3" class="button">Download (PDF, 2 MB)</a></p>'),
                 "https://www.example.eu/files/report.pdf", id="download-button-relative-with-fragment"),
    pytest.param(page('<a href="/getfile?id=42" type="application/pdf">Download</a>'),
                 "https://www.example.eu/getfile?id=42", id="link-typed-as-pdf"),
    pytest.param(page('<p>See <a href="/files/mc-review.pdf">the review</a>.</p>'),
                 "https://www.example.eu/files/mc-review.pdf", id="single-pdf-link-on-the-same-site"),
    pytest.param(page('<p>See <a href="review.pdf">the review</a>.</p>', head='<base href="/static/">'),
                 "https://www.example.eu/static/review.pdf", id="base-href-is-honoured"),
])
def test_the_one_pdf_of_the_publication_is_found(content, expected):
    assert document_link(content, PAGE_URL) == expected


@pytest.mark.parametrize("content", [
    pytest.param(page('<ul><li><a href="/files/a.pdf">Download PDF</a></li><li><a href="/files/b.pdf">Download PDF'
                      '</a></li><li><a href="/files/c.pdf">Download PDF</a></li></ul>'), id="list-of-downloads"),
    pytest.param(page('<a href="/files/skills-outlook.pdf">Skills outlook</a>'
                      '<a href="/files/apprenticeships.pdf">Apprenticeships</a>'), id="several-unrelated-pdfs"),
    pytest.param(page('<a href="https://mirror.example.com/files/review.pdf">Download the full report</a>'),
                 id="only-pdf-is-off-site"),
    pytest.param(page('<a href="https://other.github.io/review.pdf">Download</a>'), id="another-user-on-a-shared-host"),
    pytest.param(page('<p>No document here, only an announcement.</p>'), id="no-pdf-in-main-content"),
    pytest.param(page('<a href="mailto:info@example.eu?subject=report.pdf">Ask for the PDF</a>'), id="not-a-web-link"),
    pytest.param(b"", id="empty"),
])
def test_a_page_that_is_not_a_landing_page_is_not_followed(content):
    assert document_link(content, PAGE_URL) is None


def test_site_furniture_pdfs_do_not_count_without_a_main_element():
    content = b"""<html><body><nav><a href="/menu.pdf">Menu</a></nav>
        <div><a href="/files/review.pdf">Review</a></div><footer><a href="/terms.pdf">Terms</a></footer></body></html>"""

    assert document_link(content, PAGE_URL) == "https://www.example.eu/files/review.pdf"


def test_a_registrable_domain_is_not_a_shared_suffix():
    content = page('<a href="https://www.dewr.gov.au/review.pdf">Download the full report</a>')

    assert document_link(content, "https://www.education.gov.au/review") is None
