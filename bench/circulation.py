"""Circulation at scale: checkout, renew and checkin through the HTTP API.

Builds a library of 1,000,000 items (about 370,000 records), 200,000 patrons and
5,000,000 historic (returned) loans with bulk inserts, starts a real `smartlib server`
on it, and times, through the API as a desk or kiosk calls it:

- checkout, renew and checkin, one request after another (one client), then with 16
  clients at once, each its own connection;
- the baseline in the same run: a bare FastAPI endpoint doing one item lookup on the same
  database, served the same way (bench/bare.py), with the same clients.

Prints p50/p99 per operation; never fails on time. Run from the repository root:
`.venv/bin/python bench/circulation.py [--items N] [--db sqlite|postgresql|both]`.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.catalogue import database, percentile, say, size_mb
from bench.patrons import add_patrons
from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.db import make_engine, migrate
from tests.processes import ADMIN, ServerProcess
from tests.services import Mosquitto, free_port, postgres_available, wait_port

BATCH = 20_000
TYPES = [("book", 0.88), ("dvd", 0.07), ("reference", 0.05)]
BRANCHES = ["main", "east", "west"]
CLIENTS = 16


def bulk(engine: sa.Engine, table: str, columns: list[str], rows: Iterator[tuple]) -> int:
    """Insert rows fast: COPY on PostgreSQL, executemany in big transactions on SQLite."""
    count = 0
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
                    count += 1
            raw.commit()
        finally:
            raw.close()
        return count
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    batch: list[tuple] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                connection.exec_driver_sql(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            connection.exec_driver_sql(sql, batch)
            count += len(batch)
    return count


def build(url: str, items: int, patrons: int, history: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    records = int(items / 2.7)
    started = time.perf_counter()
    bulk(
        engine,
        "bib_record",
        [
            "id",
            "title",
            "authors",
            "publisher",
            "subjects",
            "language",
            "call_number",
            "created_at",
            "updated_at",
        ],
        ((n + 1, f"Title {n}", "[]", "", "[]", "eng", "", now, now) for n in range(records)),
    )
    types, weights = zip(*TYPES, strict=True)
    bulk(
        engine,
        "item",
        [
            "id",
            "record_id",
            "barcode",
            "home_branch",
            "zone",
            "stack",
            "shelf",
            "collection",
            "item_type",
            "status",
            "parts",
            "created_at",
            "updated_at",
        ],
        (
            (
                n + 1,
                n % records + 1,
                f"B{n:07d}",
                rng.choice(BRANCHES),
                "",
                "",
                "",
                "",
                rng.choices(types, weights)[0],
                "available",
                1,
                now,
                now,
            )
            for n in range(items)
        ),
    )
    say(f"  {records:,} records and {items:,} items in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    add_patrons(engine, patrons)
    say(f"  {patrons:,} patrons in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with engine.connect() as connection:
        patron_ids = connection.execute(sa.text("SELECT min(id), max(id) FROM patron")).one()
    two_years = 730 * 24 * 3600

    def loans() -> Iterator[tuple]:
        for n in range(history):
            out = now - timedelta(seconds=rng.randrange(two_years))
            back = out + timedelta(days=rng.randrange(1, 40))
            yield (
                n + 1,
                rng.randrange(items) + 1,
                rng.randint(*patron_ids),
                "main",
                out,
                out + timedelta(days=28),
                0,
                "returned",
                min(back, now),
            )

    bulk(
        engine,
        "loan",
        [
            "id",
            "item_id",
            "patron_id",
            "branch",
            "checked_out_at",
            "due_at",
            "renewals",
            "state",
            "returned_at",
        ],
        loans(),
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:  # ids were given: move the sequences past them
            for table in ("bib_record", "item", "loan"):
                connection.execute(
                    sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
            connection.execute(sa.text("ANALYZE"))
    say(
        f"  {history:,} historic loans in {time.perf_counter() - started:.0f} s;"
        f" database {size_mb(engine):,.0f} MB"
    )
    with Session(engine) as session:
        ensure_account(session, *ADMIN, Role.ADMIN, now)
    engine.dispose()


def sample(url: str, count: int) -> tuple[list[str], list[str]]:
    """Cards of `count` adults (their cards renewed for a year, as a desk would), and
    `count` books on the shelf."""
    engine = make_engine(url)
    with engine.begin() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT p.id, min(c.number) FROM patron p JOIN patron_card c "
                "ON c.patron_id = p.id WHERE p.category = 'adult' "
                "GROUP BY p.id ORDER BY p.id LIMIT :n"
            ),
            {"n": count},
        ).all()
        connection.execute(
            sa.text("UPDATE patron SET expires_on = :until WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"until": date.today() + timedelta(days=365), "ids": [r[0] for r in rows]},
        )
        barcodes = (
            connection.execute(
                sa.text(
                    "SELECT barcode FROM item WHERE item_type = 'book' AND status = 'available' "
                    "ORDER BY id DESC LIMIT :n"
                ),
                {"n": count},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    if len(rows) < count:
        raise SystemExit(f"only {len(rows)} adult patrons; use more --patrons")
    return [card for _, card in rows], list(barcodes)


Call = Callable[[httpx.Client, int], httpx.Response]


def sequential(base: str, headers: dict[str, str], call: Call, count: int) -> list[float]:
    times = []
    with httpx.Client(base_url=base, headers=headers) as client:
        for n in range(count):
            started = time.perf_counter()
            answer = call(client, n)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code < 300, answer.text
    return sorted(times)


def concurrent(
    base: str, headers: dict[str, str], call: Call, count: int, clients: int = CLIENTS
) -> list[float]:
    times: list[float] = []
    barrier = threading.Barrier(clients)

    def run(first: int) -> None:
        mine = []
        with httpx.Client(base_url=base, headers=headers) as client:
            client.get("/healthz")  # connected before the clock starts
            barrier.wait()
            for n in range(first, count, clients):
                started = time.perf_counter()
                answer = call(client, n)
                mine.append((time.perf_counter() - started) * 1000)
                assert answer.status_code < 300, answer.text
        times.extend(mine)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(times)


@contextmanager
def bare_server(url: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare:create",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "BARE_DATABASE_URL": url},
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        wait_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(15)


def figures(times: list[float]) -> str:
    return f"{percentile(times, 50):6.2f} / {percentile(times, 99):6.2f}"


def measure(kind: str, workdir: Path, args: argparse.Namespace, broker: Mosquitto) -> None:
    say(f"\n{kind}: building")
    with database(kind, workdir, "circulation") as url:
        build(url, args.items, args.patrons, args.history)
        total = args.requests + args.requests
        cards, barcodes = sample(url, total)
        seq, par = slice(0, args.requests), slice(args.requests, total)
        server = ServerProcess(database_url=url, mqtt_url=broker.url, log=workdir / f"{kind}.log")
        server.start(timeout=300)
        rows = []
        try:
            base, headers = server.url, server.headers

            def lend(part: slice) -> Call:
                return lambda c, n: c.post(
                    "/api/circulation/checkout",
                    json={"card": cards[part][n], "barcode": barcodes[part][n]},
                )

            def renew(part: slice) -> Call:
                return lambda c, n: c.post(
                    "/api/circulation/renew", json={"barcode": barcodes[part][n]}
                )

            def back(part: slice) -> Call:
                return lambda c, n: c.post(
                    "/api/circulation/checkin", json={"barcode": barcodes[part][n]}
                )

            for name, make in (("checkout", lend), ("renew", renew), ("checkin", back)):
                one = sequential(base, headers, make(seq), args.requests)
                many = concurrent(base, headers, make(par), args.requests)
                rows.append((name, one, many))
        finally:
            server.stop()
        with bare_server(url) as base:

            def lookup(part: slice) -> Call:
                return lambda c, n: c.post(f"/lookup/{barcodes[part][n]}")

            one = sequential(base, {}, lookup(seq), args.requests)
            many = concurrent(base, {}, lookup(par), args.requests)
            rows.append(("baseline: bare FastAPI + one lookup", one, many))
    say(
        f"\n{kind}: {args.items:,} items, {args.patrons:,} patrons, {args.history:,} past loans;"
        f" {args.requests:,} requests each"
    )
    say(f"  {'operation':<38} {'1 client p50 / p99 ms':>22}   {CLIENTS} clients p50 / p99 ms")
    for name, one, many in rows:
        say(f"  {name:<38} {figures(one):>22}   {figures(many)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--patrons", type=int, default=200_000)
    parser.add_argument("--history", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=2_000, help="per operation and mode")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and (problem := postgres_available()):
        say(f"PostgreSQL skipped: {problem}")
        kinds.remove("postgresql")
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        broker = Mosquitto(workdir / "mosquitto")
        broker.start()
        try:
            for kind in kinds:
                measure(kind, workdir, args, broker)
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
