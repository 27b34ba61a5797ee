"""Two `smartlib server` processes on one database, asked to lend the same item at once.

For every item, two clients post a checkout at the same moment, one to each server, for
different patrons: exactly one gets the loan (201), the other "already on loan" (409).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.db import make_engine, migrate
from server.patrons import service as patrons
from tests.processes import ServerProcess

ITEMS = 30
CARDS = ("0000000001", "0000000002")


def checkout(server: ServerProcess, card: str, barcode: str) -> int:
    body = json.dumps({"card": card, "barcode": barcode}).encode()
    headers = {**server.headers, "Content-Type": "application/json"}
    request = urllib.request.Request(
        server.url + "/api/circulation/checkout", method="POST", data=body, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        reasons = json.loads(error.read())["detail"]["reasons"]
        assert [r["code"] for r in reasons] == ["already_on_loan"], reasons
        return error.code


def lend_together(servers: list[ServerProcess], barcode: str) -> list[int]:
    """Each server, for its own patron, at the same moment; their HTTP answers."""
    barrier = threading.Barrier(len(servers))
    answers: list[int] = []

    def lend(server: ServerProcess, card: str) -> None:
        barrier.wait()
        answers.append(checkout(server, card, barcode))

    clients = [
        threading.Thread(target=lend, args=(server, card))
        for server, card in zip(servers, CARDS, strict=True)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join(60)
    return answers


def test_two_servers_lend_each_item_once(tmp_path, mosquitto, database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        for card in CARDS:
            patrons.create_patron(
                session,
                name=card,
                category="staff",
                home_branch="main",
                actor="lin",
                now=now,
                cards=[card],
            )
        catalog.create_record(
            session,
            RecordIn(title="Wanted"),
            [ItemIn(barcode=f"W{n:03}") for n in range(ITEMS)],
            actor="lin",
            now=now,
        )
    servers = [
        ServerProcess(
            database_url=database_url,
            mqtt_url=mosquitto.url,
            instance=name,
            log=tmp_path / f"{name}.log",
        )
        for name in ("server-a", "server-b")
    ]
    try:
        for server in servers:
            server.start()
        for n in range(ITEMS):
            answers = lend_together(servers, f"W{n:03}")
            assert sorted(answers) == [201, 409], (n, answers)
    finally:
        for server in servers:
            server.stop()
    with engine.connect() as connection:
        per_item = (
            connection.execute(
                sa.text("SELECT count(*) FROM loan WHERE returned_at IS NULL GROUP BY item_id")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert per_item == [1] * ITEMS
