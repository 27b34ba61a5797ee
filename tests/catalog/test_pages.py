"""Catalogue pages over HTTP: search with paging, and the intake flow a scanner drives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.auth.models import AuditEntry
from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            ensure_account(session, "lin", PASSWORD, Role.LIBRARIAN, datetime.now(UTC))
        answer = client.post("/sign-in", data={"username": "lin", "password": PASSWORD})
        assert answer.status_code in (200, 303)
        yield client


def test_intake_new_isbn_then_copies_then_a_known_barcode(client: TestClient) -> None:
    page = client.get("/catalog/intake")
    assert 'name="code"' in page.text
    assert "autofocus" in page.text
    new = client.get("/catalog/intake?code=0306406152")
    assert new.status_code == 200
    assert 'value="9780306406157"' in new.text
    assert "978-0-306-40615-7" in new.text
    assert "0306406152" in new.text
    refused = client.post("/catalog/records/new", data={"isbns": "9780306406157", "title": ""})
    assert refused.status_code == 422
    assert 'data-field="title"' in refused.text
    made = client.post(
        "/catalog/records/new",
        data={
            "isbns": "9780306406157",
            "title": "Signals",
            "authors": "A. Author",
            "barcode": "C1",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    record_url = made.headers["location"]
    known = client.get("/catalog/intake?code=978-0-306-40615-7", follow_redirects=False)
    assert known.headers["location"] == f"{record_url}?add=1"
    form = client.get(known.headers["location"])
    assert 'id="copy-form"' in form.text
    assert "autofocus" in form.text
    added = client.post(f"{record_url}/items", data={"barcode": "C2", "zone": "B"})
    assert added.status_code == 200
    assert "C2" in added.text
    assert "C1" in added.text
    taken = client.post(f"{record_url}/items", data={"barcode": "C2"})
    assert taken.status_code == 422
    assert 'data-field="barcode"' in taken.text
    item = client.get("/catalog/intake?code=C2", follow_redirects=True)
    assert "Signals" in item.text
    assert "Copy C2" in item.text
    unknown = client.get("/catalog/intake?code=nothing-here")
    assert unknown.status_code == 404
    assert "nothing-here" in unknown.text
    with Session(client.app.state.engine) as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.actor == "lin")).all()
    assert sorted(actions) == ["item.created", "item.created", "record.created"]


def test_search_page_pages_and_speaks_chinese(client: TestClient) -> None:
    for n in range(25):
        data = {"title": f"Harbour story {n}", "authors": "Lu Xun", "barcode": f"H{n:03d}"}
        client.post("/catalog/records/new", data=data, follow_redirects=False)
    first = client.get("/catalog?q=harbour")
    assert "25 records found" in first.text
    assert first.text.count('<tr data-id="') == 20
    assert 'rel="next"' in first.text
    second = client.get("/catalog?q=harbour&page=2")
    assert second.text.count('<tr data-id="') == 5
    assert 'rel="next"' not in second.text
    assert "H007" not in first.text  # barcodes are searched, not listed
    assert client.get("/catalog?q=H007").text.count('<tr data-id="') == 1
    chinese = client.get("/catalog?q=harbour", headers={"accept-language": "zh-CN"})
    assert "找到 25 条书目记录" in chinese.text
