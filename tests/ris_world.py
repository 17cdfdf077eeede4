"""A Zotero-style RIS export of 20 references, 3 of them already in the curators' test catalog
(curate_world): one by its link, one by its DOI, one by a near-identical title."""
from __future__ import annotations

from indexer.additions import entry_hash, replace_record
from indexer.catalog import load_catalog

TOPICS = ["digital badges in nursing", "stackable credentials in engineering", "employer views of short courses",
          "recognition of prior learning", "micro-credentials in vocational schools", "quality assurance of MOOCs",
          "learner wallets", "credit transfer between universities", "labour market signals",
          "teacher professional development", "micro-credentials for refugees", "blockchain certificates",
          "industry certifications", "lifelong learning accounts", "skills taxonomies", "online proctoring",
          "short learning programmes"]


def ris_export(fine_url: str) -> str:
    """`fine_url` is the test catalog's record fine-report's link."""
    entries = [
        ("RPRT", "A report we have under another name", "2022", fine_url, None),                 # same link
        ("JOUR", "Some article", "2021", None, "10.5555/already.there"),                          # same DOI
        ("RPRT", "Micro-Credentials in Practice", "2022", "https://example.org/mcp-copy.pdf", None),  # same title
    ]
    entries += [("JOUR" if n % 2 else "RPRT", f"A study of {topic}", str(2018 + n % 6),
                 f"https://example.org/refs/{n}.pdf", f"10.5555/ref.{n}") for n, topic in enumerate(TOPICS)]
    lines = []
    for kind, title, year, url, doi in entries:
        lines += [f"TY  - {kind}", f"TI  - {title}", "AU  - Kovács, Anna", "AU  - Ó Briain, Seán", f"PY  - {year}",
                  f"DA  - {year}///"]
        lines += [f"UR  - {url}"] if url else []
        lines += [f"DO  - {doi}"] if doi else []
        lines += ["AB  - An abstract of the reference.", "ER  - ", ""]
    return "\n".join(lines)


def with_doi_record(settings) -> None:
    """Gives the test catalog's record without a link the DOI that the export's second entry repeats."""
    record = next(r for r in load_catalog(settings.catalog) if r.id == "no-link-yet")
    replace_record(settings.catalog, "no-link-yet", {**record.model_dump(), "link": None,
                                                     "url": "https://doi.org/10.5555/ALREADY.THERE"},
                   entry_hash(settings.catalog, "no-link-yet"))
