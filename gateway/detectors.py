"""What detectors report, in neutral words, and the gateway's local fire rule over it.

The local rule lights the alarm lamp and sounds the sounder from the gateway itself, so
they work with the server or the broker down. It keeps the server's latching (see
server/safety/alarms.py, which the gateway may not import): a detector that reported fire
keeps the lamp lit until it is reset, and a reset is refused while it still reports fire;
silencing stops the sounder only; a detector in fire again after clearing sounds again.
Pure: the adapter feeds it reports and drives the outputs from what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Condition(StrEnum):
    """One thing a detector says about itself."""

    FIRE = "fire"  # smoke, flame or heat
    INTRUSION = "intrusion"  # motion, a beam broken, a door or window opened, glass broken
    GAS = "gas"
    CARBON_MONOXIDE = "carbon_monoxide"
    WATER_LEAK = "water_leak"
    PANIC = "panic"  # a panic or emergency button
    ALARM = "alarm"  # an alarm of a device whose kind does not say what it means
    TAMPER = "tamper"  # the cover is open or the device was removed
    BATTERY_LOW = "battery_low"
    BATTERY_DEFECT = "battery_defect"
    TROUBLE = "trouble"  # the device reports a fault of its own
    MAINS_FAULT = "mains_fault"  # AC mains lost
    TEST = "test"  # the device is in test mode; its alarms are still reported


@dataclass(frozen=True)
class DetectorReport:
    """The conditions a detector reports, and which conditions the report speaks about.

    A condition in `reported` but not in `conditions` has cleared; one not in `reported`
    is unknown (a zigbee2mqtt message carrying only the battery says nothing of smoke).
    """

    conditions: frozenset[Condition] = frozenset()
    reported: frozenset[Condition] = frozenset()
    supervision_reports: bool = False  # the device sends periodic supervision reports
    restore_reports: bool = False  # the device reports when an alarm clears

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", frozenset(map(Condition, self.conditions)))
        object.__setattr__(
            self, "reported", frozenset(map(Condition, self.reported)) | self.conditions
        )

    def says(self, condition: Condition) -> bool | None:
        """True or False when the report speaks of `condition`, None when it does not."""
        return condition in self.conditions if condition in self.reported else None


@dataclass(frozen=True)
class FireOutputs:
    lamp: bool
    sounder: bool


@dataclass(frozen=True)
class LocalFireState:
    """Which detectors report fire now, which are latched, and which were silenced."""

    in_fire: frozenset[str] = field(default_factory=frozenset)
    latched: frozenset[str] = field(default_factory=frozenset)  # fire since the last reset
    silenced: frozenset[str] = field(default_factory=frozenset)

    @property
    def outputs(self) -> FireOutputs:
        """Lamp on while any detector is latched; sounder while any latched one is not silenced."""
        return FireOutputs(lamp=bool(self.latched), sounder=bool(self.latched - self.silenced))


def observe(state: LocalFireState, detector: str, report: DetectorReport) -> LocalFireState:
    """A report from `detector`: fire latches it; a restore only ends its fire, not the latch."""
    fire = report.says(Condition.FIRE)
    if fire is None:
        return state
    if not fire:
        return replace(state, in_fire=state.in_fire - {detector})
    if detector in state.in_fire:
        return state  # a repeat: a silenced sounder stays silent
    return LocalFireState(
        in_fire=state.in_fire | {detector},
        latched=state.latched | {detector},
        silenced=state.silenced - {detector},  # in fire again after clearing: sound again
    )


def silence(state: LocalFireState) -> LocalFireState:
    """Sounder off for every latched detector; the lamp stays lit."""
    return replace(state, silenced=state.latched)


@dataclass(frozen=True)
class LocalReset:
    """What a reset did: the new state, the detectors reset and those refused (still in fire)."""

    state: LocalFireState
    reset: frozenset[str]
    refused: frozenset[str]


def reset(state: LocalFireState, detectors: Iterable[str] | None = None) -> LocalReset:
    """Unlatch `detectors` (None: every latched one) that no longer report fire."""
    wanted = state.latched if detectors is None else frozenset(detectors) & state.latched
    refused = wanted & state.in_fire
    done = wanted - refused
    after = replace(state, latched=state.latched - done, silenced=state.silenced - done)
    return LocalReset(after, done, refused)
