"""Records at library scale: 200,000 patrons, card lookups and patron search.

Builds the patrons with realistic shares of categories, names (Latin and Chinese) and
cards per patron through bulk inserts, then times `find_by_card` (what every kiosk tap
and desk scan does) and `search_patrons`, and prints the database size. Prints figures;
never fails on time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.db import make_engine, migrate
from server.patrons.models import Patron, PatronCard
from server.patrons.self_service import find_by_card
from server.patrons.service import search_patrons
from tests.services import create_pg_database, drop_pg_database, postgres_available

CATEGORIES = [("adult", 0.60), ("student", 0.20), ("child", 0.15), ("staff", 0.05)]
GIVEN = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Femi",
    "Grace",
    "Hugo",
    "Ines",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tariq",
]
FAMILY = [
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Müller",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Santos",
    "Kim",
    "Johansson",
    "Dubois",
    "Ivanova",
    "Tanaka",
    "Evans",
    "Cohen",
]
CHINESE = (
    ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"],
    ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"],
)
BATCH = 5000


def patrons(count: int, seed: int = 1):  # type: ignore[no-untyped-def]
    """(patron row, [card numbers]) with a heavy tail of people holding a second card."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    codes, weights = zip(*CATEGORIES, strict=True)
    for i in range(count):
        if rng.random() < 0.3:
            name = rng.choice(CHINESE[0]) + rng.choice(CHINESE[1]) + rng.choice(CHINESE[1])
        else:
            name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        registered = date(2010, 1, 1) + timedelta(days=rng.randrange(5800))
        row = {
            "name": name,
            "email": f"p{i}@example.org" if rng.random() < 0.8 else None,
            "phone": None,
            "birth_date": None,
            "category": rng.choices(codes, weights)[0],
            "home_branch": rng.choice(["main", "east", "west"]),
            "registered_on": registered,
            "expires_on": registered + timedelta(days=1095),
            "pin_hash": None,
            "pin_failures": 0,
            "created_at": now,
            "updated_at": now,
        }
        cards = [f"{i:010d}"] + ([f"X{i:09d}"] if rng.random() < 0.1 else [])
        yield row, cards


def build(engine: sa.Engine, count: int) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    rows: list = []
    for row, cards in patrons(count):
        rows.append((row, cards))
        if len(rows) == BATCH:
            _insert(engine, rows, now)
            rows = []
    if rows:
        _insert(engine, rows, now)
    return time.perf_counter() - started


def _insert(engine: sa.Engine, rows: list, now: datetime) -> None:
    with engine.begin() as connection:
        ids = (
            connection.execute(
                sa.insert(Patron.__table__).returning(Patron.__table__.c.id),  # type: ignore[attr-defined]
                [r for r, _ in rows],
            )
            .scalars()
            .all()
        )
        connection.execute(
            sa.insert(PatronCard.__table__),
            [  # type: ignore[attr-defined]
                {"patron_id": pid, "number": n, "issued_at": now, "retired_reason": ""}
                for pid, (_, cards) in zip(ids, rows, strict=True)
                for n in cards
            ],
        )


def timed(function, arguments) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for argument in arguments:
        started = time.perf_counter()
        function(argument)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def measure(url: str, count: int) -> dict[str, str]:
    engine = make_engine(url)
    migrate(engine)
    seconds = build(engine, count)
    rng = random.Random(5)
    cards = [f"{rng.randrange(count):010d}" for _ in range(2000)] + ["9999999999"] * 20
    names = [rng.choice(GIVEN + FAMILY) for _ in range(100)]
    with Session(engine) as session:
        lookup = timed(lambda c: find_by_card(session, c), cards)
        search = timed(lambda n: search_patrons(session, n, per_page=25), names)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            size = connection.execute(
                sa.text("SELECT pg_database_size(current_database())")
            ).scalar()
        else:
            size = Path(engine.url.database).stat().st_size
    engine.dispose()
    return {
        "build": f"{count / seconds:,.0f} patrons/s",
        "lookup": f"{lookup[0]:.2f} / {lookup[1]:.2f}",
        "search": f"{search[0]:.1f} / {search[1]:.1f}",
        "size": f"{size / 1e6:,.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patrons", type=int, default=200_000)
    parser.add_argument("--skip-postgres", action="store_true")
    options = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        print(f"building {options.patrons:,} patrons on SQLite ...", flush=True)
        results["SQLite"] = measure(f"sqlite:///{directory}/records.sqlite", options.patrons)
    problem = "skipped" if options.skip_postgres else postgres_available()
    if problem is None:
        print(f"building {options.patrons:,} patrons on PostgreSQL ...", flush=True)
        url = create_pg_database()
        try:
            results["PostgreSQL"] = measure(url, options.patrons)
        finally:
            drop_pg_database(url)
    else:
        print(f"PostgreSQL: {problem}")
    print(f"\n## patrons at scale ({options.patrons:,} patrons, about 1.1 cards each)\n")
    print("| figure | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for key, label in [
        ("build", "bulk build"),
        ("lookup", "patron by card, p50 / p99 ms"),
        ("search", "patron search by name, p50 / p99 ms"),
        ("size", "database size, MB"),
    ]:
        print(f"| {label} | " + " | ".join(r[key] for r in results.values()) + " |")


if __name__ == "__main__":
    main()
