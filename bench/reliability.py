"""`python -m bench reliability`: the README's Reliability trials that no test runs whole.

Three trials over one collection, the real PDFs of `../shared/eval/pdfs` beside hostile files made
here (`hostile_files`), served by the bench's file server on 127.0.0.1:

- **documents**: one `build --full` of it: its exit code and time, and what became of each file
  (full text, metadata only and why), read back from the built index.
- **kill -9 under load**: production gunicorn serves the index while a client asks searches
  nonstop; `build --full` is started `--kills` times and killed with SIGKILL (its whole process
  group) at a random moment, every other time with the extracted-text cache emptied first, so
  kills land while extracting and while writing from the cache. After each kill the index must
  still answer every record and the same search, no process of the killed build may be left, and
  the client must have had no 5xx and no failed connection.
- **full disk**: the index on a small tmpfs that a filler file fills (`full_disk`; needs root).

The other trials are tests and benches of their own (README "Reliability" names each).
"""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import requests

from bench.report import write_json
from bench.serve import FileServer
from bench.speed import gunicorn, write_catalog
from indexer.config import PROJECT_ROOT
from indexer.search import SearchRequest, SearchService

REAL_PDFS = PROJECT_ROOT.parent / "shared" / "eval" / "pdfs"
#: The search every trial asks before and after: a word most documents have.
PROBE = "the"


