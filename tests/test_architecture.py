"""The layout rules hold: import contracts, ruff, a gateway without the server's libraries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.sites import demo_site

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SERVER_ONLY = [
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "jinja2",
    "psycopg",
    "prometheus_client",
    "amqtt",
]


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_rules_of_the_design_hold() -> None:
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_ruff_is_clean() -> None:
    check = run(sys.executable, "-m", "ruff", "check", ".")
    assert check.returncode == 0, check.stdout + check.stderr
    form = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert form.returncode == 0, form.stdout + form.stderr


BLOCKER = f"""
import importlib.abc, sys
BLOCKED = {SERVER_ONLY!r}
class ServerLibraries(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"{{name}} is not installed (server dependency)")
sys.meta_path.insert(0, ServerLibraries())
sys.argv = ["smartlib", *sys.argv[1:]]
from smartlib.cli import app
app()
"""


def test_the_gateway_runs_without_the_servers_dependencies(tmp_path, mosquitto) -> None:
    _site, site_file = demo_site(tmp_path)
    env = {
        **os.environ,
        "SMARTLIB_MQTT_URL": mosquitto.url,
        "SMARTLIB_OUTBOX_PATH": str(tmp_path / "outbox.sqlite"),
    }
    env.pop("SMARTLIB_CONFIG", None)
    gateway = subprocess.Popen(
        [sys.executable, "-c", BLOCKER, "gateway", "--site-file", str(site_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(3)
    assert gateway.poll() is None, gateway.communicate()[0]
    gateway.send_signal(signal.SIGTERM)
    output = gateway.communicate(timeout=20)[0]
    assert gateway.returncode == 0, output
    assert "connected to broker" in output
    assert "gateway stopped" in output
