"""Authorisation as a dependency: each route names the permission it needs.

The session token comes from `Authorization: Bearer <token>` (programs) or the
`smartlib_session` cookie (browsers). No token: 401; a role without the permission: 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket, status
from sqlmodel import Session

from server.auth.models import Account
from server.auth.permissions import Permission, Role, allowed
from server.auth.service import account_for_token
from server.deps import SessionDep

COOKIE = "smartlib_session"


def token_of(connection: Request | WebSocket) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return connection.cookies.get(COOKIE)


def signed_in(request: Request, session: SessionDep) -> Account:
    token = token_of(request)
    account = account_for_token(session, token, datetime.now(UTC)) if token else None
    if account is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in first" if token is None else "your session has expired; sign in again",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


SignedIn = Annotated[Account, Depends(signed_in)]


def requires(permission: Permission) -> Callable[..., Account]:
    """A dependency that lets through only roles the matrix allows."""

    def check(account: SignedIn) -> Account:
        if not allowed(Role(account.role), permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"a {account.role} account may not do this ({permission})",
            )
        return account

    check.permission = permission  # type: ignore[attr-defined]  # read by the matrix test
    return check


def websocket_account(
    websocket: WebSocket, session: Session, permission: Permission
) -> Account | None:
    """The signed-in account of a WebSocket if it holds `permission`, else None."""
    token = token_of(websocket)
    account = account_for_token(session, token, datetime.now(UTC)) if token else None
    if account is None or not allowed(Role(account.role), permission):
        return None
    return account
