"""ISBN-10/13 checking and normalising (isbnlib does the arithmetic and the hyphenation)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import isbnlib

_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2013]")  # hyphens and dashes people paste


@dataclass(frozen=True, slots=True)
class IsbnForms:
    """The forms a person may type or a scanner may send for one book."""

    isbn13: str
    isbn10: str | None  # None for 979- ISBNs, which have no 10-digit form
    hyphenated: str


def looks_like_isbn(text: str) -> bool:
    """Digits (and a final X) of ISBN length once hyphens and spaces are gone."""
    bare = _SEPARATORS.sub("", text.strip()).upper()
    return bool(re.fullmatch(r"\d{9}[\dX]|\d{13}", bare))


def normalise(text: str) -> str:
    """The ISBN-13 of a valid ISBN-10 or ISBN-13, or ValueError saying what is wrong.

    A MARC 020 $a often carries a qualifier after the number ("0306406152 (pbk.)"): only
    the first word is the ISBN.
    """
    if not text.strip():
        raise ValueError("an empty ISBN")
    bare = _SEPARATORS.sub("", text).upper()
    if not looks_like_isbn(bare):
        bare = _SEPARATORS.sub("", text.split()[0]).upper()
    if isbnlib.is_isbn10(bare):
        return isbnlib.to_isbn13(bare)
    if isbnlib.is_isbn13(bare):
        return bare
    shown = text.strip()[:40]
    if len(bare) in (10, 13):
        raise ValueError(f"{shown!r} is not a valid ISBN: its check digit is wrong")
    raise ValueError(f"{shown!r} is not a valid ISBN-10 or ISBN-13")


def forms(isbn13: str) -> IsbnForms:
    return IsbnForms(
        isbn13=isbn13,
        isbn10=isbnlib.to_isbn10(isbn13) or None,
        hyphenated=isbnlib.mask(isbn13) or isbn13,
    )


def search_terms(isbn13: str) -> list[str]:
    """What the full-text index holds for an ISBN: both unhyphenated forms."""
    ten = isbnlib.to_isbn10(isbn13)
    return [isbn13, ten] if ten else [isbn13]
