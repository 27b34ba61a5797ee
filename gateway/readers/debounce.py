"""Presentations, not reads: a tag or card seen again within a window is the same one."""

from __future__ import annotations

from collections import OrderedDict


class Debouncer:
    """Remembers keys for `window_s` after they were last seen, at most `capacity` of them."""

    def __init__(self, window_s: float, capacity: int = 8192) -> None:
        self.window_s = window_s
        self.capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()  # oldest sighting first
        self.suppressed = 0

    def first(self, key: str, now: float) -> bool:
        """True if `key` was not seen within the window; every sighting extends the window."""
        last = self._seen.pop(key, None)
        self._seen[key] = now
        while self._seen:
            oldest_key, oldest = next(iter(self._seen.items()))
            if now - oldest < self.window_s and len(self._seen) <= self.capacity:
                break
            del self._seen[oldest_key]
        if last is not None and now - last < self.window_s:
            self.suppressed += 1
            return False
        return True
