"""Arming of intrusion zones: by the opening hours, or by hand until the next scheduled change.

A zone with a schedule is armed outside its opening hours (after closing, before opening,
on closed days) in the library's time zone. A security user may arm or disarm it by hand;
that holds until the schedule next changes (the next opening or closing), so a zone
disarmed for a late event arms itself again at the next closing, and one armed early
during the day is disarmed at the next opening. A zone without a schedule is armed only by
hand, and stays as it was left. A beam break in an armed zone is an intrusion; in a
disarmed zone it is only logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType


@dataclass(frozen=True)
class ArmingSchedule:
    """Opening hours per weekday (0 Monday … 6 Sunday) in `tz`; the zone is armed outside them.

    A weekday missing from `hours` and a date in `closed_dates` are closed all day: armed.
    Hours run within one day (opens before closes); a library open past midnight is not
    modelled.
    """

    hours: Mapping[int, tuple[time, time]]
    tz: tzinfo
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        for weekday, (opens, closes) in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {weekday!r}")
            if not opens < closes:
                raise ValueError(
                    f"on weekday {weekday} the library opens at {opens} and closes at "
                    f"{closes}: it must open before it closes, on the same day"
                )
        object.__setattr__(self, "hours", MappingProxyType(dict(self.hours)))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))

    def open_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """When the library opens and closes on the local `day`, as UTC instants; None if closed."""
        hours = self.hours.get(day.weekday())
        if hours is None or day in self.closed_dates:
            return None
        opens, closes = (datetime.combine(day, t, tzinfo=self.tz).astimezone(UTC) for t in hours)
        return (opens, closes) if opens < closes else None

    def armed_at(self, at: datetime) -> bool:
        """Whether the schedule arms the zone at the instant `at`."""
        hours = self.open_hours(_aware(at).astimezone(self.tz).date())
        return hours is None or not hours[0] <= at < hours[1]

    def next_change(self, after: datetime) -> datetime | None:
        """The first opening or closing later than `after`; None if the library never opens."""
        if not self.hours:
            return None
        day = _aware(after).astimezone(self.tz).date()
        # every open weekday comes round within a week, unless closed dates cover it
        for offset in range(7 * (len(self.closed_dates) + 1) + 1):
            hours = self.open_hours(day + timedelta(days=offset))
            if hours is not None:
                later = [instant for instant in hours if instant > after]
                if later:
                    return later[0]
        return None


@dataclass(frozen=True)
class ManualArming:
    """A security user armed (or disarmed) a zone by hand at `at`."""

    armed: bool
    by: str
    at: datetime


@dataclass(frozen=True)
class Zone:
    """An intrusion zone: its beams and doors alarm while it is armed."""

    name: str
    schedule: ArmingSchedule | None = None  # None: armed and disarmed only by hand
    manual: ManualArming | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"a zone's name is a name, not {self.name!r}")


@dataclass(frozen=True)
class ArmingStatus:
    """Whether a zone is armed, on whose word, and until when (None: until changed by hand)."""

    armed: bool
    by: str | None  # SCHEDULE, the user who armed or disarmed it by hand, or None: nobody
    until: datetime | None

    @property
    def message(self) -> str:
        word = "armed" if self.armed else "disarmed"
        if self.by is None:
            return f"{word}: no schedule, and not armed by hand"
        who = "by schedule" if self.by == SCHEDULE else f"by {self.by}"
        until = f" until {self.until.isoformat()}" if self.until is not None else ""
        return f"{word} {who}{until}"


SCHEDULE = "schedule"


def arming_status(zone: Zone, now: datetime) -> ArmingStatus:
    """Whether `zone` is armed at `now`: a hand's arming while it holds, else the schedule."""
    _aware(now)
    schedule = zone.schedule
    manual = zone.manual
    if manual is not None and manual.at <= now:
        ends = schedule.next_change(manual.at) if schedule is not None else None
        if ends is None or now < ends:
            return ArmingStatus(manual.armed, manual.by, ends)
    if schedule is None:
        return ArmingStatus(False, None, None)
    return ArmingStatus(schedule.armed_at(now), SCHEDULE, schedule.next_change(now))


def is_armed(zone: Zone, now: datetime) -> bool:
    return arming_status(zone, now).armed


def arm(zone: Zone, by: str, at: datetime) -> Zone:
    """`by` arms `zone` by hand at `at`, until the schedule next changes."""
    return _by_hand(zone, True, by, at)


def disarm(zone: Zone, by: str, at: datetime) -> Zone:
    """`by` disarms `zone` by hand at `at`, until the schedule next changes."""
    return _by_hand(zone, False, by, at)


@dataclass(frozen=True)
class IntrusionDetected:
    """A beam broke in an armed zone: raise an intrusion alarm of `source`."""

    source: str
    zone: str
    at: datetime
    armed_by: str | None

    @property
    def message(self) -> str:
        return f"{self.source} broken in {self.zone}, armed by {self.armed_by}: intrusion"


@dataclass(frozen=True)
class BeamBreakLogged:
    """A beam broke in a disarmed zone: recorded, no alarm."""

    source: str
    zone: str
    at: datetime

    @property
    def message(self) -> str:
        return f"{self.source} broken in {self.zone}, disarmed: logged only"


def beam_break(zone: Zone, source: str, at: datetime) -> IntrusionDetected | BeamBreakLogged:
    """What a break of the beam (or an opened door) `source` in `zone` at `at` means."""
    status = arming_status(zone, at)
    if status.armed:
        return IntrusionDetected(source, zone.name, at, status.by)
    return BeamBreakLogged(source, zone.name, at)


def changes_between(zone: Zone, start: datetime, end: datetime) -> list[datetime]:
    """The scheduled openings and closings in (start, end], for a page of the coming week."""
    schedule, found = zone.schedule, []
    change = schedule.next_change(start) if schedule is not None else None
    while schedule is not None and change is not None and change <= end:
        found.append(change)
        change = schedule.next_change(change)
    return found


def _by_hand(zone: Zone, armed: bool, by: str, at: datetime) -> Zone:
    _aware(at)
    if not isinstance(by, str) or not by.strip():
        raise ValueError(f"a zone is armed or disarmed by a person, not {by!r}")
    return replace(zone, manual=ManualArming(armed, by, at))


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; arming needs aware times")
    return at
