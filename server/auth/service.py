"""Use cases of the auth context: accounts, signing in and out, and writing the audit log."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, func, select

from server.auth.hashing import hash_secret, needs_rehash, verify_secret
from server.auth.models import Account, AuditEntry, SignIn
from server.auth.permissions import Role

LOCK_AFTER = 5  # failed attempts in a row
LOCK_FOR = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
MIN_PASSWORD = 10
NO_PASSWORD = "!"  # never a valid hash: an account that signs in another way (a patron's card)
MAX_AUDIT_PAGE = 1000


class SignInRefused(Exception):
    """Why a sign-in was refused, in words a person can act on."""


class AccountError(ValueError):
    """An account change that cannot be made; the message names the field and says why."""


class AccountNotFound(LookupError):
    """No account with that id."""


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first, and how many entries match in all."""

    entries: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    changes: dict[str, Any] | None = None,
    *,
    now: datetime,
) -> None:
    """Record a change; the caller commits it with the change itself."""
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            changes=changes or {},
        )
    )


def audit_log(
    session: Session,
    *,
    actor: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """The entries matching every filter given, newest first; `before` is exclusive."""
    per_page = max(1, min(per_page, MAX_AUDIT_PAGE))
    page = max(page, 1)
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if before is not None:
        query = query.where(col(AuditEntry.at) < before)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    entries = session.exec(
        query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return AuditPage(list(entries), total, page, per_page)


def list_accounts(session: Session) -> list[Account]:
    """Staff, kiosk and device accounts; patrons' own portal accounts are not listed."""
    query = select(Account).where(col(Account.patron_id).is_(None)).order_by(Account.username)
    return list(session.exec(query).all())


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(f"no account {account_id}")
    return account


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    actor: str,
    now: datetime,
) -> Account:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: use at least {MIN_PASSWORD} characters")
    if session.exec(select(Account).where(Account.username == username)).first():
        raise AccountError(f"username: {username!r} is taken")
    account = Account(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_secret(password),
        created_at=now,
    )
    session.add(account)
    session.flush()
    audit(
        session,
        actor,
        "account.created",
        "account",
        account.id,
        {"username": username, "role": str(role)},
        now=now,
    )
    session.commit()
    session.refresh(account)
    return account


def update_account(
    session: Session,
    account: Account,
    *,
    actor: str,
    now: datetime,
    role: Role | None = None,
    active: bool | None = None,
    display_name: str | None = None,
    password: str | None = None,
    unlock: bool = False,
) -> Account:
    """Change what is given, in one audited step; the last active admin stays one."""
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"password: use at least {MIN_PASSWORD} characters")
    _keep_an_admin(session, account, role=role, active=active)
    changes: dict[str, Any] = {}
    if role is not None and role != account.role:
        changes["role"] = [account.role, str(role)]
        account.role = role
    if active is not None and active != account.active:
        changes["active"] = [account.active, active]
        account.active = active
        if not active:
            session.exec(delete(SignIn).where(col(SignIn.account_id) == account.id))
    if display_name is not None and display_name != account.display_name:
        changes["display_name"] = [account.display_name, display_name]
        account.display_name = display_name
    if password is not None:
        account.password_hash = hash_secret(password)
        changes["password"] = "changed"
    if unlock and (account.locked_until or account.failed_logins):
        account.locked_until, account.failed_logins = None, 0
        changes["unlocked"] = True
    if changes:
        session.add(account)
        audit(session, actor, "account.changed", "account", account.id, changes, now=now)
        session.commit()
        session.refresh(account)
    return account


def _keep_an_admin(
    session: Session, account: Account, *, role: Role | None, active: bool | None
) -> None:
    # without an active admin nobody could manage accounts or unlock one again
    if account.role != Role.ADMIN or not account.active:
        return
    demoted = role is not None and role != Role.ADMIN
    disabled = active is False
    if not (demoted or disabled):
        return
    others = session.exec(
        select(func.count())
        .select_from(Account)
        .where(Account.role == Role.ADMIN, col(Account.active), col(Account.id) != account.id)
    ).one()
    if others == 0:
        field = "role" if demoted else "active"
        raise AccountError(f"{field}: this is the last active administrator account")


def sign_in(session: Session, username: str, password: str, now: datetime) -> tuple[str, Account]:
    """A new session token for the account, or SignInRefused saying why."""
    account = session.exec(select(Account).where(Account.username == username)).first()
    if account is None:
        verify_secret(None, password)  # as long as a wrong password takes
        raise SignInRefused("wrong username or password")
    if account.locked_until and account.locked_until > now:
        raise SignInRefused(
            f"too many failed attempts: locked until {account.locked_until:%H:%M} UTC; "
            "an administrator can unlock it"
        )
    if not verify_secret(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= LOCK_AFTER:
            account.locked_until = now + LOCK_FOR
            audit(
                session,
                "system",
                "account.locked",
                "account",
                account.id,
                {"failed_logins": account.failed_logins},
                now=now,
            )
        session.add(account)
        session.commit()
        raise SignInRefused("wrong username or password")
    if not account.active:
        raise SignInRefused("this account is disabled")
    account.failed_logins, account.locked_until = 0, None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_secret(password)
    session.add(account)
    return _start_session(session, account, now), account


def sign_in_patron(session: Session, patron_id: int, now: datetime) -> tuple[str, Account]:
    """A session for a patron whose card and PIN were just checked (the portal, a kiosk).

    The patron's account (role patron) is made on first sign-in; it has no password.
    """
    account = session.exec(select(Account).where(Account.patron_id == patron_id)).first()
    if account is None:
        account = Account(
            username=f"patron-{patron_id}",
            role=Role.PATRON,
            patron_id=patron_id,
            password_hash=NO_PASSWORD,
            created_at=now,
        )
        session.add(account)
        session.flush()
    if not account.active:
        raise SignInRefused("this patron's sign-in is disabled")
    return _start_session(session, account, now), account


def _start_session(session: Session, account: Account, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        SignIn(
            token_hash=_token_hash(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.exec(delete(SignIn).where(col(SignIn.expires_at) < now))
    session.commit()
    session.refresh(account)
    return token


def account_for_token(session: Session, token: str, now: datetime) -> Account | None:
    found = session.exec(
        select(Account, SignIn)
        .join(SignIn, col(SignIn.account_id) == col(Account.id))
        .where(SignIn.token_hash == _token_hash(token), col(SignIn.expires_at) > now)
    ).first()
    if found is None or not found[0].active:
        return None
    return found[0]


def sign_out(session: Session, token: str) -> None:
    session.exec(delete(SignIn).where(col(SignIn.token_hash) == _token_hash(token)))
    session.commit()


def ensure_account(
    session: Session, username: str, password: str, role: Role, now: datetime
) -> Account:
    """Create the account if it does not exist (first start, demo); never changes one."""
    existing = session.exec(select(Account).where(Account.username == username)).first()
    if existing:
        return existing
    return create_account(
        session,
        username=username,
        password=password,
        role=role,
        display_name=username,
        actor="system",
        now=now,
    )
