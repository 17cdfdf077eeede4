"""The catalog format: what curators may write, and how mistakes are reported."""
from pathlib import Path

import pytest

from indexer.catalog import CatalogError, load_catalog, resolve_path
from support import entry, write_catalog


def problems_of(tmp_path: Path, entries) -> list[str]:
    path = tmp_path / "catalog.yaml"
    write_catalog(path, entries)
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert str(path) in str(err.value), "the message names the file"
    return err.value.problems


def test_a_valid_catalog_loads_every_record(tmp_path):
    path = tmp_path / "catalog.yaml"
    write_catalog(path, [entry("a", url="https://example.org/a.pdf", jurisdiction="Ontario", regions=["Canada"]),
                         entry("b", path="files/b.pdf", language="es", added="2023-05-02"),
                         entry("c")])
    records = load_catalog(path)
    assert [r.id for r in records] == ["a", "b", "c"]
    assert records[0].source == "https://example.org/a.pdf" and records[1].source == "files/b.pdf"
    assert records[2].source is None and records[2].link == "missing"


@pytest.mark.parametrize("field, value, expected", [
    ("year", "twenty", "field 'year': must be a four-digit year"),
    ("year", 1850, "field 'year': 1850 is not a plausible year"),
    ("section", "blog", "field 'section'"),
    ("type", "pamphlet", "field 'type': 'pamphlet' is not a document type"),
    ("regions", ["Atlantis"], "field 'regions': unknown region(s) 'Atlantis'"),
    ("language", "english", "field 'language': 'english' is not an ISO 639-1"),
    ("url", "ftp://example.org/x.pdf", "field 'url': 'ftp://example.org/x.pdf' is not an http(s) URL"),
    ("colour", "blue", "field 'colour': unknown field"),
    ("id", "Not A Slug", "field 'id': must be a lower-case slug"),
])
def test_each_kind_of_mistake_names_the_entry_and_the_field(tmp_path, field, value, expected):
    bad = entry("bad-one", url="https://example.org/x.pdf")
    bad[field] = value
    problems = problems_of(tmp_path, [entry("fine"), bad])
    assert len(problems) == 1
    assert problems[0].startswith("entry 2")
    assert expected in problems[0]


def test_missing_required_fields_are_each_reported(tmp_path):
    problems = problems_of(tmp_path, [{"id": "x", "title": "T"}])
    fields = {p.split("field '")[1].split("'")[0] for p in problems}
    assert {"year", "section", "type", "regions"} <= fields
    assert all("is required" in p for p in problems if "year" in p)


def test_duplicate_ids_and_sources_are_refused(tmp_path):
    problems = problems_of(tmp_path, [entry("same", url="https://e.org/1.pdf"),
                                      entry("same", url="https://e.org/2.pdf"),
                                      entry("other", url="https://e.org/1.pdf")])
    assert any("entry 2 (id 'same'): field 'id': duplicate of entry 1" in p for p in problems)
    assert any("entry 3 (id 'other'): field 'url': same source as entry 1" in p for p in problems)


def test_a_record_needs_exactly_one_source(tmp_path):
    problems = problems_of(tmp_path, [entry("both", url="https://e.org/a.pdf", path="a.pdf")])
    assert "give exactly one of url, path or 'link: missing'" in problems[0]


def test_all_problems_of_a_file_are_reported_at_once(tmp_path):
    problems = problems_of(tmp_path, [entry("a", year="x"), entry("b", type="nope"), "just a string"])
    assert len(problems) == 3
    assert problems[2].startswith("entry 3: must be a mapping")


