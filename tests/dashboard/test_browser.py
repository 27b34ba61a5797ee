"""In a real browser: the demo's page shows devices and simulated tag reads as they happen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.services import free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(tmp_path) -> Iterator[tuple[str, dict]]:
    """`smartlib demo` as a user runs it, on a free port."""
    port = free_port()
    log = open(tmp_path / "demo.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartlib",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "demo"),
            "--rate",
            "2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k != "SMARTLIB_CONFIG"},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (tmp_path / "demo.log").read_text()
        try:
            urllib.request.urlopen(url + "healthz", timeout=1)
            break
        except OSError:
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.2)
    yield url, json.loads((tmp_path / "demo" / "seed.json").read_text())
    process.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        assert process.wait(30) == 0, "the demo did not stop cleanly on Ctrl-C"
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


def sign_in(page: Page, demo: tuple[str, dict], role: str = "librarian") -> None:
    url, seed = demo
    account = next(s for s in seed["staff"] if s["role"] == role)
    page.goto(url)
    expect(page).to_have_url(f"{url}sign-in?next=/")
    page.fill("input[name=username]", account["username"])
    page.fill("input[name=password]", account["password"])
    page.click("button[type=submit]")
    expect(page).to_have_url(url)


def test_a_wrong_password_is_refused_plainly(demo, page: Page) -> None:
    url, _seed = demo
    page.goto(url)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("wrong username or password")


def test_the_demo_page_shows_tag_reads_live(demo, page: Page) -> None:
    sign_in(page, demo)
    expect(page.locator("#feed-state")).to_have_text("live", timeout=10_000)
    rows_at_load = page.locator("#feed tbody tr").count()
    # a new tag read arrives over the WebSocket without reloading the page
    fresh = page.locator("#feed tbody tr.kind-tag_read").nth(0)
    expect(fresh).to_be_visible(timeout=20_000)
    page.wait_for_function(
        f"document.querySelectorAll('#feed tbody tr').length > {rows_at_load}", timeout=20_000
    )
    uid = page.locator("#feed tbody tr.kind-tag_read td.details").first.inner_text()
    assert len(uid) == 16
    assert uid.startswith("E004")
    expect(page.locator('#devices tr[data-key="main/gw1/pad-1"] .badge')).to_have_text("online")
    expect(page.locator('#devices tr[data-key="main/gw1/card-1"] .badge')).to_have_text("online")


def test_the_page_speaks_simplified_chinese(demo, page: Page) -> None:
    sign_in(page, demo)
    page.click("a[data-lang=zh-CN]")
    expect(page.locator("h1")).to_have_text("设备与实时事件")
    expect(page.locator("#feed-state")).to_have_text("实时", timeout=10_000)
    page.goto(demo[0])  # the choice is remembered
    expect(page.locator("h1")).to_have_text("设备与实时事件")
