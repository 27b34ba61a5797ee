"""The staff account pages as an administrator uses them, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from server.auth import service
from server.auth.models import Account, AuditEntry
from server.auth.permissions import Role
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"
NEW = {"username": "mei", "display_name": "Mei Lin", "role": "librarian", "password": PASSWORD}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """Signed in as administrator `ada`; librarian `lin` exists too."""
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for username, role in (("ada", Role.ADMIN), ("lin", Role.LIBRARIAN)):
                service.ensure_account(session, username, PASSWORD, role, datetime.now(UTC))
        sign_in(client, "ada")
        yield client


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    client.cookies.clear()
    answer = client.post(
        "/sign-in", data={"username": username, "password": password}, follow_redirects=False
    )
    return answer.status_code


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<small class="error" id="error-{field}"[^>]*>([^<]*)</small>', html)
    assert found, f"no error shown beside {field}"
    return unescape(found.group(1))


def account(client: TestClient, username: str) -> Account:
    with Session(client.app.state.engine) as session:
        return session.exec(select(Account).where(Account.username == username)).one()


def audited(client: TestClient, entity_id: int) -> list[tuple[str, str, dict]]:
    with Session(client.app.state.engine) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "account", AuditEntry.entity_id == str(entity_id))
            .order_by(col(AuditEntry.id))
        ).all()
        return [(e.actor, e.action, e.changes) for e in entries]


def test_accounts_are_listed_and_created_with_refusals_beside_the_fields(client) -> None:
    page = client.get("/accounts")
    assert page.status_code == 200
    assert re.findall(r'<tr data-username="([^"]+)"', page.text) == ["ada", "lin"]
    assert '<a href="/accounts">Accounts</a>' in page.text
    bad = client.post("/accounts", data=NEW | {"username": "Mei Lin", "password": "short"})
    assert bad.status_code == 422
    assert "should match pattern" in error_beside(bad.text, "username")
    assert "at least 10 characters" in error_beside(bad.text, "password")
    assert 'value="Mei Lin"' in bad.text  # what was typed stays, except the password
    assert 'value="short"' not in bad.text
    taken = client.post("/accounts", data=NEW | {"username": "lin"})
    assert taken.status_code == 422
    assert "'lin' is taken" in error_beside(taken.text, "username")
    made = client.post("/accounts", data=NEW, follow_redirects=False)
    assert made.status_code == 303
    mei = account(client, "mei")
    assert made.headers["location"] == f"/accounts/{mei.id}"
    assert (mei.display_name, mei.role, mei.active) == ("Mei Lin", "librarian", True)
    shown = client.get(made.headers["location"])
    assert '<h1 class="mono">mei</h1>' in shown.text
    assert f'href="/audit?entity=account&amp;entity_id={mei.id}"' in shown.text
    assert audited(client, mei.id) == [
        ("ada", "account.created", {"username": "mei", "role": "librarian"})
    ]
    assert sign_in(client, "mei") == 303


def test_role_and_name_change_and_disabling_ends_sessions_until_enabled(client) -> None:
    lin = account(client, "lin")
    url = f"/accounts/{lin.id}"
    changed = client.post(url, data={"display_name": "Lin Wei", "role": "security"})
    assert changed.status_code == 200  # followed the redirect back to the page
    assert 'id="saved"' in changed.text
    assert 'value="Lin Wei"' in changed.text
    assert '<option value="security" selected>Security</option>' in changed.text
    bad = client.post(url, data={"display_name": "x" * 121, "role": "wizard"})
    assert bad.status_code == 422
    assert "at most 120 characters" in error_beside(bad.text, "display_name")
    assert "Input should be" in error_beside(bad.text, "role")
    assert account(client, "lin").role == "security"

    other = TestClient(client.app)  # lin, signed in elsewhere
    assert sign_in(other, "lin") == 303
    assert other.get("/", follow_redirects=False).status_code == 200
    disabled = client.post(url, data={"active": "false"})
    assert '<span class="badge off">disabled</span>' in disabled.text
    assert other.get("/", follow_redirects=False).status_code == 303  # to sign in
    refused = other.post("/sign-in", data={"username": "lin", "password": PASSWORD})
    assert "this account is disabled" in refused.text
    enabled = client.post(url, data={"active": "true"})
    assert '<span class="badge on">active</span>' in enabled.text
    assert sign_in(other, "lin") == 303

    assert audited(client, lin.id)[1:] == [
        (
            "ada",
            "account.changed",
            {"display_name": ["lin", "Lin Wei"], "role": ["librarian", "security"]},
        ),
        ("ada", "account.changed", {"active": [True, False]}),
        ("ada", "account.changed", {"active": [False, True]}),
    ]


def test_a_locked_account_is_unlocked_and_a_password_reset(client) -> None:
    lin = account(client, "lin")
    url = f"/accounts/{lin.id}"
    other = TestClient(client.app)
    for _ in range(service.LOCK_AFTER):
        other.post("/sign-in", data={"username": "lin", "password": "wrong password"})
    locked = client.get(url)
    assert 'id="unlock-form"' in locked.text
    assert "Failed sign-ins in a row: 5" in locked.text
    listed = client.get("/accounts").text
    row = re.search(r'<tr data-username="lin">.*?</tr>', listed, re.S).group(0)
    assert " UTC" in row  # locked until
    assert sign_in(other, "lin") == 401
    unlocked = client.post(url, data={"unlock": "true"})
    assert 'id="unlock-form"' not in unlocked.text
    assert "not locked" in unlocked.text
    assert sign_in(other, "lin") == 303

    short = client.post(url, data={"password": "too short"})
    assert short.status_code == 422
    assert "at least 10 characters" in error_beside(short.text, "password")
    empty = client.post(url, data={"password": ""})
    assert empty.status_code == 422
    assert client.post(url, data={"password": "a brand new password"}).status_code == 200
    assert sign_in(other, "lin") == 401
    assert sign_in(other, "lin", "a brand new password") == 303

    actions = audited(client, lin.id)
    assert ("system", "account.locked", {"failed_logins": 5}) in actions
    assert actions[-2:] == [
        ("ada", "account.changed", {"unlocked": True}),
        ("ada", "account.changed", {"password": "changed"}),
    ]


def test_the_last_active_administrator_stays_one(client) -> None:
    ada = account(client, "ada")
    url = f"/accounts/{ada.id}"
    off = client.post(url, data={"active": "false"})
    assert off.status_code == 422
    assert "last active administrator" in error_beside(off.text, "active")
    demoted = client.post(url, data={"display_name": "Ada", "role": "librarian"})
    assert demoted.status_code == 422
    assert "last active administrator" in error_beside(demoted.text, "role")
    assert '<option value="librarian" selected>' in demoted.text  # as typed
    still = account(client, "ada")
    assert (still.role, still.active, still.display_name) == ("admin", True, "ada")
    client.post("/accounts", data=NEW | {"username": "boss", "role": "admin"})
    demoted = client.post(url, data={"role": "librarian"}, follow_redirects=False)
    assert demoted.status_code == 303
    assert account(client, "ada").role == "librarian"


def test_librarians_may_not_see_or_change_accounts_or_the_audit_log(client) -> None:
    lin = account(client, "lin")
    assert sign_in(client, "lin") == 303
    for path in ("/accounts", f"/accounts/{lin.id}", "/audit", "/audit?entity=account"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "may not do this" in answer.text
    assert client.post("/accounts", data=NEW).status_code == 403
    assert client.post(f"/accounts/{lin.id}", data={"role": "admin"}).status_code == 403
    assert account(client, "lin").role == "librarian"
    nav = client.get("/catalog").text
    assert 'href="/accounts"' not in nav
    assert 'href="/audit"' not in nav


def test_the_pages_in_chinese_and_an_unknown_account(client) -> None:
    page = client.get("/accounts?lang=zh-CN")
    assert "<h1>员工账户</h1>" in page.text
    assert "管理员" in page.text
    assert client.get("/accounts/999").status_code == 404
    assert client.post("/accounts/999", data={"role": "admin"}).status_code == 404
