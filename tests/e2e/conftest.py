"""The whole system for end-to-end tests: simulator, gateway, real mosquitto, real server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gateway.app import Gateway
from hardware.sim.library import SimLibrary
from smartlib.wiring import gateway_settings
from tests.processes import ServerProcess
from tests.sites import demo_site


@pytest.fixture
def system(
    tmp_path, mosquitto, database_url, monkeypatch
) -> Iterator[tuple[SimLibrary, Gateway, ServerProcess]]:
    site, site_file = demo_site(tmp_path)
    library = SimLibrary(site)
    library.start()
    monkeypatch.setenv("SMARTLIB_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("SMARTLIB_OUTBOX_PATH", str(tmp_path / "outbox.sqlite"))
    gateway = Gateway(gateway_settings(site_file, "gw1"))
    server = ServerProcess(
        database_url=database_url, mqtt_url=mosquitto.url, log=tmp_path / "server.log"
    )
    server.start()
    gateway.start()
    yield library, gateway, server
    gateway.stop()
    server.stop()
    library.stop()


def wait_for_devices(server: ServerProcess, *names: str, timeout: float = 15.0) -> dict[str, dict]:
    deadline = time.monotonic() + timeout
    while True:
        devices = {d["device"]: d for d in server.get("/api/devices")}
        if all(name in devices and devices[name]["online"] for name in names):
            return devices
        assert time.monotonic() < deadline, f"devices not online: {devices}"
        time.sleep(0.05)


def receive_until(ws, predicate, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            break
        if predicate(message):
            return message
    raise AssertionError("the expected live message did not arrive")


def stored_tag_reads(connection, wanted: int, timeout: float = 60.0) -> int:
    """Tag reads in the database once `wanted` have arrived or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        stored = connection.execute(
            sa.text("SELECT count(*) FROM event WHERE kind = 'tag_read'")
        ).scalar()
        if stored >= wanted or time.monotonic() > deadline:
            return stored
        time.sleep(0.2)