def _pdf(pages: list[str]) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for text in pages:
        lines = pdf.beginText(50, 800)
        for line in text.splitlines():
            lines.textLine(line)
        pdf.drawText(lines)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def hostile_files() -> dict[str, bytes]:
    """File name → bytes: what a hostile or careless source serves (the probe of issue 18)."""
    ordinary = _pdf(["Micro-credentials and the recognition of short courses."])
    return {
        "long-pages.pdf": _pdf(["\n".join(f"line {n} " + "apprenticeship " * 40 for n in range(1_000))] * 3),
        "word-bomb.txt": b"word " * 6_000_000,
        "whitespace-bomb.txt": b" \n\t" * 10_000_000,
        "empty.pdf": b"",
        "random.pdf": random.Random(0).randbytes(200_000),
        "gzip-bomb.pdf": gzip.compress(b"\0" * 100_000_000, compresslevel=9),
        "cut-in-half.pdf": ordinary[: len(ordinary) // 2],
        "deep.html": b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>",
        "only-script.html": b"<html><script>" + b"var x = 1;\n" * 10_000 + b"</script></html>",
        "invalid-utf8.txt": b"Micro-credentials \xff\xfe\xc3\x28 recognition \x80\x81 " * 1_000,
        "query-syntax.pdf": _pdf(['title:* "unclosed AND (OR NOT) *ion <script>alert(1)</script> a* b* c*']),
        "same-bytes-1.pdf": ordinary,
        "same-bytes-2.pdf": ordinary,
        "pdf-named.txt": ordinary,
    }


def prepare(work: Path) -> list[tuple[str, bytes]]:
    """The collection's files in `work/files`: (name, bytes), real PDFs first."""
    files = work / "files"
    shutil.rmtree(files, ignore_errors=True)
    files.mkdir(parents=True)
    real = sorted(REAL_PDFS.rglob("*.pdf"))
    made = [(f"real-{n:03d}.pdf", path.read_bytes()) for n, path in enumerate(real)] + list(hostile_files().items())
    for name, data in made:
        (files / name).write_bytes(data)
    return made


def _record(n: int, name: str, base: str) -> dict:
    return {
        "id": f"doc-{n:03d}",
        "title": f"Document {n} ({name})",
        "year": 2020,
        "section": "report",
        "type": "report",
        "regions": ["International"],
        "language": "en",
        "url": f"{base}/{name}",
    }


def _build_command(full: bool) -> list[str]:
    return [sys.executable, "-m", "indexer", "build", *(["--full"] if full else []), "--quiet"]


def _build(env: dict, full: bool = True, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        _build_command(full),
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **popen,
    )


def served(index: Path) -> tuple[int, list[str], Counter]:
    """What a fresh service answers: how many records, the probe's ids, and each record's outcome."""
    service = SearchService(index)
    everything = service.search(SearchRequest(per_page=100), snippets=False, correct=False)
    probe = service.search(SearchRequest(q=PROBE, per_page=100), snippets=False, correct=False)
    outcomes = Counter(
        "full text" if r["full_text"] else f"metadata only: {r['failure'] or 'no file'}" for r in everything["results"]
    )
    return everything["total"], sorted(r["id"] for r in probe["results"]), outcomes


def documents(env: dict, index: Path, count: int) -> dict:
    started = time.perf_counter()
    code = _build(env).wait(timeout=1800)
    seconds = time.perf_counter() - started
    total, _, outcomes = served(index)
    return {
        "files": count,
        "exit_code": code,
        "seconds": round(seconds, 1),
        "records_served": total,
        "outcomes": dict(outcomes.most_common()),
    }


class Client(threading.Thread):
    """Searches nonstop until stopped; counts answers by status and failed connections by kind."""

    def __init__(self, base: str):
        super().__init__()
        self.base, self.answers, self._done = base, Counter(), threading.Event()

    def run(self) -> None:
        queries = [PROBE, "credential", "recognition of learning", "micro* policy", "short courses"]
        with requests.Session() as session:
            n = 0
            while not self._done.is_set():
                try:
                    status = session.get(
                        f"{self.base}/api/search", params={"q": queries[n % len(queries)]}, timeout=60
                    ).status_code
                    self.answers[f"HTTP {status}"] += 1
                except requests.RequestException as err:
                    self.answers[type(err).__name__] += 1
                n += 1

    def stop(self) -> None:
        self._done.set()
        self.join()


def _left_behind(session_id: int) -> list[int]:
    """Processes of the killed build's session still running (zombies count as gone)."""
    left = []
    for process in psutil.process_iter(["pid", "status"]):
        try:
            if os.getsid(process.pid) == session_id and process.info["status"] != psutil.STATUS_ZOMBIE:
                left.append(process.pid)
        except (ProcessLookupError, PermissionError):
            continue
    return left


def _timed_build(env: dict) -> float:
    started = time.perf_counter()
    _build(env).wait(timeout=1800)
    return time.perf_counter() - started


def kills(env: dict, work: Path, index: Path, trials: int, extracting_seconds: float, seed: int) -> dict:
    rng = random.Random(seed)
    baseline = served(index)[:2]
    text_cache = Path(env["OBSERVATORY_CACHE"]) / "text"
    seconds = {True: extracting_seconds, False: _timed_build(env)}  # a full build without extracting
    results = []
    with gunicorn(env, 2, work / "gunicorn.log", config="gunicorn.conf.py") as (_, port):
        client = Client(f"http://127.0.0.1:{port}")
        client.start()
        try:
            for n in range(trials):
                extracting = n % 2 == 0
                # A build that ends before its kill (the machine's load varies) is tried again, sooner.
                for attempt in range(4):
                    if extracting:
                        shutil.rmtree(text_cache, ignore_errors=True)
                    after = rng.uniform(0.1, 0.9) * seconds[extracting] / 2**attempt
                    build = _build(env, start_new_session=True)
                    time.sleep(after)
                    killed = build.poll() is None
                    if killed:
                        os.killpg(build.pid, signal.SIGKILL)
                    build.wait()
                    if killed:
                        break
                time.sleep(0.5)  # the pool's processes notice their parent is gone
                total, probe = served(index)[:2]
                results.append(
                    {
                        "while": "extracting" if extracting else "writing from the cache",
                        "after_s": round(after, 2),
                        "killed": killed,
                        "intact": (total, probe) == baseline,
                        "left_behind": len(_left_behind(build.pid)),
                    }
                )
        finally:
            client.stop()
    return {
        "trials": results,
        "corrupt": sum(not r["intact"] for r in results),
        "left_behind": sum(r["left_behind"] for r in results),
        "client_answers": dict(client.answers),
    }


def _run_build(env: dict, full: bool) -> tuple[int, str]:
    """A build's exit code and the last line it wrote to stderr (what the operator reads)."""
    done = subprocess.run(
        _build_command(full),
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    return done.returncode, (done.stderr.strip().splitlines() or [""])[-1]


def _listing(version: Path) -> set[str]:
    return {path.name for path in version.iterdir()}


def full_disk(env: dict, work: Path, records: list[dict]) -> dict:
    """The index on a small tmpfs (mounted here: needs root) filled by a filler file: an incremental
    build adding records must fail with an exit code, leave no files of its own in the live version,
    which keeps answering; with the space freed, the next build must add them."""
    disk = work / "small-disk"
    disk.mkdir(exist_ok=True)
    size_mb = int(sum(f.stat().st_size for f in (work / "index").rglob("*") if f.is_file()) / 1e6 * 1.5) + 4
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(disk)], check=True)
    try:
        disk_env = {**env, "OBSERVATORY_INDEX": str(disk / "index")}
        first = _run_build(disk_env, full=True)
        live = (disk / "index" / "current").resolve()
        before, answered = _listing(live), served(disk / "index")[:2]
        free = shutil.disk_usage(disk).free
        with open(disk / "filler", "wb") as filler:
            filler.write(b"\0" * (free - 64 * 1024))
        added = []
        for record in records[:10]:  # new records of files of their own (two records may not share a URL)
            name = record["url"].rsplit("/", 1)[1]
            shutil.copy(work / "files" / name, work / "files" / f"added-{name}")
            added.append(
                {
                    **record,
                    "id": f"added-{record['id']}",
                    "title": f"Added {record['title']}",
                    "regions": list(record["regions"]),
                    "url": record["url"].replace(name, f"added-{name}"),
                }
            )
        write_catalog(Path(env["OBSERVATORY_CATALOG"]), records + added)
        when_full = _run_build(disk_env, full=False)
        left = sorted(_listing(live) - before - {"WRITELOCK"})
        still = served(disk / "index")[:2] == answered
        (disk / "filler").unlink()
        freed = _run_build(disk_env, full=False)
        total_after = served(disk / "index")[0]
    finally:
        write_catalog(Path(env["OBSERVATORY_CATALOG"]), records)
        subprocess.run(["umount", str(disk)], check=True)
    return {
        "disk_mb": size_mb,
        "first_build_exit": first,
        "exit_when_full": when_full,
        "files_left_in_live": left,
        "served_the_same_when_full": still,
        "exit_when_freed": freed,
        "records_after": total_after,
        "records_expected": len(records) + len(added),
    }


