"""smartlib processes for tests: a real `smartlib server` in its own process, killable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.services import free_port


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
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> ServerProcess:
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
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("server did not become healthy")

    def get(self, path: str):  # type: ignore[no-untyped-def]
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            body = response.read()
        return (
            json.loads(body)
            if response.headers.get_content_type() == "application/json"
            else body.decode()
        )

    def post(self, path: str):  # type: ignore[no-untyped-def]
        request = urllib.request.Request(self.url + path, method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

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
