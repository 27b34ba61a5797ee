"""`smartlib import FILE`: catalogue records from MARC 21, MARCXML or CSV into the database.

Reading and parsing are pure (server/catalog/marc.py, csvrows.py) and can run in worker
processes (`--workers`); one writer stores batches of records, one transaction each.
Bad records are skipped with their reason into FILE.rejects.csv; the run ends with a
summary of what was created, updated and rejected.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.catalog import csvrows, marc
from server.catalog.batch import BatchResult, import_batch
from server.catalog.marc import Outcome, Parsed, Rejected

FORMATS = ("marc", "marcxml", "csv")
WINDOW = 4000  # records handed to the workers at a time, so memory stays flat


class UnreadableFile(Exception):
    """The file cannot be read at all (unknown format, no header, ...)."""


@dataclass
class ImportSummary:
    read: int
    result: BatchResult
    rejects_file: Path | None
    seconds: float

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        r = self.result
        lines = [
            f"records read: {self.read:,} in {self.seconds:.1f} s ({self.rate:,.0f} records/s)",
            f"created: {r.created:,}   updated: {r.updated:,}   rejected: {len(r.rejected):,}",
            f"items created: {r.items_created:,}   items updated: {r.items_updated:,}",
        ]
        if self.rejects_file is not None:
            lines.append(f"rejected records and the reason for each: {self.rejects_file}")
        return lines


def detect(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".mrc", ".marc", ".dat", ".iso", ".usm"):
        return "marc"
    if suffix == ".xml":
        return "marcxml"
    if suffix in (".csv", ".txt"):
        return "csv"
    with path.open("rb") as file:
        head = file.read(64).lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<"):
        return "marcxml"
    if head[:5].isdigit():
        return "marc"
    return "csv"


# A unit of work: (number in file, parsing input, what to write to the rejects file)
Chunk = tuple[int, bytes | dict | Rejected, str]


def _chunks(fmt: str, stream: BinaryIO) -> Iterator[Chunk]:
    if fmt == "marc":
        for number, data in enumerate(marc.split_marc(stream), 1):
            yield number, data, data.decode("utf-8", "backslashreplace")
        return
    if fmt == "marcxml":
        for number, data in enumerate(marc.split_marcxml(stream), 1):
            shown = "" if isinstance(data, Rejected) else data.decode("utf-8", "replace")
            yield number, data, shown
        return
    csv.field_size_limit(max(csv.field_size_limit(), 16 * csvrows.MAX_FIELD))
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.DictReader(text)
    problem = csvrows.check_header(reader.fieldnames)
    if problem:
        raise UnreadableFile(f"{problem}")
    for number, row in enumerate(reader, 2):  # numbered by line, the header is line 1
        shown = ",".join(str(v) for v in row.values() if isinstance(v, str))
        try:
            shown.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes were kept as surrogates
            shown = shown.encode("utf-8", "backslashreplace").decode()
            yield number, Rejected("the row is not UTF-8 text"), shown
            continue
        yield number, row, shown


def parse(fmt: str, data: bytes | dict | Rejected) -> Outcome:
    """Pure: one record's input → Parsed or Rejected (runs in worker processes too)."""
    if isinstance(data, Rejected):
        return data
    if fmt == "marc":
        return marc.parse_marc(data)  # type: ignore[arg-type]
    if fmt == "marcxml":
        return marc.parse_marcxml(data)  # type: ignore[arg-type]
    return csvrows.parse_row(data)  # type: ignore[arg-type]


def _parsed(fmt: str, chunks: Iterable[Chunk], workers: int) -> Iterator[tuple[Chunk, Outcome]]:
    if workers <= 1:
        for chunk in chunks:
            yield chunk, parse(fmt, chunk[1])
        return
    iterator = iter(chunks)
    with ProcessPoolExecutor(workers) as pool:
        while window := list(islice(iterator, WINDOW)):
            outcomes = pool.map(parse, [fmt] * len(window), [c[1] for c in window], chunksize=250)
            yield from zip(window, outcomes, strict=True)


def import_file(
    engine: Engine,
    path: Path,
    *,
    fmt: str | None = None,
    actor: str = "import",
    batch_size: int = 500,
    workers: int = 1,
    rejects_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Import every record of `path`; the database schema must be migrated already."""
    fmt = fmt or detect(path)
    if fmt not in FORMATS:
        raise UnreadableFile(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    rejects_path = rejects_path or path.with_name(path.name + ".rejects.csv")
    size = path.stat().st_size
    started = time.perf_counter()
    total = BatchResult()
    read = 0
    rejects: list[tuple[int, str, str, str]] = []  # number, control number, reason, data
    with path.open("rb") as stream, Session(engine) as session:
        batch: list[tuple[int, Parsed]] = []
        shown: dict[int, tuple[str, str]] = {}

        def flush() -> None:
            result = import_batch(session, batch, actor=actor, now=datetime.now(UTC))
            for number, reason in result.rejected:
                control, data = shown[number]
                rejects.append((number, control, reason, data))
            total.merge(result)
            batch.clear()
            shown.clear()
            if progress:
                progress(stream.tell(), size)

        for chunk, outcome in _parsed(fmt, _chunks(fmt, stream), workers):
            number, _data, text = chunk
            read += 1
            if isinstance(outcome, Rejected):
                rejects.append((number, outcome.control_number, outcome.reason, text))
                total.rejected.append((number, outcome.reason))
                continue
            batch.append((number, outcome))
            shown[number] = (outcome.record.control_number or "", text)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    written = _write_rejects(rejects_path, rejects) if rejects else None
    if not rejects and rejects_path.exists():
        rejects_path.unlink()  # an old one would describe an earlier run
    return ImportSummary(read, total, written, time.perf_counter() - started)


def _write_rejects(path: Path, rejects: list[tuple[int, str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["number", "control_number", "reason", "record"])
        for number, control, reason, data in sorted(rejects):
            writer.writerow([number, control, reason, data[:100_000]])
    return path


def main(
    path: Path,
    database_url: str,
    *,
    fmt: str | None = None,
    batch_size: int = 500,
    workers: int = 1,
    rejects_path: Path | None = None,
) -> int:
    """The CLI: progress bar on a terminal, summary at the end; 1 if the file is unreadable."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    from server.db import make_engine, migrate

    console = Console(stderr=True)
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with Progress(
            "{task.description}",
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task(f"importing {path.name}", total=path.stat().st_size)
            summary = import_file(
                engine,
                path,
                fmt=fmt,
                batch_size=batch_size,
                workers=workers,
                rejects_path=rejects_path,
                progress=lambda done, size: bar.update(task, completed=done, total=size),
            )
    except (UnreadableFile, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print("\n".join(summary.lines()))
    return 0
