"""A synthetic collection shaped like the Observatory's: report-like PDFs and HTML pages with catalog metadata.

Scale 1 is ~330 publications and ~6,000 pages, the real collection's order of size; the speed bench
runs at 10 to see how far that stretches. Text is drawn from a Zipfian vocabulary (real policy words
among the frequent ranks, made-up words in the long tail) with a few publication-specific topic
words, so postings lists, phrase hits and score spreads look like real text, not uniform noise.

Everything is a pure function of (scale, seed, publication number): a publication's content does not
depend on which process drew it, and a corpus is generated once per (scale, seed, generator version)
and reused from `<out>/corpus-<scale>-seed<seed>/`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import math
import os
import shutil
import textwrap
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

PUBLICATIONS_AT_1X = 330
PAGES_AT_1X = 6000
VOCAB_SIZE = 30_000
VOCAB_SEED = 1_400  # the vocabulary is the same for every corpus, so query mixes are fixed strings
ZIPF_EXPONENT = 1.05
TOPIC_SHARE = 0.12  # share of a publication's words drawn from its own topic words
WORDS_PER_PAGE = (380, 70)  # mean, standard deviation of a body page

FUNCTION_WORDS = """the of and to in a for is on that with as by are be this or from at which it their
an not have has can also these more such its been will other they all may than should was were into
between through both across how where who within would most each new well our there about those but
under over only one two three further while including however often some many both first""".split()

POLICY_WORDS = """education learning learners micro credentials credential qualifications qualification
framework frameworks higher quality assurance recognition skills employability lifelong training
institutions universities providers national european policy development digital stakeholders
students employers labour market recommendation standards approach stackable stackability
portability transparency accreditation competences outcomes assessment certification badges
blockchain online courses modules programmes provision tertiary vocational workforce upskilling
reskilling pathways credit transfer ects bologna commission member states council consultation
governance funding regulation ministry agency sector industry partnership collaboration innovation
implementation strategy action plan evaluation evidence survey report analysis data research
review study findings practice practices case examples guidance principles criteria
definitions definition design delivery platform platforms marketplace recognition validation
verification trust value currency cohesion consistency mobility inclusion equity access
participation adult adults workers employment jobs economy recovery pandemic future growth
demand supply needs gaps learning opportunities flexible short modular units small learning
experiences teaching curriculum academic professional continuing career progression individual
accounts entitlements incentives barriers challenges benefits risks opportunities trends
international global regional local community public private networks consortium alliance""".split()

PHRASES = [
    "micro credentials",
    "lifelong learning",
    "quality assurance",
    "higher education",
    "recognition of prior learning",
    "digital credentials",
    "learning outcomes",
    "european approach",
    "labour market",
    "national qualifications framework",
    "individual learning accounts",
    "credit transfer",
    "skills agenda",
    "member states",
    "vocational education and training",
    "open badges",
    "stackable credentials",
    "work based learning",
    "key commitments",
    "council recommendation",
]

TITLE_TEMPLATES = [
    "{Phrase}: {a} {b} for {region}",
    "Towards a {A} {b} of {phrase}",
    "{A} {b} and {phrase} in {region}",
    "{Phrase} in {region}: {a} and {b}",
    "The {A} of {phrase}",
    "{A} {b}: a review of {phrase}",
    "{Phrase} and the {a} {b}",
    "Survey of {phrase} in {region}",
]

ORGANISATIONS = [
    "European Commission",
    "Council of the European Union",
    "OECD",
    "UNESCO",
    "Cedefop",
    "European Training Foundation",
    "ENQA",
    "EUA",
    "MICROBOL project",
    "ECIU University",
    "Quality and Qualifications Ireland",
    "Higher Education Authority",
    "Irish Universities Association",
    "Dublin City University",
    "Australian Government Department of Education",
    "TEQSA",
    "New Zealand Qualifications Authority",
    "Colleges and Institutes Canada",
    "eCampusOntario",
    "BCcampus",
    "Government of Alberta",
    "Ontario Ministry of Colleges and Universities",
    "American Council on Education",
    "Lumina Foundation",
    "Credential Engine",
    "EDUCAUSE",
    "UK Quality Assurance Agency",
    "Universities UK",
    "Malaysian Qualifications Agency",
    "SkillsFuture Singapore",
    "HolonIQ",
    "ETUC",
    "ETUCE",
    "Digitary",
    "FutureLearn",
    "Coursera",
    "edX",
    "Open University",
    "Swiss Federal Institute",
    "German Rectors' Conference",
]

REGIONS = {
    "International": 20,
    "Europe": 18,
    "Ireland": 8,
    "Australia": 8,
    "Canada": 8,
    "United States": 9,
    "United Kingdom": 7,
    "New Zealand": 5,
    "Germany": 2,
    "Netherlands": 2,
    "Malaysia": 2,
    "Singapore": 2,
    "India": 2,
    "South Africa": 2,
    "Finland": 1,
    "France": 1,
    "Spain": 1,
    "Italy": 1,
    "Denmark": 1,
}

YEARS = {
    2014: 1,
    2015: 1,
    2016: 2,
    2017: 3,
    2018: 5,
    2019: 8,
    2020: 14,
    2021: 18,
    2022: 16,
    2023: 14,
    2024: 10,
    2025: 6,
}

# (section, type, weight, share of HTML pages): reports and policies are mostly PDFs, commentary mostly web pages
TYPES = [
    ("report", "report", 22, 0.05),
    ("report", "white-paper", 6, 0.1),
    ("report", "survey", 5, 0.1),
    ("report", "literature-review", 3, 0.0),
    ("report", "guide", 4, 0.3),
    ("policy", "policy", 10, 0.2),
    ("policy", "framework", 8, 0.1),
    ("policy", "position-paper", 4, 0.2),
    ("article", "journal-article", 12, 0.1),
    ("article", "book", 2, 0.0),
    ("article", "commentary", 14, 0.9),
    ("article", "thesis", 1, 0.0),
    ("event", "event", 6, 1.0),
    ("event", "video", 2, 1.0),
    ("event", "platform", 1, 1.0),
]

MARKER = "zorblaxquint"  # a word no generated text contains, for the publication the incremental bench adds


@dataclass(frozen=True)
class Publication:
    n: int
    id: str
    title: str
    year: int
    section: str
    type: str
    regions: tuple[str, ...]
    organisation: str
    kind: str  # "pdf" | "html"
    pages: int  # PDF pages; an HTML page counts as one
    file: str  # name under the corpus' files/ directory
    marker: str | None = None

    def record(self, base_url: str) -> dict:
        """The catalog entry a curator would write for it, pointing at the bench's HTTP server."""
        return {
            "id": self.id,
            "title": self.title,
            "year": self.year,
            "section": self.section,
            "type": self.type,
            "regions": list(self.regions),
            "organisation": self.organisation,
            "language": "en",
            "url": f"{base_url}/{self.file}",
        }


