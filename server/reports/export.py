"""Reports as CSV for spreadsheets, written a chunk at a time so a long export streams.

UTF-8 with a byte-order mark, which is how Excel knows the file is UTF-8 and shows Chinese
titles and names instead of mojibake. A text cell that a spreadsheet would run as a
formula (starting with =, +, -, @) gets a leading apostrophe, so a title cannot act.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from server.reports.service import Collection, NewItem, PatronCounts, Patrons

BOM = "\ufeff"
CHUNK_ROWS = 500
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PATRON_COLUMNS = ["patrons", "expired", "blocked", "anonymised"]


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def stream(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The CSV file as byte chunks: the BOM and header first, then CHUNK_ROWS rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    for number, row in enumerate(rows, 1):
        writer.writerow([_cell(value) for value in row])
        if number % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def collection(report: Collection) -> Iterator[bytes]:
    """One row per branch and item type, a column per status, then a row of totals."""
    header = ["home_branch", "item_type", *report.statuses, "total"]
    rows: list[list[object]] = [
        [row.home_branch, row.item_type, *row.counts.values(), row.total] for row in report.rows
    ]
    rows.append(["total", "", *report.by_status.values(), report.total])
    return stream(header, rows)


def new_items(items: Iterable[NewItem]) -> Iterator[bytes]:
    header = ["barcode", "title", "home_branch", "item_type", "collection", "status"]
    header += ["created_at_utc", "item_id", "record_id"]
    return stream(
        header,
        (
            [
                item.barcode,
                item.title,
                item.home_branch,
                item.item_type,
                item.collection,
                item.status,
                item.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                item.item_id,
                item.record_id,
            ]
            for item in items
        ),
    )


def patrons(report: Patrons, by: str) -> Iterator[bytes]:
    """Patron counts by "category" (with the category's name) or by "branch", then totals."""
    counts = report.by_category if by == "category" else report.by_branch
    if by == "category":
        header = ["category", "name", *PATRON_COLUMNS]
        rows: list[list[object]] = [
            [c.key, report.category_names.get(c.key, ""), *_figures(c)] for c in counts
        ]
        rows.append(["total", "", *_figures(report.total)])
    else:
        header = ["home_branch", *PATRON_COLUMNS]
        rows = [[c.key, *_figures(c)] for c in counts]
        rows.append(["total", *_figures(report.total)])
    return stream(header, rows)


def _figures(counts: PatronCounts) -> list[int]:
    return [getattr(counts, column) for column in PATRON_COLUMNS]


def filename(report: str, today: datetime | None = None) -> str:
    day = (today or datetime.now(UTC)).date().isoformat()
    return f"smartlib-{report}-{day}.csv"
