"""Documentation is tested like code: the README's generated parts and its lists must stay true."""
from pathlib import Path

from click.testing import CliRunner

from indexer.catalog import DOCUMENT_TYPES, SECTIONS, load_catalog
from webapp.cli import cli
from indexer.collection import summarise, to_markdown
from indexer.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def test_the_collection_section_is_generated_from_the_catalog():
    start, end = "<!-- collection:start -->\n", "<!-- collection:end -->"
    section = README.split(start, 1)[1].split(end, 1)[0]
    expected = to_markdown(summarise(load_catalog(PROJECT_ROOT / "corpus" / "catalog.yaml")))
    assert section.strip() == expected.strip(), "run: make readme"


def test_every_command_and_vocabulary_value_is_documented():
    for name in cli.commands:
        assert f"`observatory {name}" in README, name
    for value in [*DOCUMENT_TYPES, *SECTIONS]:
        assert f"`{value}`" in README, value
    for variable in ("OBSERVATORY_CATALOG", "OBSERVATORY_INDEX", "OBSERVATORY_CACHE"):
        assert variable in README


def test_the_readme_commands_exist():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "\nrun:" in makefile and "\ntest:" in makefile
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
