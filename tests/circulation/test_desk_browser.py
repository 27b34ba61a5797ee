"""In Chromium: a librarian scans a card and two items, returns one, and meets a refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from server.catalog import service as catalog
from server.catalog.models import Item
from server.catalog.shapes import ItemIn, RecordIn
from server.circulation import service
from server.circulation.models import Loan
from server.db import make_engine
from server.patrons import service as patrons
from tests.conftest import BROWSER_PASSWORD

pytestmark = pytest.mark.browser


def seed(session: Session, now: datetime) -> None:
    for card, name in (("0000000001", "Ada Lovelace"), ("0000000002", "Li Bai")):
        patrons.create_patron(
            session,
            name=name,
            category="adult",
            home_branch="main",
            actor="lin",
            now=now,
            cards=[card],
            expires_on=date(2099, 1, 1),
        )
    catalog.create_record(
        session, RecordIn(title="Dune"), [ItemIn(barcode="B1")], actor="lin", now=now
    )
    catalog.create_record(
        session, RecordIn(title="三体"), [ItemIn(barcode="B2")], actor="lin", now=now
    )
    catalog.create_record(
        session, RecordIn(title="Emma"), [ItemIn(barcode="B3")], actor="lin", now=now
    )
    # B3 is already out to Li Bai
    service.checkout(session, "0000000002", "B3", service.Desk("main", "lin", now, UTC))


def scan(page: Page, code: str) -> None:
    page.locator("#scan").press_sequentially(code)
    page.keyboard.press("Enter")


def due_days(engine, *barcodes: str) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(
            select(Item.barcode, Loan.due_at)
            .join(Loan, Loan.item_id == Item.id)
            .where(Item.barcode.in_(barcodes))  # type: ignore[attr-defined]
        ).all()
    return {barcode: due.astimezone(UTC).date().isoformat() for barcode, due in rows}


def test_scan_lend_return_and_refusal_at_the_desk(site: str, page: Page, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.sqlite'}")  # the site's database
    with Session(engine) as session:
        seed(session, datetime.now(UTC))
    page.goto(f"{site}/circulation/desk")
    page.fill("input[name=username]", "lin")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}/circulation/desk")
    expect(page.locator("#scan")).to_be_focused()

    scan(page, "0000000001")
    expect(page.locator("#patron-name")).to_have_text("Ada Lovelace")
    expect(page.locator("#patron-category")).to_have_text("Adult")
    expect(page.locator("#scan-label")).to_have_text("Scan an item")
    scan(page, "B1")
    expect(page.locator("#results tr[data-barcode=B1] .due")).to_be_visible()
    scan(page, "B2")
    expect(page.locator("#results tr[data-barcode=B2] .due")).to_be_visible()
    due = due_days(engine, "B1", "B2")
    for barcode, title in (("B1", "Dune"), ("B2", "三体")):
        row = page.locator(f"#results tr[data-barcode={barcode}]")
        expect(row).to_contain_text(title)
        expect(row.locator(".due")).to_have_text(f"due {due[barcode]}")  # the site runs in UTC
    expect(page.locator("#patron-loans tbody tr")).to_have_count(2)

    # an item on loan to someone else: refused in plain words, with its code
    scan(page, "B3")
    refused = page.locator("#results tr[data-barcode=B3]")
    expect(refused).to_have_class("refused")
    expect(refused.locator("li[data-code=already_on_loan]")).to_contain_text(
        "This item is already on loan."
    )
    expect(page.locator("#patron-loans tbody tr")).to_have_count(2)
    # staff may lend it anyway, saying why
    refused.locator("button.override").click()
    refused.locator("input[name=override_reason]").fill("Li Bai returned it at the kiosk")
    refused.locator("input[name=override_reason]").press("Enter")
    expect(refused).to_have_class("done")
    expect(refused).to_contain_text("overridden: already_on_loan")
    expect(page.locator("#patron-loans tbody tr")).to_have_count(3)

    # the receipt lists this visit's loans
    with page.expect_popup() as popup:
        page.click("#print-receipt")
    receipt = popup.value
    expect(receipt.locator("#receipt tbody tr")).to_have_count(3)
    expect(receipt.locator("#receipt")).to_contain_text(due["B1"])
    receipt.close()

    page.check("input[name=mode][value=checkin]")
    expect(page.locator("#scan")).to_be_focused()
    scan(page, "B1")
    returned = page.locator("#results tr[data-action=checkin][data-barcode=B1]")
    expect(returned).to_contain_text("returned")
    expect(returned).to_contain_text("Dune")
    expect(page.locator("#patron-loans tbody tr")).to_have_count(2)
    with Session(engine) as session:
        assert session.exec(select(Item.status).where(Item.barcode == "B1")).one() == "available"
    engine.dispose()
