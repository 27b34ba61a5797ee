"""Real services for tests: a mosquitto of our own on a free port, a fresh PostgreSQL database."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "SMARTLIB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class Mosquitto:
    """A mosquitto process with our production settings, that a test may stop and restart."""

    def __init__(
        self, workdir: Path, port: int | None = None, extra: str = "", config: str | None = None
    ) -> None:
        # `config`, if given, is the whole mosquitto.conf instead of ours: it must listen on
        # 127.0.0.1:`port`, so pass `port` too.
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(self.binary).exists():
            raise RuntimeError("mosquitto is not installed (Debian package 'mosquitto')")
        self.port = port or free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "mosquitto.conf"
        if config is not None:
            self.config.write_text(config)
        else:
            self.config.write_text(
                f"listener {self.port} 127.0.0.1\n"
                # stay the user who runs the tests, so the broker can write under workdir
                f"user {getpass.getuser()}\n"
                "allow_anonymous true\n"
                "set_tcp_nodelay true\n"
                "persistence true\n"
                f"persistence_location {workdir}/\n"
                "max_queued_messages 0\n"
                "max_inflight_messages 0\n"
                f"log_dest file {workdir}/mosquitto.log\n" + extra
            )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.config)])
        wait_port(self.port)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(10)
        self.process = None


def create_pg_database() -> str:
    """A new empty database on the test PostgreSQL server; returns its URL."""
    name = f"smartlib_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def postgres_available() -> str | None:
    """None when the test PostgreSQL answers, else why not."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return str(error).splitlines()[0]
