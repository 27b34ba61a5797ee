"""Presentations, not reads: a tag or card seen again within a window is the same one."""

from __future__ import annotations


class Debouncer:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._seen: dict[str, float] = {}
        self.suppressed = 0

    def first(self, key: str, now: float) -> bool:
        """True if `key` was not seen within the window; every sighting extends the window."""
        last = self._seen.get(key)
        self._seen[key] = now
        if len(self._seen) > 4096:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.window_s}
        if last is not None and now - last < self.window_s:
            self.suppressed += 1
            return False
        return True
