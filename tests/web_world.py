"""A small built collection for the web tests: publications with known words on known pages.

Built once per test module with the real `indexer.build` (local PDFs and a local document server),
so the web tests exercise the app against exactly what production serves. Varied years, regions,
types and sections make the facets worth clicking; one hostile title checks escaping, one dead
link and one `link: missing` fill the status page.
"""
from __future__ import annotations

import contextlib

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from indexer.build import build
from indexer.config import Settings
from support import DocServer, live_app, make_pdf, write_catalog

HOSTILE_TITLE = "<script>alert(1)</script> Badges & <b>bold</b> claims"


@dataclass
class Pub:
    id: str
    title: str
    year: int
    section: str
    type: str
    regions: list[str]
    organisation: str | None = None
    pages: list[str] = field(default_factory=list)   # empty: no file (link missing or dead link)
    served: bool = False      # over HTTP from the document server (gets a url), else a local path
    dead: bool = False        # its url answers 404
    added: str | None = None
    authors: list[str] = field(default_factory=list)
    summary: str | None = None


def _filler(topic: str, n: int) -> str:
    return " ".join(f"This section discusses {topic} in the context of lifelong learning policy." for _ in range(n))


PUBLICATIONS = [
    Pub("eu-council-recommendation", "Council Recommendation on a European approach to micro-credentials", 2022,
        "policy", "framework", ["Europe"], "Council of the European Union",
        [_filler("the European approach", 3), "Member states should support stackable micro-credentials "
         "and quality assurance.", "Annex: standard elements of a micro-credential."],
        served=True, added="2024-03-01", summary="The Council's recommendation on common standard elements."),
    Pub("oecd-quality-and-value", "Quality and value of micro-credentials in higher education", 2021,
        "report", "report", ["International"], "OECD",
        [_filler("labour market value", 2), _filler("provider landscape", 2),
         "Stackable credentials let learners combine short courses into a degree.", "Conclusions."],
        served=True, added="2024-02-10"),
    Pub("unesco-short-courses", "Towards a common definition of micro-credentials", 2022, "report", "report",
        ["International"], "UNESCO", ["A global definition of micro-credentials and short learning units."],
        added="2023-11-20"),
    Pub("ireland-mc-framework", "Micro-credentials in Irish higher education: a national framework", 2023,
        "policy", "policy", ["Ireland"], "Higher Education Authority",
        ["National framework.", "Recognition of prior learning and stackable awards in Ireland."],
        added="2024-04-02"),
    Pub("nz-qualifications-micro", "Micro-credential approval and accreditation rules", 2019, "policy", "policy",
        ["New Zealand"], "NZQA", ["Approval rules for training schemes and micro-credentials."]),
    Pub("australia-mc-pilot", "Microcredentials pilot in higher education: evaluation", 2023, "report", "report",
        ["Australia"], "Department of Education", ["Pilot evaluation with employers and universities."],
        added="2024-05-15"),
    Pub("canada-ecampus", "Micro-credentials in Ontario: learner survey", 2021, "report", "survey",
        ["Canada"], "eCampusOntario", ["Survey of learners about digital badges and micro-credentials."]),
    Pub("digital-badges-review", "Digital badges and open recognition: a literature review", 2020, "article",
        "literature-review", ["International"], None, ["Open badges, blockchain and verifiable credentials."],
        authors=["Ana Rossi", "Li Wei"]),
    Pub("germany-continuing-ed", "Weiterbildung und Micro-Credentials in Deutschland", 2022, "report", "white-paper",
        ["Germany"], "Stifterverband", ["Continuing education and micro-credentials at German universities."]),
    Pub("france-cpf", "Compte personnel de formation and short certifications", 2021, "policy", "policy",
        ["France"], "Ministère du Travail", ["Individual learning accounts fund short certifications."]),
    Pub("spain-microcredenciales", "Plan de microcredenciales universitarias", 2023, "policy", "policy",
        ["Spain"], "Ministerio de Universidades", ["University micro-credentials plan with funding."]),
    Pub("mooc-journal-article", "MOOCs as a path to micro-credentials", 2019, "article", "journal-article",
        ["United States"], None, ["Massive open online courses and stackable certificates."],
        authors=["J. Smith"]),
    Pub("ecs-webinar", "Webinar: micro-credentials and employability", 2021, "event", "event", ["Europe"],
        "European Commission", []),
    Pub("hostile-title", HOSTILE_TITLE, 2020, "article", "commentary", ["United Kingdom"],
        "<i>Evil</i> Org", ["Badges can be <script>alert('x')</script> stacked."]),
    Pub("dead-link-report", "A report whose link has died", 2018, "report", "report", ["Netherlands"],
        "Lost Institute", served=True, dead=True),
    Pub("esco-europass", "Europass digital credentials and ESCO skills", 2020, "policy", "guide", ["Europe"],
        "European Commission", ["Europass digital credentials infrastructure and the ESCO skills taxonomy."]),
    Pub("nordic-micro", "Micro-credentials in the Nordic countries", 2022, "report", "report",
        ["Denmark", "Finland", "Norway", "Sweden", "Iceland"], "Nordic Council",
        ["Comparative study of Nordic micro-credential policies."]),
    Pub("baltic-micro", "Micro-credentials in the Baltic states", 2023, "report", "report",
        ["Estonia", "Latvia", "Lithuania"], "Baltic Assembly", ["Policies in Estonia, Latvia and Lithuania."]),
    Pub("skills-podcast", "Podcast: the future of skills", 2024, "event", "podcast", ["United Kingdom"], None, []),
    Pub("ehea-position", "Position on micro-credentials in the EHEA", 2020, "policy", "position-paper",
        ["Europe"], "European University Association", ["Universities welcome micro-credentials with care."]),
    Pub("india-skills", "Skill India and short-term certifications", 2017, "report", "report", ["India"],
        "Ministry of Skill Development", ["Short-term training certifications in India."]),
    Pub("usa-alternative-credentials", "Alternative credentials in the US labour market", 2016, "report", "report",
        ["United States"], "Brookings", ["Alternative credentials and employer signals."]),
]


