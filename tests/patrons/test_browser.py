"""In Chromium: a librarian registers a patron, sees a bad email refused beside it, fixes it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app
from tests.services import free_port, wait_port

pytestmark = pytest.mark.browser
PASSWORD = "a password for tests"


@pytest.fixture
def site(tmp_path) -> Iterator[str]:
    port = free_port()
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'browser.sqlite'}", mqtt_url="mqtt://127.0.0.1:9"
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-patrons")
    thread.start()
    try:
        wait_port(port, timeout=30)
        while not server.started:
            time.sleep(0.05)
        with Session(app.state.engine) as session:
            ensure_account(session, "lin", PASSWORD, Role.LIBRARIAN, datetime.now(UTC))
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def page(chromium: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser.new_page()
        browser.close()


def test_a_bad_email_is_refused_beside_the_field_then_fixed(site: str, page: Page) -> None:
    page.goto(f"{site}/patrons/new")
    page.fill("input[name=username]", "lin")
    page.fill("input[name=password]", PASSWORD)
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
