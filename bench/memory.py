"""Memory of other processes, read from /proc (Linux), since psutil is not a dependency.

A process tree's total is sampled as the sum of RSS: an upper bound, since pages a forked worker
still shares with its parent count twice (~25 MB a worker here). The exact figure, PSS from
smaps_rollup, costs ~50 ms of kernel time per read on a 1 GB process and holds its memory map
lock meanwhile, which would slow the very build being measured.
"""

from __future__ import annotations

import threading
from pathlib import Path


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """The kernel's high-water mark of a live process' resident set (VmHWM)."""
    return _status_kb(pid, "VmHWM") / 1024


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children(current)
    return out


class TreeSampler:
    """Samples a process and all its descendants until stopped.

    Keeps the peak of their summed RSS and the largest peak RSS of any descendant (a worker may
    belong to a forkserver rather than to the process itself, so the kernel's accounting of
    reaped children would miss it).
    """

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval = pid, interval
        self.peak_mb = 0.0
        self.largest_descendant_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = descendants(self.pid)
            self.peak_mb = max(self.peak_mb, sum(_status_kb(p, "VmRSS") for p in tree) / 1024)
            self.largest_descendant_mb = max([self.largest_descendant_mb, *(peak_rss_mb(p) for p in tree[1:])])
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