@dataclass(frozen=True)
class Corpus:
    dir: Path
    scale: float
    seed: int
    publications: list[Publication]

    @property
    def files(self) -> Path:
        return self.dir / "files"

    @property
    def pages(self) -> int:
        return sum(p.pages for p in self.publications)

    def path(self, pub: Publication) -> Path:
        return self.files / pub.file

    def text(self, pub: Publication) -> str:
        """Title and page texts as generated (pages separated by form feeds): what a perfect extractor returns."""
        return (self.dir / "text" / f"{pub.id}.txt").read_text(encoding="utf-8")


@cache
def vocabulary() -> tuple[tuple[str, ...], np.ndarray]:
    """Words by rank and the cumulative Zipf distribution over them."""
    rng = np.random.default_rng(VOCAB_SEED)
    onsets = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl pr st tr".split()
    vowels = "a e i o u a e i o ai ea io".split()
    codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st"]
    real = set(FUNCTION_WORDS) | set(POLICY_WORDS)
    made_up: dict[str, None] = {}
    while len(made_up) < VOCAB_SIZE - len(real):
        syllables = 1 + (rng.random() < 0.8) + (rng.random() < 0.3)
        word = (
            "".join(onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))] for _ in range(syllables))
            + codas[rng.integers(len(codas))]
        )
        if word not in real and word != MARKER:
            made_up[word] = None
    made_up_words = list(made_up)
    # function words take the top ranks; policy words are spread over the next few hundred
    words = list(dict.fromkeys(FUNCTION_WORDS))
    policy = list(dict.fromkeys(w for w in POLICY_WORDS if w not in words))
    for i, word in enumerate(policy):
        words.append(word)
        words.extend(made_up_words[i * 2 : i * 2 + 2])
    words.extend(made_up_words[len(policy) * 2 :])
    weights = 1.0 / np.arange(1, len(words) + 1) ** ZIPF_EXPONENT
    return tuple(words), np.cumsum(weights) / weights.sum()


