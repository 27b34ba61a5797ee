"""The gateway process: outbox, MQTT link, readers and command execution, started and stopped.

Each reader is an extension with its own slice of the settings; one failing reader does
not stop the others.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from contracts import Command, CommandAck, DeviceStatus, Event, EventData, Heartbeat
from gateway.config import GatewaySettings, ReaderSettings
from gateway.link import MqttLink
from gateway.outbox import Outbox
from gateway.readers import Reader, Record
from gateway.readers.card_reader import CardReader
from gateway.readers.node_reader import NodeReader

log = logging.getLogger(__name__)

READERS = {"node": NodeReader, "rdm6300": CardReader}


def make_reader(settings: ReaderSettings, record: Record) -> Reader:
    return READERS[settings.protocol](settings, record)


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.outbox = Outbox(settings.outbox_path, settings.site, settings.gateway)
        self._commands: queue.Queue[Command | None] = queue.Queue()
        self.link = MqttLink(self.outbox, settings.mqtt_url, self._commands.put)
        self.readers: dict[str, Reader] = {
            r.device: make_reader(r, self.record) for r in settings.readers
        }
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._command_loop, name="commands"),
            threading.Thread(target=self._heartbeat_loop, name="heartbeat"),
        ]

    def record(self, items: Sequence[tuple[str, EventData]]) -> list[Event]:
        """Store events durably, then let the link publish them."""
        events = self.outbox.append(items)
        if events:
            self.link.wake()
        return events

    def start(self) -> None:
        log.info(
            "gateway %s/%s starting: %d reader(s), %d event(s) waiting in the outbox",
            self.settings.site,
            self.settings.gateway,
            len(self.readers),
            self.outbox.pending(),
        )
        self._own_status("online", "gateway started")
        self.link.start()
        for reader in self.readers.values():
            reader.start()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._commands.put(None)
        for reader in self.readers.values():
            reader.stop()
        for thread in self._threads:
            thread.join(5)
        self._own_status("offline", "gateway stopped")
        self.link.stop()
        self.outbox.close()
        log.info("gateway stopped")

    def run_until(self, stop: threading.Event) -> None:
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()

    def stats(self) -> dict[str, int]:
        counters = {
            "outbox_pending": self.outbox.pending(),
            "published": self.link.published,
            "rejected_commands": self.link.rejected_commands,
        }
        for device, reader in self.readers.items():
            counters.update({f"{device}.{k}": v for k, v in reader.stats().items()})
        return counters

    def _own_status(self, state: str, reason: str) -> None:
        gateway = self.settings.gateway
        self.record([(gateway, DeviceStatus(state=state, reason=reason, device_kind="gateway"))])

    def _heartbeat_loop(self) -> None:
        while True:
            self.record(
                [
                    (
                        self.settings.gateway,
                        Heartbeat(
                            uptime_s=round(time.monotonic() - self._started, 3),
                            rebooted=False,
                            stats=self.stats(),
                        ),
                    )
                ]
            )
            if self._stop.wait(self.settings.heartbeat_interval_s):
                return

    def _command_loop(self) -> None:
        while (command := self._commands.get()) is not None:
            try:
                self._execute(command)
            except Exception:
                log.exception("command %s failed unexpectedly", command.id)

    def _execute(self, command: Command) -> None:
        done = self.outbox.handled(command.id)
        if done is not None:  # redelivered: answer again, do not run again
            ok, reason = done
        else:
            age = (datetime.now(UTC) - command.ts).total_seconds()
            reader = self.readers.get(command.device)
            if age > self.settings.command_max_age_s:
                ok, reason = False, f"expired: {age:.0f} s old when it arrived"
            elif command.device == self.settings.gateway:
                ok, reason = True, "gateway is here"
            elif reader is None:
                ok, reason = False, f"unknown device {command.device!r}"
            else:
                ok, reason = reader.execute(command)
        log.info(
            "command %s %s on %s: %s",
            command.id,
            command.action,
            command.device,
            "ok" if ok else f"failed ({reason})",
        )
        self.outbox.append_command_result(
            command.device,
            command.id,
            ok,
            reason,
            CommandAck(command_id=command.id, ok=ok, reason=reason[:200]),
        )
        self.link.wake()
