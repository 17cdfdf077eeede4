"""Suggestions, bulk imports, accounts and the zero-result list from the curators' side."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from click.testing import CliRunner

from curate_world import NAME, client, token, world  # noqa: F401 (client, world: fixtures)
from indexer.catalog import load_catalog
from indexer.curators import CuratorStore
from indexer.querylog import QueryLog
from indexer.status import network_outage
from indexer.suggestions import SuggestionQueue
from ris_world import ris_export, with_doi_record
from support import make_pdf
from webapp import create_app
from webapp.cli import cli


def _suggest(app, title: str, url: str) -> None:
    reader = app.test_client()
    page = reader.get("/suggest").get_data(as_text=True)
    return reader.post("/suggest", data={"title": title, "url": url, "year": "2023", "csrf_token": token(page)},
                       follow_redirects=True)


def test_a_suggestion_of_a_catalogued_link_is_flagged_to_the_reader_and_the_curator(client, world):
    settings, _ = world
    fine = next(r for r in load_catalog(settings.catalog) if r.id == "fine-report")
    answer = _suggest(client.application, "Practice report", fine.url).get_data(as_text=True)
    assert 'That link is already in the collection: <a href="/doc/fine-report">Micro-credentials in practice</a>' in answer
    page = client.get("/curate/suggestions").get_data(as_text=True)
    assert 'Already catalogued (same URL): <a href="/curate/record/fine-report">' in page
    assert 'value="duplicate of fine-report"' in page, "the rejection reason is offered"


def test_accepting_a_suggestion_through_its_prefilled_form(client, world):
    settings, server = world
    url = server.add("/suggested.pdf", make_pdf(["Micro-credentials for adult learners in rural areas."]))
    _suggest(client.application, "Adult learners in rural areas", url)
    form = client.get("/curate/suggestions/1/accept").get_data(as_text=True)
    assert 'value="Adult learners in rural areas"' in form and f'value="{url}"' in form
    response = client.post("/curate/suggestions/1/accept", data={
        "csrf_token": token(form), "title": "Adult learners in rural areas", "year": "2023", "url": url,
        "section": "report", "type": "report", "regions": "Ireland", "follow": "y"})
    assert response.status_code == 303
    [suggestion] = SuggestionQueue(settings.suggestion_db).list("accepted")
    assert suggestion.record_id == "adult-learners-in-rural-areas-2023"
    assert load_catalog(settings.catalog)[-1].url == url
    assert CuratorStore(settings.suggestion_db).trail(suggestion.record_id)[0].detail == "suggestion 1"


def test_an_accept_that_breaks_the_rules_keeps_the_suggestion_pending(client, world):
    settings, _ = world
    _suggest(client.application, "A suggestion", "https://example.org/s.pdf")
    form = client.get("/curate/suggestions/1/accept").get_data(as_text=True)
    response = client.post("/curate/suggestions/1/accept", data={
        "csrf_token": token(form), "title": "A suggestion", "year": "2023", "url": "https://example.org/s.pdf",
        "section": "report", "type": "report", "regions": "Narnia"})
    assert response.status_code == 200 and "unknown region(s) &#39;Narnia&#39;" in response.get_data(as_text=True)
    assert [s.state for s in SuggestionQueue(settings.suggestion_db).list(None)] == ["pending"]


def test_rejecting_needs_a_reason_and_keeps_it(client, world):
    settings, _ = world
    _suggest(client.application, "Off topic", "https://example.org/off.pdf")
    page = client.get("/curate/suggestions").get_data(as_text=True)
    client.post("/curate/suggestions/1/reject", data={"csrf_token": token(page), "reason": ""})
    assert SuggestionQueue(settings.suggestion_db).get(1).state == "pending"
    client.post("/curate/suggestions/1/reject", data={"csrf_token": token(page), "reason": "out of scope"})
    assert (SuggestionQueue(settings.suggestion_db).get(1).state, SuggestionQueue(settings.suggestion_db).get(1).reason) \
        == ("rejected", "out of scope")


def test_a_ris_export_is_previewed_with_its_duplicates_and_the_chosen_entries_appended(client, world):
    settings, _ = world
    with_doi_record(settings)
    fine = next(r for r in load_catalog(settings.catalog) if r.id == "fine-report")
    before = len(load_catalog(settings.catalog))
    page = client.get("/curate/import").get_data(as_text=True)
    preview = client.post("/curate/import", content_type="multipart/form-data", data={
        "csrf_token": token(page), "section": "report", "regions": "International",
        "file": (io.BytesIO(ris_export(fine.url).encode()), "My Library.ris")})
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "20 entries: 17 ready to append, 3 duplicates, 0 with problems." in shown
    assert "Duplicate (same URL) of" in shown and "Duplicate (same DOI) of" in shown and "similar) of" in shown
    assert shown.count(" checked>") == 17
    chosen = [n for n in range(1, 21) if n > 3]
    response = client.post("/curate/import/append", data={
        "csrf_token": token(shown), "entries": _hidden(shown, "entries"), "chosen": chosen})
    assert response.status_code == 303
    records = load_catalog(settings.catalog)
    assert len(records) == before + 17
    added = records[-1]
    assert (added.type, added.section, added.regions, added.authors) == (
        "report", "report", ("International",), ("Kovács, Anna", "Ó Briain, Seán"))
    assert added.url == "https://example.org/refs/16.pdf" and added.summary == "An abstract of the reference."
    assert len(CuratorStore(settings.suggestion_db).trail()) == 17


def _hidden(html: str, name: str) -> str:
    import html as markup
    import re

    return markup.unescape(re.search(rf'name="{name}" value="([^"]*)"', html).group(1))


@pytest.mark.parametrize("name, body", [
    ("refs.bib", "@techreport{k1, title={Stackable {Micro-Credentials} in {Chile}}, author={Rojas, Ana and Díaz, Luis},"
                 " year={2021}, doi={10.5555/bib.1}, institution={Ministry of Education}}"),
    ("refs.csv", '"Key","Item Type","Publication Year","Author","Title","Url","DOI","Abstract Note"\n'
                 '"AB12","report","2021","Rojas, Ana; Díaz, Luis","Stackable Micro-Credentials in Chile","","10.5555/bib.1","x"\n'),
])
def test_bibtex_and_zotero_csv_map_to_the_same_record(client, name, body):
    page = client.get("/curate/import").get_data(as_text=True)
    shown = client.post("/curate/import", content_type="multipart/form-data", data={
        "csrf_token": token(page), "section": "report", "regions": "Chile",
        "file": (io.BytesIO(body.encode()), name)}).get_data(as_text=True)
    assert "1 entries: 1 ready to append" in shown
    assert "<strong>Stackable Micro-Credentials in Chile</strong> (2021)" in shown
    assert "report · report · Chile · Rojas, Ana; Díaz, Luis" in shown and "https://doi.org/10.5555/bib.1" in shown


def test_a_file_that_is_no_reference_list_is_refused_with_a_message(client):
    page = client.get("/curate/import").get_data(as_text=True)
    response = client.post("/curate/import", content_type="multipart/form-data", data={
        "csrf_token": token(page), "section": "report", "regions": "Chile",
        "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00"), "refs.ris")})
    assert response.status_code == 200
    assert "Nothing imported: the file is not UTF-8 text" in response.get_data(as_text=True)


# ---------------------------------------------------------------- accounts on the command line


def test_curator_accounts_from_the_command_line(world):
    settings, _ = world
    runner = CliRunner()
    args = ["--catalog", str(settings.catalog), "--index", str(settings.index_dir)]
    added = runner.invoke(cli, [*args, "curators", "add", "grace"], input="a long enough password\n")
    assert added.exit_code == 0, added.output
    assert CuratorStore(settings.suggestion_db).authenticate("grace", "a long enough password") is not None
    short = runner.invoke(cli, [*args, "curators", "add", "linus"], input="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    listed = runner.invoke(cli, [*args, "curators", "list"]).output
    assert [line.split()[0] for line in listed.splitlines()] == [NAME, "grace"]
    assert runner.invoke(cli, [*args, "curators", "passwd", "grace"], input="another long password\n").exit_code == 0
    assert CuratorStore(settings.suggestion_db).authenticate("grace", "a long enough password") is None
    assert runner.invoke(cli, [*args, "curators", "remove", "grace"]).exit_code == 0
    assert CuratorStore(settings.suggestion_db).get("grace") is None
    assert runner.invoke(cli, [*args, "curators", "remove", "grace"]).exit_code == 2


def test_passwords_are_stored_as_salted_scrypt_hashes(world):
    settings, _ = world
    store = CuratorStore(settings.suggestion_db)
    store.add("twin", "the same password")
    with store._connect() as connection:
        hashes = dict(connection.execute("SELECT name, hash FROM curators").fetchall())
    assert hashes["twin"].startswith("scrypt$16384$8$1$") and "the same password" not in hashes["twin"]
    store.add("other", "the same password")
    with store._connect() as connection:
        assert connection.execute("SELECT hash FROM curators WHERE name = 'other'").fetchone()[0] != hashes["twin"]


# ---------------------------------------------------------------- the zero-result list and offline builds


def test_the_query_log_counts_per_normalised_query_per_day_and_forgets_old_days(tmp_path):
    log = QueryLog(tmp_path / "db.sqlite3", days=7)
    today = dt.date(2026, 12, 4)
    for query, day in [("Badges  in NURSING", today), ("badges in nursing", today), ("old gap", today - dt.timedelta(10)),
                       ("badges in nursing", today - dt.timedelta(1)), ("quantum", today)]:
        log.record(query, today=day)
    gaps = log.gaps(today=today)
    assert [(g.query, g.count, g.last_day) for g in gaps] == [("badges in nursing", 3, "2026-12-04"),
                                                              ("quantum", 1, "2026-12-04")]
    with log._connect() as connection:
        assert {row[0] for row in connection.execute("SELECT query FROM zero_results")} == {"badges in nursing", "quantum"}
        assert [tuple(c[1] for c in connection.execute("PRAGMA table_info(zero_results)"))] == [("day", "query", "count")]


def test_a_query_log_of_zero_days_keeps_nothing(tmp_path):
    log = QueryLog(tmp_path / "db.sqlite3", days=0)
    log.record("anything")
    assert log.gaps() == [] and not (tmp_path / "db.sqlite3").exists()


def _failure(n: int, reason: str) -> dict:
    return {"id": f"r{n}", "url": f"https://site{n}.example/report.pdf", "reason": reason}


def test_an_offline_build_is_said_once_and_ordinary_dead_links_are_not():
    offline = [_failure(n, f"DNS lookup failed for site{n}.example") for n in range(160)] + [
        {"id": "nolink", "url": None, "reason": "no link"}]
    message = network_outage(offline, without_problems=5)
    assert message.startswith("The last build could not reach the network: 160 of 165 downloads failed the same way "
                              "(dns lookup failed)")
    assert network_outage([_failure(n, "HTTP 404 Not Found") for n in range(160)], 5) is None
    assert network_outage([_failure(n, "connection refused") for n in range(10)], 150) is None
    assert network_outage([_failure(n, "timed out after 30 s") for n in range(3)], 0) is None, "too few to tell"


def test_an_offline_build_is_said_once_on_the_status_page_and_by_the_cli(tmp_path):
    from indexer.build import build
    from indexer.config import Settings
    from support import entry, write_catalog

    settings = Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "cache")
    write_catalog(settings.catalog, [entry(f"r{n}", title=f"Report number {n}", url=f"https://site{n}.invalid/r.pdf")
                                     for n in range(6)])
    build(settings, progress=False, jobs=1)
    page = create_app(settings, TESTING=True).test_client().get("/status").get_data(as_text=True)
    assert page.count("could not reach the network") == 1
    assert "6 of 6 downloads failed the same way (dns lookup failed)" in page
    assert page.count("DNS lookup failed for site") == 5, "the rows stay behind it (the group shows five)"
    printed = CliRunner().invoke(cli, ["--catalog", str(settings.catalog), "--index", str(settings.index_dir),
                                       "status"]).output
    assert printed.count("could not reach the network") == 1


@pytest.mark.parametrize("value, days", [("0", 0), ("7", 7), ("", 30)])
def test_the_query_log_setting(monkeypatch, value, days):
    from indexer.config import Settings

    monkeypatch.setenv("OBSERVATORY_QUERY_LOG_DAYS", value)
    assert Settings.from_env().query_log_days == days


def test_an_unusable_query_log_setting_names_the_variable(monkeypatch):
    from indexer.config import Settings, SettingsError

    monkeypatch.setenv("OBSERVATORY_QUERY_LOG_DAYS", "-1")
    with pytest.raises(SettingsError, match="OBSERVATORY_QUERY_LOG_DAYS='-1' must be a non-negative"):
        Settings.from_env()
