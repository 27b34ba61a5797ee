"""The audit log page: newest first, paged, filtered by who, what and when, readable changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from dashboard.audit import Change, changes_of
from server.auth import service
from server.auth.models import AuditEntry
from server.auth.permissions import Role
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"
DAY = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """Signed in as administrator `ada`, with a known history written beforehand.

    Entry ids in writing order: 1-2 the accounts made at start, then the entries below.
    """
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for username, role in (("ada", Role.ADMIN), ("lin", Role.LIBRARIAN)):
                service.ensure_account(session, username, PASSWORD, role, datetime.now(UTC))
            history = [
                ("lin", "record.created", "record", 7, {"title": "Dune", "isbns": []}, 0),
                ("lin", "record.changed", "record", 7, {"year": [1965, 1966]}, 1),
                ("ada", "item.changed", "item", 3, {"status": ["available", "missing"]}, 1),
                ("lin", "record.changed", "record", 8, {"authors": [["A"], ["A", "B"]]}, 2),
                ("ada", "account.changed", "account", 2, {"unlocked": True}, 3),
            ]
            for actor, action, entity, entity_id, changes, days in history:
                at = DAY + timedelta(days=days)
                service.audit(session, actor, action, entity, entity_id, changes, now=at)
            session.commit()
        client.post("/sign-in", data={"username": "ada", "password": PASSWORD})
        yield client


def shown(client: TestClient, query: str = "") -> list[tuple[str, str, str]]:
    """(who, action, entity) of each row, top to bottom."""
    page = client.get(f"/audit{query}")
    assert page.status_code == 200, page.text
    rows = re.findall(
        r'<tr data-id="\d+"><td class="time">[^<]*</td><td class="mono">([^<]*)</td>\s*'
        r'<td data-action="([^"]*)">[^<]*</td>\s*<td>(\w+) ',
        page.text,
    )
    return rows


def test_newest_first_and_each_filter_gives_exactly_its_entries(client) -> None:
    made_at_start = ("system", "account.created", "account")
    assert shown(client) == [
        made_at_start,  # today, after every entry written for 2025
        made_at_start,
        ("ada", "account.changed", "account"),
        ("lin", "record.changed", "record"),
        ("ada", "item.changed", "item"),
        ("lin", "record.changed", "record"),
        ("lin", "record.created", "record"),
    ]
    assert shown(client, "?actor=ada") == [
        ("ada", "account.changed", "account"),
        ("ada", "item.changed", "item"),
    ]
    assert shown(client, "?entity=record&entity_id=7") == [
        ("lin", "record.changed", "record"),
        ("lin", "record.created", "record"),
    ]
    # both days included; the day before and after are not
    assert shown(client, "?since=2025-03-11&until=2025-03-12") == [
        ("lin", "record.changed", "record"),
        ("ada", "item.changed", "item"),
        ("lin", "record.changed", "record"),
    ]
    assert shown(client, "?actor=lin&since=2025-03-11&until=2025-03-11") == [
        ("lin", "record.changed", "record"),
    ]
    assert shown(client, "?entity=patron") == []
    page = client.get("/audit?actor=ada&entity=item")
    assert 'value="ada"' in page.text  # the filter stays in its field
    assert "Entries: 1" in page.text


def test_changes_read_as_old_to_new_and_entities_link_to_their_pages(client) -> None:
    page = client.get("/audit?entity=record").text
    assert '<span class="mono">year</span>: 1965 → 1966' in page
    assert '<span class="mono">authors</span>: A → A; B' in page
    assert '<span class="mono">title</span>: Dune' in page
    assert '<span class="mono">isbns</span>: —' in page
    assert '<a class="mono" href="/catalog/records/7">7</a>' in page
    assert "record changed" in page
    account = client.get("/audit?entity=account&entity_id=2").text
    assert '<span class="mono">unlocked</span>: yes' in account
    chinese = client.get("/audit?entity=account&entity_id=2&lang=zh-CN").text
    assert '<span class="mono">unlocked</span>: 是' in chinese
    assert "修改账户" in chinese


def test_bad_dates_are_refused_beside_their_fields(client) -> None:
    bad = client.get("/audit?since=10/03/2025")
    assert bad.status_code == 422
    assert 'id="error-since"' in bad.text
    assert "not a date" in bad.text
    backwards = client.get("/audit?since=2025-03-12&until=2025-03-11")
    assert backwards.status_code == 422
    assert 'id="error-until"' in backwards.text


def test_pages_of_fifty_keep_the_filter(client) -> None:
    with Session(client.app.state.engine) as session:
        for n in range(60):
            at = DAY + timedelta(days=10, minutes=n)
            service.audit(session, "sam", "item.changed", "item", n, {"zone": ["A", "B"]}, now=at)
        session.commit()
    first = client.get("/audit?actor=sam")
    assert first.text.count('<tr data-id="') == 50
    assert "Entries: 60" in first.text
    older = re.search(r'<a rel="next" href="([^"]+)"', first.text).group(1)
    assert older == "/audit?actor=sam&amp;page=2"
    second = client.get("/audit?actor=sam&page=2")
    assert second.text.count('<tr data-id="') == 10
    assert 'rel="next"' not in second.text
    ids = [
        re.findall(r'<a class="mono" href="/catalog/items/(\d+)"', p.text) for p in (first, second)
    ]
    assert ids[0][0] == "59"  # newest first
    assert sorted(int(i) for i in ids[0] + ids[1]) == list(range(60))


def test_a_record_and_a_patron_link_to_their_history_for_admins_only(client) -> None:
    made = client.post("/catalog/records/new", data={"title": "Signals", "barcode": "S1"})
    record_id = made.url.path.rsplit("/", 1)[1]
    link = f'href="/audit?entity=record&amp;entity_id={record_id}"'
    assert link in made.text
    history = client.get(f"/audit?entity=record&entity_id={record_id}")
    assert shown(client, f"?entity=record&entity_id={record_id}") == [
        ("ada", "record.created", "record")
    ]
    assert "Signals" in history.text
    patron = client.post(
        "/patrons/new",
        data={"name": "Ada Lovelace", "category": "adult", "home_branch": "main"},
    )
    assert f'href="/audit?entity=patron&amp;entity_id={patron.url.path.rsplit("/", 1)[1]}"' in (
        patron.text
    )
    client.cookies.clear()
    client.post("/sign-in", data={"username": "lin", "password": PASSWORD})
    assert link not in client.get(f"/catalog/records/{record_id}").text


def test_changes_of_reads_pairs_only_in_changed_entries() -> None:
    changed = AuditEntry(
        at=DAY,
        actor="a",
        action="item.changed",
        entity="item",
        entity_id="1",
        changes={"zone": ["A", "B"], "password": "changed"},
    )
    assert changes_of(changed) == [
        Change("zone", "B", "A", changed=True),
        Change("password", "changed"),
    ]
    created = AuditEntry(
        at=DAY,
        actor="a",
        action="record.created",
        entity="record",
        entity_id="1",
        changes={"isbns": ["9780441172719", "9780306406157"]},
    )
    assert changes_of(created) == [Change("isbns", ["9780441172719", "9780306406157"])]
