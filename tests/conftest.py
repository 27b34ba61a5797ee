"""Fixtures for real services: mosquitto, PostgreSQL and SQLite databases, Chromium."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Page, sync_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from server.db import make_engine, migrate
from smartlib.web import create_app
from tests.services import (
    Mosquitto,
    create_pg_database,
    drop_pg_database,
    free_port,
    postgres_available,
    wait_port,
)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test runs once on SQLite and once on PostgreSQL, each on a fresh database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'smartlib.sqlite'}"
        return
    url = _pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = _pg_database()
    yield url
    drop_pg_database(url)


def _pg_database() -> str:
    problem = postgres_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {problem}")
        pytest.skip(f"PostgreSQL is not available: {problem}")
    return create_pg_database()


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (Debian package 'chromium')")
        pytest.skip("Chromium is not installed (Debian package 'chromium')")
    return path


@pytest.fixture
def page(chromium: str) -> Iterator[Page]:
    """A fresh page in Debian's Chromium, driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser.new_page()
        browser.close()


BROWSER_PASSWORD = "a password for tests"
API_PASSWORD = "a password for tests"


class ApiClient(TestClient):
    """The app on a test database, signed in as librarian `lin`; `as_role` for the others."""

    def as_role(self, role: Role) -> dict[str, str]:
        """Headers of a fresh account of `role` (made on first use)."""
        username = f"test-{role.value}"
        with Session(self.app.state.engine) as session:  # type: ignore[attr-defined]
            ensure_account(session, username, API_PASSWORD, role, datetime.now(UTC))
        answer = self.post(
            "/api/auth/sign-in", json={"username": username, "password": API_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def api(database_url: str) -> Iterator[ApiClient]:
    """The whole app over HTTP on SQLite and PostgreSQL; no broker (the link keeps retrying)."""
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with ApiClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers.update(client.as_role(Role.LIBRARIAN))
        yield client


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The web app served by uvicorn on a free port, with librarian `lin` (BROWSER_PASSWORD)."""
    port = free_port()
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'browser.sqlite'}", mqtt_url="mqtt://127.0.0.1:9"
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-site")
    thread.start()
    try:
        wait_port(port, timeout=30)
        while not server.started:
            time.sleep(0.05)
        with Session(app.state.engine) as session:
            ensure_account(session, "lin", BROWSER_PASSWORD, Role.LIBRARIAN, datetime.now(UTC))
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """A test must stop every thread it starts: leaks hide shutdown bugs."""
    before = set(threading.enumerate())
    yield
    deadline = threading.Event()
    for _ in range(50):
        leftover = [
            t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon
        ]
        if not leftover:
            return
        deadline.wait(0.1)
    pytest.fail(f"test left threads running: {[t.name for t in leftover]}")
