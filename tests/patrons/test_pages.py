"""The patron pages as a librarian uses them: errors beside fields, blocks, both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"
FREE = '<span class="badge on">yes, no blocks</span>'
FORM = {
    "name": "Ada Lovelace",
    "category": "adult",
    "home_branch": "main",
    "email": "ada@",
    "phone": "",
    "birth_date": "",
    "card": "0004123456",
    "pin": "",
}


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'pages.sqlite'}", mqtt_url="mqtt://127.0.0.1:9"
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            ensure_account(session, "lin", PASSWORD, Role.LIBRARIAN, datetime.now(UTC))
        signed = client.post(
            "/sign-in", data={"username": "lin", "password": PASSWORD}, follow_redirects=False
        )
        assert signed.status_code == 303
        yield client


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<small class="error" id="error-{field}"[^>]*>([^<]*)</small>', html)
    assert found, f"no error shown beside {field}"
    return found.group(1)


def test_a_bad_email_is_shown_beside_its_field_and_the_typed_values_stay(client) -> None:
    page = client.post("/patrons/new", data=FORM)
    assert page.status_code == 422
    assert "not a valid email address" in error_beside(page.text, "email")
    assert 'value="Ada Lovelace"' in page.text
    fixed = client.post("/patrons/new", data=FORM | {"email": "ada@example.org"})
    assert fixed.status_code == 200  # followed the redirect to the patron's page
    assert re.search(r"/patrons/\d+$", str(fixed.url))
    assert "<h1>Ada Lovelace</h1>" in fixed.text
    again = client.post("/patrons/new", data=FORM | {"email": "", "name": "Other"})
    assert "already belongs to patron" in error_beside(again.text, "card")


def test_blocks_are_set_and_lifted_and_edits_are_checked_on_the_patron_page(client) -> None:
    page = client.post("/patrons/new", data=FORM | {"email": ""})
    url = str(page.url)
    assert FREE in page.text
    blocked = client.post(f"{url}/blocks", data={"reason": "damaged a book"})
    assert "damaged a book" in blocked.text
    assert FREE not in blocked.text
    lift = re.search(r'action="(/patrons/\d+/blocks/\d+/lift)"', blocked.text).group(1)
    assert FREE in client.post(lift).text
    edit = {
        "name": "Ada Lovelace",
        "category": "adult",
        "home_branch": "main",
        "email": "",
        "phone": "12",
        "birth_date": "",
        "expires_on": "2000-01-01",
        "pin": "",
    }
    refused = client.post(url, data=edit)
    assert refused.status_code == 422
    assert "not a valid phone number" in error_beside(refused.text, "phone")
    refused = client.post(url, data=edit | {"phone": ""})
    assert "must be after the registration" in error_beside(refused.text, "expires_on")


def test_search_and_the_page_in_chinese(client) -> None:
    client.post("/patrons/new", data=FORM | {"email": ""})
    found = client.get("/patrons?q=0004123456&lang=zh-CN")
    assert "找到 1 位读者" in found.text
    assert "Ada Lovelace" in found.text
    assert "找到 0 位读者" in client.get("/patrons?q=nobody").text
    assert client.get("/patrons/999").status_code == 404
