"""Documentation is tested like code: the README's generated parts, its lists of commands, options,
settings and routes, and its JSON shape are checked against the code they describe, both ways
(an undocumented option fails, and so does a documented one that does not exist)."""
from __future__ import annotations

import re

import click
import pytest

from indexer.build import build
from indexer.catalog import DOCUMENT_TYPES, SECTIONS, load_catalog
from indexer.collection import summarise, to_markdown
from indexer.compare import CompareRequest, compare, facet_by
from indexer.config import Settings
from indexer.search import SearchRequest, SearchService
from support import PROJECT, REAL_CATALOG, entry, write_catalog
from webapp import create_app
from webapp.cli import cli

README = (PROJECT / "README.md").read_text(encoding="utf-8")
#: Where commands are shown to users; each must name only commands and options that exist.
DOCS = {"README.md": README, "docs/CURATORS.md": (PROJECT / "docs" / "CURATORS.md").read_text(encoding="utf-8")}


def commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    """(path, command) for every command and subcommand of `observatory`, e.g. ("suggestions", "list")."""
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def options(command: click.Command) -> set[str]:
    return {opt for param in command.params if isinstance(param, click.Option)
            for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--")}


def usages(text: str):
    """Each place a text shows an `observatory ...` command line (inline code or a code block line):
    (the command path it names, the --options it uses), or (None, words) for an unknown command."""
    spans = re.findall(r"`([^`\n]+)`", text) + [line for block in re.findall(r"```\w*\n(.*?)```", text, re.S)
                                                  for line in block.splitlines()]
    for span in spans:
        for shown in re.findall(r"(?:^|[\s/])observatory\s+(.+)", span):
            command, path, takes_value = cli, (), False
            for word in shown.split():
                if not isinstance(command, click.Group) or word.startswith("-") or takes_value:
                    takes_value = word in options(cli)  # a global option's value follows it
                    continue
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                if word not in command.commands:
                    yield None, shown
                    break
                command, path = command.commands[word], (*path, word)
            yield path, set(re.findall(r"--[a-z][a-z-]*", shown))


def test_the_collection_section_is_generated_from_the_catalog():
    start, end = "<!-- collection:start -->\n", "<!-- collection:end -->"
    section = README.split(start, 1)[1].split(end, 1)[0]
    expected = to_markdown(summarise(load_catalog(REAL_CATALOG)))
    assert section.strip() == expected.strip(), "run: make readme"


@pytest.mark.parametrize("path, command", list(commands()), ids=lambda value: " ".join(value)
                         if isinstance(value, tuple) else "")
def test_every_command_and_its_options_are_documented(path, command):
    documented = set().union(*(shown for where, shown in usages(README) if where == path))
    assert f"`observatory {' '.join(path)}" in README, f"observatory {' '.join(path)} is not in the README"
    assert options(command) - documented == set(), f"options of observatory {' '.join(path)} missing"


def test_the_global_options_are_documented():
    for option in options(cli):
        assert f"`{option} " in README or f"`{option}`" in README, option


@pytest.mark.parametrize("name", DOCS)
def test_documented_commands_and_options_exist(name):
    known, shown_here = dict(commands()), list(usages(DOCS[name]))
    assert shown_here, f"{name} shows no command line any more: is the pattern still right?"
    for path, shown in shown_here:
        assert path is not None, f"{name} shows a command that does not exist: observatory {shown}"
        command = known[path] if path else cli
        assert shown - options(command) - options(cli) - {"--help"} == set(), \
            f"{name}: observatory {' '.join(path)} has no such option"


def test_every_setting_is_documented_and_every_documented_one_exists():
    in_code = {name for module in [*(PROJECT / "indexer").rglob("*.py"), *(PROJECT / "webapp").rglob("*.py")]
               for name in re.findall(r"OBSERVATORY_[A-Z][A-Z_]*[A-Z]", module.read_text(encoding="utf-8"))}
    documented = {name for text in DOCS.values() for name in re.findall(r"OBSERVATORY_[A-Z][A-Z_]*[A-Z]", text)}
    assert "OBSERVATORY_HTTP_TIMEOUT" in in_code
    assert {name for name in in_code if f"`{name}`" not in README} == set(), "add them to the settings table"
    assert documented - in_code == set()


def test_every_route_is_documented(tmp_path):
    app = create_app(Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index",
                                       cache=tmp_path / "cache"))
    rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert "/api/search" in rules
    for rule in rules:
        # Flask's `<int:number>` is documented as `<n>`; `.<any(csv, ris, bib):fmt>` as `.csv` etc.
        pattern = re.sub(r"\\\.<any\\\(([^:]+)\\\):\w+>", lambda m: r"\.(" + m[1].replace(r",\ ", "|") + ")",
                         re.escape(rule))
        pattern = re.sub(r"<[^>]+>", "<[^>]+>", pattern.replace(r"\<", "<").replace(r"\>", ">"))
        assert re.search(rf"`(GET |POST )?{pattern}[`?]", README), f"route {rule} is not in the README"


def test_every_vocabulary_value_is_documented():
    for value in [*DOCUMENT_TYPES, *SECTIONS]:
        assert f"`{value}`" in README, value


def json_block() -> str:
    return README.split("The JSON of `/api/search`", 1)[1].split("```", 2)[1]


def keys_in(text: str) -> set[str]:
    return set(re.findall(r'"(\w+)"', text))


@pytest.fixture
def one_record_index(tmp_path) -> Settings:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("Stackable micro-credentials across Europe.")
    settings = Settings.from_env(catalog=tmp_path / "catalog.yaml", index=tmp_path / "index",
                                 cache=tmp_path / "cache")
    write_catalog(settings.catalog, [entry("a", path="files/a.txt", organisation="OECD", language="fr",
                                           added="2024-01-02")])
    build(settings, progress=False, jobs=1)
    return settings


def test_the_documented_json_shape_is_what_a_search_returns(one_record_index):
    result = SearchService(one_record_index.index_dir).search(SearchRequest(q="stackable"))

    [hit] = result["results"]
    [snippet] = hit["snippets"]
    facet_values = [value for values in result["facets"].values() for value in values]
    shown = json_block()
    results_part, facets_part = shown.split('"results"', 1)[1].split('"facets"', 1)
    assert keys_in(shown.split('"results"', 1)[0]) | {"results", "facets"} == set(result)
    assert keys_in(results_part) - {"page", "time", "html"} == set(hit)
    assert set(snippet) == {"page", "time", "html"}
    assert keys_in(facets_part) == set(result["facets"]) | set().union(*map(set, facet_values))


def test_the_documented_compare_shape_is_what_a_comparison_returns(one_record_index):
    data = compare(SearchService(one_record_index.index_dir), CompareRequest(SearchRequest(q="stackable"),
                                                                             facet_by("region")))

    [group] = data["groups"]
    [row] = group["rows"]
    [passage] = row["passages"]
    shown = README.split("The JSON of `/api/compare`", 1)[1].split("```", 2)[1]
    top, groups_part = shown.split('"groups"', 1)
    group_part, rows_part = groups_part.split('"rows"', 1)
    row_part, passage_part = rows_part.split('"passages"', 1)
    assert keys_in(top) | {"groups"} == set(data)
    assert keys_in(group_part) | {"rows"} == set(group)
    assert keys_in(row_part) | {"passages"} == set(row)
    assert keys_in(passage_part) == set(passage)
