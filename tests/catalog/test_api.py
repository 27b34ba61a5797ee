"""The catalogue over HTTP on both databases: records, items, search paging, scans, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import isbnlib
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"
DUNE = {
    "control_number": "c-dune",
    "title": "Dune",
    "authors": ["Frank Herbert"],
    "isbns": ["0-441-17271-7"],
    "publisher": "Ace",
    "year": 1965,
    "subjects": ["Desert planets -- Fiction"],
    "language": "eng",
    "call_number": "813.54 HER",
    "items": [{"barcode": "31000001", "rfid_tag": "e004000000000001", "zone": "A", "parts": 1}],
}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for username, role in (("ada", Role.ADMIN), ("lin", Role.LIBRARIAN)):
                ensure_account(session, username, PASSWORD, role, datetime.now(UTC))
        answer = client.post("/api/auth/sign-in", json={"username": "lin", "password": PASSWORD})
        client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        yield client


def admin(client: TestClient) -> dict[str, str]:
    answer = client.post("/api/auth/sign-in", json={"username": "ada", "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_create_read_change_and_audit(client: TestClient) -> None:
    made = client.post("/api/catalog/records", json=DUNE)
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["isbns"] == ["9780441172719"]
    assert record["items"][0]["rfid_tag"] == "E004000000000001"
    changed = client.patch(f"/api/catalog/records/{record['id']}", json={"year": 1966})
    assert changed.json()["year"] == 1966
    item_id = record["items"][0]["id"]
    moved = client.patch(f"/api/catalog/items/{item_id}", json={"status": "missing", "shelf": "4"})
    assert (moved.json()["status"], moved.json()["shelf"]) == ("missing", "4")
    log = client.get("/api/audit?limit=10", headers=admin(client)).json()
    actions = [(e["action"], e["actor"]) for e in log]
    assert ("record.created", "lin") in actions
    assert ("item.changed", "lin") in actions
    year = next(e for e in log if e["action"] == "record.changed")
    assert year["changes"] == {"year": [1965, 1966]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"isbns": ["0441172718"]}, "isbns"),
        ({"year": 99999}, "year"),
        ({"items": [{"barcode": "has space"}]}, "barcode"),
        ({"items": [{"barcode": "B1", "status": "lent"}]}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_records_get_422_naming_the_field(client: TestClient, change: dict, field: str) -> None:
    answer = client.post("/api/catalog/records", json={**DUNE, **change})
    assert answer.status_code == 422
    assert field in str(answer.json()["detail"])


def test_duplicates_and_unknown_ids(client: TestClient) -> None:
    record = client.post("/api/catalog/records", json=DUNE).json()
    again = client.post("/api/catalog/records", json={**DUNE, "control_number": "other"})
    assert again.status_code == 409
    assert "isbns" in again.json()["detail"]
    copy = {"barcode": "31000001"}
    taken = client.post(f"/api/catalog/records/{record['id']}/items", json=copy)
    assert taken.status_code == 409
    assert "barcode" in taken.json()["detail"]
    tag = {"barcode": "31000002", "rfid_tag": "E004000000000001"}
    assert client.post(f"/api/catalog/records/{record['id']}/items", json=tag).status_code == 409
    assert client.get("/api/catalog/records/999").status_code == 404
    assert client.get("/api/catalog/items/999").status_code == 404
    assert client.patch("/api/catalog/items/999", json={"zone": "B"}).status_code == 404
    bad = client.patch(f"/api/catalog/records/{record['id']}", json={"title": None})
    assert bad.status_code == 422
    assert "title" in bad.json()["detail"]


def test_search_by_every_kind_of_word_and_pages(client: TestClient) -> None:
    record = client.post("/api/catalog/records", json=DUNE).json()
    for n in range(30):
        stem = f"97810000{n:04d}"
        body = {
            "title": f"Desert tale {n}",
            "authors": ["Anon"],
            "isbns": [stem + isbnlib.check_digit13(stem)],
            "items": [{"barcode": f"D{n:04d}"}],
        }
        assert client.post("/api/catalog/records", json=body).status_code == 201
    for query in (
        "dune",
        "herbert",
        "desert planets",
        "9780441172719",
        "978-0-441-17271-9",
        "0441172717",
        "0-441-17271-7",
        "31000001",
        "DUN HERB",
    ):
        found = client.get("/api/catalog/search", params={"q": query}).json()
        assert [h["id"] for h in found["hits"]] == [record["id"]], query
    pages = [
        client.get(f"/api/catalog/search?q=desert+tale&per_page=7&page={p}").json()
        for p in range(1, 6)
    ]
    assert pages[0]["total"] == 30
    assert pages[0]["pages"] == 5
    ids = [h["id"] for page in pages for h in page["hits"]]
    assert len(ids) == len(set(ids)) == 30
    assert client.get("/api/catalog/search?q=nothing+like+this").json()["total"] == 0
    assert client.get("/api/catalog/search?per_page=0").status_code == 422
    assert client.get("/api/catalog/search?q=" + "x" * 300).status_code == 422
    assert client.get("/api/catalog/search?q=%22%29%28*+OR").status_code == 200


def test_intake_scans(client: TestClient) -> None:
    record = client.post("/api/catalog/records", json=DUNE).json()
    item = client.get("/api/catalog/scan?code=31000001").json()
    assert (item["outcome"], item["item"]["barcode"], item["record_id"]) == (
        "item",
        "31000001",
        record["id"],
    )
    known = client.get("/api/catalog/scan?code=9780441172719").json()
    assert (known["outcome"], known["record_id"]) == ("record", record["id"])
    new = client.get("/api/catalog/scan?code=9780306406157").json()
    assert new["outcome"] == "new_isbn"
    assert (new["isbn10"], new["isbn_hyphenated"]) == ("0306406152", "978-0-306-40615-7")
    assert client.get("/api/catalog/scan?code=nonsense").json()["outcome"] == "unknown"
    assert client.get("/api/catalog/scan?code=9780306406158").json()["outcome"] == "unknown"
