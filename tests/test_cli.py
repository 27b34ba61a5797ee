"""The `smartlib` command and its settings: help for every command, file and environment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.config import GatewaySettings
from server.config import ServerSettings
from smartlib.cli import app
from smartlib.demo import prepare
from smartlib.wiring import gateway_settings
from tests.services import free_port
from tests.sites import demo_site

runner = CliRunner()


@pytest.mark.parametrize("command", ["demo", "server", "gateway", "sim", "schema"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "--" in result.output


def test_settings_come_from_the_file_and_the_environment_wins(tmp_path, monkeypatch) -> None:
    config = tmp_path / "smartlib.toml"
    config.write_text(
        '[server]\ndatabase_url = "sqlite:///x.sqlite"\nport = 9000\n'
        '[gateway]\ngateway = "desk-2"\nmqtt_url = "mqtt://broker:1883"\n'
    )
    monkeypatch.setenv("SMARTLIB_CONFIG", str(config))
    monkeypatch.setenv("SMARTLIB_PORT", "9100")
    server = ServerSettings()
    assert (server.database_url, server.port) == ("sqlite:///x.sqlite", 9100)
    gateway = GatewaySettings()
    assert (gateway.gateway, gateway.mqtt_url) == ("desk-2", "mqtt://broker:1883")


def test_bad_settings_are_refused_clearly(monkeypatch) -> None:
    monkeypatch.setenv("SMARTLIB_GATEWAY", "Desk/2")
    with pytest.raises(ValueError, match="gateway"):
        GatewaySettings()


def test_a_gateway_takes_its_readers_from_the_site_file(tmp_path) -> None:
    site, site_file = demo_site(tmp_path)
    settings = gateway_settings(site_file, "gw1")
    assert settings.site == site.site
    assert {r.device: r.protocol for r in settings.readers} == {
        "pad-1": "node",
        "card-1": "rdm6300",
    }
    with pytest.raises(ValueError, match="not in"):
        gateway_settings(site_file, "gw9")


def test_the_demo_writes_what_a_person_needs_to_try_it(tmp_path) -> None:
    config = prepare(tmp_path, broker_url="mqtt://127.0.0.1:1883", host="127.0.0.1", port=8000)
    seed = json.loads((tmp_path / "seed.json").read_text())
    assert seed["dashboard"] == "http://127.0.0.1:8000/"
    assert {d["id"] for d in seed["devices"]} == {"pad-1", "card-1"}
    assert len(seed["patron_cards"]) == 50
    assert {p["card"] for p in seed["patrons"]} <= set(seed["patron_cards"])
    assert {i["tag"] for i in seed["items"]} <= set(seed["book_tags"])
    assert all(len(p["pin"]) == 4 for p in seed["patrons"])
    assert "[server]" in config.read_text()
    assert (tmp_path / "site.yaml").exists()


def test_schema_command_writes_json_schema(tmp_path) -> None:
    result = runner.invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "event.schema.json").read_text())["discriminator"]


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (read from /proc)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == pid and not fields.get("State", "").startswith("Z"):
            found.add(int(status.parent.name))
    return found


def test_kill_stops_the_demo_and_everything_it_started(tmp_path) -> None:
    port = free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartlib",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "demo"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "SMARTLIB_CONFIG"},
    )
    try:
        deadline = time.monotonic() + 60
        while len(children_of(demo.pid)) < 3:  # server, gateway, simulator
            assert demo.poll() is None, "the demo stopped by itself"
            assert time.monotonic() < deadline, "the demo did not start its processes"
            time.sleep(0.2)
        started = children_of(demo.pid)
        demo.send_signal(signal.SIGTERM)  # `kill`, as a service manager stops it
        assert demo.wait(30) == 0
        assert not [pid for pid in started if Path(f"/proc/{pid}").exists()]
    finally:
        if demo.poll() is None:
            demo.kill()
