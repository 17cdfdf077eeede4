"""What readers looked for and did not find: a count per normalised query per day.

Nothing else is stored (no address, no cookie, no time of day), and days older than the kept window
are deleted at the next write, so the table is a short to-do list of gaps in the collection, not a
record of who searched for what. `days=0` turns it off.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .database import Database
from .search import SearchRequest, SearchService

#: A query longer than this is cut: the list is for reading, and nobody's essay belongs in it.
MAX_QUERY = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS zero_results (
    day   TEXT NOT NULL,
    query TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, query)
);
"""


def normalise(query: str) -> str:
    """Case, Unicode forms and spacing do not make two searches different."""
    text = unicodedata.normalize("NFKC", query).casefold()
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUERY]


@dataclass(frozen=True)
class Gap:
    query: str
    count: int
    last_day: str


class QueryLog(Database):
    schema = _SCHEMA

    def __init__(self, path, days: int):
        super().__init__(path)
        self.days = days

    def _first_kept_day(self, today: dt.date) -> str:
        return (today - dt.timedelta(days=self.days - 1)).isoformat()

    def record(self, query: str, today: dt.date | None = None) -> None:
        query = normalise(query)
        if not self.days or not query:
            return
        today = today or dt.datetime.now(dt.UTC).date()
        with self._write() as connection:
            connection.execute(
                "INSERT INTO zero_results VALUES (?, ?, 1) ON CONFLICT (day, query) DO UPDATE SET count = count + 1",
                (today.isoformat(), query),
            )
            connection.execute("DELETE FROM zero_results WHERE day < ?", (self._first_kept_day(today),))

    def gaps(self, today: dt.date | None = None, limit: int = 100) -> list[Gap]:
        """The kept days' queries, most often asked first."""
        if not self.days:
            return []
        today = today or dt.datetime.now(dt.UTC).date()
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT query, SUM(count) AS count, MAX(day) AS last_day FROM zero_results WHERE day >= ? "
                "GROUP BY query ORDER BY count DESC, last_day DESC, query LIMIT ?",
                (self._first_kept_day(today), limit),
            ).fetchall()
        return [Gap(**row) for row in rows]


class LoggedSearchService(SearchService):
    """A SearchService that counts the reader's queries answered with nothing, spelling help included.

    `typed` says what the reader typed in the request being answered (None outside a reader's request):
    only that query is counted, when its words found nothing in the whole collection (a filtered search
    that finds nothing is a narrowing, not a gap; the search page's own unfiltered try of the words
    says whether they are), so exports, trends' extra series and the CLI never are.
    """

    def __init__(self, index_dir, log: QueryLog, typed: Callable[[], str | None]):
        super().__init__(index_dir)
        self.log, self.typed = log, typed

    def search(self, req: SearchRequest, snippets: bool = True, correct: bool = True) -> dict:
        data = super().search(req, snippets, correct)
        if (
            not data["total"]
            and req.q
            and req.page == 1
            and not req.filtered
            and normalise(self.typed() or "") == normalise(req.q)
        ):
            self.log.record(req.q)
        return data
