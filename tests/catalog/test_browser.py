"""In Chromium: a scanner types an ISBN and Enter, the librarian catalogues it, then finds it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import BROWSER_PASSWORD

pytestmark = pytest.mark.browser


def test_scan_catalogue_add_copies_and_search(site: str, page: Page) -> None:
    page.goto(f"{site}/catalog/intake")
    page.fill("input[name=username]", "lin")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}/catalog/intake")
    expect(page.locator("#scan")).to_be_focused()
    # a keyboard-wedge scanner: digits and Enter into whatever has the focus
    page.keyboard.type("9780306406157\n")
    expect(page.locator("#isbn-forms")).to_contain_text("978-0-306-40615-7")
    expect(page.locator("input[name=isbns]")).to_have_value("9780306406157")
    expect(page.locator("input[name=title]")).to_be_focused()
    page.keyboard.type("Signals and systems")  # the title has the focus
    page.fill("input[name=barcode]", "31000042")
    page.click("#new-record button[type=submit]")
    expect(page.locator("h1")).to_have_text("Signals and systems")
    page.goto(f"{site}/catalog/intake")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type("0306406152\n")  # the same book by its ISBN-10: add a copy
    expect(page.locator("h1")).to_have_text("Signals and systems")
    expect(page.locator("input[name=barcode]")).to_be_focused()
    page.keyboard.type("31000043\n")  # the copy's barcode, focused
    expect(page.locator("#added")).to_contain_text("31000043")
    expect(page.locator("#items tbody tr")).to_have_count(2)
    page.goto(f"{site}/catalog/intake")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type("31000043\n")
    expect(page.locator("h1")).to_have_text("Copy 31000043")
    page.goto(f"{site}/catalog")
    expect(page.locator("input[name=q]")).to_be_focused()  # a scanner types into the focus
    page.keyboard.type("signals\n")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("2 of 2 available")
    page.click("a[data-lang=zh-CN]")
    expect(page.locator("#found")).to_contain_text("找到 1 条书目记录")
