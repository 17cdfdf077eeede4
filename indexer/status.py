"""The curator's to-do list: what the catalog holds against what the live index says about it.

Read from the catalog and the manifest only (no index search, no network), so it is instant and
works while a build is running.
"""
from __future__ import annotations

from .catalog import load_catalog
from .config import Settings
from .store import IndexRoot, read_manifest


def status_report(settings: Settings) -> dict:
    records = load_catalog(settings.catalog)
    version = IndexRoot(settings.index_dir).current()
    manifest = read_manifest(version)
    problems, full_text, metadata_only, not_built = [], 0, 0, []
    for record in records:
        entry = manifest.get(record.id)
        if entry is None or entry.get("meta_hash") != record.metadata_hash():
            not_built.append(record.id)
        if entry is None:
            continue
        if entry["status"] == "full_text":
            full_text += 1
        else:
            metadata_only += 1
        reason = entry.get("failure") or entry.get("warning")
        if reason:
            problems.append({"id": record.id, "title": record.title, "url": record.source,
                             "reason": reason, "severity": "error" if entry.get("failure") else "warning"})
    return {
        "catalog": str(settings.catalog),
        "index": str(version) if version else None,
        "entries": len(records),
        "indexed": full_text + metadata_only,
        "full_text": full_text,
        "metadata_only": metadata_only,
        "pages": sum(entry.get("pages", 0) for entry in manifest.values()),
        "pending": not_built,
        "removed_pending": sorted(set(manifest) - {r.id for r in records}),
        "failures": sorted(problems, key=lambda p: (p["severity"], p["id"])),
    }
