"""`smartlib import FILE`: catalogue records from MARC 21, MARCXML or CSV into the database.

Reading and parsing are pure (server/catalog/marc.py, csvrows.py) and run in worker
processes (`--workers`, by default one per core for a large file) that hand back plain
values; this process is the one writer and stores batches of records, one transaction
each. Parsing is what limits an import: the writer needs a fraction of a core.
Bad records are skipped with their reason into FILE.rejects.csv; the run ends with a
summary of what was created, updated and rejected.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Connection, Engine

from server.catalog import csvrows, marc
from server.catalog.batch import BatchResult, Incoming, import_batch
from server.catalog.marc import Rejected

FORMATS = ("marc", "marcxml", "csv")
BATCH = 2000  # records per transaction
TASK = 200  # records a worker parses at a time
AHEAD = 24  # tasks in flight: about two batches, so memory stays flat
SMALL_FILE = 4 << 20  # bytes; smaller files are parsed in this process
SQLITE_CACHE_KIB = 256 << 10


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


# A unit of work: (number in file, parsing input, what the rejects file shows; None when
# it is the input's own text, decoded only should the record be rejected)
Chunk = tuple[int, bytes | dict | Rejected, str | None]


def _chunks(fmt: str, stream: BinaryIO) -> Iterator[Chunk]:
    if fmt == "marc":
        for number, data in enumerate(marc.split_marc(stream), 1):
            yield number, data, None
        return
    if fmt == "marcxml":
        for number, data in enumerate(marc.split_marcxml(stream), 1):
            yield number, data, "" if isinstance(data, Rejected) else None
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


def _shown(chunk: Chunk) -> str:
    _number, data, shown = chunk
    if shown is not None:
        return shown
    assert isinstance(data, bytes)
    return data.decode("utf-8", "backslashreplace")


def parse(fmt: str, data: bytes | dict | Rejected) -> Incoming | Rejected:
    """Pure: one record's input → what to store or why not (runs in worker processes too)."""
    if isinstance(data, Rejected):
        return data
    if fmt == "marc":
        outcome = marc.parse_marc(data)  # type: ignore[arg-type]
    elif fmt == "marcxml":
        outcome = marc.parse_marcxml(data)  # type: ignore[arg-type]
    else:
        outcome = csvrows.parse_row(data)  # type: ignore[arg-type]
    return outcome if isinstance(outcome, Rejected) else Incoming.of(outcome)


def _parse_many(fmt: str, inputs: list[bytes | dict | Rejected]) -> list[Incoming | Rejected]:
    return [parse(fmt, data) for data in inputs]


def _parsed(
    fmt: str, chunks: Iterable[Chunk], pool: ProcessPoolExecutor | None
) -> Iterator[tuple[Chunk, Incoming | Rejected]]:
    """Outcomes in file order. With a pool, TASK records go to a worker at a time and
    AHEAD tasks are kept in flight, so the workers parse on while the writer writes."""
    if pool is None:
        for chunk in chunks:
            yield chunk, parse(fmt, chunk[1])
        return
    iterator = iter(chunks)
    pending: deque[tuple[list[Chunk], Future]] = deque()
    while True:
        while len(pending) < AHEAD and (group := list(islice(iterator, TASK))):
            pending.append((group, pool.submit(_parse_many, fmt, [c[1] for c in group])))
        if not pending:
            return
        group, outcomes = pending.popleft()
        yield from zip(group, outcomes.result(), strict=True)


def default_workers(path: Path) -> int:
    """One process per core for a file big enough to gain from it; else parse in-process."""
    if path.stat().st_size < SMALL_FILE:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def import_file(
    engine: Engine,
    path: Path,
    *,
    fmt: str | None = None,
    actor: str = "import",
    batch_size: int = BATCH,
    workers: int | None = None,
    rejects_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Import every record of `path`; the database schema must be migrated already.

    `workers` processes parse (default: one per core for a large file); this process is
    the one writer, a transaction per `batch_size` records.
    """
    fmt = fmt or detect(path)
    if fmt not in FORMATS:
        raise UnreadableFile(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    rejects_path = rejects_path or path.with_name(path.name + ".rejects.csv")
    workers = default_workers(path) if workers is None else workers
    size = path.stat().st_size
    started = time.perf_counter()
    total = BatchResult()
    read = 0
    rejects: list[tuple[int, str, str, str]] = []  # number, control number, reason, data
    with ExitStack() as stack:
        # the workers are forked before this process opens a database connection
        pool = None
        if workers > 1:
            pool = stack.enter_context(ProcessPoolExecutor(workers, initializer=_fewer_collections))
        stack.callback(gc.set_threshold, *gc.get_threshold())
        _fewer_collections()
        stream = stack.enter_context(path.open("rb"))
        connection = stack.enter_context(_bulk_connection(engine))
        batch: list[tuple[int, Incoming]] = []
        kept: dict[int, Chunk] = {}

        def flush() -> None:
            result = import_batch(connection, batch, actor=actor, now=datetime.now(UTC))
            controls = {number: incoming.record["control_number"] for number, incoming in batch}
            for number, reason in result.rejected:
                rejects.append((number, controls[number] or "", reason, _shown(kept[number])))
            total.merge(result)
            batch.clear()
            kept.clear()
            if progress:
                progress(stream.tell(), size)

        for chunk, outcome in _parsed(fmt, _chunks(fmt, stream), pool):
            number = chunk[0]
            read += 1
            if isinstance(outcome, Rejected):
                rejects.append((number, outcome.control_number, outcome.reason, _shown(chunk)))
                total.rejected.append((number, outcome.reason))
                continue
            batch.append((number, outcome))
            kept[number] = chunk
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    written = _write_rejects(rejects_path, rejects) if rejects else None
    if not rejects and rejects_path.exists():
        rejects_path.unlink()  # an old one would describe an earlier run
    return ImportSummary(read, total, written, time.perf_counter() - started)


def _fewer_collections() -> None:
    """Parsing and writing make many short-lived objects and no reference cycles: the
    collector running every 700 allocations costs about 7 % for nothing."""
    gc.set_threshold(100_000, 50, 100)


@contextmanager
def _bulk_connection(engine: Engine) -> Iterator[Connection]:
    """One connection for the whole import. On SQLite it gets a page cache big enough for
    the indexes being filled; durability is unchanged (WAL, synchronous=FULL)."""
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            yield connection
            return
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        connection.exec_driver_sql("PRAGMA temp_store = MEMORY")
        connection.commit()
        try:
            yield connection
        finally:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA cache_size = -2000")  # SQLite's default
            connection.exec_driver_sql("PRAGMA temp_store = DEFAULT")
            connection.commit()


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
    batch_size: int = BATCH,
    workers: int | None = None,
    rejects_path: Path | None = None,
) -> int:
    """The CLI: progress bar on a terminal, summary at the end; 1 if the file is unreadable."""
    from server.db import make_engine, migrate
    from smartlib.progress import progress_bar

    engine = make_engine(database_url)
    try:
        migrate(engine)
        with progress_bar(f"importing {path.name}") as progress:
            summary = import_file(
                engine,
                path,
                fmt=fmt,
                batch_size=batch_size,
                workers=workers,
                rejects_path=rejects_path,
                progress=progress,
            )
    except (UnreadableFile, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print("\n".join(summary.lines()))
    return 0
