"""Where citeproc-py 0.11 departs from the CSL 1.0.2 specification, corrected so its citations agree
with citeproc-js (the reference processor; tests/test_citations.py compares them on the catalog).

Imported for its effect by `export`; each fix names the rule it restores.
"""

from __future__ import annotations

import re

from citeproc import model

_original_repress = model.Substitute.add_to_repressed_list


def _repress_substituted_macro(self, child, context):
    """CSL `cs:substitute`: a variable that stood in for the names is suppressed in the rest of the
    entry. citeproc-py only suppresses a `<text variable=…>` child, so a title substituted through a
    macro or a `choose` (APA, Harvard) was printed twice when a record has neither author nor body."""
    _original_repress(self, child, context)
    layout = context.get_layout()
    for variable in _text_variables(child, set()) & _TITLES:
        layout.repressed.setdefault(child.tag if child.get("variable") else _TEXT, []).append(variable)


_TEXT = "{http://purl.org/net/xbiblio/csl}text"
#: What the styles substitute for missing names; other variables in the same macro (the genre) stay.
_TITLES = {"title", "title-short"}


def _text_variables(element, seen: set) -> set:
    """The variables a part of a style prints through `<text>`, following its macros."""
    found = set()
    for text in element.iter(_TEXT):
        if text.get("variable"):
            found.add(text.get("variable"))
        elif text.get("macro") and text.get("macro") not in seen:
            seen.add(text.get("macro"))
            found |= _text_variables(text.get_macro(text.get("macro")), seen)
    return found


_original_initialize = model.Name.initialize


def _initialize_unless_false(self, given, mark, context):
    """CSL `initialize="false"` keeps given names whole although `initialize-with` is set (Chicago's
    bibliography names "Orr, Dominic"); citeproc-py ignored the attribute and cut them to initials."""
    if self.get("initialize", "true").lower() == "false":
        return given
    return _original_initialize(self, given, mark, context)


_original_label = model.Label.process


def _label_only_with_its_variable(self, item, variable=None, *args, **kwargs):
    """CSL `cs:label` prints its term only when its variable has a value: Chicago's journal articles
    got a lone "Edition." from the edition macro."""
    own = self.get("variable")
    if variable is None and own and own != "locator" and own.replace("-", "_") not in item.reference:
        return None
    return _original_label(self, item, variable, *args, **kwargs)


#: Prepositions that title case leaves in lower case (CMOS 8.159: all prepositions, whatever their
#: length), as citeproc-js has them; citeproc-py knew only the short ones, so "Within", "Through".
_PREPOSITIONS = (
    "about above across after against along alongside amid among amongst around aside atop before"
    " behind below beneath beside besides between beyond circa despite during except inside like"
    " near off out per since than through throughout toward towards under underneath until unto"
    " upon versus within without"
).split()

#: Prefixes that cannot stand alone as words: after them the element stays lower case in title case
#: ("Micro-credentials", CMOS 8.161), where citeproc-js capitalises it (a listed difference).
PREFIXES = ("micro", "macro", "meso", "nano", "multi", "non", "co", "pre", "post", "re", "anti")

_original_case = model.TextCased.case


def _title_case_after_hyphens(self, text, language=None):
    """CMOS 8.161 (17th ed.), as citeproc-js has it: title case capitalises every element of a hyphenated
    compound ("Mid-Career", "Skills-Based", "Twenty-First") except articles, prepositions and
    conjunctions, and the element after a prefix; citeproc-py left every element after a hyphen alone."""
    cased = _original_case(self, text, language)
    if self.get("text-case") != "title" or language != "en":
        return cased
    return " ".join(_capitalise_elements(word) for word in str(cased).split(" "))


def _capitalise_elements(word: str) -> str:
    parts = word.split("-")
    for i in range(1, len(parts)):
        part, before = parts[i], re.sub(r"^\W+", "", parts[i - 1]).lower()
        if (
            part[:1].isalpha()
            and part.islower()
            and before
            and before not in PREFIXES
            and re.sub(r"\W+$", "", part) not in model.TextCased._stop_words
        ):
            parts[i] = part[0].upper() + part[1:]
    return "-".join(parts)


model.Substitute.add_to_repressed_list = _repress_substituted_macro
model.Name.initialize = _initialize_unless_false
model.Label.process = _label_only_with_its_variable
model.TextCased._stop_words = sorted({*model.TextCased._stop_words, *_PREPOSITIONS})
model.TextCased.case = _title_case_after_hyphens

_QUOTE_THEN_PUNCTUATION = re.compile(r"(’?”)((?:</[ib]>)*)([.,])")
_NESTED_QUOTE = re.compile(r"“([^“”]*)“([^“”]*)”([^“”]*)”")
_DOUBLED = re.compile(r"([?!])((?:</[ib]>|[”’])*)\.")


def finish(entry: str, punctuation_in_quote: bool) -> str:
    """Three rules citeproc-py leaves out of its output: quotes inside quotes are single; a locale with
    `punctuation-in-quote` (en-US) puts a period or comma inside the closing quote; and a title ending
    in "?" or "!" takes no period after it ("Big Deal?" not "Big Deal?.")."""
    entry = _NESTED_QUOTE.sub(r"“\1‘\2’\3”", entry)
    if punctuation_in_quote:
        entry = _QUOTE_THEN_PUNCTUATION.sub(r"\3\1\2", entry)
    return _DOUBLED.sub(r"\1\2", entry)
