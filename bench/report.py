"""Output shared by the benches: an aligned text table for people, a JSON file for comparisons between runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "-" if value is None else str(value)


def table(headers: list[str], rows: list[list]) -> str:
    """Text columns left-aligned, numbers right-aligned, so a column of figures reads at a glance."""
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) for i in range(len(headers))]

    def line(values):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def machine() -> dict:
    """Enough about where and when a number was measured to tell two runs apart (a busy machine shows in the load)."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
    }


def write_json(out_dir: Path, name: str, data: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps({"bench": name, "machine": machine(), **data}, indent=2) + "\n", encoding="utf-8")
    return path
