"""In Chromium: a librarian reads the reports, narrows the new items, exports CSV, prints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from server.db import make_engine
from tests.conftest import BROWSER_PASSWORD
from tests.reports.seed import seed

pytestmark = pytest.mark.browser


def test_reports_narrowed_exported_and_printed(site: str, page: Page, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.sqlite'}")  # the site's database
    with Session(engine) as session:
        seed(session, datetime.now(UTC))
    engine.dispose()
    page.goto(f"{site}/reports")
    page.fill("input[name=username]", "lin")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}/reports")
    expect(page.locator("#collection tfoot [data-status=total]")).to_have_text("7")
    expect(page.locator("#patrons-by-branch [data-key=main] [data-figure=blocked]")).to_have_text(
        "2"
    )
    expect(page.locator("#new-items tbody tr")).to_have_count(4)

    today = datetime.now(UTC).date()
    page.fill("input[name=since]", (today - timedelta(days=7)).isoformat())
    page.fill("input[name=until]", (today - timedelta(days=1)).isoformat())
    page.click("form.report-window button[type=submit]")
    expect(page.locator("#new-items tbody tr")).to_have_count(2)
    expect(page.locator("#new-items tbody tr").first).to_have_attribute("data-barcode", "B0004")

    with page.expect_download() as waiting:
        page.click("#new-items-report a.csv")
    download = waiting.value
    assert download.suggested_filename == f"smartlib-new-items-{today.isoformat()}.csv"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert [line.split(",")[0] for line in data.decode("utf-8-sig").splitlines()] == [
        "barcode",
        "B0003",
        "B0004",
    ]
    assert "三体" in data.decode("utf-8-sig")

    page.emulate_media(media="print")
    for chrome in ("header.top nav", "#print", "form.report-window", "a.csv >> nth=0"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.locator("#collection")).to_be_visible()
    expect(page.locator("#patrons-by-category")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator("#print")).to_be_visible()

    page.click("a[data-lang=zh-CN]")
    expect(page.locator("h1")).to_have_text("统计报表")
    expect(page.locator("#new-items-count")).to_contain_text("入藏 2 册")
