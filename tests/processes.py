"""smartlib processes for tests: a real `smartlib server` in its own process, killable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session
from websockets.sync.client import ClientConnection, connect

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.db import make_engine, migrate
from tests.services import free_port

ADMIN = ("test-admin", "a password for tests")


class ServerProcess:
    def __init__(
        self,
        *,
        database_url: str,
        mqtt_url: str,
        instance: str = "server1",
        share_group: str | None = None,
        log: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SMARTLIB_DATABASE_URL": database_url,
            "SMARTLIB_MQTT_URL": mqtt_url,
            "SMARTLIB_INSTANCE": instance,
            "SMARTLIB_PORT": str(self.port),
        }
        self.env.pop("SMARTLIB_CONFIG", None)
        if share_group:
            self.env["SMARTLIB_SHARE_GROUP"] = share_group
        self.log = log
        self.database_url = database_url
        self.process: subprocess.Popen | None = None
        self.token: str | None = None

    def start(self, timeout: float = 60) -> ServerProcess:
        if self.token is None:  # an admin account for the test to sign in with
            engine = make_engine(self.database_url)
            migrate(engine)
            with Session(engine) as session:
                ensure_account(session, *ADMIN, Role.ADMIN, datetime.now(UTC))
            engine.dispose()
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smartlib", "server"], env=self.env, stdout=out, stderr=out
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log}")
            try:
                health = self.get("/healthz")
                if health["broker"] == "connected":
                    self.sign_in()
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("server did not become healthy")

    def sign_in(self) -> None:
        body = json.dumps({"username": ADMIN[0], "password": ADMIN[1]}).encode()
        self.token = self.post("/api/auth/sign-in", body)["token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str):  # type: ignore[no-untyped-def]
        request = urllib.request.Request(self.url + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
            json_body = response.headers.get_content_type() == "application/json"
        return json.loads(body) if json_body else body.decode()

    def post(self, path: str, body: bytes = b""):  # type: ignore[no-untyped-def]
        headers = {**self.headers, "Content-Type": "application/json"}
        request = urllib.request.Request(self.url + path, method="POST", data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def live(self) -> ClientConnection:
        """A WebSocket on the live stream, signed in as the test admin."""
        return connect(f"ws://127.0.0.1:{self.port}/ws/live", additional_headers=self.headers)

    def metric(self, name: str) -> float:
        for line in self.get("/metrics").splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise KeyError(name)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or power cut."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