def test_broken_yaml_and_a_missing_file_are_clear_errors(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("- id: a\n  title: [unclosed\n")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(path)
    with pytest.raises(CatalogError, match="file not found"):
        load_catalog(tmp_path / "nope.yaml")


def test_metadata_hash_changes_only_with_metadata(tmp_path):
    path = tmp_path / "catalog.yaml"
    write_catalog(path, [entry("a"), entry("b")])
    first = {r.id: r.metadata_hash() for r in load_catalog(path)}
    write_catalog(path, [entry("a", title="A new title"), entry("b")])
    second = {r.id: r.metadata_hash() for r in load_catalog(path)}
    assert first["a"] != second["a"] and first["b"] == second["b"]


# --- hostile catalogs --------------------------------------------------------------------------

BILLION_LAUGHS = """\
- id: laughs
  title: Laughs
  section: report
  type: report
  regions: [Ireland]
  link: missing
  year: &l9 [&l8 [&l7 [&l6 [&l5 [&l4 [&l3 [&l2 [&l1 [&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol],
        *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0], *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1],
        *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2], *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3],
        *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4], *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5],
        *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6], *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7],
        *l8, *l8, *l8, *l8, *l8, *l8, *l8, *l8]
"""


def test_nested_yaml_aliases_are_refused_without_being_expanded(tmp_path):
    """9^10 'lol's if anything walked the value; refused by looking at each object once."""
    path = tmp_path / "catalog.yaml"
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert err.value.problems == ["entry 1 (id 'laughs'): field 'year': YAML aliases (*name) are not allowed "
                                  "in the catalog; write the value out"]


def test_an_entry_that_is_an_alias_of_another_is_refused(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("- &first {id: a, title: A, year: 2022, section: report, type: report, regions: [Ireland], "
                    "link: missing}\n- *first\n")
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert err.value.problems == ["entry 2 (id 'a'): must be a mapping of field: value, not a YAML alias of another entry"]


HOSTILE_VALUES = [[["Canada"]], {"name": "Canada"}, [{"a": 1}], 12, 3.5, True, "x" * 100_000]


@pytest.mark.parametrize("field", ["id", "title", "year", "section", "type", "regions", "jurisdiction", "organisation",
                                   "authors", "summary", "language", "url", "path", "link", "added"])
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=["nested-list", "mapping", "list-of-mappings", "int", "float",
                                                       "bool", "huge-string"])
def test_a_wrong_type_in_any_field_is_a_clear_problem_naming_entry_and_field(tmp_path, field, value):
    bad = entry("bad-one")
    bad.pop("link")
    bad[field] = value
    if field not in ("url", "path", "link"):
        bad["link"] = "missing"
    problems = problems_of(tmp_path, [entry("fine"), bad])
    assert problems and all(p.startswith("entry 2") and f"field '{field}" in p for p in problems), problems
    assert all(len(p) < 600 for p in problems), "a hostile value is shown shortened, if at all"


def test_nested_regions_name_the_field(tmp_path):
    problems = problems_of(tmp_path, [entry("nested", regions=[["Canada"]])])
    assert problems == ["entry 1 (id 'nested'): field 'regions': must be a list of region names"]


@pytest.fixture
def corpus(tmp_path):
    """A catalog folder with one file inside and one secret beside it."""
    (tmp_path / "corpus" / "files").mkdir(parents=True)
    (tmp_path / "corpus" / "files" / "inside.txt").write_text("public")
    (tmp_path / "secret.txt").write_text("private")
    return tmp_path / "corpus"


@pytest.mark.parametrize("given", ["../secret.txt", "files/../../secret.txt", "{root}/secret.txt", "files/link.txt",
                                   "/etc/passwd"])
def test_local_paths_outside_the_catalog_folder_are_refused(corpus, given):
    (corpus / "files" / "link.txt").symlink_to(corpus.parent / "secret.txt")
    path = given.format(root=corpus.parent)
    catalog = corpus / "catalog.yaml"
    write_catalog(catalog, [entry("leak", path=path)])
    with pytest.raises(CatalogError) as err:
        load_catalog(catalog)
    assert err.value.problems == [f"entry 1 (id 'leak'): field 'path': {path!r} leads outside the catalog's "
                                  f"folder {corpus.resolve()}"]


def test_local_paths_inside_the_catalog_folder_resolve_there(corpus):
    (corpus / "files" / "alias.txt").symlink_to(corpus / "files" / "inside.txt")
    catalog = corpus / "catalog.yaml"
    write_catalog(catalog, [entry("relative", path="files/inside.txt"), entry("linked", path="files/alias.txt"),
                            entry("absolute", path=str(corpus / "files" / "inside.txt"))])
    records = load_catalog(catalog)
    assert {resolve_path(record, catalog) for record in records} == {(corpus / "files" / "inside.txt").resolve()}


# ---------------------------------------------------------------- hostile text (issue 18, point 3)


@pytest.mark.parametrize("field, value", [
    ("title", "Badges\x1b]0;owned\x07 and \x1b[2J"),  # an xterm title change and a cleared screen
    ("title", "A title with a NUL\x00 in it"),
    ("title", "A C1 control \x9b31m"),
    ("organisation", "Tab\there"),
    ("authors", ["Ann Author", "Bob\nBobson"]),
    ("summary", "A summary\x0c with a form feed"),
])
def test_control_characters_are_refused_naming_the_entry_and_field(tmp_path, field, value):
    [problem] = problems_of(tmp_path, [entry("hostile", **{field: value})])
    assert problem.startswith(f"entry 1 (id 'hostile'): field '{field}': contains the control character U+")


def test_tabs_and_newlines_are_allowed_in_a_summary(tmp_path):
    path = tmp_path / "catalog.yaml"
    write_catalog(path, [entry("fine", summary="First paragraph.\n\n\tSecond, indented.")])
    assert load_catalog(path)[0].summary.endswith("\tSecond, indented.")


def test_an_impossible_date_is_a_message_and_other_problems_are_still_listed(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("- {id: a, title: A, year: 2022, section: report, type: report, regions: [Ireland],"
                    " link: missing, added: 2023-02-30}\n"
                    "- {id: b, title: B, year: 1850, section: report, type: report, regions: [Ireland], link: missing}\n")
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert err.value.problems[0].startswith("entry 1 (id 'a'): field 'added': ")
    assert err.value.problems[1].startswith("entry 2 (id 'b'): field 'year': 1850 is not a plausible year")


def test_a_file_that_is_not_utf8_names_the_line_and_the_fields_and_hides_nothing(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_bytes("- {id: a, title: \"Caf\xe9\", year: 2022, section: report, type: report, regions: [Ireland],"
                     " link: missing}\n- {id: b, title: B, year: 2022, section: blog, type: report, regions: [Ireland],"
                     " link: missing}\n".encode("latin-1"))
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert str(path) in str(err.value)
    assert err.value.problems[0] == "line 1: byte 0xE9 is not UTF-8 (save the file as UTF-8)"
    assert err.value.problems[1] == ("entry 1 (id 'a'): field 'title': contains bytes that are not UTF-8 "
                                     "(save the catalog as UTF-8)")
    assert err.value.problems[2].startswith("entry 2 (id 'b'): field 'section'")


@pytest.mark.parametrize("field, value", [("title", "T" * 1_001), ("summary", "s" * 20_001),
                                          ("authors", ["A" * 301]), ("authors", ["A"] * 201)])
def test_text_fields_have_length_limits(tmp_path, field, value):
    [problem] = problems_of(tmp_path, [entry("long", **{field: value})])
    assert problem.startswith(f"entry 1 (id 'long'): field '{field}': ")
    assert "at most" in problem


def test_the_year_rule_is_one_function_for_the_catalog_and_the_form():
    from indexer.catalog import EARLIEST_YEAR, latest_year, year_problem

    assert year_problem(EARLIEST_YEAR) is None and year_problem(latest_year()) is None
    assert year_problem(EARLIEST_YEAR - 1) == f"{EARLIEST_YEAR - 1} is not a plausible year ({EARLIEST_YEAR}-{latest_year()})"
