"""Words for the full-text indexes, made the same way for SQLite FTS5 and PostgreSQL.

Text is folded before it is indexed or searched: case and diacritics go ("Müller" is
found by "muller"), full-width forms become plain ones. Chinese, Japanese and Korean are
written without spaces, so a run of those characters is indexed as its overlapping
pairs plus its last character ("三体问题" → 三体 体问 问题 题): any part of the run is
then found, as a phrase of pairs or, for one character, as a prefix. Other words match
by prefix, so "tolk" finds "Tolkien".

PostgreSQL gets the words as a literal tsvector / tsquery, not through its own parser,
so both databases index and match exactly the same words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Hiragana, Katakana, CJK ideographs (and extensions, compatibility forms), Hangul.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_FIRST_CJK = re.compile(rf"[{_CJK}]")
MAX_TERMS = 16


def fold(text: str) -> str:
    """Lower case, without diacritics, full-width forms made plain."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).casefold()


def _cjk(run: str) -> bool:
    return _FIRST_CJK.match(run) is not None


def words(text: str) -> list[str]:
    """The indexed words of `text`, in order."""
    found: list[str] = []
    for run in _RUN.findall(fold(text)):
        if _cjk(run) and len(run) > 1:
            found += [run[i : i + 2] for i in range(len(run) - 1)]
            found.append(run[-1])
        else:
            found.append(run)
    return found


@dataclass(frozen=True, slots=True)
class Term:
    """One thing a query asks for: a word matched as a prefix, or a phrase of exact pairs."""

    words: tuple[str, ...]

    @property
    def prefix(self) -> bool:
        return len(self.words) == 1 and not (_cjk(self.words[0]) and len(self.words[0]) > 1)


def terms(query: str, *, exact: Iterable[str] = ()) -> list[Term]:
    """What a query asks for: every term must match. `exact` words are taken as they are."""
    found = [Term((word,)) for word in exact]
    for run in _RUN.findall(fold(query)):
        if _cjk(run) and len(run) > 1:
            found.append(Term(tuple(run[i : i + 2] for i in range(len(run) - 1))))
        else:
            found.append(Term((run,)))
    return list(dict.fromkeys(found))[:MAX_TERMS]


def sqlite_match(found: Sequence[Term]) -> str:
    """An FTS5 MATCH expression: each term quoted, prefixes starred."""
    return " ".join(f'"{" ".join(t.words)}"' + ("*" if t.prefix else "") for t in found)


def tsquery(found: Sequence[Term]) -> str:
    """A tsquery literal (for `CAST(:q AS tsquery)`): words are [^\\W_]+, so need no escaping."""
    parts = []
    for term in found:
        if term.prefix:
            parts.append(f"'{term.words[0]}':*")
        else:
            parts.append("(" + " <-> ".join(f"'{w}'" for w in term.words) + ")")
    return " & ".join(parts)


def tsvector(fields: Iterable[tuple[str, str]]) -> str:
    """A tsvector literal (for `CAST(:v AS tsvector)`) of (text, weight A-D) fields."""
    lexemes: list[str] = []
    position = 0
    for text, weight in fields:
        for word in words(text):
            position = min(position + 1, 16383)  # PostgreSQL's largest position
            lexemes.append(f"'{word}':{position}{weight}")
        position += 1  # a phrase never runs from one field into the next
    return " ".join(lexemes)
