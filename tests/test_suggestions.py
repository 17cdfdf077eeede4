"""Readers' suggestions: a guarded public form, a queue that loses nothing, and curators who decide."""
from __future__ import annotations

from dataclasses import replace

import json
import re
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml
from werkzeug.serving import make_server

from indexer import engine
from indexer.catalog import EARLIEST_YEAR
from indexer.config import PROJECT_ROOT, Settings
from indexer.layout import IndexRoot, read_manifest
from indexer.suggestions import SuggestionError, SuggestionQueue
from support import entry, make_pdf, write_catalog
from webapp import create_app

VALID = {"title": "  Micro-credentials for lifelong learning  ", "url": "https://example.org/mc.pdf", "year": "2023",
         "note": "", "email": "", "website": ""}


@pytest.fixture
def settings(tmp_path):
    settings = replace(Settings.from_env(catalog=tmp_path / "corpus" / "catalog.yaml", index=tmp_path / "index",
                                         cache=tmp_path / "cache"), http_timeout=2.0, http_retries=0)
    write_catalog(settings.catalog, [entry("existing", title="An existing report")])
    return settings


def _queue(settings) -> SuggestionQueue:
    return SuggestionQueue(settings.suggestion_db)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _post(client, **changes):
    token = _token(client.get("/suggest").get_data(as_text=True))
    return client.post("/suggest", data={**VALID, "csrf_token": token, **changes})


@pytest.fixture
def app(settings):
    return create_app(settings, TESTING=True, SUGGEST_RATE_LIMIT="100 per minute")


# ---------------------------------------------------------------- the queue


