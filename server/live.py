"""The live stream: what any server applied, fanned out to this server's WebSocket clients.

A server hands what it applied to its own clients directly and publishes it on the live
topic for the other servers, which skip their own messages when the broker echoes them.
Messages are past tense (`EventReceived`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

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

    def deliver_threadsafe(self, texts: list[str]) -> None:
        """From another thread: JSON texts of live messages, each sent as it is."""
        if self._loop is None or not self._clients or not texts:
            return
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
