"""What the last build found out, read from the manifest: the one record of build state.

The build writes one manifest entry per record (see `build.Outcome.manifest_entry`); everything
that shows a record's state (search results, the status page, `observatory status`, the build
report) reads it through the functions here. Read from the catalog and the manifest only (no
index search, no network), so the report is instant and works while a build is running.

The curators' to-do list sorts each problem into one group by what fixing it takes (find a link,
replace a dead one, find an open copy, OCR a scan ...). Structured facts decide where the manifest
has them (a warning kept with an earlier copy, the final URL of a redirect, the `needs_ocr` flag); a
failure is sorted by the code it was given where it happened (`failures.Failure`), never by its
wording. tests/test_status.py builds one failure of each kind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import engine
from .catalog import load_catalog
from .config import Settings
from .failures import Failure
from .layout import IndexRoot, read_manifest


def build_state(record: dict, entry: dict | None) -> dict:
    """The fields a record is shown with that the build, not the curator, decides."""
    entry = entry or {}
    return {
        "full_text": entry.get("status") == "full_text",
        "pages": entry.get("pages", 0),
        "kind": entry.get("kind"),
        "paged": entry.get("paged", False),
        "language": record.get("language") or entry.get("language"),
        "failure": entry.get("failure"),
        "warning": entry.get("warning"),
        "changed": entry.get("changed"),
    }


@dataclass(frozen=True)
class Group:
    reason: str  # stable code: the CLI's JSON, the page's ?reason= and the CSV use it
    label: str
    advice: str  # what fixing a record of this group takes


#: In the order a curator should work through them: links that worked and died first, records that
#: never had a link last (there are many, and each needs research rather than a quick fix).
GROUPS = (
    Group(
        "broken",
        "Broken link",
        "The server answered with an error or could not be reached: "
        "check the address and find where the publication moved.",
    ),
    Group(
        "stale",
        "Link failed, earlier copy still indexed",
        "The link fails now, but the copy fetched "
        "earlier is still searchable: find the new address before the old copy goes out of date.",
    ),
    Group(
        "redirected",
        "Redirected elsewhere",
        "The link now leads to another site or to a home page: "
        "check that it still shows the publication and record the new address.",
    ),
    Group(
        "not-a-document",
        "Not a document",
        "The link gives an image, an archive or an empty page: link the publication itself.",
    ),
    Group("encrypted", "Encrypted", "The PDF is password-protected: find an open copy from the issuer."),
    Group(
        "needs-ocr",
        "Little or no text, probably needs OCR",
        "A scan without a text layer: find a text version, or run OCR on it and add the result as a local file.",
    ),
    Group(
        "too-large",
        "Too large",
        "Larger than the download limit, or than the memory an extraction "
        "may use: link a smaller edition, or raise the limit.",
    ),
    Group(
        "truncated",
        "Text cut at the size limits",
        "Only part of the text is indexed (a page or the "
        "document is larger than the limits): check that the file is what it seems, or raise the limits.",
    ),
    Group(
        "unreadable",
        "Damaged or unreadable file",
        "The file was fetched but could not be read (damaged, or too slow to extract): try another copy.",
    ),
    Group("other", "Other problems", "See the reason given for each."),
    Group("no-link", "No link yet", "The catalog says “link: missing”: find the official source and add its url."),
)
GROUP_BY_REASON = {group.reason: group for group in GROUPS}


def classify(record: dict, entry: dict | None) -> str | None:
    """The group of a record's problem (`Group.reason`), or None when there is nothing to fix.

    A failure's group is its code (`failures.Failure`), set where it happened; the rest comes from
    the manifest's structured facts.
    """
    entry = entry or {}
    if entry.get("failure"):
        return Failure.of(entry.get("failure_code")).value
    if record.get("link") == "missing" and entry.get("status") != "full_text":
        return "no-link"  # not built yet; a transcript-only record with text has a source to search
    if entry.get("stale"):
        return "stale"
    if entry.get("warning"):
        # Other warnings (bytes replaced, a transcript not indexed) are the curator's to read. A
        # manifest from before the flag was kept had truncations and notes alike in this group.
        return "truncated" if entry.get("truncated", True) else "other"
    if _redirected_elsewhere(record.get("url"), entry.get("url")):
        return "redirected"
    if entry.get("needs_ocr"):
        return "needs-ocr"
    return None


def _redirected_elsewhere(asked: str | None, final: str | None) -> bool:
    """Another host, or a site's home page in place of a deeper page (how many sites say "gone").

    Moves within a site (http to https, a renamed file) still lead to the publication and are not
    worth a curator's time.
    """
    if not asked or not final:
        return False
    before, after = urlsplit(asked), urlsplit(final)
    hosts = [(parts.hostname or "").removeprefix("www.") for parts in (before, after)]
    home = after.path.strip("/") == "" and before.path.strip("/") != ""
    return hosts[0] != hosts[1] or home


def problem_since(record: dict, entry: dict, previous: dict | None) -> str | None:
    """When the record's present problem was first seen, for "newest problems first".

    Kept from the previous build while the problem stays in the same group; a manifest from before
    this field was kept gives its last check, the earliest the problem is known to have existed.
    """
    group = classify(record, entry)
    if group is None:
        return None
    if previous and classify(record, previous) == group:
        return previous.get("problem_since") or previous.get("checked") or entry.get("checked")
    return entry.get("checked")


def problems(records: Iterable[dict], manifest: dict) -> list[dict]:
    """Every record with something to fix: by group (`GROUPS` order), newest problem first.

    `records` are plain records (`Record.model_dump()` or stored records) with id, title, url/path.
    `reason` is the words shown to the curator, `group` the `Group.reason` code.
    """
    found = []
    for record in records:
        entry = manifest.get(record["id"]) or {}
        group = classify(record, entry)
        if group is None:
            continue
        final = entry.get("url")
        detail = (
            entry.get("failure")
            or entry.get("warning")
            or (f"now at {final}" if group == "redirected" else "little or no text (probably a scan)")
        )
        found.append(
            {
                "id": record["id"],
                "title": record["title"],
                "url": record.get("url") or record.get("path"),
                "reason": detail,
                "severity": "error" if entry.get("failure") else "warning",
                "group": group,
                "final_url": final if final and final != record.get("url") else None,
                "checked": entry.get("checked"),
                "since": entry.get("problem_since") or entry.get("checked"),
            }
        )
    order = {group.reason: n for n, group in enumerate(GROUPS)}
    found.sort(key=lambda p: p["id"])
    found.sort(key=lambda p: p["since"] or "", reverse=True)
    found.sort(key=lambda p: order[p["group"]])
    return found


def problem_groups(found: list[dict]) -> list[dict]:
    """`problems` grouped: every group of `GROUPS` in order, with its count, ids and rows (maybe none)."""
    rows: dict[str, list[dict]] = {group.reason: [] for group in GROUPS}
    for problem in found:
        rows[problem["group"]].append(problem)
    return [
        {
            "reason": group.reason,
            "label": group.label,
            "advice": group.advice,
            "count": len(rows[group.reason]),
            "ids": [p["id"] for p in rows[group.reason]],
            "rows": rows[group.reason],
        }
        for group in GROUPS
    ]


def status_report(settings: Settings) -> dict:
    records = load_catalog(settings.catalog)
    version = IndexRoot(settings.index_dir, engine.SCHEMA).current()
    manifest = read_manifest(version)
    built = [r for r in records if r.id in manifest]
    full_text = sum(manifest[r.id]["status"] == "full_text" for r in built)
    failures = problems((r.model_dump(mode="json") for r in records), manifest)
    return {
        "catalog": str(settings.catalog),
        "index": str(version) if version else None,
        "entries": len(records),
        "indexed": len(built),
        "full_text": full_text,
        "metadata_only": len(built) - full_text,
        "pages": sum(entry.get("pages", 0) for entry in manifest.values()),
        "pending": [r.id for r in records if manifest.get(r.id, {}).get("meta_hash") != r.metadata_hash()],
        "removed_pending": sorted(set(manifest) - {r.id for r in records}),
        "groups": [
            {key: group[key] for key in ("reason", "label", "count", "ids")} for group in problem_groups(failures)
        ],
        "failures": failures,
    }


#: Failures that say the machine could not reach a server at all, not that one server refused a document.
_NETWORK_FAILURE = re.compile(
    r"^(DNS lookup failed|connection refused|cannot connect|(host|network) unreachable|"
    r"timed out)"
)
#: "Nearly every download": this share of the records with an http(s) link, and at least this many.
OUTAGE_SHARE, OUTAGE_MINIMUM = 0.9, 5


def network_outage(failures: list[dict], without_problems: int) -> str | None:
    """One sentence when nearly every download of the last build failed with the same network error
    (the machine was offline, not 165 links broken at once); None otherwise.

    `failures` are `problems()` rows, `without_problems` how many records had nothing to fix (local
    files among them: a handful, which only makes the test stricter). The rows stay listed: a curator
    reads this first and need not open each.
    """
    kinds = Counter(
        match[1]
        for failure in failures
        if (failure.get("url") or "").startswith(("http://", "https://"))
        and (match := _NETWORK_FAILURE.match(failure["reason"] or ""))
    )
    if not kinds:
        return None
    kind, count = kinds.most_common(1)[0]
    linked = without_problems + sum(1 for f in failures if (f.get("url") or "").startswith(("http://", "https://")))
    if count < OUTAGE_MINIMUM or count < OUTAGE_SHARE * linked:
        return None
    return (
        f"The last build could not reach the network: {count} of {linked} downloads failed the same way "
        f"({kind.lower()}). The links below are probably fine; build again once the machine is online."
    )
