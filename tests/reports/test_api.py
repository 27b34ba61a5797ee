"""The reports API over HTTP: exact figures as JSON and CSV, 422 for bad dates, 403 for others."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app
from tests.reports.seed import (
    BY_BRANCH,
    BY_CATEGORY,
    BY_STATUS,
    FORMULA_TITLE,
    NEW_IN_30_DAYS,
    TOTAL,
    seed,
)

PASSWORD = "a password for tests"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    # no broker needed: the link keeps retrying in the background until the app stops
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for username, role in (("lin", Role.LIBRARIAN), ("sam", Role.SECURITY)):
                ensure_account(session, username, PASSWORD, role, datetime.now(UTC))
            seed(session, datetime.now(UTC))
        client.headers["Authorization"] = f"Bearer {token(client, 'lin')}"
        yield client


def token(client: TestClient, username: str) -> str:
    response = client.post("/api/auth/sign-in", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def csv_of(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(BOM)  # so Excel reads the Chinese text as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def attachment(response, report: str) -> None:  # type: ignore[no-untyped-def]
    today = datetime.now(UTC).date().isoformat()
    expected = f'attachment; filename="smartlib-{report}-{today}.csv"'
    assert response.headers["content-disposition"] == expected


def test_the_collection_as_json_and_as_csv(client: TestClient) -> None:
    body = client.get("/api/reports/collection").json()
    assert body["total"] == 7
    assert body["by_status"] == BY_STATUS
    assert body["by_branch"] == {"east": 3, "main": 4}
    assert body["by_type"] == {"book": 6, "dvd": 1}
    main_book = body["rows"][1]
    assert (main_book["home_branch"], main_book["item_type"], main_book["total"]) == (
        "main",
        "book",
        3,
    )
    assert main_book["counts"]["on_loan"] == 2
    response = client.get("/api/reports/collection.csv")
    attachment(response, "collection")
    header, *rows = csv_of(response)
    statuses = ["available", "on_loan", "in_transit", "on_hold_shelf", "missing", "withdrawn"]
    assert header == ["home_branch", "item_type", *statuses, "total"]
    assert rows == [
        ["east", "book", "2", "0", "0", "0", "0", "1", "3"],
        ["main", "book", "1", "2", "0", "0", "0", "0", "3"],
        ["main", "dvd", "0", "0", "0", "0", "1", "0", "1"],
        ["total", "", "3", "2", "0", "0", "1", "1", "7"],
    ]


def test_new_items_as_json_paged_and_as_csv(client: TestClient) -> None:
    body = client.get("/api/reports/new-items").json()
    today = datetime.now(UTC).date()
    assert body["until"] == today.isoformat()
    assert body["since"] == (today - timedelta(days=29)).isoformat()
    assert body["total"] == 4
    assert [i["barcode"] for i in body["items"]] == NEW_IN_30_DAYS
    assert body["items"][0]["title"] == "Dune"
    paged = client.get("/api/reports/new-items", params={"per_page": 3, "page": 2}).json()
    assert ([i["barcode"] for i in paged["items"]], paged["pages"]) == (["B0007"], 2)
    since = (today - timedelta(days=200)).isoformat()
    assert client.get("/api/reports/new-items", params={"since": since}).json()["total"] == 7
    response = client.get("/api/reports/new-items.csv")
    attachment(response, "new-items")
    header, *rows = csv_of(response)
    assert header[:6] == ["barcode", "title", "home_branch", "item_type", "collection", "status"]
    assert [row[0] for row in rows] == NEW_IN_30_DAYS[::-1]
    by_barcode = {row[0]: row for row in rows}
    assert by_barcode["B0003"][1:4] == ["三体", "east", "book"]
    assert by_barcode["B0007"][1] == "'" + FORMULA_TITLE  # a spreadsheet shows it, never runs it


def test_patron_counts_as_json_and_as_csv(client: TestClient) -> None:
    body = client.get("/api/reports/patrons").json()
    columns = ("patrons", "expired", "blocked", "anonymised")
    by_category = {c["category"]: tuple(c[k] for k in columns) for c in body["by_category"]}
    assert by_category == BY_CATEGORY
    assert {b["home_branch"]: tuple(b[k] for k in columns) for b in body["by_branch"]} == BY_BRANCH
    assert tuple(body["total"][k] for k in columns) == TOTAL
    assert body["by_category"][0]["name"] == "Adult"
    response = client.get("/api/reports/patrons.csv")
    attachment(response, "patrons-by-category")
    header, *rows = csv_of(response)
    assert header == ["category", "name", *columns]
    assert rows[0] == ["adult", "Adult", "3", "1", "1", "1"]
    assert rows[-1] == ["total", "", "5", "2", "2", "1"]
    header, *rows = csv_of(client.get("/api/reports/patrons.csv", params={"by": "branch"}))
    assert header == ["home_branch", *columns]
    assert rows == [
        ["east", "2", "1", "0", "1"],
        ["main", "3", "1", "2", "0"],
        ["total", "5", "2", "2", "1"],
    ]


@pytest.mark.parametrize(
    ("path", "params", "field", "message"),
    [
        ("/api/reports/new-items", {"since": "2025-13-01"}, "since", "valid date"),
        ("/api/reports/new-items", {"until": "yesterday"}, "until", "valid date"),
        (
            "/api/reports/new-items",
            {"since": "2025-03-02", "until": "2025-03-01"},
            "since",
            "after until",
        ),
        ("/api/reports/new-items", {"until": "9999-12-31"}, "until", "on or before"),
        ("/api/reports/new-items", {"per_page": "0"}, "per_page", "greater than"),
        ("/api/reports/new-items.csv", {"since": "2025-03-02", "until": "2025-03-01"}, "since", ""),
        ("/api/reports/new-items.csv", {"since": "2025-02-30"}, "since", "valid date"),
        ("/api/reports/patrons.csv", {"by": "shoe size"}, "by", "'category' or 'branch'"),
    ],
)
def test_a_bad_query_answers_422_naming_it(client, path, params, field, message) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field]
    assert message in error["msg"]


def test_only_roles_that_may_read_reports_get_them(client: TestClient) -> None:
    security = {"Authorization": f"Bearer {token(client, 'sam')}"}
    client.cookies.clear()  # signing in also set a cookie
    for path in ("/api/reports/collection", "/api/reports/new-items.csv", "/api/reports/patrons"):
        assert client.get(path, headers=security).status_code == 403
        assert client.get(path, headers={"Authorization": ""}).status_code == 401
