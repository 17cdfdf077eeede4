"""Adding a record changes nothing in the catalog but the new record, and refuses duplicates."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from indexer.additions import AdditionError, DuplicateRecord, add_record, render_entry
from indexer.catalog import load_catalog, resolve_path
from support import REAL_CATALOG, entry, make_pdf, write_catalog


FIELDS = {"title": "Micro-credentials and the recognition of prior learning across the European Higher "
                   "Education Area: a review of twelve national approaches, with recommendations",
          "year": 2024, "section": "report", "type": "report", "regions": ["Europe", "Ireland"],
          "organisation": "European University Association", "authors": ["Anna Kovács", "Seán Ó Briain"],
          "summary": "Compares how twelve systems count micro-credentials: credit, levels and \"stacking\".",
          "added": dt.date(2024, 3, 5)}


@pytest.fixture
def real_catalog(tmp_path) -> Path:
    path = tmp_path / "corpus" / "catalog.yaml"
    path.parent.mkdir()
    shutil.copyfile(REAL_CATALOG, path)
    return path


def test_adding_to_the_real_catalog_changes_nothing_but_the_appended_record(real_catalog):
    before = real_catalog.read_bytes()
    record = add_record(real_catalog, FIELDS, "https://example.org/eua/rpl-review.pdf")
    after = real_catalog.read_bytes()
    assert after.startswith(before)
    appended = after[len(before):].decode()
    assert appended == "\n" + render_entry({**FIELDS, "id": record.id, "url": "https://example.org/eua/rpl-review.pdf"})
    assert appended.splitlines()[1:4] == [
        "- id: micro-credentials-and-the-recognition-of-prior-learning-2024",
        f'  title: "{FIELDS["title"]}"',  # one line, however long, as the catalog writes titles
        "  year: 2024"]
    assert '  regions: ["Europe", "Ireland"]' in appended and '  authors: ["Anna Kovács", "Seán Ó Briain"]' in appended
    records = load_catalog(real_catalog)
    assert records[-1] == record and len(records) == len(load_catalog(REAL_CATALOG)) + 1
    assert (record.authors, record.summary, record.added) == (("Anna Kovács", "Seán Ó Briain"), FIELDS["summary"],
                                                              dt.date(2024, 3, 5))


def test_a_rendered_entry_reads_back_as_the_same_values():
    tricky = {"id": "x-2023", "title": "Yes: 'no' # not a comment, \"quoted\" - 2023", "year": 2023,
              "section": "article", "type": "commentary", "regions": ["Côte d'Ivoire"], "link": "missing",
              "organisation": "null", "authors": ["O'Neil, J."]}
    import yaml
    assert yaml.safe_load(render_entry(tricky)) == [tricky]


def test_a_local_file_is_copied_beside_the_catalog_and_recorded_relative(tmp_path):
    catalog = tmp_path / "corpus" / "catalog.yaml"
    write_catalog(catalog, [entry("existing")])
    source = tmp_path / "downloads" / "Report.PDF"
    source.parent.mkdir()
    source.write_bytes(make_pdf(["Local report"]))
    record = add_record(catalog, {**FIELDS, "id": "local-report-2024"}, str(source))
    assert record.path == "files/local-report-2024.pdf"
    copy = catalog.parent / "files" / "local-report-2024.pdf"
    assert copy.read_bytes() == source.read_bytes() and source.exists()
    assert resolve_path(load_catalog(catalog)[-1], catalog) == copy


@pytest.mark.parametrize("url", ["https://Example.ORG/reports/nz.pdf/", "https://example.org/reports/nz.pdf"])
def test_a_duplicate_url_is_refused_up_to_host_case_and_trailing_slash(tmp_path, url):
    catalog = tmp_path / "catalog.yaml"
    write_catalog(catalog, [entry("nz-report", title="NZ report", url="https://example.org/reports/nz.pdf")])
    before = catalog.read_bytes()
    with pytest.raises(DuplicateRecord, match="same URL.*nz-report \u2014 NZ report") as err:
        add_record(catalog, {**FIELDS}, url)
    assert err.value.existing.id == "nz-report"
    assert catalog.read_bytes() == before


def test_a_duplicate_file_content_is_refused_and_nothing_is_copied(tmp_path):
    catalog = tmp_path / "corpus" / "catalog.yaml"
    (tmp_path / "corpus" / "files").mkdir(parents=True)
    body = make_pdf(["Same bytes"])
    (tmp_path / "corpus" / "files" / "kept.pdf").write_bytes(body)
    write_catalog(catalog, [entry("kept", title="Kept", path="files/kept.pdf")])
    (tmp_path / "renamed.pdf").write_bytes(body)
    before = catalog.read_bytes()
    with pytest.raises(DuplicateRecord, match="same file content.*kept \u2014 Kept"):
        add_record(catalog, {**FIELDS}, str(tmp_path / "renamed.pdf"))
    assert catalog.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "corpus" / "files").iterdir()) == ["kept.pdf"]


def test_a_near_identical_title_is_refused_but_a_different_one_is_not(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    write_catalog(catalog, [entry("guide", title="The Micro-credential Users' Guide", link="missing")])
    with pytest.raises(DuplicateRecord, match="title .*similar.*guide"):
        add_record(catalog, {**FIELDS, "title": "The Micro-Credential Users Guide"}, "https://example.org/g")
    add_record(catalog, {**FIELDS, "title": "The Micro-credential Providers' Guide"}, "https://example.org/p")
    assert [r.id for r in load_catalog(catalog)][-1] == "the-micro-credential-providers-guide-2024"


def test_an_invalid_catalog_is_reported_and_left_alone(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("- id: Bad Id\n  title: x\n")
    with pytest.raises(AdditionError, match="(?s)catalog is invalid.*Bad Id"):
        add_record(catalog, FIELDS, "https://example.org/x.pdf")
    assert catalog.read_text() == "- id: Bad Id\n  title: x\n"


def test_a_missing_catalog_is_refused_unless_asked_to_create_it(tmp_path):
    catalog = tmp_path / "new" / "catalog.yaml"
    with pytest.raises(AdditionError, match="no such catalog.*--create"):
        add_record(catalog, FIELDS, "https://example.org/x.pdf")
    assert not catalog.parent.exists()
    record = add_record(catalog, FIELDS, "https://example.org/x.pdf", create=True)
    assert load_catalog(catalog) == [record]
