"""The reports page as a librarian reads it: the figures, the date window, both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app
from tests.reports.seed import BY_BRANCH, BY_CATEGORY, NEW_IN_30_DAYS, TOTAL, seed

PASSWORD = "a password for tests"


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'pages.sqlite'}", mqtt_url="mqtt://127.0.0.1:9"
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for username, role in (("lin", Role.LIBRARIAN), ("sam", Role.SECURITY)):
                ensure_account(session, username, PASSWORD, role, datetime.now(UTC))
            seed(session, datetime.now(UTC))
        yield client


def sign_in(client: TestClient, username: str = "lin") -> None:
    signed = client.post(
        "/sign-in", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert signed.status_code == 303


def cell(html: str, row: str, column: str) -> str:
    """The text of the cell `column` (data-status or data-figure) of the row `row` marks."""
    found = re.search(rf"<tr {row}>.*?data-(?:status|figure)=\"{column}\">([^<]*)<", html, re.S)
    assert found, f"no cell {column} in the row {row}"
    return found.group(1)


def test_the_figures_of_all_three_reports(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/reports")
    assert page.status_code == 200
    html = page.text
    main_book = 'data-branch="main" data-type="book"'
    assert cell(html, main_book, "on_loan") == "2"
    assert cell(html, main_book, "total") == "3"
    assert cell(html, 'data-branch="east" data-type="book"', "withdrawn") == "1"
    assert cell(html, 'data-branch="total"', "available") == "3"
    assert cell(html, 'data-branch="total"', "total") == "7"
    assert re.search(r'<tr data-key="main"><td>main</td><td class="num">4</td>', html)
    barcodes = re.findall(r'<tr data-barcode="(\w+)">', html)
    assert barcodes == NEW_IN_30_DAYS
    assert "4 items" in html
    columns = ("patrons", "expired", "blocked", "anonymised")
    start, end = html.index('id="patrons-by-category"'), html.index('id="patrons-by-branch"')
    by_category = html[start:end]
    for code, figures in BY_CATEGORY.items():
        assert tuple(int(cell(by_category, f'data-key="{code}"', c)) for c in columns) == figures
    by_branch = html[html.index('id="patrons-by-branch"') :]
    for branch, figures in BY_BRANCH.items():
        assert tuple(int(cell(by_branch, f'data-key="{branch}"', c)) for c in columns) == figures
    assert tuple(int(cell(by_branch, 'data-key="total"', c)) for c in columns) == TOTAL
    assert 'href="/api/reports/collection.csv"' in html
    assert 'href="/api/reports/patrons.csv?by=branch"' in html
    assert 'onclick="window.print()"' in html


def test_a_date_window_and_its_export_link(client: TestClient) -> None:
    sign_in(client)
    today = datetime.now(UTC).date()
    since = (today - timedelta(days=7)).isoformat()
    until = (today - timedelta(days=1)).isoformat()
    html = client.get("/reports", params={"since": since, "until": until}).text
    assert re.findall(r'<tr data-barcode="(\w+)">', html) == ["B0004", "B0003"]
    assert f'name="since" type="date" value="{since}"' in html
    assert f"/api/reports/new-items.csv?since={since}&amp;until={until}" in html


def test_a_bad_date_is_shown_beside_its_field_in_the_page_language(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/reports", params={"since": "2025-02-30"})
    assert page.status_code == 422
    assert re.search(r'id="error-since"[^>]*>Give a date as YYYY-MM-DD.<', page.text)
    assert 'value="2025-02-30"' in page.text
    assert 'data-status="total">7<' in page.text  # the other reports still show
    swapped = client.get(
        "/reports", params={"since": "2025-03-02", "until": "2025-03-01", "lang": "zh-CN"}
    )
    assert swapped.status_code == 422
    assert re.search(r'id="error-since"[^>]*>起始日期不能晚于截止日期。<', swapped.text)


def test_the_page_in_chinese(client: TestClient) -> None:
    sign_in(client)
    html = client.get("/reports?lang=zh-CN").text
    assert "<h1>统计报表</h1>" in html
    assert "入藏 4 册" in html
    assert '<tr data-key="adult"><td>成人</td>' in html  # the category's translated name
    assert "三体" in html
    assert ">打印<" in html


def test_a_role_without_reports_sees_the_forbidden_page(client: TestClient) -> None:
    assert client.get("/reports", follow_redirects=False).status_code == 303
    sign_in(client, "sam")
    assert client.get("/reports").status_code == 403
