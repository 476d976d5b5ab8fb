"""Vietnamese folding, the user query parser and the snippet highlighter, shared by every backend.

Folding removes tone and vowel marks and maps ``đ``/``Đ`` to ``d`` (a letter of its own in Unicode,
which "remove diacritics" tokenizers leave alone), so ``cai cach hanh chinh`` and ``cải cách hành
chính`` are the same words to the engine.

The parser never raises: users paste anything into the search box (unbalanced quotes, ``*``,
``NEAR``, parentheses, ``AND``/``OR``), and an engine syntax error must not become a 500. It keeps
only words and quoted phrases; every word is required (the archive search narrows, it does not widen).
"""
from __future__ import annotations

import datetime
import functools
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._types import FILTER_FIELDS, ORDINARY, RANGE_FILTERS, SearchDocument

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 16
MAX_PAGE_SIZE = 100
# Engine query operators a user may type; dropped when written in capitals, the way FTS syntax spells them.
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_WORD = re.compile(r"[^\W_]+")
# U+00D0/U+00F0 (eth) stand in for Đ/đ in texts typed with the wrong keyboard layout (seen in the corpus).
_D_TABLE = str.maketrans({"đ": "d", "Đ": "D", "Ð": "D", "ð": "d"})


def fold(text: str) -> str:
    """Lowercase, strip combining marks, map đ to d: the form both the index and the query compare."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_TABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _variants() -> dict[str, str]:
    """For each folded letter, a regex class of every character that folds to it (ê, ế, ệ ... → e)."""
    groups: dict[str, set[str]] = {}
    for code in list(range(0x20, 0x250)) + list(range(0x1E00, 0x1F00)):
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isalnum():
            groups.setdefault(folded, set()).update({char, char.upper(), char.lower()})
    return {base: "[" + "".join(sorted(re.escape(c) for c in chars)) + "]" for base, chars in groups.items()}


_VARIANTS = _variants()


@functools.lru_cache(maxsize=256)
def _word_pattern(folded_words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A regex finding the given folded words in the original (accented, any case) text."""
    if not folded_words:
        return None
    alternatives = ["".join(_VARIANTS.get(c, re.escape(c)) for c in w) for w in folded_words]
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])")


def words(text: str) -> list[str]:
    """The folded words of a text (letters and digits; everything else separates words)."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Clause:
    """A required clause of a query: one word, or a phrase whose words must follow each other."""

    words: tuple[str, ...]   # folded
    text: str                # as the user wrote it (for engines that analyse text themselves)

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


def parse_query(query: str) -> list[Clause]:
    """Turn whatever the user typed into required word/phrase clauses; never raises."""
    query = unicodedata.normalize("NFC", query or "")[:MAX_QUERY_CHARS]  # NFD-typed queries match as NFC
    clauses: list[Clause] = []
    # Quoted phrases first; an unbalanced quote simply stops being a quote.
    parts = query.split('"')
    if len(parts) % 2 == 0:  # odd number of quotes: the last one is dropped
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    for index, part in enumerate(parts):
        if index % 2 == 1:
            phrase_words = tuple(words(part))
            if phrase_words:
                clauses.append(Clause(phrase_words, part.strip()))
            continue
        for raw in part.split():
            if raw in _OPERATORS:
                continue
            folded = tuple(words(raw))
            if folded:  # "12/QĐ-UBND" becomes the phrase "12 qd ubnd"
                clauses.append(Clause(folded, " ".join(_WORD.findall(raw))))
    unique: list[Clause] = []
    for clause in clauses:
        if clause.words not in {c.words for c in unique}:
            unique.append(clause)
    return unique[:MAX_CLAUSES]


def is_ordinary(doc: SearchDocument) -> bool:
    """True when the document is not secret (độ mật "thường"): only those may be indexed."""
    return fold(doc.confidentiality or "").strip() == ORDINARY


def check_filters(filters: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """Normalise filters to {field: [values]}; an unknown field is a programming error."""
    normalised: dict[str, list[Any]] = {}
    for key, value in (filters or {}).items():
        if key in RANGE_FILTERS:
            if value is not None and not isinstance(value, datetime.date):
                raise TypeError(f"filter {key} must be a datetime.date")
            if value is not None:
                normalised[key] = [value]
            continue
        if key not in FILTER_FIELDS:
            raise ValueError(f"unknown search filter: {key!r}")
        values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        values = [v for v in values if v is not None and v != ""]
        if values:
            normalised[key] = [int(v) for v in values] if key == "year" else [str(v) for v in values]
    return normalised


def check_paging(page: int, page_size: int) -> tuple[int, int]:
    return max(1, int(page)), min(MAX_PAGE_SIZE, max(1, int(page_size)))


# --- Snippets -------------------------------------------------------------------------------------------------

def highlight(text: str, clauses: Iterable[Clause], *, max_chars: int | None = 240) -> str:
    """Escaped HTML of ``text`` (or of its best window of ``max_chars``) with ``<mark>`` on query words.

    Done here rather than by the engine so that escaping is in one place for every backend: the text
    comes from uploaded documents and is never trusted as HTML.
    """
    text = unicodedata.normalize("NFC", text)
    pattern = _word_pattern(tuple(sorted({w for c in clauses for w in c.words}, key=lambda w: (-len(w), w))))
    spans = [(m.start(), m.end()) for m in pattern.finditer(text)] if pattern else []
    start, end = 0, len(text)
    if max_chars is not None and len(text) > max_chars:
        start = _best_window(spans, max_chars, len(text))
        end = min(len(text), start + max_chars)
        # Do not cut words in half.
        if start > 0:
            space = text.find(" ", start, start + 30)
            start = space + 1 if space != -1 else start
        if end < len(text):
            space = text.rfind(" ", end - 30, end)
            end = space if space > start else end
    out: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[cursor:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        cursor = e
    out.append(html.escape(text[cursor:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)


def _best_window(spans: list[tuple[int, int]], width: int, length: int) -> int:
    """Start of the window of ``width`` characters holding the most matches (a little context before)."""
    if not spans:
        return 0
    best_start, best_count, j = spans[0][0], 0, 0
    for i, (s, _e) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= s + width:
            j += 1
        if j - i > best_count:
            best_count, best_start = j - i, s
    return max(0, min(best_start - 40, length - width))
