"""CSV rows → (RecordIn, [ItemIn]): a pure function per row, like marc.py for MARC.

One row per item (or one per record, with no barcode). The header names the columns;
their order does not matter and unknown columns are refused, so a typo is not ignored:

- record: control_number, title (required), authors, isbn, publisher, year, subjects,
  language, call_number; several authors, ISBNs or subjects are separated by "|"
- item (when barcode is not empty): barcode, rfid_tag, home_branch, zone, stack, shelf,
  collection, item_type, status (available, on_loan, in_transit, on_hold_shelf,
  missing, withdrawn), parts

Rows of the same book (same control_number, or else same ISBN) are one record with
several items; the last row's record fields win.
"""

from __future__ import annotations

from pydantic import ValidationError

from server.catalog.marc import Outcome, Parsed, Rejected
from server.catalog.shapes import ItemIn, RecordIn, reason_of

RECORD_COLUMNS = (
    "control_number",
    "title",
    "authors",
    "isbn",
    "publisher",
    "year",
    "subjects",
    "language",
    "call_number",
)
ITEM_COLUMNS = (
    "barcode",
    "rfid_tag",
    "home_branch",
    "zone",
    "stack",
    "shelf",
    "collection",
    "item_type",
    "status",
    "parts",
)
COLUMNS = RECORD_COLUMNS + ITEM_COLUMNS
MAX_FIELD = 10_000  # characters in one cell; longer is refused, not truncated


def check_header(header: list[str] | None) -> str | None:
    """Why this header cannot be read, or None."""
    if not header:
        return "the file is empty: the first line must name the columns"
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h not in COLUMNS]
    if unknown:
        return f"unknown columns {unknown}; the columns are {', '.join(COLUMNS)}"
    if "title" not in names:
        return "the title column is missing"
    return None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


def parse_row(row: dict[str | None, object]) -> Outcome:
    """One CSV row (from csv.DictReader) → what to store, or why not."""
    if None in row:
        return Rejected("more cells than the header has columns")
    cells = {str(k).strip().lower(): (v or "") for k, v in row.items()}
    if any(not isinstance(v, str) for v in cells.values()):
        return Rejected("fewer cells than the header has columns")
    text: dict[str, str] = {k: str(v).strip() for k, v in cells.items()}
    control = text.get("control_number", "")
    for column, value in text.items():
        if len(value) > MAX_FIELD:
            return Rejected(f"{column}: {len(value)} characters, at most {MAX_FIELD}", control)
    try:
        year = text.get("year", "")
        record = RecordIn(
            control_number=control or None,
            title=text.get("title", ""),
            authors=_list(text.get("authors", "")),
            isbns=_list(text.get("isbn", "")),
            publisher=text.get("publisher", ""),
            year=int(year) if year.isdigit() else (year or None),
            subjects=_list(text.get("subjects", "")),
            language=text.get("language", "").lower(),
            call_number=text.get("call_number", ""),
        )
        items = []
        if text.get("barcode"):
            values = {k: text[k] for k in ITEM_COLUMNS if text.get(k)}
            items.append(ItemIn.model_validate(values))
    except ValidationError as error:
        return Rejected(reason_of(error), control)
    return Parsed(record, items)
