"""Simulated devices: an RFID pad node running the node protocol, and an RDM6300 card reader.

The node does what its firmware does: says HELLO at boot, sends a heartbeat, reports
each tag that enters its field as a TAG_READ frame, retransmits until acknowledged, and
answers commands.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from typing import Protocol

from firmware_bridge import node
from firmware_bridge.rdm6300 import encode_card

log = logging.getLogger(__name__)


class Channel(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class SimNode:
    """A reader node on a serial line."""

    def __init__(
        self,
        device: str,
        channel: Channel,
        *,
        node_kind: str = "rfid_pad",
        firmware: str = "smartlib-sim 1.0",
        heartbeat_s: float = 2.0,
    ) -> None:
        self.device = device
        self.channel = channel
        self.node_kind = node_kind
        self.firmware = firmware
        self.heartbeat_s = heartbeat_s
        # Firmware keeps unacknowledged reads in RAM and retries until the gateway answers.
        self.link = node.NodeLink(retransmit_after=0.2, max_retries=1_000_000, window=32)
        self._tags: collections.deque[bytes] = collections.deque()
        self._garbage: collections.deque[bytes] = collections.deque()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"sim-{device}", daemon=True)
        self.tags_sent = 0
        self.identified = 0
        self.silent = False  # fault: the node stops talking (and listening)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.channel.close()

    def present(self, uid: bytes) -> None:
        """A tag enters the pad's field."""
        self._tags.append(uid)

    def inject_garbage(self, data: bytes) -> None:
        """Noise on the line (a loose connector, a reader rebooting mid-frame)."""
        self._garbage.append(data)

    @property
    def backlog(self) -> int:
        """Reads not yet acknowledged by the gateway, queued or in flight."""
        return len(self._tags) + self.link.pending

    def _run(self) -> None:
        boot_id = random.getrandbits(32)
        self._send(node.HELLO, node.hello_payload(boot_id, self.node_kind, self.firmware))
        next_beat = time.monotonic() + self.heartbeat_s
        while not self._stop.is_set():
            data = self.channel.read(0.01)
            now = time.monotonic()
            if self.silent:
                continue
            if data:
                frames, to_write = self.link.receive(data, now)
                self.channel.write(to_write)
                for frame in frames:
                    self._handle(frame, now)
            while self._garbage:
                self.channel.write(self._garbage.popleft())
            while self._tags and self.link.pending < 32:
                uid = self._tags.popleft()
                self._send(node.TAG_READ, node.tag_read_payload(uid, 0, -40))
                self.tags_sent += 1
            if now >= next_beat:
                uptime_ms = int((now - self._started) * 1000) & 0xFFFFFFFF
                if self.link.pending < 32:
                    self._send(node.HEARTBEAT, node.heartbeat_payload(uptime_ms))
                next_beat = now + self.heartbeat_s
            self.channel.write(self.link.poll(now))

    def _send(self, frame_type: int, payload: bytes) -> None:
        self.channel.write(self.link.send(frame_type, payload, time.monotonic()))

    def _handle(self, frame: node.Frame, now: float) -> None:
        if frame.type != node.COMMAND:
            return
        opcode, args = node.parse_command(frame.payload)
        if opcode == node.OP_IDENTIFY:
            millis = int.from_bytes(args[:2], "big") if len(args) >= 2 else 0
            self.identified += 1
            log.info("%s: blinking for %d ms", self.device, millis)
            self._send(node.RESULT, node.result_payload(frame.seq, 0, "blinked"))
        else:
            self._send(node.RESULT, node.result_payload(frame.seq, 1, f"unknown opcode {opcode}"))


class SimCardReader:
    """An RDM6300-style 125 kHz reader: streams ASCII frames while a card is held."""

    def __init__(self, device: str, channel: Channel, *, repeats: int = 3) -> None:
        self.device = device
        self.channel = channel
        self.repeats = repeats
        self.cards_sent = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.channel.close()

    def present(self, card: str) -> None:
        """A card held to the reader for a moment: the frame repeats, as real readers do."""
        frame = encode_card(card)
        for _ in range(self.repeats):
            self.channel.write(frame)
            time.sleep(0.005)
        self.cards_sent += 1

    def inject_garbage(self, data: bytes) -> None:
        self.channel.write(data)
