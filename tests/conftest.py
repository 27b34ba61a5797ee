"""Fixtures for real services: mosquitto, PostgreSQL and SQLite databases, Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import Mosquitto, create_pg_database, drop_pg_database, postgres_available


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
