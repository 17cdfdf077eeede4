"""What the last build found out, read from the manifest: the one record of build state.

The build writes one manifest entry per record (see `build.Outcome.manifest_entry`); everything
that shows a record's state (search results, the status page, `observatory status`, the build
report) reads it through the functions here. Read from the catalog and the manifest only (no
index search, no network), so the report is instant and works while a build is running.
"""
from __future__ import annotations

from typing import Iterable

from . import engine
from .catalog import load_catalog
from .config import Settings
from .layout import IndexRoot, read_manifest


def build_state(record: dict, entry: dict | None) -> dict:
    """The fields a record is shown with that the build, not the curator, decides."""
    entry = entry or {}
    return {
        "full_text": entry.get("status") == "full_text", "pages": entry.get("pages", 0),
        "kind": entry.get("kind"), "paged": entry.get("paged", False),
        "language": record.get("language") or entry.get("language"),
        "failure": entry.get("failure"), "warning": entry.get("warning"),
    }


def problems(records: Iterable[dict], manifest: dict) -> list[dict]:
    """Every record whose last build failed or warned, errors first: the curator's to-do list.

    `records` are plain records (`Record.model_dump()` or stored records) with id, title, url/path.
    """
    found = []
    for record in records:
        entry = manifest.get(record["id"]) or {}
        reason = entry.get("failure") or entry.get("warning")
        if reason:
            found.append({"id": record["id"], "title": record["title"],
                          "url": record.get("url") or record.get("path"),
                          "reason": reason, "severity": "error" if entry.get("failure") else "warning"})
    return sorted(found, key=lambda p: (p["severity"], p["id"]))


def status_report(settings: Settings) -> dict:
    records = load_catalog(settings.catalog)
    version = IndexRoot(settings.index_dir, engine.SCHEMA).current()
    manifest = read_manifest(version)
    built = [r for r in records if r.id in manifest]
    full_text = sum(manifest[r.id]["status"] == "full_text" for r in built)
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
        "failures": problems((r.model_dump(mode="json") for r in records), manifest),
    }
