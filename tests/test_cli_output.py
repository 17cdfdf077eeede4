"""What the `observatory` command prints never carries a control character to the curator's terminal."""
from __future__ import annotations

import json

from click.testing import CliRunner

from indexer.catalog import CONTROL_CHARACTERS
from indexer.cli import cli, printable
from indexer.config import Settings
from indexer.suggestions import SuggestionQueue

HOSTILE = "Badges\x1b]0;owned\x07\x1b[2J\x9b31m and \r more"


def _run(settings: Settings, *args: str):
    return CliRunner().invoke(cli, ["--catalog", str(settings.catalog), "--index", str(settings.index_dir),
                                    "--cache", str(settings.cache_dir), *args])


def test_suggestions_show_and_list_escape_control_characters(tmp_path):
    settings = Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "c")
    queue = SuggestionQueue(settings.suggestion_db)
    number = queue.submit(title=HOSTILE, url="https://example.org/x", year=2022, note="line one\nline two\x1b[A")
    for args in (("suggestions", "show", str(number)), ("suggestions", "list")):
        result = _run(settings, *args)
        assert result.exit_code == 0, result.output
        assert not CONTROL_CHARACTERS.search(result.output), args
        assert "Badges\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m and \\u000d more" in result.output
    shown = _run(settings, "suggestions", "show", str(number)).output
    assert "line one\nline two\\u001b[A" in shown, "newlines stay newlines"
    listed = _run(settings, "suggestions", "list", "--json").output
    assert not CONTROL_CHARACTERS.search(listed)
    assert json.loads(listed)[0]["title"] == HOSTILE, "escaped JSON parses back to the same text"


def test_printable_keeps_ordinary_text():
    assert printable("Café — naïve\tcolumns\nlines") == "Café — naïve\tcolumns\nlines"


def test_accepting_a_suggestion_with_control_characters_is_refused_and_leaves_the_catalog(tmp_path):
    settings = Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index", cache=tmp_path / "c")
    settings.catalog.write_text("[]\n")
    number = SuggestionQueue(settings.suggestion_db).submit(title=HOSTILE, url="https://example.org/x", year=2022)
    result = _run(settings, "suggestions", "accept", str(number), "--section", "report", "--type", "report",
                  "--region", "Ireland", "--no-build")
    assert result.exit_code != 0
    assert "field 'title': contains the control character U+001B" in result.output
    assert not CONTROL_CHARACTERS.search(result.output)
    assert settings.catalog.read_text() == "[]\n"
