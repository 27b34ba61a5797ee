"""Supervision: a detector, collector, reader or gateway gone silent raises a trouble alarm.

Every supervised device sends a heartbeat (or any event) at least every `interval`. One
not heard from for longer than GRACE times its interval is silent: a trouble alarm is raised
with the device as its source, and cleared when it is heard from again. GRACE is 2.5 so
that one lost heartbeat, plus the jitter of a busy radio or broker, does not raise an
alarm, while two lost in a row do.

A device that reports through another (a detector behind a collector, a reader behind its
gateway) is not raised on its own while the device it reports through is silent: one
trouble alarm for a gateway, not one for each of its thirty devices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from server.safety.alarms import Alarm, AlarmType, Outcome, clear, raise_

GRACE = 2.5


class DeviceKind(StrEnum):
    DETECTOR = "detector"  # smoke, flame, heat, IR beam, door contact
    COLLECTOR = "collector"  # the digital-input collector the wired detectors hang on
    READER = "reader"  # RFID pads, gates, card readers
    GATEWAY = "gateway"


@dataclass(frozen=True)
class Supervised:
    """A device with a heartbeat, where it is, and what it reports through."""

    name: str
    kind: DeviceKind
    interval: timedelta
    zone: str
    via: str | None = None  # the collector or gateway it reports through

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError(
                f"{self.name}: a heartbeat interval is longer than 0, not {self.interval}"
            )
        if self.via == self.name:
            raise ValueError(f"{self.name} cannot report through itself")


@dataclass(frozen=True)
class WentSilent:
    """Not heard from for longer than its grace: raise a trouble alarm."""

    device: Supervised
    last_seen: datetime | None  # None: not heard from since supervision began
    silent_for: timedelta

    @property
    def message(self) -> str:
        since = "since supervision began" if self.last_seen is None else "since"
        when = "" if self.last_seen is None else f" {self.last_seen.isoformat()}"
        return (
            f"{self.device.kind} {self.device.name} silent {since}{when} "
            f"({_minutes(self.silent_for)}; heartbeat every {_minutes(self.device.interval)})"
        )


@dataclass(frozen=True)
class CameBack:
    """Heard from again while its trouble alarm is active: clear it."""

    device: Supervised
    last_seen: datetime

    @property
    def message(self) -> str:
        device = self.device
        return f"{device.kind} {device.name} heard from again at {self.last_seen.isoformat()}"


@dataclass(frozen=True)
class Unreachable:
    """Silent, but so is the device it reports through: no alarm of its own."""

    device: Supervised
    behind: str


@dataclass(frozen=True)
class Supervision:
    """One round of supervision, and when the next device could go silent."""

    silent: tuple[WentSilent, ...] = ()
    returned: tuple[CameBack, ...] = ()
    unreachable: tuple[Unreachable, ...] = ()
    next_check: datetime | None = None  # None: nothing left to go silent


def supervise(
    devices: Sequence[Supervised],
    last_seen: Mapping[str, datetime],
    alarms: Iterable[Alarm],
    now: datetime,
    *,
    watching_since: datetime,
    grace: float = GRACE,
) -> Supervision:
    """Which of `devices` went silent and which came back, at `now`.

    `last_seen` holds when each device was last heard from; a device missing from it is
    measured from `watching_since` (when supervision started, e.g. the server's start), so
    a restart does not raise every device at once. `alarms` tells which devices already
    have an active trouble alarm of their own (source = the device's name).
    """
    if now.tzinfo is None or watching_since.tzinfo is None:
        raise ValueError("supervision needs aware times")
    if grace < 1:
        raise ValueError(f"a grace of {grace} would alarm before a heartbeat is even due")
    by_name = {device.name: device for device in devices}
    troubled = {
        a.source for a in alarms if a.active and a.type == AlarmType.TROUBLE and a.source in by_name
    }

    def reference(device: Supervised) -> datetime:
        return last_seen.get(device.name, watching_since)

    def deadline(device: Supervised) -> datetime:
        return reference(device) + device.interval * grace

    silent_names = {d.name for d in devices if now > deadline(d)}
    silent, returned, unreachable, upcoming = [], [], [], []
    for device in devices:
        if device.name in silent_names:
            behind = _silent_route(device, by_name, silent_names)
            if behind is not None:
                unreachable.append(Unreachable(device, behind))
            elif device.name not in troubled:
                seen = last_seen.get(device.name)
                silent.append(WentSilent(device, seen, now - reference(device)))
        else:
            upcoming.append(deadline(device))
            if device.name in troubled and device.name in last_seen:
                returned.append(CameBack(device, last_seen[device.name]))
    return Supervision(
        tuple(silent), tuple(returned), tuple(unreachable), min(upcoming, default=None)
    )


def apply(alarms: Sequence[Alarm], found: Supervision, now: datetime) -> tuple[Outcome, ...]:
    """The trouble alarms a round of supervision raises and clears, one outcome each,
    stamped `now`; applied_alarms gives the alarms after them all."""
    outcomes: list[Outcome] = []
    current = tuple(alarms)
    for gone in found.silent:
        outcomes.append(raise_(current, gone.device.name, AlarmType.TROUBLE, gone.device.zone, now))
        current = outcomes[-1].alarms
    for back in found.returned:
        outcomes.append(clear(current, back.device.name, AlarmType.TROUBLE, now))
        current = outcomes[-1].alarms
    return tuple(outcomes)


def applied_alarms(alarms: Sequence[Alarm], outcomes: Sequence[Outcome]) -> tuple[Alarm, ...]:
    """The alarms after `outcomes` (from apply): the last one's, or `alarms` if none."""
    return outcomes[-1].alarms if outcomes else tuple(alarms)


def _silent_route(
    device: Supervised, by_name: Mapping[str, Supervised], silent: set[str]
) -> str | None:
    """The nearest silent device `device` reports through, if any (loops are cut short)."""
    seen = {device.name}
    via = device.via
    while via is not None and via not in seen:
        if via in silent:
            return via
        seen.add(via)
        parent = by_name.get(via)
        via = parent.via if parent is not None else None
    return None


def _minutes(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    return f"{seconds // 60} min"
