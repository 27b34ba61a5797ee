"""A small library with known figures, made through the catalogue and patron services.

The figures every reports test checks are written out here beside the data that makes them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.patrons import privacy
from server.patrons import service as patrons

ACTOR = "lin"
FORMULA_TITLE = '=HYPERLINK("http://example.org")'

# barcode: (record, branch, type, status, days before now it was added)
ITEMS = {
    "B0001": ("三体", "main", "book", "available", 100),
    "B0002": ("三体", "main", "book", "on_loan", 100),
    "B0003": ("三体", "east", "book", "available", 5),
    "B0004": ("Dune", "main", "dvd", "missing", 2),
    "B0005": ("Dune", "east", "book", "available", 0),
    "B0006": ("Dune", "east", "book", "withdrawn", 31),
    "B0007": (FORMULA_TITLE, "main", "book", "on_loan", 10),
}
# (branch, type) -> counts by status
COLLECTION = {
    ("east", "book"): {"available": 2, "withdrawn": 1},
    ("main", "book"): {"available": 1, "on_loan": 2},
    ("main", "dvd"): {"missing": 1},
}
BY_STATUS = {"available": 3, "on_loan": 2, "in_transit": 0, "on_hold_shelf": 0}
BY_STATUS |= {"missing": 1, "withdrawn": 1}
# added in the default window (the last 30 days, today included), newest first
NEW_IN_30_DAYS = ["B0005", "B0004", "B0003", "B0007"]

# category -> (patrons on file, expired, blocked, anonymised)
BY_CATEGORY = {
    "adult": (3, 1, 1, 1),
    "child": (1, 1, 0, 0),
    "staff": (0, 0, 0, 0),
    "student": (1, 0, 1, 0),
}
BY_BRANCH = {"east": (2, 1, 0, 1), "main": (3, 1, 2, 0)}
TOTAL = (5, 2, 2, 1)


def seed_items(session: Session, now: datetime) -> dict[str, int]:
    """The items of ITEMS; returns each barcode's item id."""
    records: dict[str, int] = {}
    ids: dict[str, int] = {}
    for barcode, (title, branch, item_type, status, days) in ITEMS.items():
        added = now - timedelta(days=days)
        if title not in records:
            detail = catalog.create_record(
                session, RecordIn(title=title), [], actor=ACTOR, now=added
            )
            assert detail.record.id is not None
            records[title] = detail.record.id
        item = ItemIn(barcode=barcode, home_branch=branch, item_type=item_type, status=status)
        made = catalog.add_item(session, records[title], item, actor=ACTOR, now=added)
        assert made.id is not None
        ids[barcode] = made.id
    return ids


def seed_patrons(session: Session, now: datetime) -> None:
    """Patrons making BY_CATEGORY and BY_BRANCH on `now`'s day."""
    today = now.date()
    registered = today - timedelta(days=400)

    def patron(name: str, category: str, branch: str, expires_on: date) -> int:
        made = patrons.create_patron(
            session,
            name=name,
            category=category,
            home_branch=branch,
            actor=ACTOR,
            now=now,
            registered_on=registered,
            expires_on=expires_on,
        )
        assert made.id is not None
        return made.id

    later = today + timedelta(days=365)
    patron("Ada Lovelace", "adult", "main", today)  # expires today: not expired yet
    grace = patron("Grace Hopper", "adult", "main", today - timedelta(days=1))
    patrons.add_block(session, grace, "lost three books", actor=ACTOR, now=now)
    alan = patron("Alan Turing", "adult", "east", later)
    lifted = patrons.add_block(session, alan, "paid", actor=ACTOR, now=now)
    assert lifted.id is not None
    patrons.lift_block(session, alan, lifted.id, actor=ACTOR, now=now)
    patron("李小龙", "child", "east", today - timedelta(days=10))
    emmy = patron("Emmy Noether", "student", "main", later)
    for reason in ("damaged a book", "rude to staff"):  # two blocks, one blocked patron
        patrons.add_block(session, emmy, reason, actor=ACTOR, now=now)
    gone = patron("Someone Erased", "adult", "east", later)
    privacy.anonymise_patron(session, gone, actor=ACTOR, now=now)


def seed(session: Session, now: datetime) -> dict[str, int]:
    ids = seed_items(session, now)
    seed_patrons(session, now)
    return ids
