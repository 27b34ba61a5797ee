"""The dashboard's circulation feed: the latest transactions on the page, then live."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.auth.permissions import Role
from tests.circulation.test_portal_api import CARD, PIN, seed
from tests.conftest import BROWSER_PASSWORD, ApiClient


def test_the_feed_starts_from_the_latest_transactions(api: ApiClient) -> None:
    seed(api)  # two checkouts
    assert api.post("/api/circulation/checkin", json={"barcode": "B2"}).status_code == 200
    page = api.get("/").text
    rows = page.split('<table id="circulation">')[1].split("</table>")[0]
    assert rows.count('class="circ-LoanMade"') == 2
    assert rows.count('class="circ-LoanReturned"') == 1
    assert rows.index("circ-LoanReturned") < rows.index("circ-LoanMade")  # newest first
    assert "Dune" in rows
    security = api.get("/", headers=api.as_role(Role.SECURITY))
    assert security.status_code == 200
    assert 'id="circulation"' not in security.text


@pytest.mark.browser
def test_a_checkout_appears_live_on_the_dashboard(site: str, page: Page) -> None:
    page.goto(f"{site}/")
    page.fill("input[name=username]", "lin")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#no-circulation")).to_be_visible()
    expect(page.locator("#feed-state")).to_have_class("badge on")
    with httpx.Client(base_url=site) as http:
        token = http.post(
            "/api/auth/sign-in", json={"username": "lin", "password": BROWSER_PASSWORD}
        ).json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        patron = {
            "name": "Ada",
            "category": "adult",
            "home_branch": "main",
            "cards": [CARD],
            "pin": PIN,
        }
        assert http.post("/api/patrons", json=patron).status_code == 201
        record = {"title": "The Name of the Rose", "items": [{"barcode": "31000000"}]}
        assert http.post("/api/catalog/records", json=record).status_code == 201
        lent = http.post("/api/circulation/checkout", json={"card": CARD, "barcode": "31000000"})
        assert lent.status_code == 201, lent.text
    row = page.locator("#circulation tbody tr").first
    expect(row).to_contain_text("Checked out")
    expect(row).to_contain_text("The Name of the Rose")
    expect(page.locator("#no-circulation")).to_be_hidden()
