"""The simulated library: builds every simulated device of a site and plays a day at the desk.

Patrons present cards and put books on the pad at a steady rate; faults (line noise)
can be injected. Nothing here knows about the gateway or the server.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from pathlib import Path

from hardware.catalogue import Site
from hardware.sim.channels import PtyChannel, TcpChannel
from hardware.sim.devices import SimCardReader, SimNode

log = logging.getLogger(__name__)


def patron_cards(count: int, seed: int = 7) -> list[str]:
    """Card numbers as a 125 kHz card carries them: 10 hex digits."""
    rng = random.Random(seed)
    return [f"{rng.randrange(16**10):010X}" for _ in range(count)]


def book_tags(count: int, seed: int = 11) -> list[bytes]:
    """ISO 15693 UIDs (E0 manufacturer prefix), 8 bytes each."""
    rng = random.Random(seed)
    return [bytes([0xE0, 0x04]) + rng.randbytes(6) for _ in range(count)]


class SimLibrary:
    def __init__(self, site: Site, *, seed: int = 1) -> None:
        self.site = site
        self.pads: dict[str, SimNode] = {}
        self.card_readers: dict[str, SimCardReader] = {}
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        for device in site.devices:
            if device.sim is None:
                continue
            channel = (
                PtyChannel(Path(device.port)) if device.sim == "pty" else TcpChannel(device.port)
            )
            if device.protocol == "node":
                self.pads[device.id] = SimNode(device.id, channel, node_kind=device.kind)
            else:
                self.card_readers[device.id] = SimCardReader(device.id, channel)

    def start(self) -> None:
        for pad in self.pads.values():
            pad.start()
        log.info(
            "simulating %d pad(s) and %d card reader(s) of site %s",
            len(self.pads),
            len(self.card_readers),
            self.site.site,
        )

    def stop(self) -> None:
        self._stop.set()
        for device in [*self.pads.values(), *self.card_readers.values()]:
            device.stop()

    def play(
        self,
        *,
        rate: float,
        count: int | None,
        garbage: float = 0.0,
        cards: list[str] | None = None,
        tags: list[bytes] | None = None,
    ) -> int:
        """Patron visits at `rate` per second until `count` (or stop): a card, then 1-4 books.

        Returns the number of tag reads presented.
        """
        cards = cards or patron_cards(50)
        tags = tags or book_tags(500)
        presented = 0
        visits = 0
        while not self._stop.is_set() and (count is None or visits < count):
            for reader in self.card_readers.values():
                reader.present(self._rng.choice(cards))
            for pad in self.pads.values():
                for uid in self._rng.sample(tags, self._rng.randint(1, 4)):
                    pad.present(uid)
                    presented += 1
                if garbage and self._rng.random() < garbage:
                    pad.inject_garbage(self._rng.randbytes(self._rng.randint(1, 40)))
            visits += 1
            self._stop.wait(1.0 / rate)
        return presented

    def flood(self, pad: str, uids: list[bytes], *, rate: float) -> None:
        """Present many distinct tags to one pad at a steady rate (tests and benchmarks)."""
        node = self.pads[pad]
        interval = 1.0 / rate
        next_at = time.monotonic()
        for uid in uids:
            if self._stop.is_set():
                return
            node.present(uid)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def wait_drained(self, timeout: float) -> bool:
        """True once every pad's reads have been acknowledged by the gateway."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(p.backlog == 0 for p in self.pads.values()):
                return True
            time.sleep(0.05)
        return False
