"""The circulation desk page, the patron look-up it scans cards with, and the printed receipt."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from server.auth.permissions import Role
from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.patrons import service as patrons
from tests.conftest import ApiClient

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def seed(api: ApiClient) -> None:
    with Session(api.app.state.engine) as session:
        for card, name in (("0000000001", "Ada Lovelace"), ("0000000002", "Li Bai")):
            patrons.create_patron(
                session,
                name=name,
                category="student",
                home_branch="main",
                actor="lin",
                now=NOW,
                cards=[card],
                expires_on=date(2099, 1, 1),
            )
        catalog.create_record(
            session,
            RecordIn(title="Dune"),
            [ItemIn(barcode="B1"), ItemIn(barcode="B2")],
            actor="lin",
            now=NOW,
        )


def lend(api: ApiClient, card: str, barcode: str) -> dict:
    answer = api.post("/api/circulation/checkout", json={"card": card, "barcode": barcode})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_desk_page_is_for_circulating_staff(api: ApiClient) -> None:
    page = api.get("/circulation/desk")
    assert page.status_code == 200
    assert 'id="scan"' in page.text
    assert "autofocus" in page.text
    assert "/static/desk.js" in page.text
    assert 'data-override="yes"' in page.text  # a librarian may override refusals
    assert 'href="/circulation/desk"' in page.text  # in the nav
    chinese = api.get("/circulation/desk?lang=zh-CN")
    assert "流通服务台" in chinese.text
    security = api.get("/circulation/desk", headers=api.as_role(Role.SECURITY))
    assert security.status_code == 403
    assert api.get("/static/desk.js").status_code == 200


def test_a_scanned_card_shows_who_what_they_hold_and_owe(api: ApiClient) -> None:
    seed(api)
    loan = lend(api, "0000000001", "B1")
    found = api.get("/api/circulation/patron", params={"card": "0000000001"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["name"], body["category"], body["balance_cents"]) == ("Ada Lovelace", "student", 0)
    assert body["blocks"] == []
    assert [(x["barcode"], x["title"], x["due_at"]) for x in body["loans"]] == [
        ("B1", "Dune", loan["due_at"])
    ]
    unknown = api.get("/api/circulation/patron", params={"card": "9999999999"})
    assert unknown.status_code == 404
    assert "no patron holds card" in unknown.json()["detail"]
    assert api.get("/api/circulation/patron").status_code == 422
    security = api.get(
        "/api/circulation/patron",
        params={"card": "0000000001"},
        headers=api.as_role(Role.SECURITY),
    )
    assert security.status_code == 403


def test_a_blocked_patron_is_shown_blocked(api: ApiClient) -> None:
    seed(api)
    with Session(api.app.state.engine) as session:
        found = api.get("/api/circulation/patron", params={"card": "0000000002"}).json()
        patrons.add_block(session, found["patron_id"], "lost a book", actor="lin", now=NOW)
    body = api.get("/api/circulation/patron", params={"card": "0000000002"}).json()
    assert [(b["kind"], b["reason"]) for b in body["blocks"]] == [("manual", "lost a book")]


def test_the_receipt_lists_this_visits_loans_with_due_dates(api: ApiClient) -> None:
    seed(api)
    first = lend(api, "0000000001", "B1")
    second = lend(api, "0000000001", "B2")
    receipt = api.get(
        "/circulation/desk/receipt",
        params={"card": "0000000001", "loans": f"{first['loan_id']},{second['loan_id']}"},
    )
    assert receipt.status_code == 200
    assert "Ada Lovelace" in receipt.text
    for loan in (first, second):
        assert f'data-barcode="{loan["barcode"]}"' in receipt.text
        # the server runs in UTC here: the due date is the loan's UTC date
        assert datetime.fromisoformat(loan["due_at"]).date().isoformat() in receipt.text
    assert "@media print" in receipt.text
    assert "2 items" in receipt.text
    # another patron's card shows none of these loans
    other = api.get(
        "/circulation/desk/receipt", params={"card": "0000000002", "loans": str(first["loan_id"])}
    )
    assert other.status_code == 200
    assert 'data-barcode="B1"' not in other.text
    bad = api.get("/circulation/desk/receipt", params={"card": "0000000001", "loans": "x"})
    assert bad.status_code == 422
    missing = api.get("/circulation/desk/receipt", params={"card": "9999"})
    assert missing.status_code == 404
