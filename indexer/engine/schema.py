"""What the files of a version hold: the two Whoosh schemas, and `indexer.analysis` as Whoosh analyzers.

Each index version holds two Whoosh indexes: `pubs`, one document per publication for ranking and
facets, and `pages`, one per page for "where in the report" and snippets.
"""

from __future__ import annotations

from pathlib import Path

from whoosh import columns, formats, index
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .. import analysis

#: What the files of a version look like. 2: pages carry pre-analysed text plus the raw page.
#: 3: stored records hold the curator's metadata only (labels and build state come from elsewhere).
#: 4: title, metadata and text searched as one field `text`.
#: 5: pages of a recording's transcript store the second they start at (`time`).
#: 6: analysers are `indexer.analysis` behind the adapters below; word parts share a position.
#: 7: the publications' `text` keeps term vectors (frequencies), which feedback reads.
#: 8: pages keep their index terms in a column (`terms`), which phrase checks read.
SCHEMA_VERSION = 8
SCHEMA = f"{SCHEMA_VERSION}.{analysis.ANALYSIS_VERSION}"

#: The field plain words are searched in: title, curated metadata and full text as one field, so
#: a word is scored once with its frequencies added before BM25's saturation (BM25F with weights
#: of 1). Scoring title and text as separate fields and adding the scores counts a title word
#: twice (a report prints its title on its first page) and beat documents about the topic with
#: documents whose title merely names it. `title:` still searches titles alone.
DEFAULT_FIELD = "text"


class Analyzed(Tokenizer):
    """`analysis.tokens` as a Whoosh analyzer; a compound's part takes the compound's position.

    `for_queries`: the query's stop words (question words too) and no parts. A quoted phrase (the
    only text Whoosh's parser tokenizes with `chars`) keeps the question words, as the index does:
    "an algebra of its programs" must keep "its" to match the text it was copied from.
    """

    def __init__(self, for_queries: bool = False):
        self.for_queries = for_queries

    def __eq__(self, other):
        return type(other) is type(self) and other.for_queries == self.for_queries

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        stop = analysis.QUERY_STOP_WORDS if self.for_queries and not chars else analysis.STOP_WORDS
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not kwargs.get("tokenize", True):  # a wildcard's or range's text: one word, folded, unstemmed
            token.text, token.boost, token.stopped = analysis.fold(value), 1.0, False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        pos = start_pos - 1
        for found in analysis.tokens(value, stop, parts=not self.for_queries):
            pos += not found.part
            token.text, token.boost, token.stopped = found.term, 1.0, False
            if keeporiginal:
                token.original = found.surface
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start_char + found.start, start_char + found.end
            yield token


class PreAnalyzed(Tokenizer):
    """Text as `analysis.index_terms` writes it: terms split at spaces, a part (PART_MARK first) at
    the position of the term before it.

    Body and page texts reach the writer already analysed (in the extraction worker processes):
    the single writing process then only splits them. Analysis was 40% of a build and every page
    was analysed twice (publication body and page).
    """

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos, offset = start_pos - 1, start_char
        for word in value.split(" "):
            if not word:
                offset += 1
                continue
            part = word.startswith(analysis.PART_MARK)
            pos += not part
            token.text, token.boost, token.stopped = word.lstrip(analysis.PART_MARK), 1.0, False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = offset, offset + len(word)
            offset += len(word) + 1
            yield token


def pubs_schema(for_queries: bool = False) -> Schema:
    """`for_queries`: the schema the query parser analyses user words with (all fields alike)."""
    analyzer = Analyzed(for_queries)
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, multitoken_query="and"),
        # Term vectors (frequencies only): the words of the best first-pass matches, which
        # feedback (`feedback`) reads without analysing their text again.
        text=TEXT(
            analyzer=analyzer if for_queries else PreAnalyzed(), multitoken_query="and", vector=formats.Frequency()
        ),
        title_sort=ID(sortable=True),
        year=NUMERIC(int, bits=32, stored=True, sortable=True),
        regions=KEYWORD(stored=True, commas=True, lowercase=False),
        type=ID(stored=True),
        section=ID(stored=True),
        record=STORED(),
    )


def pages_schema() -> Schema:
    return Schema(
        pub_id=ID(stored=True, sortable=True),
        page=NUMERIC(int, stored=True, sortable=True),
        # No positions: pages are found by their words, and leaving positions out makes the
        # largest part of a build ~1.7x faster. A phrase's pages are the candidates whose index
        # terms, kept compressed in a column of their own, hold it: reading them is ~20x cheaper
        # than reading and analysing each candidate's text again.
        text=TEXT(analyzer=PreAnalyzed(), phrase=False),
        terms=COLUMN(columns.CompressedBytesColumn()),
        raw=STORED(),
        time=STORED(),  # transcripts: the second the page (a window of captions) starts at; page is 0
    )


def create(version: Path) -> None:
    """Empty indexes in a new version directory."""
    index.create_in(str(version), pubs_schema(), indexname="pubs")
    index.create_in(str(version), pages_schema(), indexname="pages")
