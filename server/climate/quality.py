"""Is a sensor's reading fit to steer a zone? Out-of-range, stuck and spiking values are
flagged, and a sensor that has gone quiet is reported as silent.

A pure filter per sensor and quantity: `check` takes the sensor's Track (what it said
before) and a new value, and returns the next Track with a Verdict. Only readings with an
empty verdict go to the controller; the flagged ones are kept and shown with their flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from contracts.readings import UNITS, Quantity


class Flag(StrEnum):
    """Why a reading is not used, or a sensor not trusted: codes pages translate."""

    NOT_FINITE = "not_finite"
    OUT_OF_RANGE = "out_of_range"
    STUCK = "stuck"
    SPIKE = "spike"
    OUT_OF_ORDER = "out_of_order"
    SILENT = "silent"


@dataclass(frozen=True)
class Limits:
    """What a plausible series of one quantity from one sensor looks like."""

    low: float  # physically possible range, inclusive
    high: float
    interval: timedelta  # how often the sensor reports, at the latest
    silent_after_intervals: int = 3  # missed reports before the sensor counts as silent
    max_step: float | None = None  # a jump always allowed (noise, resolution); None: no check
    max_rate_per_minute: float = 0.0  # and this much more per minute since the last good value
    stuck_after: timedelta | None = None  # the same value this long is a stuck sensor
    stuck_tolerance: float = 0.0  # values this close count as the same

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"the range {self.low}..{self.high} is empty")
        if self.interval <= timedelta(0) or self.silent_after_intervals < 1:
            raise ValueError("a sensor reports at a positive interval and may miss one or more")

    @property
    def silent_after(self) -> timedelta:
        return self.interval * self.silent_after_intervals

    def allowed_jump(self, elapsed: timedelta) -> float:
        assert self.max_step is not None
        return self.max_step + self.max_rate_per_minute * elapsed.total_seconds() / 60


# Room sensors (Sonoff SNZB-02, Aqara WSDCGQ11LM and alike: -40..85 °C, report at least
# hourly). Indoor air changes slowly; a jump of 6 °C or 25 %RH within ten minutes is
# the sensor, not the room. Light is left free: a lamp switched on is a real jump, and a
# closed library is dark for hours.
HOUR = timedelta(hours=1)
DEFAULT_LIMITS: Mapping[Quantity, Limits] = MappingProxyType(
    {
        Quantity.TEMPERATURE: Limits(
            -40, 85, HOUR, max_step=1.0, max_rate_per_minute=0.5, stuck_after=12 * HOUR
        ),
        Quantity.HUMIDITY: Limits(
            0, 100, HOUR, max_step=5.0, max_rate_per_minute=2.0, stuck_after=12 * HOUR
        ),
        Quantity.ILLUMINANCE: Limits(0, 200_000, HOUR),
        Quantity.BATTERY: Limits(0, 100, 24 * HOUR),
        Quantity.LINK_QUALITY: Limits(0, 255, HOUR),
    }
)


@dataclass(frozen=True)
class Track:
    """What the filter remembers of one sensor's quantity."""

    seen_at: datetime | None = None  # the last reading of any kind
    value: float | None = None  # its value
    same_since: datetime | None = None  # since when the sensor has said `value`
    good_at: datetime | None = None  # the last reading that passed
    good_value: float | None = None
    jump_value: float | None = None  # a jump seen once: it stands if the next reading agrees
    jump_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    """Empty flags: use the reading. Otherwise every flag, and one line saying why."""

    flags: tuple[Flag, ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.flags


GOOD = Verdict()


def check(
    track: Track, quantity: Quantity, value: float, at: datetime, limits: Limits | None = None
) -> tuple[Track, Verdict]:
    """Judge `value` read at `at`; the Track to keep for this sensor's next reading."""
    limits = limits or DEFAULT_LIMITS[quantity]
    unit = UNITS[quantity]
    if track.seen_at is not None and at < track.seen_at:
        return track, Verdict(
            (Flag.OUT_OF_ORDER,), f"read at {at.isoformat()}, before the last reading"
        )
    if not math.isfinite(value):
        return replace(track, seen_at=at), Verdict((Flag.NOT_FINITE,), f"{value} is not a number")

    same = track.value is not None and abs(value - track.value) <= limits.stuck_tolerance
    same_since = track.same_since if same and track.same_since is not None else at
    seen = replace(track, seen_at=at, value=value, same_since=same_since)

    flags: list[Flag] = []
    reasons: list[str] = []
    if not limits.low <= value <= limits.high:
        flags.append(Flag.OUT_OF_RANGE)
        reasons.append(f"{value:g} {unit} is outside {limits.low:g}..{limits.high:g} {unit}")
    if limits.stuck_after is not None and at - same_since >= limits.stuck_after:
        flags.append(Flag.STUCK)
        reasons.append(f"{value:g} {unit} unchanged since {same_since.isoformat()}")
    if flags:
        return seen, Verdict(tuple(flags), "; ".join(reasons))

    if _jumped(track, value, at, limits) and not _confirms(track, value, at, limits):
        message = (
            f"jumped from {track.good_value:g} to {value:g} {unit} "
            f"in {_minutes(at - track.good_at)}"  # type: ignore[operator]
        )
        return replace(seen, jump_value=value, jump_at=at), Verdict((Flag.SPIKE,), message)
    return replace(seen, good_at=at, good_value=value, jump_value=None, jump_at=None), GOOD


def silence(
    track: Track,
    quantity: Quantity,
    now: datetime,
    limits: Limits | None = None,
    *,
    known_since: datetime | None = None,
) -> Verdict:
    """SILENT when the sensor has not reported for its limits' missed intervals.

    A sensor never heard from counts from `known_since` (when it was installed), if given.
    """
    limits = limits or DEFAULT_LIMITS[quantity]
    last = track.seen_at or known_since
    if last is None or now - last < limits.silent_after:
        return GOOD
    return Verdict(
        (Flag.SILENT,),
        f"no {quantity.value} reading for {_minutes(now - last)} "
        f"(expected every {_minutes(limits.interval)})",
    )


def _jumped(track: Track, value: float, at: datetime, limits: Limits) -> bool:
    if limits.max_step is None or track.good_value is None or track.good_at is None:
        return False
    return abs(value - track.good_value) > limits.allowed_jump(at - track.good_at)


def _confirms(track: Track, value: float, at: datetime, limits: Limits) -> bool:
    """A second reading near the first jump: the room really changed (a door, a heater)."""
    if track.jump_value is None or track.jump_at is None:
        return False
    return abs(value - track.jump_value) <= limits.allowed_jump(at - track.jump_at)


def _minutes(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
