"""What a word is, decided once: text in, tokens `(start, end, surface, term)` out.

The index (through the engine's Whoosh adapter), query parsing, snippets, title and metadata
marks, the reading view, phrase checks, spelling, completions, trends and `matched_in` all read
words through `tokens`, so a hit is always a token whose term is one of the query's terms, never a
second guess by regex. Nothing here knows about the engine.

The steps, in order: words as Whoosh's default tokenizer reads them (`\\w+`, dots inside kept:
"3.5", "e.g"); accents folded and lower case ("Éducation" ~ "education", "Māori" ~ "maori");
micro-/nano-/meso-/macro- compounds joined however they are written ("micro-credential", "micro
credential", "microcredential" are one term); stop words and one-letter words dropped; Snowball's
English stemmer (Porter2: "credentials" ~ "credential"). A compound's prefix is also a token of its
own (a *part*, at the compound's position) in indexed text, so `micro` alone finds the compounds.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple

import Stemmer

#: Bump whenever the analysis changes what terms a text yields: it is part of the engine's schema
#: marker (an index of other terms is not served) and of the text cache's key (cached terms are not
#: reused), so a change can never leave old terms beside new ones.
#: 2: Snowball's English stemmer (Porter2) in place of the original Porter. 3: one analysis module:
#: the reference Snowball stemmer (PyStemmer), compounds joined across a space or hyphen only, and
#: a compound's prefix indexed as a word part.
ANALYSIS_VERSION = 3

#: Prefixes written joined, hyphenated or apart ("micro-credential", "micro credential").
PREFIXES = ("micro", "nano", "meso", "macro")
#: The shortest word a prefix joins with ("micro and small" stays three words).
MIN_JOINED = 4
#: Whoosh's English stop words, kept as they were so ranking does not move with this module.
STOP_WORDS = frozenset(
    """
    a an and are as at be by can for from have if in is it may not of on or tbd that the this to us we
    when will with yet you your
""".split()
)
#: Words that carry no topic in a question ("what are the effects of ...?"). Removed from queries
#: only: the index keeps them, so quoted phrases still match as written.
QUESTION_WORDS = frozenset(
    """
    about also any are been being can could did do does had has have how into its many more most much
    must other shall should some such than their them then there these they this those very was were
    what when where which who whom whose why would