def test_the_queue_is_sqlite_in_wal_mode_beside_the_index(settings):
    queue = _queue(settings)
    queue.submit(title="T", url="https://example.org/t", year=2020)
    assert settings.suggestion_db == settings.index_dir.parent / "suggestions.sqlite3"
    with sqlite3.connect(settings.suggestion_db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_decision_is_final_and_a_failed_accept_leaves_the_suggestion_pending(settings):
    queue = _queue(settings)
    first = queue.submit(title="One", url="https://example.org/1", year=2021, email="reader@example.org")
    second = queue.submit(title="Two", url="https://example.org/2", year=2022)

    def failing_add(suggestion):
        raise SuggestionError("catalog refused it")

    with pytest.raises(SuggestionError):
        queue.accept(first, failing_add)
    assert queue.get(first).state == "pending"
    accepted = queue.accept(first, lambda suggestion: "one-2021")
    assert (accepted.state, accepted.record_id, accepted.email) == ("accepted", "one-2021", "reader@example.org")
    queue.reject(second, "out of scope")
    with pytest.raises(SuggestionError, match="already rejected .*: out of scope"):
        queue.accept(second, lambda suggestion: "two")
    with pytest.raises(SuggestionError, match="no suggestion 99"):
        queue.get(99)
    assert [s.id for s in queue.list()] == []
    assert [(s.id, s.state) for s in queue.list(None)] == [(first, "accepted"), (second, "rejected")]


def test_processes_submitting_at_once_lose_nothing(settings):
    script = ("import sys; from indexer.suggestions import SuggestionQueue\n"
              "q = SuggestionQueue(sys.argv[1])\n"
              "for n in range(25): q.submit(title=f'{sys.argv[2]}-{n}', url='https://example.org', year=2020)")
    workers = [subprocess.Popen([sys.executable, "-c", script, str(settings.suggestion_db), f"p{p}"], cwd=PROJECT_ROOT)
               for p in range(4)]
    assert [worker.wait() for worker in workers] == [0, 0, 0, 0]
    titles = sorted(s.title for s in _queue(settings).list())
    assert titles == sorted(f"p{p}-{n}" for p in range(4) for n in range(25))


def test_readers_posting_to_a_live_server_at_once_lose_nothing(settings):
    server = make_server("127.0.0.1", 0, create_app(settings, SUGGEST_RATE_LIMIT="1000 per minute"), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/suggest"

    def reader(n: int) -> list[int]:
        with requests.Session() as session:
            token = _token(session.get(base, timeout=10).text)
            return [session.post(base, data={**VALID, "title": f"reader {n} #{k}", "csrf_token": token},
                                 allow_redirects=False, timeout=10).status_code for k in range(10)]

    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = [status for result in pool.map(reader, range(8)) for status in result]
    finally:
        server.shutdown()
    assert statuses == [303] * 80
    assert sorted(s.title for s in _queue(settings).list()) == sorted(f"reader {n} #{k}" for n in range(8) for k in range(10))


# ---------------------------------------------------------------- the form


def test_a_valid_suggestion_is_queued_and_the_reader_thanked(app, settings):
    client = app.test_client()
    response = _post(client, email="reader@example.org", note="Covers stackability.")
    assert response.status_code == 303 and response.headers["Location"].endswith("/suggest?sent=1")
    assert "Your suggestion is in the curators’ queue" in client.get("/suggest?sent=1").get_data(as_text=True)
    [stored] = _queue(settings).list()
    assert (stored.title, stored.url, stored.year, stored.note, stored.email, stored.state) == (
        "Micro-credentials for lifelong learning", "https://example.org/mc.pdf", 2023, "Covers stackability.",
        "reader@example.org", "pending")


def test_the_form_says_what_to_correct_field_by_field_and_stores_nothing(app, settings):
    response = _post(app.test_client(), title=" ", url="example.org/x", year="twenty", email="not-an-address")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("Enter the publication’s title.", "Enter a full web address starting with http:// or https://.",
                    "Enter the year as a number, e.g. 2023.", "Enter an e-mail address like name@example.org"):
        assert message in html
    assert 'aria-invalid="true"' in html and 'value="example.org/x"' in html, "what was typed is kept"
    for year in ("1850", str(EARLIEST_YEAR - 1)):  # the catalog's bounds: an accepted suggestion is a valid record
        old = _post(app.test_client(), year=year).get_data(as_text=True)
        assert f"Enter a year between {EARLIEST_YEAR} and" in old
    assert _queue(settings).list(None) == []


@pytest.mark.parametrize("field, value", [("title", "Badges \x1b]0;pwned\x07\x1b[2J"), ("title", "nul\x00byte"),
                                          ("title", "two\nlines"), ("url", "https://example.org/\x1b[2J"),
                                          ("note", "C1 \x9b31m red"), ("email", "a\x00@example.org")])
def test_control_characters_are_refused_field_by_field(app, settings, field, value):
    html = _post(app.test_client(), **{field: value}).get_data(as_text=True)
    assert "Remove the control characters" in html
    assert _queue(settings).list(None) == []


def test_a_note_keeps_its_line_breaks_and_tabs(app, settings):
    assert _post(app.test_client(), note="First line\r\n\tsecond line").status_code == 303
    assert _queue(settings).list()[0].note == "First line\r\n\tsecond line"


def test_a_post_without_the_csrf_token_is_refused(app, settings):
    response = app.test_client().post("/suggest", data=VALID)
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert _queue(settings).list(None) == []


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(app, settings):
    response = _post(app.test_client(), website="https://spam.example")
    assert response.status_code == 303
    assert _queue(settings).list(None) == []


def test_too_many_posts_from_one_address_are_refused(settings):
    client = create_app(settings, TESTING=True, SUGGEST_RATE_LIMIT="2 per minute").test_client()
    assert [_post(client, title=f"T{n}").status_code for n in range(3)] == [303, 303, 429]
    assert len(_queue(settings).list()) == 2
    assert client.get("/suggest").status_code == 200, "reading the form is never limited"


def test_the_limit_holds_across_workers_and_restarts(settings):
    """Each app stands for a gunicorn worker, or the server after a restart: one count in the store."""
    workers = [create_app(settings, TESTING=True, SUGGEST_RATE_LIMIT="2 per minute").test_client() for _ in range(3)]
    assert [_post(worker, title=f"T{n}").status_code for n, worker in enumerate(workers)] == [303, 303, 429]
    assert len(_queue(settings).list()) == 2


def test_a_refused_post_keeps_the_text_and_says_when_to_retry(settings):
    client = create_app(settings, TESTING=True, SUGGEST_RATE_LIMIT="1 per minute").test_client()
    assert _post(client).status_code == 303
    refused = _post(client, title="My carefully typed title", note="A long note")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Please try again in" in html and "minute" in html
    assert 'value="My carefully typed title"' in html and "A long note" in html


def test_invalid_posts_do_not_count(settings):
    client = create_app(settings, TESTING=True, SUGGEST_RATE_LIMIT="2 per minute").test_client()
    assert [_post(client, url="not a url").status_code for _ in range(4)] == [200] * 4
    assert client.post("/suggest", data=VALID).status_code == 400  # no CSRF token
    assert [_post(client, title=f"T{n}").status_code for n in range(3)] == [303, 303, 429]


def test_behind_a_trusted_proxy_the_limit_is_per_client_it_reports(settings):
    proxied = create_app(replace(settings, trusted_proxies=1), TESTING=True,
                         SUGGEST_RATE_LIMIT="1 per minute").test_client()
    for client_address in ("203.0.113.7", "198.51.100.9"):
        forwarded = {"X-Forwarded-For": client_address}
        token = _token(proxied.get("/suggest").get_data(as_text=True))
        assert proxied.post("/suggest", data={**VALID, "csrf_token": token}, headers=forwarded).status_code == 303
        assert proxied.post("/suggest", data={**VALID, "csrf_token": token}, headers=forwarded).status_code == 429
    direct = create_app(replace(settings, suggestions=settings.suggestion_db.with_name("direct.sqlite3")),
                        TESTING=True, SUGGEST_RATE_LIMIT="1 per minute").test_client()
    token = _token(direct.get("/suggest").get_data(as_text=True))
    statuses = [direct.post("/suggest", data={**VALID, "csrf_token": token}, headers={"X-Forwarded-For": f"10.0.0.{n}"})
                .status_code for n in range(2)]
    assert statuses == [303, 429], "without a trusted proxy, a forged X-Forwarded-For changes nothing"


def test_a_store_that_cannot_be_written_is_a_503_that_keeps_the_text(settings):
    blocked = settings.suggestion_db.with_name("blocked.sqlite3")
    blocked.mkdir(parents=True)  # a directory where the SQLite file should be: as unwritable as it gets for root
    client = create_app(replace(settings, suggestions=blocked), TESTING=True).test_client()
    response = _post(client, title="Text worth keeping", note="And its note")
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Suggestions cannot be saved at the moment" in html
    assert 'value="Text worth keeping"' in html and "And its note" in html


# ---------------------------------------------------------------- the curators' commands


def _cli(settings, *args, check=True):
    command = [sys.executable, "-m", "indexer", "--catalog", str(settings.catalog), "--index",
               str(settings.index_dir), "--cache", str(settings.cache_dir), "suggestions", *args]
    return subprocess.run(command, capture_output=True, text=True, check=check, cwd=PROJECT_ROOT)


def test_curators_list_show_and_reject(settings):
    queue = _queue(settings)
    first = queue.submit(title="Spam?", url="https://example.org/s", year=2020, note="buy now")
    listed = json.loads(_cli(settings, "list", "--json").stdout)
    assert [(s["id"], s["title"], s["state"]) for s in listed] == [(first, "Spam?", "pending")]
    assert "buy now" in _cli(settings, "show", str(first)).stdout
    _cli(settings, "reject", str(first), "--reason", "advertising")
    assert queue.get(first).reason == "advertising"
    assert _cli(settings, "list").stdout.strip() == "no pending suggestions"
    again = _cli(settings, "reject", str(first), "--reason", "twice", check=False)
    assert again.returncode == 2 and "already rejected" in again.stderr


def test_accepting_adds_the_record_as_add_does_and_builds(settings, doc_server):
    url = doc_server.add("/stackable.pdf", make_pdf(["Stackable micro-credentials across Europe."]))
    queue = _queue(settings)
    wanted = queue.submit(title="Stackable micro-credentials", url=url, year=2024)
    duplicate = queue.submit(title="An existing report", url="https://example.org/other", year=2020)
    before = settings.catalog.read_text()

    _cli(settings, "accept", str(wanted), "--section", "report", "--type", "report", "--region", "Europe")
    text = settings.catalog.read_text()
    assert text.startswith(before), "the rest of the catalog is untouched"
    [added] = yaml.safe_load(text[len(before):])
    assert (added["id"], added["title"], added["url"], added["year"]) == (
        "stackable-micro-credentials-2024", "Stackable micro-credentials", url, 2024)
    assert queue.get(wanted).record_id == "stackable-micro-credentials-2024"
    manifest = read_manifest(IndexRoot(settings.index_dir, engine.SCHEMA).current())
    assert manifest["stackable-micro-credentials-2024"]["status"] == "full_text", "accept builds the index"

    refused = _cli(settings, "accept", str(duplicate), "--section", "report", "--type", "report",
                   "--region", "Europe", "--no-build", check=False)
    assert refused.returncode == 2 and "already in the catalog" in refused.stderr
    assert queue.get(duplicate).state == "pending" and settings.catalog.read_text() == text
