"""The demo's embedded MQTT broker: amqtt (pure Python, MQTT 3.1.1) in its own thread.

Good for a demo on a machine without mosquitto; production uses mosquitto.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedBroker:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.url = f"mqtt://{host}:{port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._broker: Any = None
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the embedded broker did not start")
        if self._error:
            raise RuntimeError(
                f"the embedded broker failed to start: {self._error}"
            ) from self._error
        log.info("embedded broker (amqtt) listening on %s", self.url)

    def stop(self) -> None:
        if self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(10)
            except Exception as error:
                log.warning("embedded broker shutdown: %s", error)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as error:
            self._error = error
        self._ready.set()
        if self._error is None:
            self._loop.run_forever()

    async def _start(self) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        self._broker = Broker(config)
        await self._broker.start()
