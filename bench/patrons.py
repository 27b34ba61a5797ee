"""Patrons at library scale, for the benchmarks: realistic shares of categories, names
(Latin and Chinese) and cards per patron, stored with bulk inserts rather than one
service call each (200,000 patrons in seconds, not minutes).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.patrons.models import Patron, PatronCard

try:  # the patron search index, where this version of the schema has one
    from server.patrons import search as patron_search
except ImportError:
    patron_search = None  # type: ignore[assignment]

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


def patrons(count: int, seed: int = 1) -> Iterator[tuple[dict[str, Any], list[str]]]:
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


def add_patrons(engine: sa.Engine, count: int) -> None:
    """`count` patrons (card numbers 0000000000 up, some with a second card) and their
    rows in the search index."""
    now = datetime.now(UTC)
    rows: list = []
    for row, cards in patrons(count):
        rows.append((row, cards))
        if len(rows) == BATCH:
            _insert(engine, rows, now)
            rows = []
    if rows:
        _insert(engine, rows, now)
    if patron_search is not None:
        with engine.begin() as connection:
            patron_search.rebuild(connection)


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
