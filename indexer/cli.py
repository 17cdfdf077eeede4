"""The `observatory` command: thin wrappers over build, status, search, add, suggestions and serve."""

from __future__ import annotations

import errno
import json
import re
import sys
from pathlib import Path

import click

from . import synonyms
from .additions import AdditionError, add_record
from .catalog import CONTROL_CHARACTERS, DOCUMENT_TYPES, SECTIONS, CatalogError, load_catalog
from .config import Settings, SettingsError
from .curators import AccountError, CuratorStore
from .extract.captions import clock
from .facets import FACETS
from .fetch import CacheWriteError
from .layout import BuildInProgress, IndexMissing, IndexUnreadable
from .search import InvalidRequest, SearchRequest, SearchService
from .status import GROUPS, network_outage, problem_groups, status_report
from .suggestions import SuggestionError, SuggestionQueue

#: A directory a build cannot write (denied, read-only file system, a file in the way, a full disk): the
#: operator's to fix, so a message naming it, not a traceback.
UNWRITABLE = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.EISDIR,
    errno.ENOSPC,
    errno.EDQUOT,
}


def printable(text) -> str:
    """`text` with every control character but newline and tab written as a JSON-style escape
    (ESC as \\u001b): catalog entries and readers' suggestions are printed to curators' terminals,
    where an escape sequence could rewrite the screen. The escape is valid inside JSON strings too,
    so JSON output parses back to the same text."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", str(text))


def _echo(message="", **kwargs) -> None:
    click.echo(printable(message), **kwargs)


def _secho(message="", **kwargs) -> None:
    click.secho(printable(message), **kwargs)


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


def _fail(message: str, code: int = 1):
    _secho(message, fg="red", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--catalog", type=click.Path(dir_okay=False, path_type=Path), help="Catalog YAML [OBSERVATORY_CATALOG].")
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index directory [OBSERVATORY_INDEX].",
)
@click.option(
    "--cache", type=click.Path(file_okay=False, path_type=Path), help="Download/text cache [OBSERVATORY_CACHE]."
)
@click.pass_context
def cli(ctx, catalog, index_dir, cache):
    """Observatory Search: index the Micro-credential Observatory and search inside its reports."""
    try:
        ctx.obj = Settings.from_env(catalog=catalog, index=index_dir, cache=cache)
    except SettingsError as err:
        _fail(f"setting not valid: {err}", 2)


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild into a fresh index and swap it in atomically.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Extraction worker processes (default: CPU count).")
@click.option(
    "--extractor",
    type=click.Choice(["auto", "pdfium", "pdfminer"]),
    default="auto",
    show_default=True,
    help="PDF engine: PDFium with pdfminer.six as fallback, or one forced.",
)
@click.option(
    "--optimize",
    is_flag=True,
    help="Merge the index into one segment (incremental builds add segments; fewer is faster to search).",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Ask every server, even about fresh downloads, and hash each cached copy a 304 confirms (--full too).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def build(ctx, full, jobs, extractor, optimize, verify, as_json, quiet):
    """Fetch, extract and index what changed in the catalog."""
    from .build import build as run_build

    try:
        report = run_build(
            _settings(ctx),
            full=full,
            jobs=jobs,
            extractor=extractor,
            progress=not quiet,
            optimize=optimize,
            verify=verify,
        )
    except CatalogError as err:
        _fail(f"catalog not valid, index left as it was:\n{err}", 2)
    except synonyms.SynonymsError as err:
        _fail(f"synonyms file not valid, index left as it was:\n{err}", 2)
    except BuildInProgress as err:
        _fail(str(err), 3)
    except CacheWriteError as err:
        _fail(f"build stopped, the live index is unchanged: {err}", 1)
    except OSError as err:
        if err.errno not in UNWRITABLE:
            raise
        _fail(f"cannot write {err.filename or _settings(ctx).index_dir}: {err.strerror}")
    if as_json:
        _echo(json.dumps(report.as_dict(), indent=2))
        return
    if report.rebuilt_because:
        _echo(f"rebuilt in full: {report.rebuilt_because}")
    _echo(
        f"{report.entries} entries: {report.written} written, {report.unchanged} unchanged, "
        f"{report.removed} removed ({'full' if report.full else 'incremental'} build, {report.jobs} jobs)"
    )
    _echo(
        f"{report.full_text} with full text ({report.pages} pages), {report.metadata_only} metadata only; "
        f"{report.requests} requests, {report.fresh} still fresh (not asked), {report.downloads} downloads, "
        f"{report.extractions} extractions; "
        f"{report.seconds:.1f} s"
    )
    if report.failures:
        _echo(f"{len(report.failures)} problem(s): run `observatory status` for the list")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="The report as JSON, with `groups` of problems.")
@click.option("--reason", type=click.Choice([group.reason for group in GROUPS]), help="Only this group's problems.")
@click.pass_context
def status(ctx, as_json, reason):
    """What is indexed, and the curators' to-do list: problems grouped by what fixing them takes."""
    try:
        report = status_report(_settings(ctx))
    except CatalogError as err:
        _fail(str(err), 2)
    if as_json:
        _echo(json.dumps(report, indent=2))
        return
    _echo(f"catalog  {report['catalog']}\nindex    {report['index'] or '(not built)'}")
    _echo(
        f"{report['entries']} entries, {report['indexed']} indexed: {report['full_text']} with full text "
        f"({report['pages']} pages), {report['metadata_only']} metadata only"
    )
    outage = network_outage(report["failures"], report["entries"] - len(report["failures"]))
    if outage:
        click.secho(outage, fg="yellow")
    if report["pending"]:
        _echo(
            f"{len(report['pending'])} not yet built: {', '.join(report['pending'][:10])}"
            + (" …" if len(report["pending"]) > 10 else "")
        )
    for group in problem_groups(report["failures"]):
        if not group["count"] or reason not in (None, group["reason"]):
            continue
        _secho(f"\n{group['label']} ({group['count']})  [--reason {group['reason']}]", bold=True)
        for problem in group["rows"]:
            _echo(
                f"  {problem['id']}: {problem['reason']}  (since {problem['since'] or '?'})"
                + (f"\n    {problem['url']}" if problem["url"] else "")
            )


