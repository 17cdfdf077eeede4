"""`python -m bench extract`: pages/s of our PDF extraction, each engine forced, next to poppler's pdftotext.

Two sets, because they answer different questions: the shared real-world samples (small, odd,
some broken or encrypted: how robust and how fast on the awkward tail) and generated long reports
(the bulk of a real build's pages). pdftotext runs as the command-line tool it is, so its figures
include starting a process per file — which is also what using it from an indexer would cost.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench import generate
from bench.report import table, write_json
from indexer.config import PROJECT_ROOT

SAMPLES = PROJECT_ROOT.parent / "shared" / "eval" / "pdfs"
ENGINES = ("pdfium", "pdfminer", "pdftotext")


def run_engine(engine: str, path: Path) -> tuple[int, str | None]:
    """(pages extracted, failure reason or None)."""
    if engine == "pdftotext":
        done = subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, timeout=600)
        if done.returncode:
            return 0, f"exit code {done.returncode}"
        if not done.stdout.strip():  # counted like our engines' "no text layer", not as pages read
            return 0, "no text"
        return done.stdout.count(b"\f"), None
    from indexer.extract import ExtractionError, extract

    try:
        return len(extract(path.read_bytes(), "pdf", engine=engine).pages), None
    except ExtractionError as err:
        return 0, err.reason


def long_reports(directory: Path, count: int, pages: int, seed: int = 0) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        pub = generate.report(seed, 90_000 + n, pages)
        path = directory / pub.file
        if not path.exists():
            path.write_bytes(generate.render(pub, generate.texts(pub, seed)))
        paths.append(path)
    return paths


def main(args) -> dict:
    import indexer.extract  # noqa: F401  (imported before any timing starts)

    reports = args.out / "extract-reports"
    sets = {
        "shared samples": (SAMPLES, sorted(SAMPLES.rglob("*.pdf"))[: args.files]),
        "generated reports": (reports, long_reports(reports, args.reports, args.report_pages)),
    }
    engines = [e for e in ENGINES if e != "pdftotext" or shutil.which("pdftotext")]
    rows, summary, files = [], [], []
    for set_name, (base, paths) in sets.items():
        print(f"extract: {set_name}, {len(paths)} files ...", flush=True)
        for engine in engines:
            pages = failures = 0
            seconds = 0.0
            for path in paths:
                started = time.perf_counter()
                n, failure = run_engine(engine, path)
                elapsed = time.perf_counter() - started
                seconds += elapsed
                pages += n
                failures += failure is not None
                files.append(
                    {
                        "set": set_name,
                        "file": str(path.relative_to(base)),
                        "engine": engine,
                        "pages": n,
                        "seconds": elapsed,
                        "failure": failure,
                    }
                )
            summary.append(
                {
                    "set": set_name,
                    "engine": engine,
                    "files": len(paths),
                    "failures": failures,
                    "pages": pages,
                    "seconds": seconds,
                    "pages_per_s": pages / seconds if seconds else None,
                }
            )
            rows.append([set_name, engine, len(paths), failures, pages, seconds, summary[-1]["pages_per_s"]])
    print()
    print(table(["set", "engine", "files", "failed", "pages", "seconds", "pages/s"], rows))
    data = {"summary": summary, "files": files}
    print("\nwrote", write_json(args.out, "extract", data))
    return data


def add_arguments(parser) -> None:
    parser.add_argument("--files", type=int, default=None, help="only the first N shared sample PDFs (default all)")
    parser.add_argument("--reports", type=int, default=3, help="generated long reports (default 3)")
    parser.add_argument("--report-pages", type=int, default=150, help="pages of each generated report (default 150)")
