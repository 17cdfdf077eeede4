"""`python -m bench load`: the production server under concurrent clients, alone and during a full rebuild.

It runs exactly what an operator runs — `gunicorn -c gunicorn.conf.py 'webapp:create_app()'` with
`--workers` workers on 127.0.0.1 — over the speed bench's generated collection (served by the
bench's local file server, built with `python -m indexer build`), and has `--clients` threads, each
with its own `requests.Session`, ask a mix of searches, result pages, document views and exports
for `--seconds`. Then it does the same while `python -m indexer build --full` rebuilds the same
index again and again, which is when a server that reopens the index badly fails. An error is any
answer outside 2xx/3xx or a connection that failed. Last, the expensive-query attack: one client asks
a cheap search over and over, alone and then while `ATTACKERS` clients send queries written to be
expensive (`attack_requests`); its p50 under attack should stay within 2x of its p50 alone, since
such queries are refused before they run (indexer/limits.py).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import requests

from bench import generate
from bench.report import table, write_json
from bench.serve import FileServer
from bench.speed import gunicorn, percentiles, query_mix, write_catalog
from indexer.config import PROJECT_ROOT


def request_mix(corpus: generate.Corpus, count: int, seed: int) -> list[tuple[str, str, dict]]:
    """(kind, path, params): the speed bench's searches over the API, and the same as pages a
    reader opens, plus document views and CSV exports of a search."""
    searches = query_mix(corpus, count, seed)
    rng = np.random.default_rng(seed)
    mix = []
    for n, (kind, params) in enumerate(searches):
        mix.append((kind, "/api/search", params))
        if n % 3 == 0:
            mix.append(("search page", "/", params))
        if n % 4 == 0:
            pub = corpus.publications[rng.integers(len(corpus.publications))]
            mix.append(("document view", f"/doc/{pub.id}", {"q": params.get("q", "")}))
        if n % 10 == 0:
            mix.append(("export", "/export.csv", params))
    return mix


def hammer(base: str, mix: list[tuple[str, str, dict]], clients: int, seconds: float) -> dict:
    """`clients` threads asking the mix (each from its own starting point) until `seconds` are up."""
    samples: list[tuple[str, float]] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        with requests.Session() as session:
            n = offset
            while time.monotonic() < stop:
                kind, path, params = mix[n % len(mix)]
                n += clients
                started = time.perf_counter()
                try:
                    response = session.get(base + path, params=params, timeout=60)
                    outcome = None if response.status_code < 400 else f"HTTP {response.status_code}"
                except requests.RequestException as err:
                    outcome = type(err).__name__
                ms = (time.perf_counter() - started) * 1000
                with lock:
                    if outcome:
                        errors[outcome] = errors.get(outcome, 0) + 1
                    else:
                        samples.append((kind, ms))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    requests_done = len(samples) + sum(errors.values())
    kinds = dict.fromkeys(kind for kind, _, _ in mix)
    return {
        "clients": clients,
        "seconds": wall,
        "requests": requests_done,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "requests_per_s": requests_done / wall,
        **{k: v for k, v in percentiles([ms for _, ms in samples]).items() if k != "n"},
        "by_kind": {k: percentiles([ms for kind, ms in samples if kind == k]) for k in kinds},
    }


#: Clients sending expensive queries in the attack phase, and the cheap search it times.
ATTACKERS = 4
CHEAP = ("/api/search", {"q": "credential"})
#: The attack phase alternates windows without and with the attackers, so the machine's other load
#: weighs on both sides of the ratio alike (on a shared machine it changes from minute to minute).
ATTACK_ROUNDS = 5


def attack_requests(rng: np.random.Generator):
    """Endlessly, the probe's expensive requests; a random word defeats the service's caches."""
    prefixes = " ".join(f"{letter}*" for letter in "abcdefghijklmnopqrstuvwxyz")
    while True:
        word = f"zz{rng.integers(10**9)}"
        yield from (
            ("/", {"q": f"{prefixes} {word}"}),
            ("/api/search", {"q": f"id:* text:* {word}"}),
            ("/api/search", {"q": f"*?* {word}"}),
            ("/api/search", {"q": f"*{word[2:]}"}),
            ("/trends", {"q": [f"{letter}* {word}" for letter in "abcdef"]}),
        )


#: Words of the generated collection, many of them on most pages: searches inside every bound that
#: still cost seconds when long (each word adds pages to read, each phrase page text to check).
COMMON = [
    "skills",
    "learning",
    "education",
    "training",
    "courses",
    "credentials",
    "quality",
    "recognition",
    "employers",
    "university",
]


def long_requests(rng: np.random.Generator):
    """Endlessly, long searches within every bound: 39 common words, six quoted phrases (random word last)."""
    while True:
        word = f"zz{rng.integers(10**9)}"
        yield from (
            ("/", {"q": " ".join([*(COMMON * 4)[:39], word])}),
            (
                "/api/search",
                {
                    "q": " ".join(f'"{a} {b}"' for a, b in zip(COMMON[::2], COMMON[1::2], strict=False))
                    + f' "{word} quality"'
                },
            ),
        )


def flood_requests(rng: np.random.Generator):
    """The control: as many clients asking the cheap search itself, as fast as they can. What they
    cost the timed search is what any four such clients cost this machine, expensive queries or not."""
    while True:
        yield CHEAP


#: What the attacking processes send in each kind of window (see `attack`).
SENDERS = {"attack": attack_requests, "long": long_requests, "flood": flood_requests}


def attacker(base: str, seed: int, kind: str, niceness: int, on, stop, answers) -> None:
    """One attacking client, in its own process (a real attacker's CPU is not the bench's GIL) at
    `niceness`: sends `SENDERS[kind]` requests while `on` is set, until `stop`; counts answers and
    latencies. Says when it is ready, so no window times the interpreters starting."""
    os.nice(niceness)
    counts: dict[str, int] = {}
    latencies: list[float] = []
    answers.put(("ready", kind))
    with requests.Session() as session:
        requests_ = SENDERS[kind](np.random.default_rng(seed))
        while not stop.is_set():
            if not on.wait(0.05):
                continue
            path, params = next(requests_)
            started = time.perf_counter()
            try:
                outcome = f"HTTP {session.get(base + path, params=params, timeout=60).status_code}"
            except requests.RequestException as err:
                outcome = type(err).__name__
            counts[outcome] = counts.get(outcome, 0) + 1
            latencies.append((time.perf_counter() - started) * 1000)
    answers.put((kind, counts, latencies))


def attack(base: str, seconds: float, seed: int, niceness: int) -> dict:
    """The cheap search's latency in `ATTACK_ROUNDS` rounds of windows of `seconds / ATTACK_ROUNDS` each:
    alone, then beside `ATTACKERS` processes of each kind of `SENDERS` (expensive queries, long
    searches within the bounds, the cheap search itself: the control); with their answers and the load.

    The attackers run at `niceness`: on a machine this small (2 cores) four clients asking as fast as
    they can use the CPU the server needs, whatever they ask, which an attacker elsewhere would not;
    at 19 they get the CPU the server and the timed client leave."""

    def time_cheap(session: requests.Session, until: float) -> list[float]:
        times = []
        while time.monotonic() < until:
            started = time.perf_counter()
            session.get(base + CHEAP[0], params=CHEAP[1], timeout=60).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
        return times

    processes = multiprocessing.get_context("spawn")
    stop, answers = processes.Event(), processes.Queue()
    switches = {kind: processes.Event() for kind in SENDERS}
    clients = [
        processes.Process(target=attacker, args=(base, seed + n, kind, niceness, switches[kind], stop, answers))
        for kind in SENDERS
        for n in range(ATTACKERS)
    ]
    for process in clients:
        process.start()
    for _ in clients:
        answers.get(timeout=120)
    window = seconds / ATTACK_ROUNDS
    samples: dict[str, list[float]] = {"alone": [], **{kind: [] for kind in SENDERS}}
    rounds = []
    load_before = os.getloadavg()
    with requests.Session() as session:
        time_cheap(session, time.monotonic() + 1)  # a warm connection pool and caches
        for _ in range(ATTACK_ROUNDS):
            found = {"alone": time_cheap(session, time.monotonic() + window)}
            for kind, switch in switches.items():
                switch.set()
                found[kind] = time_cheap(session, time.monotonic() + window)
                switch.clear()
            for kind, times in found.items():
                samples[kind] += times
            rounds.append(
                {
                    **{f"{kind}_p50": percentiles(times)["p50"] for kind, times in found.items()},
                    "load_average": os.getloadavg()[0],
                }
            )
    stop.set()
    sent: dict[str, dict] = {kind: {"answers": {}, "latencies": []} for kind in SENDERS}
    for _ in clients:
        kind, counts, latencies = answers.get(timeout=120)
        for outcome, n in counts.items():
            sent[kind]["answers"][outcome] = sent[kind]["answers"].get(outcome, 0) + n
        sent[kind]["latencies"] += latencies
    for process in clients:
        process.join(timeout=30)
    cheap = {kind: percentiles(times) for kind, times in samples.items()}
    return {
        "cheap_query": CHEAP,
        "attackers": ATTACKERS,
        "rounds": rounds,
        "cheap": cheap,
        "p50_ratio": cheap["attack"]["p50"] / cheap["alone"]["p50"],
        "long_p50_ratio": cheap["long"]["p50"] / cheap["alone"]["p50"],
        "flood_p50_ratio": cheap["flood"]["p50"] / cheap["alone"]["p50"],
        **{kind: {"answers": s["answers"], "latency": percentiles(s["latencies"])} for kind, s in sent.items()},
        "attacker_niceness": niceness,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


class Rebuilder:
    """`python -m indexer build --full` in a loop, in its own process each time, until stopped."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = {**os.environ, **env}, log
        self.runs: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        with open(self.log, "ab") as log_file:
            while not self._stop.is_set():
                started = time.perf_counter()
                code = subprocess.call(
                    [sys.executable, "-m", "indexer", "build", "--full", "--quiet"],
                    cwd=PROJECT_ROOT,
                    env=self.env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
                self.runs.append({"exit_code": code, "seconds": time.perf_counter() - started})

    def __enter__(self) -> Rebuilder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        """The build running when the clients stop is let finish: a killed build is another bench."""
        self._stop.set()
        self._thread.join()


def main(args) -> dict:
    corpus = generate.generate(args.out, args.scale, args.seed)
    work = args.out / "load-work"
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "scale": args.scale,
        "seed": args.seed,
        "publications": len(corpus.publications),
        "pages": corpus.pages,
        "workers": args.workers,
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
    }
    with FileServer({"corpus": corpus.files}) as server:
        catalog = work / "catalog.yaml"
        write_catalog(catalog, [p.record(server.url + "/corpus") for p in corpus.publications])
        env = {
            "OBSERVATORY_CATALOG": str(catalog),
            "OBSERVATORY_INDEX": str(work / "index"),
            "OBSERVATORY_CACHE": str(work / "cache"),
            "OBSERVATORY_ALLOW_HOSTS": "127.0.0.1",
        }
        print(
            f"load: {len(corpus.publications):,} publications, {corpus.pages:,} pages; building (or updating) "
            f"{work / 'index'} ...",
            flush=True,
        )
        subprocess.run(
            [sys.executable, "-m", "indexer", "build", "--quiet"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # Each phase its own searches, and more than it gets through: the service caches a query's
        # scores and snippets, and a mix asked again would time the cache, not the server.
        mix = request_mix(corpus, 2 * args.requests, args.seed)
        alone, during = mix[: len(mix) // 2], mix[len(mix) // 2 :]
        with gunicorn(env, args.workers, work / "gunicorn.log", config="gunicorn.conf.py") as (_, port):
            base = f"http://127.0.0.1:{port}"
            if not args.attack_only:
                print(
                    f"load: {args.clients} clients for {args.seconds:g} s against {args.workers} workers ...",
                    flush=True,
                )
                results["alone"] = {
                    "load_average_before": os.getloadavg(),
                    **hammer(base, alone, args.clients, args.seconds),
                }
                print("load: again during `build --full` of the same index ...", flush=True)
                load_before = os.getloadavg()
                with Rebuilder(env, work / "rebuild.log") as rebuilder:
                    phase = hammer(base, during, args.clients, args.seconds)
                results["during_rebuild"] = {"load_average_before": load_before, **phase, "builds": rebuilder.runs}
            print(
                f"load: a cheap search alone, beside {ATTACKERS} clients sending expensive queries, and beside "
                f"{ATTACKERS} sending long searches or asking it too, in {ATTACK_ROUNDS} rounds ...",
                flush=True,
            )
            results["attack"] = attack(base, args.seconds, args.seed, args.attacker_nice)
    if not args.attack_only:
        _print_phases(results)
    _print_attack(results["attack"])
    print("wrote", write_json(args.out, "load", results))
    return results


def _print_attack(hit: dict) -> None:
    rows = [
        [
            n + 1,
            r["alone_p50"],
            *(value for kind in SENDERS for value in (r[f"{kind}_p50"], r[f"{kind}_p50"] / r["alone_p50"])),
            r["load_average"],
        ]
        for n, r in enumerate(hit["rounds"])
    ]
    cheap = hit["cheap"]
    print(
        f"\nexpensive-query attack: {CHEAP[0]}?q={CHEAP[1]['q']} alone, beside {ATTACKERS} processes sending "
        f"expensive queries (attack), long searches within the bounds (long), and asking the same cheap search "
        f"(flood, the control); senders at nice {hit['attacker_niceness']}"
    )
    print(
        table(
            ["round", "alone p50 ms", *(h for kind in SENDERS for h in (f"{kind} p50 ms", "ratio")), "load 1 min"], rows
        )
    )
    print(
        "cheap search p50: "
        + ", ".join(f"{cheap[kind]['p50']:.1f} ms {kind} ({cheap[kind]['n']} requests)" for kind in ("alone", *SENDERS))
    )
    verdict = "met" if hit["p50_ratio"] <= 2 else "NOT met"
    print(
        f"ATTACK RATIO {hit['p50_ratio']:.2f}x (target <= 2x: {verdict}); long searches "
        f"{hit['long_p50_ratio']:.2f}x; control {hit['flood_p50_ratio']:.2f}x"
    )
    for kind in SENDERS:
        print(
            f"{kind}: {sum(hit[kind]['answers'].values())} requests, answers {hit[kind]['answers']}, "
            f"p50 {hit[kind]['latency']['p50']:.0f} ms, p99 {hit[kind]['latency']['p99']:.0f} ms"
        )
    print(
        "load average "
        + " before, ".join(
            "/".join(f"{x:.1f}" for x in hit[key]) for key in ("load_average_before", "load_average_after")
        )
        + " after"
    )


def _print_phases(results: dict) -> None:
    rows = [
        [name, r["requests"], r["errors"], r["p50"], r["p99"], r["requests_per_s"]]
        for name, r in (("alone", results["alone"]), ("during build --full", results["during_rebuild"]))
    ]
    print()
    print(table(["phase", "requests", "errors", "p50 ms", "p99 ms", "requests/s"], rows))
    builds = results["during_rebuild"]["builds"]
    print(f"\n{len(builds)} full build(s) during the second phase, exit codes {[b['exit_code'] for b in builds]}")
    for name in ("alone", "during_rebuild"):
        if results[name]["error_kinds"]:
            print(f"errors {name}: {results[name]['error_kinds']}")


def add_arguments(parser) -> None:
    parser.add_argument(
        "--scale", type=float, default=0.2, help="size of the generated collection (1 = ~330 publications; default 0.2)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument(
        "--attack-only",
        action="store_true",
        help="run only the expensive-query attack phase (a cheap search alone and under attack)",
    )
    parser.add_argument(
        "--attacker-nice",
        type=int,
        default=19,
        help="niceness of the attacking processes (default 19: their CPU stands for an attacker's own "
        "machine; 0 makes them compete with the server for this one's)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=2000,
        help="distinct searches per phase, cycled through if the clients get to the end (default 2000)",
    )
