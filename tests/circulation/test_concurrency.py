"""Two processes lending the same items at the same moment: each item is lent exactly once.

Each process has its own engine and connections, as two servers would; a barrier starts
both on the same item together, for many items, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.circulation import service
from server.db import make_engine
from server.patrons import service as patrons

ITEMS = 40
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def lend_all(url: str, card: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    desk = service.Desk("main", f"desk-{card}", NOW, ZoneInfo("UTC"))
    outcomes = []
    for n in range(ITEMS):
        barrier.wait()
        with Session(engine) as session:
            try:
                service.checkout(session, card, f"SAME{n:03}", desk)
                outcomes.append("lent")
            except service.CirculationRefused as refused:
                outcomes.append(",".join(r.code.value for r in refused.reasons))
    results.put((card, outcomes))
    engine.dispose()


def test_two_processes_never_lend_one_item_twice(engine, database_url: str) -> None:
    with Session(engine) as session:
        for card in ("0000000001", "0000000002"):
            patrons.create_patron(
                session,
                name=card,
                category="staff",
                home_branch="main",
                actor="lin",
                now=NOW,
                cards=[card],
            )
        catalog.create_record(
            session,
            RecordIn(title="Everyone wants this"),
            [ItemIn(barcode=f"SAME{n:03}") for n in range(ITEMS)],
            actor="lin",
            now=NOW,
        )
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    workers = [
        spawn.Process(target=lend_all, args=(database_url, card, barrier, results))
        for card in ("0000000001", "0000000002")
    ]
    for worker in workers:
        worker.start()
    answers = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(30)
    for n in range(ITEMS):
        got = sorted(outcomes[n] for outcomes in answers.values())
        assert got == ["already_on_loan", "lent"], (n, got)
    with engine.connect() as connection:
        open_loans = connection.execute(
            sa.text("SELECT item_id, count(*) FROM loan WHERE returned_at IS NULL GROUP BY item_id")
        ).all()
    assert len(open_loans) == ITEMS
    assert {count for _, count in open_loans} == {1}
