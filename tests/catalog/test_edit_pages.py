"""Changing a record and its copies on the dashboard: saved, audited, refusals beside fields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from server.auth.models import AuditEntry
from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.catalog.models import Item
from server.config import ServerSettings
from smartlib.web import create_app
from tests.conftest import BROWSER_PASSWORD

PASSWORD = "a password for tests"
RECORD = {
    "title": "Dune",
    "authors": "Frank Herbert",
    "isbns": "0-441-17271-7",
    "publisher": "Ace",
    "year": "1965",
    "subjects": "Desert planets",
    "language": "eng",
    "call_number": "813.54 HER",
}
ITEM = {
    "barcode": "31000001",
    "rfid_tag": "",
    "home_branch": "main",
    "zone": "A",
    "stack": "",
    "shelf": "",
    "collection": "",
    "item_type": "book",
    "status": "available",
    "parts": "1",
}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            ensure_account(session, "lin", PASSWORD, Role.LIBRARIAN, datetime.now(UTC))
        client.post("/sign-in", data={"username": "lin", "password": PASSWORD})
        yield client


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<small class="error" id="error-{field}"[^>]*>([^<]*)</small>', html)
    assert found, f"no error shown beside {field}"
    return unescape(found.group(1))


def catalogue(client: TestClient, barcode: str = "31000001", **record: str) -> tuple[str, str]:
    """A new record with one copy: the record's and the copy's page addresses."""
    made = client.post(
        "/catalog/records/new", data=RECORD | record | {"barcode": barcode}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    item = re.search(rf'<a href="(/catalog/items/\d+)">{barcode}</a>', page.text).group(1)
    return made.headers["location"], item


def changes(client: TestClient, action: str) -> list[dict]:
    with Session(client.app.state.engine) as session:
        return [
            e.changes
            for e in session.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
            ).all()
        ]


def test_a_record_is_edited_and_the_change_audited(client: TestClient) -> None:
    record, _item = catalogue(client)
    form = client.get(record).text
    assert 'id="record-form"' in form
    assert 'value="Frank Herbert"' in form
    assert 'value="9780441172719"' in form
    edit = RECORD | {
        "title": "Dune Messiah",
        "authors": "Frank Herbert | Brian Herbert",
        "isbns": "",
        "year": "1969",
        "subjects": "",
    }
    saved = client.post(record, data=edit)
    assert saved.status_code == 200
    assert 'id="saved"' in saved.text
    assert "<h1>Dune Messiah</h1>" in saved.text
    assert "Frank Herbert; Brian Herbert" in saved.text
    assert changes(client, "record.changed") == [
        {
            "title": ["Dune", "Dune Messiah"],
            "authors": [["Frank Herbert"], ["Frank Herbert", "Brian Herbert"]],
            "year": [1965, 1969],
            "subjects": [["Desert planets"], []],
            "isbns": [["9780441172719"], []],
        }
    ]
    client.post(record, data=edit)  # the same again changes nothing
    assert len(changes(client, "record.changed")) == 1


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"title": "  "}, "title", "at least 1 character"),
        ({"year": "later"}, "year", "valid integer"),
        ({"year": "99999"}, "year", "less than or equal to 2200"),
        ({"isbns": "0-441-17271-8"}, "isbns", "ISBN"),
        ({"language": "a language name"}, "language", "at most 8 characters"),
    ],
)
def test_a_refused_record_field_is_shown_beside_it(
    client: TestClient, change: dict, field: str, says: str
) -> None:
    record, _item = catalogue(client)
    refused = client.post(record, data=RECORD | change)
    assert refused.status_code == 422
    assert says in error_beside(refused.text, field)
    assert '<details id="edit-record" open>' in refused.text
    assert f'value="{change[field]}"' in refused.text  # as typed
    assert "<h1>Dune</h1>" in refused.text
    assert changes(client, "record.changed") == []


def test_an_isbn_of_another_record_is_refused_beside_the_field(client: TestClient) -> None:
    catalogue(client)
    other, _item = catalogue(client, "31000002", title="Signals", isbns="9780306406157")
    taken = client.post(other, data=RECORD | {"title": "Signals"})
    assert taken.status_code == 422
    assert "is already on record" in error_beside(taken.text, "isbns")


def test_a_copy_is_edited_and_a_duplicate_barcode_or_tag_is_a_field_error(client) -> None:
    _record, first = catalogue(client)
    _other, second = catalogue(client, "31000002", title="Signals", isbns="9780306406157")
    page = client.get(second).text
    assert 'id="item-form"' in page
    assert '<option value="available" selected>available</option>' in page
    moved = ITEM | {
        "barcode": "31000002",
        "rfid_tag": "e004000000000002",
        "zone": "B",
        "shelf": "4",
        "status": "missing",
        "parts": "2",
    }
    saved = client.post(second, data=moved)
    assert saved.status_code == 200
    assert 'id="saved"' in saved.text
    assert '<dd id="status">missing</dd>' in saved.text
    assert "E004000000000002" in saved.text
    assert changes(client, "item.changed") == [
        {
            "rfid_tag": [None, "E004000000000002"],
            "zone": ["", "B"],
            "shelf": ["", "4"],
            "status": ["available", "missing"],
            "parts": [1, 2],
        }
    ]
    taken = client.post(second, data=moved | {"barcode": "31000001"})
    assert taken.status_code == 422
    assert "'31000001' is already item" in error_beside(taken.text, "barcode")
    assert '<details id="edit-item" open>' in taken.text
    tagged = client.post(first, data=ITEM | {"rfid_tag": "E004000000000002"})
    assert tagged.status_code == 422
    assert "already on item '31000002'" in error_beside(tagged.text, "rfid_tag")
    for bad, field in (
        ({"barcode": ""}, "barcode"),
        ({"parts": "0"}, "parts"),
        ({"parts": "two"}, "parts"),
        ({"status": "lent"}, "status"),
        ({"rfid_tag": "not hex"}, "rfid_tag"),
    ):
        refused = client.post(first, data=ITEM | bad)
        assert refused.status_code == 422, bad
        assert error_beside(refused.text, field), bad
    with Session(client.app.state.engine) as session:
        barcodes = session.exec(select(Item.barcode).order_by(col(Item.barcode))).all()
    assert barcodes == ["31000001", "31000002"]
    assert len(changes(client, "item.changed")) == 1


def test_unknown_ids_are_404_and_the_api_answers_refusals_the_same_way(client) -> None:
    _record, item = catalogue(client)
    catalogue(client, "31000002", title="Signals", isbns="9780306406157")
    assert client.post("/catalog/records/999", data=RECORD).status_code == 404
    assert client.post("/catalog/items/999", data=ITEM).status_code == 404
    assert client.get("/catalog/items/999").status_code == 404
    item_id = item.rsplit("/", 1)[1]
    taken = client.patch(f"/api/catalog/items/{item_id}", json={"barcode": "31000002"})
    assert taken.status_code == 409
    assert "barcode" in taken.json()["detail"]
    bad = client.patch(f"/api/catalog/items/{item_id}", json={"parts": 0})
    assert bad.status_code == 422
    assert client.patch("/api/catalog/records/999", json={"year": 1}).status_code == 404


def test_the_edit_forms_in_chinese(client: TestClient) -> None:
    record, item = catalogue(client)
    assert "编辑书目记录" in client.get(f"{record}?lang=zh-CN").text
    page = client.get(f"{item}?lang=zh-CN").text
    assert "编辑复本" in page
    assert '<option value="missing" >丢失</option>' in page


@pytest.mark.browser
def test_a_librarian_edits_a_record_in_the_browser(site: str, page: Page) -> None:
    page.goto(f"{site}/catalog/records/new")
    page.fill("input[name=username]", "lin")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=title]", "Dune")
    page.fill("input[name=authors]", "Frank Herbert")
    page.fill("input[name=barcode]", "31000001")
    page.click("#new-record button[type=submit]")
    expect(page.locator("h1")).to_have_text("Dune")
    page.click("#edit-record summary")
    form = page.locator("#record-form")
    form.locator("input[name=title]").fill("Dune Messiah")
    form.locator("input[name=year]").fill("nineteen")
    form.locator("button[type=submit]").click()
    error = page.locator("#record-form label.field.invalid:has(input[name=year]) .error")
    expect(error).to_contain_text("valid integer")
    expect(page.locator("#record-form input[name=title]")).to_have_value("Dune Messiah")
    page.locator("#record-form input[name=year]").fill("1969")
    page.locator("#record-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Dune Messiah")
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("dl.record")).to_contain_text("1969")