def _draw(rng: np.random.Generator, n: int, topic: list[str]) -> list[str]:
    words, cdf = vocabulary()
    picks = np.searchsorted(cdf, rng.random(n))
    out = [words[min(i, len(words) - 1)] for i in picks]
    for i in np.flatnonzero(rng.random(n) < TOPIC_SHARE):
        out[i] = topic[rng.integers(len(topic))]
    return out


def _sentence(rng: np.random.Generator, topic: list[str]) -> str:
    words = _draw(rng, max(5, int(rng.normal(19, 6))), topic)
    if rng.random() < 0.35:
        at = int(rng.integers(len(words)))
        words[at:at] = PHRASES[int(rng.integers(len(PHRASES)))].split()
    return " ".join(words).capitalize() + "."


def _body(rng: np.random.Generator, n_words: int, topic: list[str], heading: str | None) -> str:
    """Paragraphs separated by newlines, with a numbered heading where a section starts."""
    paragraphs, paragraph, count = ([heading] if heading else []), [], 0
    while count < n_words:
        sentence = _sentence(rng, topic)
        paragraph.append(sentence)
        count += sentence.count(" ") + 1
        if len(paragraph) >= rng.integers(3, 7):
            paragraphs.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        paragraphs.append(" ".join(paragraph))
    return "\n".join(paragraphs)


def _rng(seed: int, n: int) -> np.random.Generator:
    return np.random.default_rng([seed, n])


def texts(pub: Publication, seed: int) -> list[str]:
    """The text of each page (HTML: one entry), the same every time it is asked for."""
    rng = _rng(seed, pub.n)
    words, _ = vocabulary()
    topic = [words[i] for i in rng.integers(300, 4000, size=15)]
    if pub.kind == "html":
        pages = [_body(rng, int(rng.integers(600, 2500)), topic, None)]
    else:
        pages = [f"{pub.title}\n{pub.organisation}\n{pub.year}\n" + _body(rng, 80, topic, None)]
        section = 1
        for _ in range(pub.pages - 1):
            heading = None
            if rng.random() < 0.2:
                heading = f"{section}. " + " ".join(_draw(rng, 4, topic)).capitalize()
                section += 1
            n_words = int(rng.normal(*WORDS_PER_PAGE)) if rng.random() > 0.06 else int(rng.integers(60, 160))
            pages.append(_body(rng, max(60, n_words), topic, heading))
    if pub.marker:
        pages[-1] += f"\nThis addition concerns {pub.marker} credentials."
    return pages


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (Latin-1 here), with its delimiters escaped."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def _page_stream(pub: Publication, text: str, number: int, count: int) -> bytes:
    """One page's content: running header, footer and the text at 10 pt, 12.5 pt leading, 4 pt between paragraphs."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    footer = f"Page {number} of {count}"
    header = f"{pub.organisation} | {pub.title[:70]}"
    out = [
        b"BT /F1 7 Tf 56 806 Td " + _pdf_string(header) + b" Tj ET",
        b"BT /F1 7 Tf %.2f 30 Td " % (539 - stringWidth(footer, "Helvetica", 7)) + _pdf_string(footer) + b" Tj ET",
        b"BT /F%d 10 Tf 12.5 TL 56 792.5 Td" % (2 if number == 1 else 1),
    ]
    for paragraph in text.split("\n"):
        out.extend(_pdf_string(line) + b" '" for line in textwrap.wrap(paragraph, 98) or [""])
        out.append(b"0 -4 Td")
    out.append(b"ET")
    return zlib.compress(b"\n".join(out))


def render_pdf(pub: Publication, pages: list[str]) -> bytes:
    """A4 pages with a running header and footer, as reports have; ~95 characters a line, 10 pt.

    Written directly (Helvetica, one compressed content stream a page): the same layout reportlab's
    canvas gave, at a fraction of its cost, which is what lets the 100x collection be generated in
    minutes rather than hours.
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in once page numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _pdf_string(pub.title) + b" /Author " + _pdf_string(pub.organisation) + b" >>",
    ]
    kids = []
    for number, text in enumerate(pages, start=1):
        stream = _page_stream(pub, text, number, len(pages))
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.2756 841.8898] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>" % (len(objects))
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Count %d /Kids [" % len(pages) + b" ".join(kids) + b"] >>"
    buf = io.BytesIO()
    buf.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(buf.tell())
        buf.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = buf.tell()
    buf.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    buf.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    buf.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%EOF\n" % (len(objects) + 1, xref))
    return buf.getvalue()


