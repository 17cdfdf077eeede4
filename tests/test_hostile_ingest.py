"""Hostile input on the ingest side: bad settings, documents that try to exhaust memory or flood the
index with text, and extraction processes that must not outlive a killed build."""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace

import psutil
import pytest

from indexer import worker
from indexer.config import PROJECT_ROOT, Settings, SettingsError
from support import make_pdf

NUMERIC = ["OBSERVATORY_HTTP_TIMEOUT", "OBSERVATORY_EXTRACT_TIMEOUT", "OBSERVATORY_FETCH_DEADLINE",
           "OBSERVATORY_EXTRACT_MEMORY_MB"]


@pytest.mark.parametrize("variable", NUMERIC)
@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf", "1e999"])
def test_a_bad_numeric_setting_is_an_error_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"^{variable}="):
        Settings.from_env()


def test_an_empty_numeric_setting_means_the_default(monkeypatch):
    for variable in NUMERIC:
        monkeypatch.delenv(variable, raising=False)
    defaults = Settings.from_env()
    for variable in NUMERIC:
        monkeypatch.setenv(variable, " ")
    assert Settings.from_env() == defaults


def test_a_fractional_memory_limit_is_refused(monkeypatch):
    monkeypatch.setenv("OBSERVATORY_EXTRACT_MEMORY_MB", "1.5")
    with pytest.raises(SettingsError, match="OBSERVATORY_EXTRACT_MEMORY_MB='1.5' is not an integer"):
        Settings.from_env()


def test_numeric_and_host_settings_are_read_from_the_environment(monkeypatch):
    for variable, value in zip(NUMERIC, ["5", "60.5", "30", "512"]):
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("OBSERVATORY_ALLOW_HOSTS", " Intranet.example , 10.0.0.5:8080,")
    settings = Settings.from_env()
    assert (settings.http_timeout, settings.extract_timeout, settings.fetch_deadline,
            settings.extract_memory_mb) == (5.0, 60.5, 30.0, 512)
    assert settings.allow_hosts == ("intranet.example", "10.0.0.5:8080")


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "cache")


def extract_in_pool(settings: Settings, *jobs: tuple[bytes, str]) -> list[dict]:
    """Through a real extraction pool, so the limits are those its processes were given."""
    with worker.pool(settings, 1) as pool:
        return [pool.schedule(worker.extract_job, args=(content, kind, "auto")).result() for content, kind in jobs]


def test_text_over_the_caps_is_truncated_with_a_warning(settings):
    # ~1,500 characters each, with words of their own (lines repeated on every page would be
    # stripped as running headers before the caps are applied)
    pages = [f"page{n} " + f"apprenticeship{'abcde'[n - 1]} " * 100 for n in range(1, 6)]
    [result] = extract_in_pool(replace(settings, max_page_chars=1000, max_document_chars=2500),
                               (make_pdf(pages), "pdf"))
    assert [len(page) for page in result["pages"]] == [1000, 1000, 500, 0, 0]
    assert result["pages"][1].startswith("page2 apprenticeshipb")
    assert result["warning"] == ("text truncated: 5 page(s) cut to 1,000 characters; "
                                 "text from page 3 on dropped (2,500-character document limit)")
    assert result["terms"][3] == "" and "page5" not in " ".join(result["terms"])


def test_text_within_the_caps_has_no_warning(settings):
    [result] = extract_in_pool(settings, (make_pdf(["A short report on micro-credentials."]), "pdf"))
    assert result["warning"] is None and "micro-credentials" in result["pages"][0]


def test_a_document_too_large_for_the_memory_limit_is_recorded_and_the_process_goes_on(settings):
    bomb = b"word " * 6_000_000  # 30 MB of text: hundreds of MB once decoded, split and analysed
    small = b"Micro-credentials certify short courses."
    too_large, fine = extract_in_pool(replace(settings, extract_memory_mb=450), (bomb, "text"), (small, "text"))
    assert too_large == {"error": "too large to extract", "code": "too-large", "memory_mb": 450}
    assert fine["pages"] == ["Micro-credentials certify short courses."]


OWNER = """
import time
from indexer import worker
from indexer.config import Settings

if __name__ == "__main__":
    pool = worker.pool(Settings.from_env(cache="unused"), 2)
    busy = [pool.schedule(time.sleep, args=(600,)) for _ in range(2)]
    time.sleep(600)
"""


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Zombies count as dead: whoever adopted them may not reap them at once."""
    def running(process):
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    return [process for process in processes if running(process)]


def wait_until(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def test_extraction_processes_die_with_a_killed_build():
    owner = subprocess.Popen([sys.executable, "-c", OWNER], cwd=PROJECT_ROOT)
    try:
        # the fork server, with the two busy extraction processes it forked
        server = wait_until(lambda: next((p for p in psutil.Process(owner.pid).children() if len(p.children()) == 2),
                                         None))
        assert server is not None, "the pool never started"
        extraction = [server, *server.children()]
    finally:
        owner.kill()
        owner.wait()
    assert wait_until(lambda: not alive(extraction)), f"still running: {alive(extraction)}"


TWO_BUILDS = """
import os, sys, threading
from indexer import worker
from indexer.config import Settings

settings = Settings.from_env(cache="unused")
first_running, first_over = threading.Event(), threading.Event()

def first_build():  # in a thread of its own, as a curators' build is
    with worker.pool(settings, 1) as pool:
        pool.schedule(os.getpid).result()
        first_running.set()
        first_over.wait()

thread = threading.Thread(target=first_build)
thread.start()
first_running.wait()
with worker.pool(settings, 1) as pool:
    print(pool.schedule(os.getpid).result(), flush=True)  # the second build's extraction process
    first_over.set()
    thread.join()
    sys.stdin.readline()
    print(pool.schedule(worker.extract_job, args=(b"Micro-credentials certify short courses.", "text", "auto"))
          .result()["pages"])
"""


def test_a_build_that_ends_leaves_the_extractions_of_another_build_running():
    """Linux's parent-death signal follows the thread that started a process, not its process: the
    fork server must not be tied to one build's thread, or its end kills every other build's
    extraction processes (two web apps' builds in one process lost their documents so)."""
    owner = subprocess.Popen([sys.executable, "-c", TWO_BUILDS], cwd=PROJECT_ROOT, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        extraction = psutil.Process(int(owner.stdout.readline()))
        # The first build's thread has ended; the signal, had it been sent, arrives in milliseconds.
        assert not wait_until(lambda: not alive([extraction]), timeout=2), "killed with the other build's thread"
        output, _ = owner.communicate("go\n", timeout=60)
    finally:
        owner.kill()
        owner.wait()
    assert output.strip() == "['Micro-credentials certify short courses.']"
