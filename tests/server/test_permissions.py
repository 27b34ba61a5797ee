"""The permission matrix holds on every route: walk each route with each role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.websockets import WebSocketDisconnect

from server.auth.permissions import MATRIX, Permission, Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"
# Reachable without signing in, on purpose.
PUBLIC = {
    "/healthz",
    "/metrics",
    "/api/auth/sign-in",
    "/api/auth/sign-out",
    "/api/portal/sign-in",
    "/portal/sign-in",
    "/portal/sign-out",
    "/sign-in",
    "/sign-out",
    "/lang/{language}",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}
# Any signed-in account, whatever its role.
SIGNED_IN = {"/api/auth/me"}
SAMPLE = {
    "site": "main",
    "gateway": "gw1",
    "device": "pad-1",
    "language": "en",
    "account_id": "1",
    "command_id": "00000000-0000-0000-0000-000000000000",
    "patron_id": "1",
    "block_id": "1",
    "number": "1234",
    "code": "adult",
    "record_id": "1",
    "item_id": "1",
    "hold_id": "1",
}


def walk(routes: list, inherited: tuple = ()) -> Iterator[tuple[object, tuple]]:
    """Every route with the dependencies of the routers it was included from."""
    for route in routes:
        router = getattr(route, "original_router", None)  # newer FastAPI nests included routers
        if router is not None:
            yield from walk(router.routes, inherited + tuple(router.dependencies))
        else:
            yield route, inherited


def permission_of(route: APIRoute | APIWebSocketRoute, inherited: tuple = ()) -> Permission | None:
    for depends in inherited:
        if getattr(depends.dependency, "permission", None) is not None:
            return depends.dependency.permission
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        found = getattr(dependency.call, "permission", None)
        if found is not None:
            return found
        pending.extend(dependency.dependencies)
    return None


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("matrix") / "matrix.sqlite"
    # no broker needed: the link keeps retrying in the background
    settings = ServerSettings(database_url=f"sqlite:///{database}", mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for role in Role:
                ensure_account(session, f"user-{role}", PASSWORD, role, datetime.now(UTC))
        yield client


@pytest.fixture(scope="module")
def tokens(client: TestClient) -> dict[Role, str]:
    found = {}
    for role in Role:
        answer = client.post(
            "/api/auth/sign-in", json={"username": f"user-{role}", "password": PASSWORD}
        )
        found[role] = answer.json()["token"]
    client.cookies.clear()
    return found


def http_routes(client: TestClient) -> list[tuple[APIRoute, tuple]]:
    return [(r, deps) for r, deps in walk(client.app.routes) if isinstance(r, APIRoute)]


def test_every_route_is_public_on_purpose_or_names_its_permission(client: TestClient) -> None:
    kinds = APIRoute | APIWebSocketRoute
    routes = [(r, d) for r, d in walk(client.app.routes) if isinstance(r, kinds)]
    assert len(routes) > 15
    for route, inherited in routes:
        if route.path in PUBLIC | SIGNED_IN:
            assert permission_of(route, inherited) is None, route.path
        elif isinstance(route, APIWebSocketRoute):
            assert route.path == "/ws/live"  # checks its permission itself, tested below
        else:
            assert permission_of(route, inherited) is not None, f"{route.path} is open to anyone"


def test_no_route_is_reachable_by_a_role_the_matrix_does_not_allow(client, tokens) -> None:
    checked = 0
    for route, inherited in http_routes(client):
        if route.path in PUBLIC:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], route.path)
        needed = permission_of(route, inherited)
        for method in route.methods:
            anonymous = client.request(method, path, json={}, follow_redirects=False)
            assert anonymous.status_code in (401, 303), f"{method} {path} without a session"
            for role, token in tokens.items():
                answer = client.request(
                    method,
                    path,
                    json={},
                    follow_redirects=False,
                    headers={"Authorization": f"Bearer {token}"},
                )
                may = needed is None or role in MATRIX[needed]
                if may:
                    assert answer.status_code not in (401, 403), f"{role} refused {method} {path}"
                else:
                    assert answer.status_code == 403, f"{role} reached {method} {path}"
                checked += 1
    assert checked > 20


def test_the_live_stream_follows_the_matrix(client, tokens) -> None:
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        if role in MATRIX[Permission.EVENTS_READ]:
            with client.websocket_connect("/ws/live", headers=headers):
                pass
        else:
            with (
                pytest.raises(WebSocketDisconnect),
                client.websocket_connect("/ws/live", headers=headers),
            ):
                pass
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/live"):
        pass
