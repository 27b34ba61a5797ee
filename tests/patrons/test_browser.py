"""In Chromium: a librarian registers a patron, sees a bad email refused beside it, fixes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import BROWSER_PASSWORD

pytestmark = pytest.mark.browser


def test_a_bad_email_is_refused_beside_the_field_then_fixed(site: str, page: Page) -> None:
    page.goto(f"{site}/patrons/new")
    page.fill("input[name=username]", "lin")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}/patrons/new")
    page.fill("input[name=name]", "Ada Lovelace")
    page.fill("input[name=email]", "ada@")
    page.fill("input[name=card]", "0004123456")
    page.click("form.patron-form button[type=submit]")
    error = page.locator("label.field.invalid:has(input[name=email]) .error")
    expect(error).to_contain_text("not a valid email address")
    expect(page.locator("input[name=name]")).to_have_value("Ada Lovelace")
    page.fill("input[name=email]", "ada@example.org")
    page.click("form.patron-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Ada Lovelace")
    expect(page.locator("#cards")).to_contain_text("0004123456")
    page.click("a[data-lang=zh-CN]")
    expect(page.locator("h2").first).to_contain_text("该读者可以借书吗")
