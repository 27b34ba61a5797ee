"""Reader adapters: serial bytes in, canonical events out, one module per reader family."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from contracts import Command, Event, EventData

# Store events durably (the outbox) and return them; called from a reader's thread.
Record = Callable[[Sequence[tuple[str, EventData]]], list[Event]]


class Reader(Protocol):
    device: str
    kind: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def execute(self, command: Command) -> tuple[bool, str]:
        """Carry out a command; (ok, reason). May block for a few seconds."""
        ...

    def stats(self) -> dict[str, int]:
        """Counters worth reporting: frames rejected by reason, reconnects."""
        ...