@dataclass
class World:
    settings: Settings
    server: DocServer
    root: Path
    pubs: dict[str, Pub]

    def url(self, pub_id: str) -> str:
        return self.server.url(f"/docs/{pub_id}.pdf")

    def rebuild(self, pubs: list[Pub], full: bool = False) -> None:
        """Serve or store each publication's PDF, write the catalog of them, and build."""
        self.pubs = {pub.id: pub for pub in pubs}
        write_catalog(self.settings.catalog, [_entry(self, pub) for pub in pubs])
        build(self.settings, full=full, progress=False, jobs=2)


def _entry(world: World, pub: Pub) -> dict:
    entry = {"id": pub.id, "title": pub.title, "year": pub.year, "section": pub.section, "type": pub.type,
             "regions": pub.regions}
    for name in ("organisation", "added", "summary"):
        if getattr(pub, name):
            entry[name] = getattr(pub, name)
    if pub.authors:
        entry["authors"] = pub.authors
    if pub.served:
        entry["url"] = world.url(pub.id)
        if not pub.dead:
            world.server.add(f"/docs/{pub.id}.pdf", make_pdf(pub.pages))
    elif pub.pages:
        path = world.root / "files" / f"{pub.id}.pdf"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(make_pdf(pub.pages))
        entry["path"] = str(path)
    else:
        entry["link"] = "missing"
    return entry


def build_world(root: Path, server: DocServer, pubs: list[Pub] = PUBLICATIONS) -> World:
    settings = Settings.from_env(catalog=root / "catalog.yaml", index=root / "index", cache=root / "cache")
    world = World(settings, server, root, {})
    world.rebuild(pubs)
    return world


# ---------------------------------------------------------------- reading pages in tests


class Page(HTMLParser):
    """Just enough of a page's structure to assert on what a visitor (or a screen reader) gets.

    Text inside aria-hidden elements is left out, as assistive technology leaves it out.
    """

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text_parts: list[str] = []
        self._open: list[bool] = []              # per open element: is it aria-hidden?
        self._link: dict | None = None
        self.links: list[tuple[str, str]] = []   # (accessible text, href)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in self.VOID:
            self._open.append(attrs.get("aria-hidden") == "true")
        if tag == "a":
            self._link = {"href": attrs.get("href"), "text": ""}

    def handle_endtag(self, tag):
        if tag not in self.VOID and self._open:
            self._open.pop()
        if tag == "a" and self._link is not None:
            self.links.append((" ".join(self._link["text"].split()), self._link["href"]))
            self._link = None

    def handle_data(self, data):
        if any(self._open):
            return
        self.text_parts.append(data)
        if self._link is not None:
            self._link["text"] += data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def all(self, tag: str, **match) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in match.items())]

    def href(self, text: str) -> str:
        found = [href for label, href in self.links if label == text]
        assert found, f"no link {text!r} among {[label for label, _ in self.links]}"
        return found[0]


def page(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return Page(response.get_data(as_text=True))


def result_ids(p: Page) -> list[str]:
    return [a["id"].removeprefix("title-") for a in p.all("h3") if a.get("id", "").startswith("title-")]


def query_of(href: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(href).query)


@contextlib.contextmanager
def served_world(root: Path, pubs: list[Pub] = PUBLICATIONS):
    """`build_world` with its own document server, closed afterwards."""
    server = DocServer()
    try:
        yield build_world(root, server, pubs)
    finally:
        server.close()


@contextlib.contextmanager
def served_site(root: Path, pubs: list[Pub] = PUBLICATIONS):
    """`served_world` with the web app over it on a free 127.0.0.1 port: yields the site's base URL."""
    with served_world(root, pubs) as world, live_app(world.settings) as url:
        yield url
