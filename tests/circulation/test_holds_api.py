"""Holds, fees and claims over HTTP on both databases; the server lets lapsed holds go by itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.auth.permissions import Role
from server.catalog import service as catalog
from server.catalog.models import Item
from server.catalog.shapes import ItemIn, RecordIn
from server.circulation.models import Hold
from server.config import ServerSettings
from server.patrons import service as patrons
from smartlib.web import create_app
from tests.conftest import ApiClient

NOW = datetime.now(UTC)


def seed(engine) -> tuple[list[int], int]:
    """Three patrons (cards 0000000001..3) and a record with one copy, B1."""
    with Session(engine) as session:
        readers = []
        for n in (1, 2, 3):
            made = patrons.create_patron(
                session,
                name=f"Reader {n}",
                category="adult",
                home_branch="main",
                actor="lin",
                now=NOW,
                cards=[f"000000000{n}"],
            )
            assert made.id is not None
            readers.append(made.id)
        record = catalog.create_record(
            session, RecordIn(title="Dune"), [ItemIn(barcode="B1")], actor="lin", now=NOW
        ).record
        assert record.id is not None
        return readers, record.id


def test_holds_are_placed_listed_trapped_and_cancelled(api: ApiClient) -> None:
    (borrower, first, second), record = seed(api.app.state.engine)
    assert api.post("/api/circulation/checkout", json={"card": "0000000001", "barcode": "B1"})
    placed = api.post("/api/circulation/holds", json={"patron_id": first, "record_id": record})
    assert placed.status_code == 201, placed.text
    assert (placed.json()["position"], placed.json()["title"]) == (1, "Dune")
    kiosk = api.as_role(Role.KIOSK)
    by_kiosk = api.post(
        "/api/circulation/holds",
        json={"patron_id": second, "record_id": record, "pickup_branch": "east"},
        headers=kiosk,
    )
    assert by_kiosk.status_code == 201, by_kiosk.text
    twice = api.post("/api/circulation/holds", json={"patron_id": first, "record_id": record})
    assert twice.status_code == 409
    assert [r["code"] for r in twice.json()["detail"]["reasons"]] == ["already_held"]
    borrowed = api.post("/api/circulation/holds", json={"patron_id": borrower, "record_id": record})
    assert borrowed.json()["detail"]["reasons"][0]["code"] == "already_borrowed"
    line = api.get("/api/circulation/holds", params={"record_id": record}).json()
    assert [(h["position"], h["patron_id"], h["state"]) for h in line] == [
        (1, first, "waiting"),
        (2, second, "waiting"),
    ]
    back = api.post("/api/circulation/checkin", json={"barcode": "B1"})
    assert back.json()["hold_id"] == placed.json()["hold_id"]
    mine = api.get("/api/circulation/holds", params={"patron_id": first}).json()
    assert [(h["state"], h["position"]) for h in mine] == [("ready", 1)]
    assert mine[0]["pickup_by"] is not None
    cancelled = api.post(
        f"/api/circulation/holds/{placed.json()['hold_id']}/cancel", json={"reason": "by phone"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["state"], cancelled.json()["position"]) == ("cancelled", None)
    # the copy now waits for the second in line, at east: it travels there
    line = api.get("/api/circulation/holds", params={"record_id": record}).json()
    assert [(h["patron_id"], h["state"]) for h in line] == [(second, "in_transit")]
    again = api.post(f"/api/circulation/holds/{placed.json()['hold_id']}/cancel", json={})
    assert again.status_code == 409
    assert again.json()["detail"]["reasons"][0]["code"] == "hold_closed"


def test_unknown_ids_and_bad_input(api: ApiClient) -> None:
    (reader, _, _), record = seed(api.app.state.engine)
    holds = "/api/circulation/holds"
    assert api.post(holds, json={"patron_id": reader, "record_id": 9999}).status_code == 404
    assert api.post(holds, json={"patron_id": 9999, "record_id": record}).status_code == 404
    assert api.post(holds, json={"patron_id": reader}).status_code == 422
    assert api.post(holds, json={"patron_id": -1, "record_id": record}).status_code == 422
    assert api.post(holds, json={"patron_id": 2**40, "record_id": record}).status_code == 422
    assert api.post(f"{holds}/9999/cancel", json={}).status_code == 404
    assert api.get(holds).status_code == 422
    assert api.get(holds, params={"record_id": "x"}).status_code == 422
    assert api.get("/api/circulation/patrons/9999/loans").status_code == 404
    assert api.get("/api/circulation/patrons/9999/fees").status_code == 404
    pay = f"/api/circulation/patrons/{reader}/payments"
    assert api.post(pay, json={"amount_cents": 0}).status_code == 422
    assert api.post(pay, json={"amount_cents": "lots"}).status_code == 422
    nothing = api.post(pay, json={"amount_cents": 100})
    assert nothing.status_code == 409
    assert nothing.json()["detail"]["reasons"][0]["code"] == "nothing_owed"
    waive = f"/api/circulation/patrons/{reader}/waivers"
    assert api.post(waive, json={"amount_cents": 100, "reason": "  "}).status_code == 422
    assert api.post("/api/circulation/lost", json={"barcode": "B1"}).status_code == 404
    assert api.post("/api/circulation/lost", json={"barcode": ""}).status_code == 422


def test_fees_loans_and_lost_items_at_the_desk(api: ApiClient) -> None:
    (reader, _, _), _ = seed(api.app.state.engine)
    assert api.post("/api/circulation/checkout", json={"card": "0000000001", "barcode": "B1"})
    loans = api.get(f"/api/circulation/patrons/{reader}/loans").json()
    assert [(x["barcode"], x["renewals_left"], x["state"]) for x in loans] == [("B1", 3, "out")]
    kiosk = api.as_role(Role.KIOSK)
    lost_body = {"barcode": "B1", "charge_cents": 2500, "note": "dog ate it"}
    assert api.post("/api/circulation/lost", json=lost_body, headers=kiosk).status_code == 403
    lost = api.post("/api/circulation/lost", json=lost_body)
    assert lost.status_code == 200, lost.text
    charge = api.post(
        f"/api/circulation/patrons/{reader}/charges",
        json={"amount_cents": 300, "note": "replacement card"},
    )
    assert charge.json()["balance_cents"] == 2800
    paid = api.post(f"/api/circulation/patrons/{reader}/payments", json={"amount_cents": 2000})
    assert (paid.status_code, paid.json()["balance_cents"]) == (201, 800)
    over = api.post(
        f"/api/circulation/patrons/{reader}/waivers", json={"amount_cents": 801, "reason": "x"}
    )
    assert over.json()["detail"]["reasons"][0]["code"] == "overpaid"
    waived = api.post(
        f"/api/circulation/patrons/{reader}/waivers",
        json={"amount_cents": 800, "reason": "long-standing reader"},
    )
    assert waived.json()["balance_cents"] == 0
    ledger = api.get(f"/api/circulation/patrons/{reader}/fees").json()
    assert ledger["balance_cents"] == 0
    assert sorted((x["kind"], x["amount_cents"]) for x in ledger["lines"]) == [
        ("lost", 2500),
        ("manual", 300),
        ("payment", -2000),
        ("waiver", -800),
    ]
    loans = api.get(f"/api/circulation/patrons/{reader}/loans").json()
    assert [(x["state"], x["overdue"]) for x in loans] == [("lost", False)]
    found = api.post("/api/circulation/checkin", json={"barcode": "B1"})
    assert (found.json()["loan"]["fine_cents"], found.json()["item_status"]) == (0, "available")
    assert api.get(f"/api/circulation/patrons/{reader}/loans").json() == []
    claimed = api.post("/api/circulation/claims-returned", json={"barcode": "B1"})
    assert claimed.status_code == 404  # not on loan any more


def test_the_server_lets_lapsed_holds_go_by_itself(database_url: str) -> None:
    settings = ServerSettings(
        database_url=database_url, mqtt_url="mqtt://127.0.0.1:9", hold_expiry_every_s=0.05
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        (_, first, _), record = seed(engine)
        with Session(engine) as session:
            item = session.exec(select(Item).where(Item.barcode == "B1")).one()
            item.status = "on_hold_shelf"
            hold = Hold(
                patron_id=first,
                record_id=record,
                pickup_branch="main",
                placed_at=NOW - timedelta(days=9),
                state="ready",
                trapped_item_id=item.id,
                ready_at=NOW - timedelta(days=8),
                pickup_by=NOW - timedelta(minutes=1),
            )
            session.add_all([item, hold])
            session.commit()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                session.expire_all()
                if session.exec(select(Hold.state)).one() == "expired":
                    break
                time.sleep(0.05)
            assert session.exec(select(Hold.state)).one() == "expired"
            assert session.exec(select(Item.status)).one() == "available"