def main(args) -> dict:
    work = args.out / "reliability-work"
    made = prepare(work)
    env = {
        "OBSERVATORY_CATALOG": str(work / "catalog.yaml"),
        "OBSERVATORY_INDEX": str(work / "index"),
        "OBSERVATORY_CACHE": str(work / "cache"),
        "OBSERVATORY_ALLOW_HOSTS": "127.0.0.1",
    }
    shutil.rmtree(work / "index", ignore_errors=True)
    shutil.rmtree(work / "cache", ignore_errors=True)
    results: dict = {"load_average_before": os.getloadavg()}
    with FileServer({"files": work / "files"}) as server:
        records = [_record(n, name, server.url + "/files") for n, (name, _) in enumerate(made)]
        write_catalog(work / "catalog.yaml", records)
        print(
            f"reliability: build --full of {len(made)} files ({len(made) - len(hostile_files())} real PDFs) ...",
            flush=True,
        )
        results["documents"] = documents(env, work / "index", len(made))
        print(f"  {results['documents']}", flush=True)
        print(f"reliability: {args.kills} kill -9 of build --full while gunicorn serves searches ...", flush=True)
        results["kills"] = kills(env, work, work / "index", args.kills, results["documents"]["seconds"], args.seed)
        print("reliability: an incremental build on a full disk ...", flush=True)
        results["full_disk"] = full_disk(env, work, records)
        print(f"  {results['full_disk']}", flush=True)
    results["load_average_after"] = os.getloadavg()
    k = results["kills"]
    print(
        f"  {sum(t['killed'] for t in k['trials'])} killed of {len(k['trials'])} "
        f"({Counter(t['while'] for t in k['trials'] if t['killed'])}); corrupt indexes {k['corrupt']}; "
        f"processes left behind {k['left_behind']}; client answers {k['client_answers']}"
    )
    print("wrote", write_json(args.out, "reliability", results))
    return results


def add_arguments(parser) -> None:
    parser.add_argument("--kills", type=int, default=12, help="kill -9 trials (default 12)")
    parser.add_argument("--seed", type=int, default=0)
