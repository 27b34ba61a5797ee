"""The simulator's end of a serial line: a real pty pair, or a TCP port (`socket://`).

Like a wire, a channel drops bytes when nobody is listening; the node protocol's
retransmission is what makes delivery reliable, as with real hardware.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import tty
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class PtyChannel:
    """A pseudo-terminal; the gateway opens the slave through a symlink at `link`."""

    def __init__(self, link: Path) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: a plain 8-bit line
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self.link = link
        link.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(self.path)

    def write(self, data: bytes) -> None:
        # the line is full or nobody reads it: lost, as on a real wire
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self.master, data)

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, OSError):
            return b""

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class TcpChannel:
    """A serial device server: listens on host:port, one client (the gateway) at a time."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._server = socket.create_server((parts.hostname or "127.0.0.1", parts.port or 0))
        self.port = self._server.getsockname()[1]
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name=f"tcp-{self.port}", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._client is not None:
                    self._client.close()
                self._client = client

    def write(self, data: bytes) -> None:
        with self._lock:
            client = self._client
            if client is None:
                return
            try:
                client.sendall(data)
            except OSError:
                client.close()
                self._client = None

    def read(self, timeout: float) -> bytes:
        client = self._client
        if client is None:
            threading.Event().wait(timeout)
            return b""
        try:
            ready, _, _ = select.select([client], [], [], timeout)
            if not ready:
                return b""
            data = client.recv(4096)
        except OSError:
            data = b""
        if not data:
            with self._lock:
                if self._client is client:
                    client.close()
                    self._client = None
        return data

    def close(self) -> None:
        self._closed = True
        self._server.close()
        with self._lock:
            if self._client is not None:
                self._client.close()
