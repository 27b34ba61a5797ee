"""The HTTP API answers bad requests with a 4xx and a message, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"


@pytest.fixture
def client(tmp_path, mosquitto) -> Iterator[TestClient]:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'api.sqlite'}", mqtt_url=mosquitto.url, instance="api"
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for username, role in (
                ("ada", Role.ADMIN),
                ("lin", Role.LIBRARIAN),
                ("pat", Role.PATRON),
            ):
                ensure_account(session, username, PASSWORD, role, datetime.now(UTC))
        client.headers["Authorization"] = f"Bearer {token(client, 'ada')}"
        yield client


def token(client: TestClient, username: str) -> str:
    response = client.post("/api/auth/sign-in", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/commands/not-a-uuid", 422),
        ("get", "/api/commands/00000000-0000-0000-0000-000000000000", 404),
        ("get", "/api/events?limit=0", 422),
        ("get", "/api/events?limit=abc", 422),
        ("post", "/api/devices/main/gw1/no-such-device/identify", 404),
        ("post", "/api/devices/Main/gw1/x/identify", 422),
        ("get", "/api/nothing-here", 404),
    ],
)
def test_bad_requests_get_a_4xx_with_a_message(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.json()["detail"]


def test_identify_parameters_are_validated(client: TestClient) -> None:
    response = client.post("/api/devices/main/gw1/gw1/identify", json={"seconds": 1000})
    assert response.status_code == 422
    assert "seconds" in str(response.json()["detail"])
    accepted = client.post("/api/devices/main/gw1/gw1/identify", json={"seconds": 2})
    assert accepted.status_code == 202
    assert accepted.json()["state"] == "pending"


def test_health_metrics_and_pages(client: TestClient) -> None:
    assert client.get("/healthz").json()["database"] == "ok"
    metrics = client.get("/metrics").text
    assert "smartlib_events_ingested_total" in metrics
    assert "smartlib_events_rejected_total" in metrics
    page = client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    assert "设备与实时事件" in page.text


def test_no_session_means_401_for_programs_and_the_sign_in_page_for_people(client) -> None:
    del client.headers["Authorization"]
    client.cookies.clear()
    assert client.get("/api/devices").status_code == 401
    page = client.get("/", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/sign-in?next=/")
    expired = client.get("/api/devices", headers={"Authorization": "Bearer not-a-token"})
    assert "expired" in expired.json()["detail"]


def test_a_role_without_the_permission_gets_403_with_the_reason(client) -> None:
    response = client.get(
        "/api/accounts", headers={"Authorization": f"Bearer {token(client, 'lin')}"}
    )
    assert response.status_code == 403
    assert "librarian" in response.json()["detail"]


def test_admins_manage_accounts_and_see_the_audit_log(client) -> None:
    created = client.post(
        "/api/accounts", json={"username": "sec1", "password": "long enough pw", "role": "security"}
    )
    assert created.status_code == 201, created.text
    again = client.post(
        "/api/accounts", json={"username": "sec1", "password": "long enough pw", "role": "security"}
    )
    assert again.status_code == 409
    assert "taken" in again.json()["detail"]
    short = client.post(
        "/api/accounts", json={"username": "sec2", "password": "short", "role": "admin"}
    )
    assert short.status_code == 422
    changed = client.patch(f"/api/accounts/{created.json()['id']}", json={"active": False})
    assert changed.json()["active"] is False
    log = client.get("/api/audit").json()
    assert [(e["actor"], e["action"]) for e in log[:2]] == [
        ("ada", "account.changed"),
        ("ada", "account.created"),
    ]


def test_the_server_starts_while_the_broker_is_down(tmp_path) -> None:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'api.sqlite'}",
        mqtt_url="mqtt://127.0.0.1:9",
        instance="api",
    )
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
    assert health == {"status": "ok", "database": "ok", "broker": "disconnected"}
