"""Catalogue at scale: 1,000,000 items and 200,000 patrons on SQLite and PostgreSQL.

Measures, in one run, and prints (it never fails on time):

- baseline: how fast pymarc alone parses each generated file in one process (MARCReader,
  every record, its title touched: what a librarian's script does), MARC-8 and UTF-8,
  measured again just before each import so both see the same machine;
- import: `import_file` (what `smartlib import` runs) with its default workers and batch
  size into an empty database, records/s and the ratio to that baseline;
- then, in the database holding the UTF-8 import plus 200,000 patrons: catalogue search
  (a mix of title words, surnames, subjects, ISBNs, barcodes and Chinese words) through
  the function the API calls, patron by card, patron search, and the database's size.

The files come from bench/marcgen.py (about 2.7 items per record). Run from the
repository root: `.venv/bin/python bench/catalogue.py [--items N] [--db sqlite|postgresql|both]`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pymarc
import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.marcgen import Catalogue, write_catalogue
from bench.patrons import FAMILY, GIVEN, add_patrons
from server.catalog import service
from server.db import make_engine, migrate
from server.patrons.self_service import find_by_card
from server.patrons.service import search_patrons
from smartlib.importer import default_workers, import_file
from tests.services import create_pg_database, drop_pg_database, postgres_available

ENCODINGS = {"marc8": "MARC-8", "utf8": "UTF-8"}


def say(text: str = "") -> None:
    print(text, flush=True)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else math.nan


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def catalogue(directory: Path, items: int) -> Catalogue:
    """The generated files, made once per directory and item count."""
    summary = directory / f"catalogue-{items}.json"
    if summary.exists():
        found = Catalogue(**json.loads(summary.read_text()))
        if all(Path(p).exists() for p in found.files.values()):
            say(f"reusing {found.records:,} records, {found.items:,} items in {directory}")
            return found
    say(f"writing {items:,} items as MARC-8 and UTF-8 files in {directory} ...")
    started = time.perf_counter()
    made = write_catalogue(directory, items)
    summary.write_text(json.dumps(made.__dict__))
    took = time.perf_counter() - started
    say(f"  {made.records:,} records, {made.items:,} items in {took:.0f} s")
    return made


def describe(made: Catalogue) -> str:
    fields, size = made.fields / made.records, made.utf8_bytes / made.records
    return f"{made.items / made.records:.2f} items, {fields:.1f} fields, {size:,.0f} bytes a record"


def bare_parse(path: Path, utf8: bool) -> float:
    """Records/s of pymarc alone, in this one process."""
    started = time.perf_counter()
    count = 0
    with path.open("rb") as file:
        for record in pymarc.MARCReader(file, to_unicode=True, force_utf8=utf8):
            if record is not None and record.title is not None:
                count += 1
    return count / (time.perf_counter() - started)


@contextmanager
def database(kind: str, directory: Path, name: str) -> Iterator[str]:
    """A new empty database; gone afterwards."""
    if kind == "sqlite":
        path = directory / f"{name}.sqlite"
        yield f"sqlite:///{path}"
        for leftover in directory.glob(f"{name}.sqlite*"):
            leftover.unlink()
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def timed(function: Callable[[Any], object], arguments: list[Any]) -> tuple[float, float]:
    """(p50, p99) in ms."""
    times = []
    for argument in arguments:
        started = time.perf_counter()
        function(argument)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return percentile(times, 50), percentile(times, 99)


def size_mb(engine: sa.Engine) -> float:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            query = "SELECT pg_database_size(current_database())"
            return connection.execute(sa.text(query)).scalar_one() / 1e6
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(str(engine.url.database)).stat().st_size / 1e6


def measure_use(engine: sa.Engine, made: Catalogue, patrons: int) -> dict[str, str]:
    say(f"  adding {patrons:,} patrons ...")
    add_patrons(engine, patrons)
    rng_cards = [f"{(n * 7919) % patrons:010d}" for n in range(2000)] + ["9999999999"] * 20
    names = [(GIVEN + FAMILY)[n % len(GIVEN + FAMILY)] for n in range(300)]
    queries = made.queries[:1000]
    say(f"  timing {len(queries):,} catalogue searches, 2,020 card lookups, 300 patron searches")
    with Session(engine) as session:
        search = timed(lambda q: service.find(session, q), queries)
        lookup = timed(lambda c: find_by_card(session, c), rng_cards)
        patron_search = timed(lambda n: search_patrons(session, n, per_page=25), names)
    return {
        "search": f"{search[0]:.1f} / {search[1]:.1f}",
        "lookup": f"{lookup[0]:.2f} / {lookup[1]:.2f}",
        "patron_search": f"{patron_search[0]:.1f} / {patron_search[1]:.1f}",
        "size": f"{size_mb(engine):,.0f}",
    }


def measure(kind: str, directory: Path, made: Catalogue, patrons: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for encoding, label in ENCODINGS.items():
        path = Path(made.files[encoding])
        bare = bare_parse(path, encoding == "utf8")
        say(f"{kind}: pymarc alone parses {label} at {bare:,.0f} records/s ({load()})")
        with database(kind, directory, f"import-{encoding}") as url:
            engine = make_engine(url)
            migrate(engine)
            say(f"{kind}: importing {label} ({default_workers(path)} workers) ...")
            summary = import_file(engine, path)
            result = summary.result
            if (result.created, result.items_created) != (made.records, made.items):
                say("  ! not everything was stored: " + " / ".join(summary.lines()))
            ratio = summary.rate / bare
            took = f"{summary.seconds:.0f} s"
            say(f"  {summary.rate:,.0f} records/s, {ratio:.2f}x the bare parse, in {took}")
            found[encoding] = f"{summary.rate:,.0f} / {bare:,.0f} = {ratio:.2f}x"
            if encoding == "utf8":
                found.update(measure_use(engine, made, patrons))
            engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--patrons", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the generated files here")
    options = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    if "postgresql" in kinds and (problem := postgres_available()) is not None:
        say(f"PostgreSQL: {problem}; measuring SQLite only")
        kinds.remove("postgresql")
    say(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {load()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        directory = options.workdir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        made = catalogue(directory, options.items)
        say(f"  {describe(made)}")
        results = {kind: measure(kind, directory, made, options.patrons) for kind in kinds}
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    say(f"\n## catalogue at scale ({made.items:,} items in {made.records:,} records, "
        f"{options.patrons:,} patrons)\n")  # fmt: skip
    say("| figure | " + " | ".join(names[k] for k in results) + " |")
    say("|---|" + "---|" * len(results))
    rows = [
        ("marc8", "import MARC-8 / bare pymarc parse just before, records/s"),
        ("utf8", "import UTF-8 / bare pymarc parse just before, records/s"),
        ("search", "catalogue search, p50 / p99 ms"),
        ("lookup", "patron by card, p50 / p99 ms"),
        ("patron_search", "patron search by name, p50 / p99 ms"),
        ("size", "database size, MB"),
    ]
    for key, label in rows:
        say(f"| {label} | " + " | ".join(r[key] for r in results.values()) + " |")
    say(f"\n{load()}")


if __name__ == "__main__":
    main()
