"""A serial line opened by pyserial URL (device path, `socket://`, `rfc2217://`), kept open.

One thread per port reads with a short timeout and hands bytes to the adapter; when the
port fails or cannot be opened it closes, tells the adapter, and retries with backoff.
pyserial is a blocking library, so a thread per port is its natural shape.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable

import serial

log = logging.getLogger(__name__)

READ_TIMEOUT = 0.05


class SerialPort:
    def __init__(
        self,
        url: str,
        *,
        baudrate: int,
        on_data: Callable[[bytes], None],
        on_open: Callable[[], None],
        on_close: Callable[[str], None],
        on_tick: Callable[[], None],
        name: str,
        max_backoff: float = 10.0,
    ) -> None:
        self.url = url
        self.baudrate = baudrate
        self._on_data, self._on_open, self._on_close, self._on_tick = (
            on_data,
            on_open,
            on_close,
            on_tick,
        )
        self._max_backoff = max_backoff
        self._port: serial.SerialBase | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"serial-{name}", daemon=True)
        self.reconnects = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def write(self, data: bytes) -> bool:
        """Write to the port if it is open; False if it is not (the caller retries later)."""
        port = self._port
        if not data or port is None:
            return bool(not data)
        try:
            with self._write_lock:
                port.write(data)
            return True
        except (serial.SerialException, OSError) as error:
            log.warning("write to %s failed: %s", self.url, error)
            return False

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=READ_TIMEOUT)
            except (serial.SerialException, OSError, ValueError) as error:
                log.info("cannot open %s (%s); retrying in %.1f s", self.url, error, backoff)
                self._on_tick()
                self._stop.wait(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = 0.2
            self._port = port
            log.info("opened %s", self.url)
            self._on_open()
            reason = self._read_until_failure(port)
            self._port = None
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
            self._on_close(reason)
            if not self._stop.is_set():
                self.reconnects += 1
                self._stop.wait(backoff)

    def _read_until_failure(self, port: serial.SerialBase) -> str:
        while not self._stop.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as error:
                log.warning("%s failed: %s", self.url, error)
                return f"port failed: {error}"
            try:
                if data:
                    self._on_data(data)
                self._on_tick()
            except Exception:  # a bug in one adapter must not stop the port
                log.exception("adapter for %s failed; continuing", self.url)
        return "gateway stopping"