""".split()
)
QUERY_STOP_WORDS = STOP_WORDS | QUESTION_WORDS
#: The query language's operators: words in capitals among lower-case words (see `query_text`).
OPERATORS = frozenset({"AND", "OR", "NOT"})
#: How a part is written in `index_terms`: the term before it and the part share a position.
PART_MARK = "|"

#: Whoosh's default `\w+(\.?\w+)*`, written so that it never backtracks: the same matches, ~10 % faster.
_WORD = re.compile(r"\w+(?:\.\w+)*")
_WORD_CHAR = re.compile(r"\w")
#: What may stand between a prefix and the rest of its compound: spaces or one hyphen.
_JOINER = re.compile(r"\s+|[-\u2010\u2011]\s*")
_STEMMER = Stemmer.Stemmer("english")


class Token(NamedTuple):
    """One word of a text: where it is (`text[start:end] == surface`) and its index term.

    `part` marks a compound's prefix ("micro" of "micro-credentials"): indexed at the compound's
    position so the prefix alone finds the compound, never a word of its own in a phrase.
    """

    start: int
    end: int
    surface: str
    term: str
    part: bool = False


@functools.lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without accents: "Wānanga" -> "wananga"."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def prefix_of(folded: str) -> str | None:
    """The prefix a joined compound starts with ("microcredential" -> "micro")."""
    for prefix in PREFIXES:
        rest = folded[len(prefix) :]
        if folded.startswith(prefix) and len(rest) >= MIN_JOINED and rest.isalpha():
            return prefix
    return None


@functools.lru_cache(maxsize=200_000)
def _word(written: str) -> tuple[str, str, int]:
    """(folded, stem, length of the written prefix when the word is a joined compound, else 0) of
    one written word: a page repeats its vocabulary, so this is cached."""
    folded = fold(written)
    prefix = prefix_of(folded)
    written_prefix = len(prefix) if prefix and fold(written[: len(prefix)]) == prefix else 0
    return folded, _STEMMER.stemWord(folded), written_prefix


def _joins(text: str, prefix: re.Match, rest: re.Match) -> bool:
    word = _word(rest.group())[0]
    return (
        len(word) >= MIN_JOINED
        and word.isalpha()
        and word not in PREFIXES
        and _JOINER.fullmatch(text, prefix.end(), rest.start()) is not None
    )


class _Classes:
    """Per stop-word list, what each written word is: (folded, term, written prefix length, is a
    prefix, makes a token). Pages repeat their vocabulary, so a word is worked out once, not per
    occurrence: most of the time of snippets and phrase checks went to doing it again. Beside it,
    which written words give each term (`by_term`), a wanted part (`by_part`) or start a compound
    (`prefixes`): the hit finder intersects a text's distinct words with those at C speed, and
    of a text it has read before (`seen`: every word of it is in the tables) it only looks for
    the words that can give a wanted token."""

    #: Written words kept before the tables start again (bounds them as `_word`'s cache is).
    LIMIT = 200_000

    def __init__(self, stop_words: frozenset):
        self.stop_words = stop_words
        self.words: dict[str, tuple[str, str, int, bool, bool]] = {}
        self.by_term: dict[str, set[str]] = {}
        self.by_part: dict[str, set[str]] = {}
        self.prefixes: set[str] = set()
        self.seen: set[int] = set()  # hashes of the texts whose every word is in `words`

    def add(self, written: str) -> tuple[str, str, int, bool, bool]:
        folded, term, written_prefix = _word(written)
        is_prefix, makes_token = folded in PREFIXES, len(folded) > 1 and folded not in self.stop_words
        found = self.words[written] = (folded, term, written_prefix, is_prefix, makes_token)
        if is_prefix:
            self.prefixes.add(written)
        if makes_token:
            self.by_term.setdefault(term, set()).add(written)
            if written_prefix:
                self.by_part.setdefault(folded[:written_prefix], set()).add(written)
        return found


_CLASSES: dict[frozenset, _Classes] = {}
_new_token = tuple.__new__


def _classes(stop_words: frozenset) -> _Classes:
    table = _CLASSES.get(stop_words)
    if table is None or len(table.words) > _Classes.LIMIT or len(table.seen) > _Classes.LIMIT:
        table = _CLASSES[stop_words] = _Classes(stop_words)
    return table


def _starts_word(text: str, at: int) -> bool:
    """Whether `_WORD.finditer` has a token start at `at` (a word character): not inside a word,
    nor right after a dot that joins it to the word before ("e.g", "3.5")."""
    if at == 0:
        return True
    if _WORD_CHAR.match(text, at - 1):
        return False
    return not (text[at - 1] == "." and at >= 2 and _WORD_CHAR.match(text, at - 2))


def _wanted_tokens(text: str, stop_words: frozenset, parts: bool, only: frozenset) -> list[Token]:
    """`tokens(text, stop_words, parts, only)` without visiting every word in Python: the text's
    distinct written words are read at C speed, the ones that can give a wanted token (or start a
    compound) are looked up where they occur, and the same tokens result, in the same order."""
    classes = _classes(stop_words)
    key = hash(text)
    distinct = None if key in classes.seen else set(_WORD.findall(text))
    if distinct is not None:
        for written in distinct.difference(classes.words):
            classes.add(written)
        classes.seen.add(key)
    wanted = classes.prefixes.union(*(classes.by_term.get(term, ()) for term in only))
    if parts:
        wanted.update(*(classes.by_part.get(term, ()) for term in only))
    if distinct is not None:
        wanted &= distinct
    # A written word the text does not have is never found at the start of one of its words.
    candidates = [(written not in classes.prefixes, written, classes.words[written]) for written in wanted]
    out: list[Token] = []
    rests: set[int] = set()  # where a compound's second word starts: not a token of its own
    for _, written, (folded, term, written_prefix, is_prefix, makes_token) in sorted(candidates):  # prefixes first
        at = text.find(written)
        while at >= 0:
            match = _WORD.match(text, at)
            if match is not None and match.end() == at + len(written) and at not in rests and _starts_word(text, at):
                rest = _WORD.search(text, match.end()) if is_prefix else None
                if rest is not None and _joins(text, match, rest):
                    rests.add(rest.start())
                    compound = _word(folded + rest.group())[1]
                    if compound in only:
                        out.append(_new_token(Token, (at, rest.end(), text[at : rest.end()], compound, False)))
                    if parts and folded in only:
                        out.append(_new_token(Token, (at, match.end(), written, folded, True)))
                elif makes_token:
                    if term in only:
                        out.append(_new_token(Token, (at, match.end(), written, term, False)))
                    part = folded[:written_prefix]
                    if parts and written_prefix and part in only:
                        out.append(_new_token(Token, (at, at + written_prefix, written[:written_prefix], part, True)))
            at = text.find(written, at + 1)
    out.sort(key=lambda token: (token.start, -token.end))  # a compound or word before its part
    return out


def tokens(
    text: str, stop_words: frozenset = STOP_WORDS, parts: bool = True, only: frozenset | None = None
) -> Iterator[Token]:
    """The tokens of `text` in order, a compound's part (with `parts`) right after the compound;
    with `only`, just those whose term is in it (the hit finder's shortcut: no other token is made).

    Queries are read with `stop_words=QUERY_STOP_WORDS, parts=False`: the words of a question
    carry no topic, and "microcredential" in a query means the compound, not every micro- word.
    """
    if only is not None:
        yield from _wanted_tokens(text, stop_words, parts, only)
        return
    classes = _classes(stop_words)
    table = classes.words
    words = list(_WORD.finditer(text))
    count, i = len(words), 0
    while i < count:
        match = words[i]
        written = match.group()
        folded, term, written_prefix, is_prefix, makes_token = table.get(written) or classes.add(written)
        i += 1
        if is_prefix and i < count and _joins(text, match, words[i]):
            rest = words[i]
            i += 1
            term = _word(folded + rest.group())[1]
            if only is None or term in only:
                yield _new_token(Token, (match.start(), rest.end(), text[match.start() : rest.end()], term, False))
            if parts and (only is None or folded in only):
                yield _new_token(Token, (match.start(), match.end(), written, folded, True))
        elif makes_token:
            if only is None or term in only:
                yield _new_token(Token, (match.start(), match.end(), written, term, False))
            if parts and written_prefix:
                part = folded[:written_prefix]
                if only is None or part in only:
                    start = match.start()
                    yield _new_token(Token, (start, start + written_prefix, written[:written_prefix], part, True))


def surfaces(text: str) -> Counter:
    """How often each token of `text` is written as it is, for `tokens(text, frozenset(),
    parts=False)` (no stop words, no parts: the words people write): the written words counted at C
    speed, then each compound's two words taken back and the compound counted, found only where a
    prefix is written. The spelling vocabulary counts every page so; token by token it was most of
    a full build's last minute."""
    written = Counter(_WORD.findall(text))
    classes = _classes(frozenset())
    for word in written:
        if word not in classes.words:
            classes.add(word)
    found = Counter({word: n for word, n in written.items() if classes.words[word][4]})
    for prefix in written.keys() & classes.prefixes:
        at = text.find(prefix)
        while at >= 0:
            match = _WORD.match(text, at)
            if match is not None and match.end() == at + len(prefix) and _starts_word(text, at):
                rest = _WORD.search(text, match.end())
                if rest is not None and _joins(text, match, rest):  # both words were counted as tokens
                    found[prefix] -= 1
                    found[rest.group()] -= 1
                    found[text[at : rest.end()]] += 1
            at = text.find(prefix, at + 1)
    return +found


def token_end(text: str, start: int) -> int:
    """Where the token (not part) starting at `start` ends: a compound's there, the word's otherwise.
    Only the two words from `start` are read (a compound is never longer)."""
    first = _WORD.match(text, start)
    if first is None:
        raise ValueError(f"no word starts at {start}")
    second = _WORD.search(text, first.end())
    end = second.end() if second else first.end()
    return start + next(token.end for token in tokens(text[start:end]) if not token.part)


def terms(text: str, stop_words: frozenset = QUERY_STOP_WORDS) -> list[str]:
    """The terms of a query's words, in order (no parts)."""
    return [token.term for token in tokens(text, stop_words, parts=False)]


def index_terms(text: str) -> str:
    """The index terms of `text`, in order, space-separated, a part as PART_MARK + term: what the
    engine's body and page fields take (made in the extraction workers, cached with the text)."""
    return " ".join(PART_MARK + token.term if token.part else token.term for token in tokens(text))


def phrase_in(terms: str, phrase: tuple) -> bool:
    """Whether `terms` (a text's `index_terms`) holds the phrase's terms at consecutive positions,
    as the index counts them: a part stands where its compound does. The same answer as reading the
    text (`snippets.says_phrase`), found by one regular expression over the stored terms."""
    return bool(phrase) and _phrase_pattern(phrase).search(terms) is not None


@functools.lru_cache(maxsize=1024)
def _phrase_pattern(phrase: tuple) -> re.Pattern:
    parts = r"(?: \|[^ ]+)*"  # the parts that share a position with the term before them

    def position(term: str) -> str:
        escaped = re.escape(term)
        if term not in PREFIXES:  # never a part: the pattern starts with the term, found at C speed
            return escaped + parts
        return rf"(?:{escaped}{parts}|[^ |][^ ]*{parts} \|{escaped}{parts})"

    return re.compile(r"(?:^| )" + " ".join(map(position, phrase)) + r"(?= |$)")


def term_set(text: str) -> frozenset[str]:
    """Every term of `text`, parts included: what a query term must be among to match it."""
    return frozenset(token.term for token in tokens(text))


def hits(text: str, wanted: frozenset) -> list[Token]:
    """The tokens of `text` whose term is one of `wanted`, in order, never overlapping.

    This is the one hit finder: snippets, title and metadata marks, the reading view and phrase
    checks all mark or count exactly these. Where a compound and its part both match, the compound
    (the longer) is the hit.
    """
    found: list[Token] = []
    for token in tokens(text, only=wanted) if wanted else ():
        if not (found and token.start < found[-1].end):
            found.append(token)
    return found


# ---------------------------------------------------------------- the query language's words


def is_plain(query: str) -> bool:
    """A query without a lower-case letter is plain words: pasted titles and headings, questions
    written in capitals ("KENNEDY AND THE BUDDHISTS"), whose AND/OR/NOT are words, not operators."""
    return not any(c.islower() for c in query)


def query_text(query: str) -> str:
    """The query as the parser should read it: lower-cased when it is plain words (`is_plain`: then
    ranked as the lower-case query would be), and a compound written apart joined by a hyphen, so
    the parser hands "micro credentials" to the analysis as one word, as it does "micro-credentials"."""
    if is_plain(query):
        query = query.lower()
    parts, cursor = [], 0
    for token in tokens(query, frozenset(), parts=False):
        if any(c.isspace() for c in token.surface):
            parts += [query[cursor : token.start], "-".join(_WORD.findall(token.surface))]
            cursor = token.end
    return "".join(parts) + query[cursor:]


def joined(surface: str) -> str:
    """A word as written, a compound as one word ("micro credentials" -> "microcredentials")."""
    return _JOINER.sub("", surface)


def operator(word: str, query: str) -> bool:
    """Whether `word` of `query` is the query language's operator rather than a word."""
    return word in OPERATORS and not is_plain(query)
