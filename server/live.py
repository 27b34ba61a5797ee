"""The live stream inside one server process: fan-out of applied changes to WebSocket clients.

Servers share changes through the broker (the live topic), so a client connected to any
server sees what every server applied. Messages are past tense (`EventReceived`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

CLIENT_QUEUE = 2000


class LiveHub:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[asyncio.Queue[str | None]] = set()
        self.dropped_clients = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def clients(self) -> int:
        return len(self._clients)

    def subscribe(self) -> asyncio.Queue[str | None]:
        queue: asyncio.Queue[str | None] = asyncio.Queue(CLIENT_QUEUE)
        self._clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str | None]) -> None:
        self._clients.discard(queue)

    def deliver_threadsafe(self, payload: bytes) -> None:
        """From the MQTT thread: a JSON array of live messages published by some server."""
        if self._loop is None or not self._clients:
            return
        try:
            messages: list[dict[str, Any]] = json.loads(payload)
        except ValueError:
            log.warning("ignored a malformed live message")
            return
        texts = [json.dumps(m, separators=(",", ":")) for m in messages]
        with contextlib.suppress(RuntimeError):  # the loop is closing
            self._loop.call_soon_threadsafe(self._fan_out, texts)

    def _fan_out(self, texts: list[str]) -> None:
        for queue in list(self._clients):
            try:
                for text in texts:
                    queue.put_nowait(text)
            except asyncio.QueueFull:
                # a client that cannot keep up is cut off rather than slowing everyone
                self._clients.discard(queue)
                self.dropped_clients += 1
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(None)

    def close(self) -> None:
        for queue in list(self._clients):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._clients.clear()
