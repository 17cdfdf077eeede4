"""The advanced search form's fields written as the search box's own syntax, so the syntax is learnt
by using the form: what the box then shows can be edited, shared and typed next time."""

from __future__ import annotations

import re

#: (form field, label, how its words are written)
FIELDS = (
    ("all", "All of these words", "+word"),
    ("phrase", "This exact phrase", '"a phrase"'),
    ("any", "Any of these words", "a OR b"),
    ("none", "None of these words", "-word"),
    ("title", "Words in the title", "title:word"),
    ("author", "Author or organisation named", '"a name"'),
)

_SYNTAX = re.compile(r'["()+\-:]')


def _words(text: str) -> list[str]:
    """The words of a field, without characters that would read as syntax inside it."""
    return _SYNTAX.sub(" ", text or "").split()


def compose(fields: dict[str, str]) -> str:
    parts: list[str] = []
    parts += [f"+{w}" for w in _words(fields.get("all", ""))]
    if _words(fields.get("phrase", "")):
        parts.append('"' + " ".join(_words(fields["phrase"])) + '"')
    any_words = _words(fields.get("any", ""))
    if any_words:
        parts.append("(" + " OR ".join(any_words) + ")" if len(any_words) > 1 else any_words[0])
    parts += [f"title:{w}" for w in _words(fields.get("title", ""))]
    if _words(fields.get("author", "")):
        parts.append('"' + " ".join(_words(fields["author"])) + '"')
    parts += [f"-{w}" for w in _words(fields.get("none", ""))]
    return " ".join(parts)