def _facet_options(command):
    """One repeatable option per facet of `facets.FACETS`, named as its GET parameter."""
    for facet in reversed(FACETS):
        command = click.option(
            f"--{facet.param}", facet.param, multiple=True, help=f"{facet.title} (repeat for several: any of them)."
        )(command)
    return command


def _where(snippet: dict) -> str:
    """A passage's place: its page, or in a recording's transcript the moment (12:34, 1:02:34)."""
    if snippet.get("page"):
        return f"p. {snippet['page']}"
    return clock(snippet["time"]) if snippet.get("time") is not None else "  "


@cli.command()
@click.argument("query", nargs=-1)
@_facet_options
@click.option("--year-from")
@click.option("--year-to")
@click.option("--sort", default="relevance", show_default=True)
@click.option("--page", default="1")
@click.option("--per-page", default=str(SearchRequest.per_page), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Exactly what GET /api/search returns.")
@click.pass_context
def search(ctx, query, year_from, year_to, sort, page, per_page, as_json, **selected):
    """Search the index, with the web app's own search code."""
    args = {
        "q": [" ".join(query)],
        "year_from": [year_from or ""],
        "year_to": [year_to or ""],
        "sort": [sort],
        "page": [page],
        "per_page": [per_page],
        **{param: list(values) for param, values in selected.items()},
    }
    try:
        result = SearchService(_settings(ctx).index_dir).search(SearchRequest.from_args(args))
    except InvalidRequest as err:
        _fail(str(err), 2)
    except (IndexMissing, IndexUnreadable) as err:
        _fail(str(err), 1)
    if as_json:
        _echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    if result["message"]:
        _echo(result["message"])
    _echo(f"{result['total']} result(s), page {result['page']} of {result['pages']}")
    for rank, hit in enumerate(result["results"], start=(result["page"] - 1) * result["per_page"] + 1):
        _echo(f"\n{rank:>3}. {hit['title']} ({hit['year']}) [{hit['id']}]")
        _echo(
            f"     {hit['type_label']} · {', '.join(hit['regions'])}"
            + (f" · {hit['organisation']}" if hit["organisation"] else "")
            + ("" if hit["full_text"] else " · full text unavailable")
        )
        for snippet in hit["snippets"]:
            text = re.sub(r"</?mark>", "**", snippet["html"])
            _echo(f"     {_where(snippet)}: {text}")


def _record_options(command):
    """The curator's metadata of a new record: shared by `add` and `suggestions accept`."""
    options = [
        click.option("--section", type=click.Choice(list(SECTIONS)), required=True),
        click.option("--type", "type_", type=click.Choice(list(DOCUMENT_TYPES)), required=True),
        click.option("--region", "regions", multiple=True, required=True, help="Repeat for several."),
        click.option("--id", "record_id", help="Stable slug (default: from the title and year)."),
        click.option("--organisation"),
        click.option("--jurisdiction"),
        click.option("--language"),
        click.option("--author", "authors", multiple=True, help="Repeat for several, in the publication's order."),
        click.option("--summary"),
        click.option(
            "--added", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date added, YYYY-MM-DD (default: today)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _record_fields(
    title, year, section, type_, regions, record_id, organisation, jurisdiction, language, authors, summary, added
) -> dict:
    return {
        "id": record_id,
        "title": title,
        "year": year,
        "section": section,
        "type": type_,
        "regions": list(regions),
        "jurisdiction": jurisdiction,
        "organisation": organisation,
        "authors": list(authors),
        "summary": summary,
        "language": language,
        "added": added.date() if added else None,
    }


@cli.command()
@click.argument("source")
@click.option("--title", required=True)
@click.option("--year", type=int, required=True)
@_record_options
@click.option("--create", is_flag=True, help="Start a new catalog file if --catalog names none.")
@click.option("--build", "then_build", is_flag=True, help="Build the index right after adding.")
@click.pass_context
def add(ctx, source, create, then_build, **metadata):
    """Add a publication (URL or local file) to the catalog, changing nothing else in the file.

    A local file is copied into files/ beside the catalog. Duplicates (same URL, same file content
    or a near-identical title) are refused with the existing record.
    """
    settings = _settings(ctx)
    try:
        record = add_record(settings.catalog, _record_fields(**metadata), source, create=create)
    except AdditionError as err:
        _fail(str(err), 2)
    _echo(f"added {record.id} to {settings.catalog}")
    if then_build:
        ctx.invoke(build)


@cli.group()
def suggestions():
    """Readers' suggestions from the web form: review them, then accept or reject each.

    Nothing suggested is fetched or indexed until a curator accepts it.
    """


def _queue(ctx: click.Context) -> SuggestionQueue:
    return SuggestionQueue(_settings(ctx).suggestion_db)


@suggestions.command("list")
@click.option(
    "--state", type=click.Choice(["pending", "accepted", "rejected", "all"]), default="pending", show_default=True
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def suggestions_list(ctx, state, as_json):
    """The queue, oldest first."""
    found = _queue(ctx).list(None if state == "all" else state)
    if as_json:
        _echo(json.dumps([s.as_dict() for s in found], indent=2, ensure_ascii=False))
        return
    if not found:
        _echo(f"no {'' if state == 'all' else state + ' '}suggestions")
    for s in found:
        _echo(f"{s.id:>5}  {s.submitted[:10]}  {s.state:8}  {s.title} ({s.year})\n       {s.url}")


@suggestions.command("show")
@click.argument("suggestion_id", type=int)
@click.pass_context
def suggestions_show(ctx, suggestion_id):
    """Every field of one suggestion, the reader's note and e-mail among them."""
    try:
        suggestion = _queue(ctx).get(suggestion_id)
    except SuggestionError as err:
        _fail(str(err), 2)
    for key, value in suggestion.as_dict().items():
        if value is not None:
            _echo(f"{key:10} {value}")


@suggestions.command("accept")
@click.argument("suggestion_id", type=int)
@click.option("--title", help="Correct the suggested title.")
@click.option("--year", type=int, help="Correct the suggested year.")
@_record_options
@click.option("--no-build", is_flag=True, help="Only add to the catalog (build later, e.g. after several).")
@click.pass_context
def suggestions_accept(ctx, suggestion_id, title, year, no_build, **metadata):
    """Add a suggestion to the catalog as `observatory add` does, then build incrementally."""
    settings = _settings(ctx)

    def add(suggestion) -> str:
        fields = _record_fields(title=title or suggestion.title, year=year or suggestion.year, **metadata)
        return add_record(settings.catalog, fields, suggestion.url).id

    try:
        accepted = _queue(ctx).accept(suggestion_id, add)
    except (SuggestionError, AdditionError) as err:
        _fail(str(err), 2)
    _echo(f"accepted suggestion {suggestion_id}: added {accepted.record_id} to {settings.catalog}")
    if not no_build:
        ctx.invoke(build)


@suggestions.command("reject")
@click.argument("suggestion_id", type=int)
@click.option("--reason", required=True, help="Kept with the suggestion, e.g. 'out of scope' or 'duplicate of X'.")
@click.pass_context
def suggestions_reject(ctx, suggestion_id, reason):
    """Close a suggestion without adding it."""
    try:
        _queue(ctx).reject(suggestion_id, reason)
    except SuggestionError as err:
        _fail(str(err), 2)
    _echo(f"rejected suggestion {suggestion_id}")


@cli.group("synonyms")
def synonyms_group():
    """The curators' acronyms and equivalent words: synonyms.yaml beside the catalog."""


@synonyms_group.command("suggest")
@click.option(
    "--min-count",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Only definitions written on at least this many pages.",
)
@click.option("--json", "as_json", is_flag=True, help="Each suggestion with its count and publications.")
@click.pass_context
def synonyms_suggest(ctx, min_count, as_json):
    """Acronyms defined in the indexed text ("Long Form (LF)"), as lines for synonyms.yaml.

    Nothing is applied: a curator copies the right ones into the file, and the next build uses them.
    """
    try:
        found = [s for s in synonyms.suggestions_for(_settings(ctx)) if s.count >= min_count]
    except synonyms.SynonymsError as err:
        _fail(str(err), 2)
    except (IndexMissing, IndexUnreadable) as err:
        _fail(str(err), 1)
    if as_json:
        click.echo(json.dumps([vars(s) for s in found], indent=2, ensure_ascii=False))
        return
    if not found:
        _echo("no acronym definitions found that the synonyms file does not have")
        return
    _echo(
        f"# {len(found)} acronym definition(s) found; copy the right ones under `acronyms:` "
        f"in {synonyms.path_for(_settings(ctx).catalog)}"
    )
    for suggestion in found:
        _echo(synonyms.as_yaml_line(suggestion))


@cli.command()
@click.option("--markdown", is_flag=True, help="The README's 'The collection' tables.")
@click.option(
    "--readme",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rewrite the tables between the collection markers of this file.",
)
@click.pass_context
def collection(ctx, markdown, readme):
    """Counts of the catalog per section, type, region and year."""
    from .collection import summarise, to_markdown

    try:
        summary = summarise(load_catalog(_settings(ctx).catalog))
    except CatalogError as err:
        _fail(str(err), 2)
    if readme:
        start, end = "<!-- collection:start -->\n", "<!-- collection:end -->"
        text = readme.read_text(encoding="utf-8")
        if start not in text or end not in text:
            _fail(f"{readme} has no {start.strip()} ... {end} markers", 2)
        head, rest = text.split(start, 1)
        readme.write_text(
            head + start + to_markdown(summary).strip() + "\n" + end + rest.split(end, 1)[1], encoding="utf-8"
        )
        _echo(f"updated {readme}")
        return
    _echo(to_markdown(summary) if markdown else json.dumps(summary, indent=2, default=str))


# ---------------------------------------------------------------- curator accounts (the /curate screens)


@cli.group()
def curators():
    """Accounts of the curators who sign in at /curate (kept beside the suggestion queue)."""


def _new_password() -> str:
    """Asked twice on a terminal; otherwise the first line of standard input (scripts, provisioning)."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    return sys.stdin.readline().rstrip("\r\n")


def _account(change, ctx) -> None:
    """One change to the accounts; a refused one (unknown name, weak password) is its message and exit 2."""
    try:
        change(CuratorStore(_settings(ctx).suggestion_db))
    except AccountError as err:
        _fail(str(err), 2)


@curators.command("add")
@click.argument("name")
@click.pass_context
def curators_add(ctx, name):
    """Make an account; the password is asked for (twice), or read from standard input."""
    _account(lambda store: store.add(name, _new_password()), ctx)
    _echo(f"added curator {name}: sign in at /curate")


@curators.command("list")
@click.pass_context
def curators_list(ctx):
    """Every account, with when it was made and its password last changed."""
    found = CuratorStore(_settings(ctx).suggestion_db).list()
    if not found:
        _echo("no curators yet: `observatory curators add NAME`")
    for curator in found:
        _echo(f"{curator.name:20}  added {curator.created[:10]}  password changed {curator.changed[:10]}")


@curators.command("remove")
@click.argument("name")
@click.pass_context
def curators_remove(ctx, name):
    """Delete an account; its sessions end at their next request (the audit trail keeps its name)."""
    _account(lambda store: store.remove(name), ctx)
    _echo(f"removed curator {name}")


@curators.command("passwd")
@click.argument("name")
@click.pass_context
def curators_passwd(ctx, name):
    """Set a new password (asked twice, or read from standard input); every session of the account ends."""
    _account(lambda store: store.set_password(name, _new_password()), ctx)
    _echo(f"changed the password of {name}")


def main():
    """The `observatory` command without the web app's `serve` (`webapp.cli.main` has every command)."""
    cli(prog_name="observatory")
