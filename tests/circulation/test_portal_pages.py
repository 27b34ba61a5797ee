"""The patron portal's pages: card and PIN sign-in, loans with renew buttons, search."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.circulation.test_portal_api import CARD, PIN, seed
from tests.conftest import BROWSER_PASSWORD, ApiClient


def test_sign_in_renew_and_sign_out(api: ApiClient) -> None:
    seed(api)
    api.headers.pop("Authorization")
    api.cookies.clear()
    assert api.get("/portal", follow_redirects=False).headers["location"] == "/portal/sign-in"
    wrong = api.post("/portal/sign-in", data={"card": CARD, "pin": "0000"})
    assert wrong.status_code == 401
    assert "wrong PIN: 4 tries left" in wrong.text
    signed = api.post("/portal/sign-in", data={"card": CARD, "pin": PIN}, follow_redirects=False)
    assert signed.headers["location"] == "/portal"
    home = api.get("/portal")
    assert "Hello, Ada Lovelace" in home.text
    assert "You owe 2.50" in home.text
    assert 'data-barcode="B1"' in home.text
    assert 'data-barcode="B2"' not in home.text  # someone else's loan
    renewed = api.post("/portal/renew", data={"barcode": "B1"})
    assert "Renewed Dune." in renewed.text
    assert "2 renewals left" in renewed.text
    refused = api.post("/portal/renew", data={"barcode": "B2"})
    assert "That is not yours." in refused.text
    found = api.get("/portal/search", params={"q": "dune"}).text
    record_id = int(found.split('name="record_id" value="')[1].split('"')[0])
    already = api.post("/portal/holds", data={"record_id": record_id})
    assert "You already have a copy." in already.text
    assert api.post("/portal/holds/999/cancel").url.query == b"refused=not_yours"
    out = api.post("/portal/sign-out", follow_redirects=False)
    assert out.headers["location"] == "/portal/sign-in"
    assert api.get("/portal", follow_redirects=False).status_code == 303


@pytest.mark.browser
def test_a_patron_renews_on_a_phone_sized_screen(site: str, page: Page) -> None:
    with httpx.Client(base_url=site) as http:
        token = http.post(
            "/api/auth/sign-in", json={"username": "lin", "password": BROWSER_PASSWORD}
        ).json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        made = http.post(
            "/api/patrons",
            json={
                "name": "Ada Lovelace",
                "category": "adult",
                "home_branch": "main",
                "cards": [CARD],
                "pin": PIN,
            },
        )
        assert made.status_code == 201, made.text
        record = {"title": "三体", "items": [{"barcode": "B1"}]}
        assert http.post("/api/catalog/records", json=record).status_code == 201
        lent = http.post("/api/circulation/checkout", json={"card": CARD, "barcode": "B1"})
        assert lent.status_code == 201, lent.text
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site}/portal")
    expect(page).to_have_url(f"{site}/portal/sign-in")
    page.fill("input[name=card]", CARD)
    page.fill("input[name=pin]", PIN)
    page.click("form.card button[type=submit]")
    expect(page.locator("h1")).to_have_text("Hello, Ada Lovelace")
    loan = page.locator("li[data-barcode=B1]")
    expect(loan).to_contain_text("三体")
    expect(loan).to_contain_text("3 renewals left")
    loan.locator("button").click()
    expect(page.locator("[role=status]")).to_have_text("Renewed 三体.")
    expect(page.locator("li[data-barcode=B1]")).to_contain_text("2 renewals left")
    page.click("a[href='/lang/zh-CN']")
    expect(page.locator("h1")).to_contain_text("您好")
