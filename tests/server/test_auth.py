"""Accounts and sign-in on a real database: hashing, lockout, sessions, the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from server.auth import service
from server.auth.models import Account, AuditEntry, SignIn
from server.auth.permissions import Role

PASSWORD = "correct horse battery"


def now() -> datetime:
    return datetime.now(UTC)


def make(session: Session, username: str = "lin", role: Role = Role.LIBRARIAN) -> Account:
    return service.create_account(
        session, username=username, password=PASSWORD, role=role, actor="admin", now=now()
    )


def test_passwords_are_stored_as_argon2_hashes_and_sign_in_works(session) -> None:
    account = make(session)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    token, signed = service.sign_in(session, "lin", PASSWORD, now())
    assert signed.id == account.id
    assert service.account_for_token(session, token, now()).username == "lin"
    stored = session.exec(select(SignIn)).one()
    assert token not in stored.token_hash  # only the token's hash is kept


def test_wrong_password_and_unknown_user_get_the_same_answer(session) -> None:
    make(session)
    for username, password in (("lin", "wrong password!"), ("nobody", PASSWORD)):
        with pytest.raises(service.SignInRefused, match="wrong username or password"):
            service.sign_in(session, username, password, now())


def test_repeated_failures_lock_the_account_until_an_admin_unlocks_it(session) -> None:
    account = make(session)
    for _ in range(service.LOCK_AFTER):
        with pytest.raises(service.SignInRefused):
            service.sign_in(session, "lin", "not the password", now())
    with pytest.raises(service.SignInRefused, match="locked until"):
        service.sign_in(session, "lin", PASSWORD, now())  # even the right password
    service.update_account(session, account, actor="admin", now=now(), unlock=True)
    service.sign_in(session, "lin", PASSWORD, now())
    actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions == ["account.created", "account.locked", "account.changed"]


def test_the_lock_expires_by_itself(session) -> None:
    make(session)
    for _ in range(service.LOCK_AFTER):
        with pytest.raises(service.SignInRefused):
            service.sign_in(session, "lin", "not the password", now())
    later = now() + service.LOCK_FOR + timedelta(seconds=1)
    service.sign_in(session, "lin", PASSWORD, later)


def test_sessions_expire_and_end_on_sign_out_or_when_disabled(session) -> None:
    account = make(session)
    token, _ = service.sign_in(session, "lin", PASSWORD, now())
    assert (
        service.account_for_token(session, token, now() + service.SESSION_TTL + timedelta(1))
        is None
    )
    service.sign_out(session, token)
    assert service.account_for_token(session, token, now()) is None
    token, _ = service.sign_in(session, "lin", PASSWORD, now())
    service.update_account(session, account, actor="admin", now=now(), active=False)
    assert service.account_for_token(session, token, now()) is None
    with pytest.raises(service.SignInRefused, match="disabled"):
        service.sign_in(session, "lin", PASSWORD, now())


def test_account_rules_are_explained(session) -> None:
    make(session)
    with pytest.raises(service.AccountError, match="taken"):
        make(session)
    with pytest.raises(service.AccountError, match="at least"):
        service.create_account(
            session, username="x1", password="short", role=Role.ADMIN, actor="admin", now=now()
        )


def test_every_change_is_audited_with_who_and_what(session) -> None:
    account = make(session)
    service.update_account(
        session,
        account,
        actor="boss",
        now=now(),
        role=Role.SECURITY,
        password="another long password",
    )
    entry = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor, entry.action, entry.entity_id) == (
        "boss",
        "account.changed",
        str(account.id),
    )
    assert entry.changes == {"role": ["librarian", "security"], "password": "changed"}
