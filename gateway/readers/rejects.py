"""Logging of rejected frames: every rejection counted, the log throttled to one line a second."""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


class RejectLog:
    def __init__(self, device: str, every_s: float = 1.0) -> None:
        self.device = device
        self.every_s = every_s
        self._last_total = 0
        self._last_at = 0.0

    def check(self, rejected: dict[str, int], last_error: str | None) -> None:
        total = sum(rejected.values())
        now = time.monotonic()
        if total > self._last_total and now - self._last_at >= self.every_s:
            log.warning(
                "%s: rejected %d bad frame(s) (%s); last: %s",
                self.device,
                total - self._last_total,
                ", ".join(f"{k}={v}" for k, v in sorted(rejected.items())),
                last_error,
            )
            self._last_total, self._last_at = total, now
