"""The patron portal over HTTP: card and PIN sign-in, own loans and fines, renewing."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.permissions import Role
from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.circulation import service
from server.circulation.models import Fee
from server.patrons import service as patrons
from server.patrons.self_service import LOCK_AFTER
from tests.conftest import ApiClient

CARD, PIN = "0000000042", "2468"


def seed(api: ApiClient) -> int:
    now = datetime.now(UTC)
    with Session(api.app.state.engine) as session:
        ada = patrons.create_patron(
            session,
            name="Ada Lovelace",
            category="adult",
            home_branch="main",
            actor="lin",
            now=now,
            cards=[CARD],
            pin=PIN,
        )
        patrons.create_patron(
            session,
            name="Grace Hopper",
            category="adult",
            home_branch="main",
            actor="lin",
            now=now,
            cards=["0000000043"],
        )
        catalog.create_record(
            session,
            RecordIn(title="Dune"),
            [ItemIn(barcode="B1"), ItemIn(barcode="B2")],
            actor="lin",
            now=now,
        )
        desk = service.Desk("main", "lin", now, api.app.state.settings.zone)
        service.checkout(session, CARD, "B1", desk)
        service.checkout(session, "0000000043", "B2", desk)
        session.add(Fee(patron_id=ada.id, kind="manual", amount_cents=250, at=now, actor="lin"))
        session.commit()
        assert ada.id is not None
        return ada.id


def patron_headers(api: TestClient, pin: str = PIN) -> dict[str, str]:
    answer = api.post("/api/portal/sign-in", json={"card": CARD, "pin": pin})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_a_patron_sees_and_renews_only_their_own_loans(api: ApiClient) -> None:
    seed(api)
    mine = patron_headers(api)
    me = api.get("/api/portal/me", headers=mine).json()
    assert (me["name"], me["balance_cents"]) == ("Ada Lovelace", 250)
    assert [(loan["barcode"], loan["renewals_left"]) for loan in me["loans"]] == [("B1", 3)]
    renewed = api.post("/api/portal/renew", json={"barcode": "B1"}, headers=mine)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["renewals_left"] == 2
    theirs = api.post("/api/portal/renew", json={"barcode": "B2"}, headers=mine)
    assert theirs.status_code == 404
    assert (
        api.post("/api/circulation/checkin", json={"barcode": "B1"}, headers=mine).status_code
        == 403
    )
    assert api.get("/api/portal/me").status_code == 403  # the librarian is no patron


def test_wrong_pins_count_down_then_lock(api: ApiClient) -> None:
    seed(api)
    for left in range(LOCK_AFTER - 1, 0, -1):
        wrong = api.post("/api/portal/sign-in", json={"card": CARD, "pin": "0000"})
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == f"wrong PIN: {left} tries left"
    api.post("/api/portal/sign-in", json={"card": CARD, "pin": "0000"})
    locked = api.post("/api/portal/sign-in", json={"card": CARD, "pin": PIN})
    assert locked.status_code == 401
    assert "locked" in locked.json()["detail"]
    no_pin = api.post("/api/portal/sign-in", json={"card": "0000000043", "pin": "1234"})
    assert no_pin.json()["detail"] == "this card has no PIN yet: ask at the desk"
    unknown = api.post("/api/portal/sign-in", json={"card": "12345678", "pin": "1234"})
    assert unknown.json()["detail"] == "unknown card number"


def test_a_patron_account_cannot_sign_in_with_a_password(api: ApiClient) -> None:
    patron_id = seed(api)
    patron_headers(api)
    answer = api.post(
        "/api/auth/sign-in", json={"username": f"patron-{patron_id}", "password": "!"}
    )
    assert answer.status_code == 401
    assert api.get("/api/portal/me", headers=api.as_role(Role.PATRON)).status_code == 404


def test_a_patron_places_and_cancels_a_hold(api: ApiClient) -> None:
    seed(api)
    with Session(api.app.state.engine) as session:
        emma = catalog.create_record(
            session,
            RecordIn(title="Emma"),
            [ItemIn(barcode="E1")],
            actor="lin",
            now=datetime.now(UTC),
        )
        desk = service.Desk("main", "lin", datetime.now(UTC), api.app.state.settings.zone)
        service.checkout(session, "0000000043", "E1", desk)
        record_id = emma.record.id
    mine = patron_headers(api)
    placed = api.post("/api/portal/holds", json={"record_id": record_id}, headers=mine)
    assert placed.status_code == 201, placed.text
    assert (placed.json()["title"], placed.json()["position"]) == ("Emma", 1)
    twice = api.post("/api/portal/holds", json={"record_id": record_id}, headers=mine)
    assert twice.json()["detail"]["reasons"][0]["code"] == "already_held"
    me = api.get("/api/portal/me", headers=mine).json()
    assert [(h["title"], h["state"]) for h in me["holds"]] == [("Emma", "waiting")]
    hold_id = me["holds"][0]["hold_id"]
    assert api.post(f"/api/portal/holds/{hold_id}/cancel", headers=mine).status_code == 204
    assert api.get("/api/portal/me", headers=mine).json()["holds"] == []
    assert api.post(f"/api/portal/holds/{hold_id}/cancel", headers=mine).status_code == 409


def test_patron_sign_ins_stay_out_of_the_staff_account_list(api: ApiClient) -> None:
    seed(api)
    patron_headers(api)
    listed = api.get("/api/accounts", headers=api.as_role(Role.ADMIN)).json()
    assert [a["username"] for a in listed if a["username"].startswith("patron-")] == []
