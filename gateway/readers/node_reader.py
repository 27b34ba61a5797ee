"""RFID pad (or any node-protocol reader): node frames in, tag reads and heartbeats out.

A data frame from the node is acknowledged only after its event is in the outbox, so the
node keeps retransmitting until the gateway has it on disk: nothing acknowledged is lost.
"""

from __future__ import annotations

import logging
import random
import threading
import time

from contracts import Command, DeviceStatus, EventData, Heartbeat, IdentifyCommand, TagRead
from firmware_bridge import node
from gateway.config import ReaderSettings
from gateway.readers import Record
from gateway.readers.debounce import Debouncer
from gateway.readers.rejects import RejectLog
from gateway.serial_port import SerialPort

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 3.0


class NodeReader:
    def __init__(self, settings: ReaderSettings, record: Record) -> None:
        self.device = settings.device
        self.kind = settings.kind
        self._settings = settings
        self._record = record
        self._link = node.NodeLink(auto_ack=False)
        self._lock = threading.Lock()  # the link is used by the port thread and commands
        self._debounce = Debouncer(settings.debounce_s)
        self._rejects = RejectLog(settings.device)
        self._online = False
        self._bad_payloads = 0
        self._last_heard = 0.0
        self._results: dict[int, tuple[int, str]] = {}
        self._result_ready = threading.Condition(self._lock)
        self.port = SerialPort(
            settings.port,
            baudrate=settings.baudrate,
            on_data=self._data,
            on_open=self._opened,
            on_close=self._closed,
            on_tick=self._tick,
            name=settings.device,
        )

    def start(self) -> None:
        self.port.start()

    def stop(self) -> None:
        self.port.stop()

    def stats(self) -> dict[str, int]:
        counters = {f"rejected_{k}": v for k, v in self._link.decoder.rejected.items()}
        counters["rejected_payload"] = self._bad_payloads
        counters["reconnects"] = self.port.reconnects
        counters["duplicates"] = self._link.duplicates
        return counters

    # the port thread ---------------------------------------------------------------------

    def _opened(self) -> None:
        # The port is open; the node counts as online once it speaks. Our HELLO makes the
        # node forget the seqs of an earlier gateway run, so new commands are not taken
        # for repeats of old ones.
        now = time.monotonic()
        self._last_heard = now
        with self._lock:
            hello = self._link.send(
                node.HELLO, node.hello_payload(random.getrandbits(32), "gateway", "smartlib"), now
            )
        self.port.write(hello)

    def _closed(self, reason: str) -> None:
        self._set_online(False, reason)

    def _data(self, data: bytes) -> None:
        now = time.monotonic()
        with self._lock:
            frames, to_write = self._link.receive(data, now)
        self.port.write(to_write)
        self._rejects.check(self._link.decoder.rejected, self._link.decoder.last_error)
        if not frames:
            return
        self._last_heard = now
        self._set_online(True, "node is talking")
        items: list[tuple[str, EventData]] = []
        for frame in frames:
            body = self._event_for(frame, now)
            if body is not None:
                items.append((self.device, body))
        self._record(items)
        with self._lock:
            acks = b"".join(self._link.ack(frame.seq) for frame in frames)
        self.port.write(acks)

    def _event_for(self, frame: node.Frame, now: float) -> EventData | None:
        try:
            if frame.type == node.TAG_READ:
                uid, antenna, rssi = node.parse_tag_read(frame.payload)
                key = uid.hex().upper()
                if not self._debounce.first(key, now):
                    return None
                return TagRead(uid=key, antenna=antenna, rssi=rssi)
            if frame.type == node.HELLO:
                _boot_id, node_kind, firmware = node.parse_hello(frame.payload)
                log.info("%s: node %s booted, firmware %s", self.device, node_kind, firmware)
                return Heartbeat(uptime_s=0, firmware=firmware[:64], rebooted=True)
            if frame.type == node.HEARTBEAT:
                return None  # liveness only; the gateway reports devices in its own heartbeat
            if frame.type == node.RESULT:
                ref, status, detail = node.parse_result(frame.payload)
                with self._result_ready:
                    self._results[ref] = (status, detail)
                    self._result_ready.notify_all()
                return None
        except ValueError as error:
            self._bad_payloads += 1
            log.warning("%s: bad %#x frame payload: %s", self.device, frame.type, error)
            return None
        log.warning("%s: ignoring frame type %#x from node", self.device, frame.type)
        return None

    def _tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            resend = self._link.poll(now)
        self.port.write(resend)
        if self._online and now - self._last_heard > self._settings.heartbeat_timeout_s:
            self._set_online(False, f"silent for {self._settings.heartbeat_timeout_s:.0f} s")

    def _set_online(self, online: bool, reason: str) -> None:
        if online == self._online:
            return
        self._online = online
        state = "online" if online else "offline"
        log.info("%s is %s: %s", self.device, state, reason)
        self._record(
            [(self.device, DeviceStatus(state=state, reason=reason, device_kind=self.kind))]
        )

    # commands (the gateway's command thread) -------------------------------------------

    def execute(self, command: Command) -> tuple[bool, str]:
        if not isinstance(command, IdentifyCommand):
            return False, f"{command.action} is not supported by {self.kind}"
        if not self.port.is_open:
            return False, "reader is not connected"
        millis = int(command.params.seconds * 1000)
        with self._lock:
            try:
                frame = self._link.send(
                    node.COMMAND,
                    node.command_payload(node.OP_IDENTIFY, millis.to_bytes(2, "big")),
                    time.monotonic(),
                )
            except node.LinkBusy:
                return False, "reader is busy"
            seq = self._link.last_sent_seq
        self.port.write(frame)
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        with self._result_ready:
            while seq not in self._results:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False, "no answer from the reader"
                self._result_ready.wait(left)
            status, detail = self._results.pop(seq)
        return (status == 0), detail or ("done" if status == 0 else f"node error {status}")