def render_html(pub: Publication, pages: list[str]) -> bytes:
    """A news-style page: navigation, article, related links and a footer, so main-text extraction has work to do."""
    esc = html.escape
    paragraphs = "\n".join(
        f"<p>{esc(p)}</p>" if i % 4 else f"<h2>{esc(p.split('.')[0][:60])}</h2>\n<p>{esc(p)}</p>"
        for i, p in enumerate(pages[0].split("\n"))
    )
    nav = "".join(f'<li><a href="/{w}">{w.title()}</a></li>' for w in ("news", "reports", "policy", "events", "about"))
    related = "".join(f'<li><a href="/r/{i}">{esc(o)} update</a></li>' for i, o in enumerate(ORGANISATIONS[:6]))
    footer = (
        "<footer><p>We use cookies to improve your experience. Accept all cookies.</p>"
        f"<p>&copy; {pub.year} {esc(pub.organisation)}</p></footer>"
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(pub.title)}</title>
<meta name="author" content="{esc(pub.organisation)}"><meta name="date" content="{pub.year}-06-01"></head>
<body><header><a href="/">Home</a><nav><ul>{nav}</ul></nav></header>
<main><article><h1>{esc(pub.title)}</h1><p class="byline">{esc(pub.organisation)}, {pub.year}</p>
{paragraphs}
</article></main>
<aside><h3>Related</h3><ul>{related}</ul></aside>
{footer}
</body></html>"""
    return page.encode("utf-8")


def render(pub: Publication, pages: list[str]) -> bytes:
    return render_pdf(pub, pages) if pub.kind == "pdf" else render_html(pub, pages)


def _choice(rng: np.random.Generator, weighted: dict):
    keys = list(weighted)
    p = np.array([weighted[k] for k in keys], dtype=float)
    return keys[rng.choice(len(keys), p=p / p.sum())]


def _publication(seed: int, n: int, pages: int, marker: str | None = None) -> Publication:
    """Metadata of publication n; whether it is a web page (always one page) follows from its type."""
    rng = _rng(seed + 1, n)
    section, type_, _, html_share = TYPES[_choice(rng, {i: t[2] for i, t in enumerate(TYPES)})]
    kind = "html" if rng.random() < html_share else "pdf"
    n_regions = 1 + (rng.random() < 0.25) + (rng.random() < 0.07)
    regions = list(dict.fromkeys(_choice(rng, REGIONS) for _ in range(n_regions)))
    words, _ = vocabulary()
    a, b = (words[i] for i in rng.integers(300, 1500, size=2))
    phrase = PHRASES[rng.integers(len(PHRASES))]
    title = TITLE_TEMPLATES[rng.integers(len(TITLE_TEMPLATES))].format(
        phrase=phrase, Phrase=phrase.capitalize(), a=a, A=a.capitalize(), b=b, region=regions[0]
    )
    return Publication(
        n=n,
        id=f"pub-{n:05d}",
        title=title,
        year=_choice(rng, YEARS),
        section=section,
        type=type_,
        regions=tuple(regions),
        organisation=ORGANISATIONS[rng.integers(len(ORGANISATIONS))],
        kind=kind,
        pages=pages if kind == "pdf" else 1,
        file=f"pub-{n:05d}.{kind}",
        marker=marker,
    )


def plan(scale: float, seed: int) -> list[Publication]:
    """Metadata and page counts of every publication; PDF lengths are log-normal, scaled to the page target."""
    count = max(1, round(PUBLICATIONS_AT_1X * scale))
    drafts = [_publication(seed, n, 1) for n in range(count)]
    pdfs = [p for p in drafts if p.kind == "pdf"]
    target = max(len(pdfs), round(PAGES_AT_1X * scale) - (count - len(pdfs)))
    raw = _rng(seed + 2, 0).lognormal(math.log(14), 0.95, size=len(pdfs))
    lengths = iter(np.clip(np.rint(raw * target / raw.sum()), 1, 400).astype(int).tolist())
    return [_publication(seed, p.n, next(lengths)) if p.kind == "pdf" else p for p in drafts]


def report(seed: int, n: int, pages: int, marker: str | None = None) -> Publication:
    """A PDF report of a chosen length outside the plan (a corpus' own are numbered 0..count-1)."""
    return replace(_publication(seed, n, pages, marker), kind="pdf", pages=pages, file=f"pub-{n:05d}.pdf")


def extra_publication(scale: float, seed: int, pages: int = 12) -> Publication:
    """The one publication the corpus lacks, carrying MARKER, for "add one and find it"."""
    return report(seed, max(1, round(PUBLICATIONS_AT_1X * scale)), pages, marker=MARKER)


def _write(args: tuple[Publication, int, Path]) -> None:
    pub, seed, directory = args
    pages = texts(pub, seed)
    served = directory / "files" / pub.file
    served.write_bytes(render(pub, pages))
    # A report's server says it last changed when it was published, not when this file was written
    # (bench/serve.py sends the mtime as Last-Modified): incremental builds see it as a real site.
    published = dt.datetime(pub.year, 6, 1, tzinfo=dt.UTC).timestamp()
    os.utime(served, (published, published))
    (directory / "text" / f"{pub.id}.txt").write_text(pub.title + "\n" + "\f".join(pages), encoding="utf-8")


def _fingerprint(scale: float, seed: int) -> str:
    """Changes when the generator's code changes, so a stale cached corpus is never reused."""
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"scale={scale:g} seed={seed} code={code}"


def generate(out: Path, scale: float, seed: int = 0, jobs: int | None = None) -> Corpus:
    """Write the corpus (in parallel) unless an identical one is already there."""
    directory = out / f"corpus-{scale:g}-seed{seed}"
    manifest = directory / "manifest.json"
    publications = plan(scale, seed)
    corpus = Corpus(directory, scale, seed, publications)
    if manifest.exists() and json.loads(manifest.read_text())["fingerprint"] == _fingerprint(scale, seed):
        print(f"generate: reusing {directory} ({len(publications):,} publications, {corpus.pages:,} pages)")
        return corpus
    shutil.rmtree(directory, ignore_errors=True)
    corpus.files.mkdir(parents=True)
    (directory / "text").mkdir()
    jobs = jobs or os.cpu_count() or 1
    print(
        f"generate: writing {len(publications):,} publications ({corpus.pages:,} pages) to {directory} "
        f"with {jobs} processes ...",
        flush=True,
    )
    # longest first, so one long report does not finish alone at the end
    work = sorted(publications, key=lambda p: -p.pages)
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_write, [(p, seed, directory) for p in work], chunksize=4))
    manifest.write_text(json.dumps({"fingerprint": _fingerprint(scale, seed)}))
    return corpus


def main(args) -> Corpus:
    corpus = generate(args.out, args.scale, args.seed, args.jobs)
    kinds = {k: sum(1 for p in corpus.publications if p.kind == k) for k in ("pdf", "html")}
    size = sum(f.stat().st_size for f in corpus.files.iterdir())
    print(
        f"{corpus.dir}: {len(corpus.publications):,} publications ({kinds['pdf']:,} PDF, {kinds['html']:,} HTML), "
        f"{corpus.pages:,} pages, {size / 1e6:,.1f} MB"
    )
    return corpus


def add_arguments(parser) -> None:
    parser.add_argument("--scale", type=float, default=1.0, help="1 = ~330 publications, ~6,000 pages (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="generator processes (default: all CPUs)")
