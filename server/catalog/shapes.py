"""A record and an item as every entrypoint gives them (API, import, intake), validated.

The import's parsers produce these shapes from MARC and CSV; the API's Create shapes are
these same classes, so a rule holds the same way whichever way a record arrives.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from server.catalog import isbn


class ItemStatus(StrEnum):
    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    IN_TRANSIT = "in_transit"
    ON_HOLD_SHELF = "on_hold_shelf"
    MISSING = "missing"
    WITHDRAWN = "withdrawn"


Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Barcode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
]
RfidTag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-Fa-f]{8,64}$")
]
Place = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]

MAX_TITLE = 1000


def _nfc(value: object) -> object:
    # MARC-8 decodes to combining sequences; store one form so search finds "Café" typed
    # either way
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


class RecordIn(BaseModel):
    """A bibliographic record: what the book is, whichever copies of it we hold."""

    model_config = ConfigDict(extra="forbid")

    control_number: Code | None = Field(default=None, description="MARC 001")
    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE)
    ]
    authors: list[Name] = Field(default_factory=list, max_length=50)
    isbns: list[str] = Field(
        default_factory=list, max_length=20, description="ISBN-10 or -13; stored as ISBN-13"
    )
    publisher: Line = ""
    year: int | None = Field(default=None, ge=1000, le=2200)
    subjects: list[Name] = Field(default_factory=list, max_length=100)
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=8)] = ""
    call_number: Code = ""

    @field_validator("*", mode="before")
    @classmethod
    def _normal_form(cls, value: object) -> object:
        return _nfc(value)

    @field_validator("control_number", mode="after")
    @classmethod
    def _no_empty_control_number(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("isbns", mode="after")
    @classmethod
    def _isbn13(cls, values: list[str]) -> list[str]:
        found: list[str] = []
        for value in values:
            normal = isbn.normalise(value)
            if normal not in found:
                found.append(normal)
        return found


class ItemIn(BaseModel):
    """One copy on a shelf: its barcode, its tag, where it lives and whether it is there."""

    model_config = ConfigDict(extra="forbid")

    barcode: Barcode
    rfid_tag: RfidTag | None = None
    home_branch: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ] = "main"
    zone: Place = ""
    stack: Place = ""
    shelf: Place = ""
    collection: Code = ""
    item_type: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = "book"
    status: ItemStatus = ItemStatus.AVAILABLE
    parts: int = Field(default=1, ge=1, le=999, description="pieces of a multi-part set")

    @field_validator("rfid_tag", mode="after")
    @classmethod
    def _no_empty_tag(cls, value: str | None) -> str | None:
        return value or None


def reason_of(error: Exception) -> str:
    """One line naming the field, for a rejects file or a form."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        parts = []
        for problem in errors()[:3]:
            where = ".".join(str(p) for p in problem["loc"]) or "record"
            message = str(problem["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {message}")
        return "; ".join(parts)
    return str(error)
