"""Facts about the collection as a whole: counts for the README's "The collection" section.

Pure functions: `summarise` reads the records it is given (nothing else), `to_markdown` formats what
`summarise` returned. The CLI wires them to the real catalog.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .catalog import SECTIONS, SUPRANATIONAL_REGIONS, Record
from .facets import FACET_BY_KEY


def summarise(records: Iterable[Record]) -> dict:
    """Counts per section, type, region and year, and how many records have a source.

    A record with several regions counts once in each of them, so the region counts may add up to
    more than `total`. `with_source` counts records the fetcher can be asked for (a url or a local
    path); `link_missing` counts those marked `link: missing`.
    """
    records = list(records)
    sections: Counter[str] = Counter(r.section for r in records)
    types = Counter(r.type for r in records)
    regions = Counter(region for r in records for region in r.regions)
    years = Counter(r.year for r in records)
    return {
        "total": len(records),
        # every section, in the catalog's order, even when empty: the README shows all four
        "sections": {name: sections.get(name, 0) for name in SECTIONS},
        "types": _by_count(types),
        "regions": _by_count(regions),
        "years": {year: years[year] for year in sorted(years)},
        "with_source": sum(1 for r in records if r.source),
        "with_url": sum(1 for r in records if r.url),
        "with_path": sum(1 for r in records if r.path),
        "link_missing": sum(1 for r in records if r.link == "missing"),
    }


def _by_count(counter: Counter) -> dict:
    """Largest first; ties alphabetically, so the output is stable."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], str(item[0]))))


def _table(headers: tuple[str, str], rows: list[tuple[str, object]]) -> list[str]:
    lines = [f"| {headers[0]} | {headers[1]} |", "| --- | ---: |"]
    lines += [f"| {_cell(label)} | {value} |" for label, value in rows]
    return lines


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def to_markdown(summary: dict, *, top_regions: int = 12) -> str:
    """Short Markdown tables for a README "The collection" section.

    Regions beyond `top_regions` (countries only; Europe and International are always shown) are
    grouped into one "Other countries" row so the table stays short.
    """
    total = summary["total"]
    lines = [
        f"The catalog lists **{total}** publication{'s' if total != 1 else ''}: "
        f"{summary['with_source']} with a source to index, {summary['link_missing']} still without a link.",
        "",
        "**By section**",
        "",
    ]
    lines += _table(
        ("Section", "Publications"),
        [(FACET_BY_KEY["section"].label(name), count) for name, count in summary["sections"].items()],
    )

    lines += ["", "**By type**", ""]
    lines += _table(
        ("Type", "Publications"),
        [(FACET_BY_KEY["type"].label(name), count) for name, count in summary["types"].items()],
    )

    lines += ["", "**By region** (a publication can cover several)", ""]
    regions = summary["regions"]
    supranational = [(name, regions[name]) for name in SUPRANATIONAL_REGIONS if name in regions]
    countries = [(name, count) for name, count in regions.items() if name not in SUPRANATIONAL_REGIONS]
    shown, rest = countries[:top_regions], countries[top_regions:]
    rows = supranational + shown
    if rest:
        rows.append((f"Other countries ({len(rest)})", sum(count for _, count in rest)))
    lines += _table(("Region", "Publications"), rows)

    lines += ["", "**By year**", ""]
    years = summary["years"]
    if years:
        lines.append("| " + " | ".join(str(year) for year in years) + " |")
        lines.append("|" + " ---: |" * len(years))
        lines.append("| " + " | ".join(str(count) for count in years.values()) + " |")
    else:
        lines.append("(no publications)")
    return "\n".join(lines) + "\n"
