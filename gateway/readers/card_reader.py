"""Patron-card reader (RDM6300-style 125 kHz ASCII frames): card reads out.

Such a reader has no node protocol and no heartbeat: it is online while its port is
open, and it repeats a held card every ~100 ms, so reads are debounced here.
"""

from __future__ import annotations

import time

from contracts import CardRead, Command, DeviceStatus
from firmware_bridge.rdm6300 import CardFrameDecoder
from gateway.config import ReaderSettings
from gateway.readers import Record
from gateway.readers.debounce import Debouncer
from gateway.readers.rejects import RejectLog
from gateway.serial_port import SerialPort


class CardReader:
    def __init__(self, settings: ReaderSettings, record: Record) -> None:
        self.device = settings.device
        self.kind = settings.kind
        self._record = record
        self._decoder = CardFrameDecoder()
        self._debounce = Debouncer(settings.debounce_s)
        self._rejects = RejectLog(settings.device)
        self.port = SerialPort(
            settings.port,
            baudrate=settings.baudrate,
            on_data=self._data,
            on_open=lambda: self._status("online", "port open"),
            on_close=lambda reason: self._status("offline", reason),
            on_tick=lambda: None,
            name=settings.device,
        )

    def start(self) -> None:
        self.port.start()

    def stop(self) -> None:
        self.port.stop()

    def stats(self) -> dict[str, int]:
        counters = {f"rejected_{k}": v for k, v in self._decoder.rejected.items()}
        counters["reconnects"] = self.port.reconnects
        return counters

    def execute(self, command: Command) -> tuple[bool, str]:
        return False, f"{command.action} is not supported by a {self.kind}"

    def _status(self, state: str, reason: str) -> None:
        self._record(
            [(self.device, DeviceStatus(state=state, reason=reason, device_kind=self.kind))]
        )

    def _data(self, data: bytes) -> None:
        now = time.monotonic()
        cards = [c for c in self._decoder.feed(data) if self._debounce.first(c, now)]
        self._rejects.check(self._decoder.rejected, self._decoder.last_error)
        self._record([(self.device, CardRead(card=card)) for card in cards])
