"""The alarm lifecycle: raise, clear, acknowledge, silence and reset, and what the console shows.

Pure functions over a tuple of Alarm records; every transition returns the new tuple and
what happened (Applied) or why nothing did (Refused), so the service can store the one
and audit the other. Who may act (security and admin staff) is the API's permission check.

The states, per (source, type):

- one open alarm at a time: a repeated report counts (`count`) instead of adding a row;
- fire and intrusion alarms *latch*: once their detector clears they stay on the console,
  lamp lit, until a person resets them. Reset is refused while the detector still
  reports the condition;
- supervisory and trouble alarms do not latch: they close by themselves once their
  device has cleared and a person has acknowledged them (in either order). Reset closes
  a cleared one at once; before the device clears there is nothing to reset;
- acknowledge (a person has seen it), silence (sounder off, alarm still active) and
  reset are separate acts, each recorded with who and when. Resetting an unacknowledged
  alarm acknowledges it too;
- a detector alarming again after it cleared, before reset, reactivates the alarm: it is
  unacknowledged and sounds again. Reports arriving late (a gateway's outbox replayed
  after an outage) never move the state backwards: a restore older than the last alarm
  report is refused as stale, and an alarm report no later than the restore is only
  counted (or refused as stale once that alarm has closed).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class AlarmType(StrEnum):
    """What an alarm is about, most urgent first."""

    FIRE = "fire"
    INTRUSION = "intrusion"
    SUPERVISORY = "supervisory"  # the safety system itself needs attention: tamper, ...
    TROUBLE = "trouble"  # a fault: a device gone silent, a low battery, mains lost

    @property
    def precedence(self) -> int:
        """0 for the most urgent type; the console lists lower numbers first."""
        return _PRECEDENCE[self]

    @property
    def latches(self) -> bool:
        """Stays until a person resets it, even after its detector has cleared."""
        return self in _LATCHING

    @property
    def sounds(self) -> bool:
        """Lights the alarm lamp and sounds the sounder."""
        return self in _LATCHING


_PRECEDENCE = {t: n for n, t in enumerate(AlarmType)}
_LATCHING = frozenset({AlarmType.FIRE, AlarmType.INTRUSION})


class AlarmState(StrEnum):
    """Where an alarm is in its life; the console orders by this after the type."""

    ACTIVE_UNACKNOWLEDGED = "active_unacknowledged"
    ACTIVE_ACKNOWLEDGED = "active_acknowledged"
    CLEARED_UNACKNOWLEDGED = "cleared_unacknowledged"
    CLEARED = "cleared"  # cleared and acknowledged: a latching alarm awaits its reset
    RESET = "reset"  # closed: off the console, kept for the record

    @property
    def rank(self) -> int:
        return _STATE_RANK[self]


_STATE_RANK = {s: n for n, s in enumerate(AlarmState)}


@dataclass(frozen=True)
class Alarm:
    """One alarm of one source (a detector, a zone's beam, a device) and one type."""

    source: str
    type: AlarmType
    zone: str
    first_at: datetime
    last_at: datetime  # the latest alarm report
    count: int = 1  # alarm reports, repeats included
    cleared_at: datetime | None = None  # the source restored; None while in alarm
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    silenced_by: str | None = None
    silenced_at: datetime | None = None
    reset_by: str | None = None  # None with reset_at set: closed by itself (non-latching)
    reset_at: datetime | None = None

    @property
    def key(self) -> tuple[str, AlarmType]:
        return self.source, self.type

    @property
    def is_open(self) -> bool:
        """Not yet reset or closed: on the console."""
        return self.reset_at is None

    @property
    def active(self) -> bool:
        """Open and its source still in alarm."""
        return self.is_open and self.cleared_at is None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def silenced(self) -> bool:
        return self.silenced_at is not None

    @property
    def latched(self) -> bool:
        """Held only by its latch: the source cleared, the alarm awaits a person's reset."""
        return self.is_open and self.cleared_at is not None and self.type.latches

    @property
    def sounding(self) -> bool:
        return self.is_open and self.type.sounds and not self.silenced

    @property
    def state(self) -> AlarmState:
        if not self.is_open:
            return AlarmState.RESET
        if self.cleared_at is None:
            return (
                AlarmState.ACTIVE_ACKNOWLEDGED
                if self.acknowledged
                else AlarmState.ACTIVE_UNACKNOWLEDGED
            )
        return AlarmState.CLEARED if self.acknowledged else AlarmState.CLEARED_UNACKNOWLEDGED

    def describe(self) -> str:
        return f"{self.type} alarm of {self.source} in {self.zone}"


Alarms = tuple[Alarm, ...]


class Change(StrEnum):
    """What a transition did, in the past tense of the live stream (AlarmRaised, ...)."""

    RAISED = "raised"
    REPEATED = "repeated"  # another report of an alarm still active, or a late one
    REACTIVATED = "reactivated"  # in alarm again after clearing, before reset
    CLEARED = "cleared"
    ACKNOWLEDGED = "acknowledged"
    SILENCED = "silenced"
    RESET = "reset"


class Reason(StrEnum):
    """Why a transition was refused: codes the console translates."""

    NO_OPEN_ALARM = "no_open_alarm"
    ALREADY_CLEARED = "already_cleared"
    STALE = "stale"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    ALREADY_SILENCED = "already_silenced"
    DOES_NOT_SOUND = "does_not_sound"
    STILL_IN_ALARM = "still_in_alarm"


@dataclass(frozen=True)
class Applied:
    """The transition happened: the new alarms, the alarm it changed and what it did.

    `alarm.state` tells whether it also closed (a non-latching alarm cleared and
    acknowledged).
    """

    alarms: Alarms
    alarm: Alarm
    change: Change
    message: str

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class Refused:
    """Nothing changed (`alarms` is the input), for the reason given."""

    alarms: Alarms
    code: Reason
    message: str

    @property
    def ok(self) -> bool:
        return False


Outcome = Applied | Refused


def raise_(
    alarms: Sequence[Alarm], source: str, type: AlarmType, zone: str, at: datetime
) -> Outcome:
    """`source` reports `type` at `at`: a new alarm, or a count on the open one.

    Refused only as stale: a report from no later than the restore of a closed alarm of
    the same source and type in `alarms` belongs to that alarm, and must not raise a new
    one (pass the latest closed alarm of a source along to have this checked).
    """
    _aware(at)
    _named("source", source)
    _named("zone", zone)
    type = AlarmType(type)
    found = open_alarm(alarms, source, type)
    if found is None:
        restores = [a.cleared_at for a in alarms if a.key == (source, type) and a.cleared_at]
        if restores and at <= max(restores):
            return Refused(
                tuple(alarms),
                Reason.STALE,
                f"an alarm report from {at.isoformat()} is no later than the restore at "
                f"{max(restores).isoformat()} of a {type} alarm of {source} already closed",
            )
        alarm = Alarm(source, type, zone, first_at=at, last_at=at)
        return Applied((*alarms, alarm), alarm, Change.RAISED, f"{alarm.describe()} raised")
    count, last_at = found.count + 1, max(found.last_at, at)
    if found.cleared_at is not None and at > found.cleared_at:
        again = replace(
            found,
            count=count,
            last_at=last_at,
            cleared_at=None,
            acknowledged_by=None,
            acknowledged_at=None,
            silenced_by=None,
            silenced_at=None,
        )
        return _applied(alarms, found, again, Change.REACTIVATED, "in alarm again: sounding")
    repeated = replace(found, count=count, last_at=last_at)
    if found.cleared_at is not None:
        note = f"a late report from before it cleared; {count} reports"
    else:
        note = f"reported again; {count} reports"
    return _applied(alarms, found, repeated, Change.REPEATED, note)


def clear(alarms: Sequence[Alarm], source: str, type: AlarmType, at: datetime) -> Outcome:
    """`source` no longer reports `type`: a latching alarm stays until reset, others may close."""
    _aware(at)
    found = open_alarm(alarms, source, type)
    if found is None:
        return _no_alarm(alarms, source, type)
    if found.cleared_at is not None:
        return Refused(
            tuple(alarms),
            Reason.ALREADY_CLEARED,
            f"{found.describe()} cleared already at {found.cleared_at.isoformat()}",
        )
    if at < found.last_at:
        return Refused(
            tuple(alarms),
            Reason.STALE,
            f"a restore from {at.isoformat()} is older than the alarm reported at "
            f"{found.last_at.isoformat()}: {found.source} is still in alarm",
        )
    cleared = replace(found, cleared_at=at)
    if found.type.latches:
        note = "detector clear; stays latched until reset"
    elif found.acknowledged:
        cleared, note = _closed(cleared, at), "clear and acknowledged: closed"
    else:
        note = "clear; closes when acknowledged"
    return _applied(alarms, found, cleared, Change.CLEARED, note)


def acknowledge(
    alarms: Sequence[Alarm], source: str, type: AlarmType, by: str, at: datetime
) -> Outcome:
    """A person has seen the alarm; a non-latching one that has cleared closes."""
    _aware(at)
    _named("by", by)
    found = open_alarm(alarms, source, type)
    if found is None:
        return _no_alarm(alarms, source, type)
    if found.acknowledged:
        return Refused(
            tuple(alarms),
            Reason.ALREADY_ACKNOWLEDGED,
            f"acknowledged already by {found.acknowledged_by} at {_iso(found.acknowledged_at)}",
        )
    seen = replace(found, acknowledged_by=by, acknowledged_at=at)
    note = f"acknowledged by {by}"
    if found.cleared_at is not None and not found.type.latches:
        seen, note = _closed(seen, at), f"{note}; clear already: closed"
    return _applied(alarms, found, seen, Change.ACKNOWLEDGED, note)


def silence(
    alarms: Sequence[Alarm], source: str, type: AlarmType, by: str, at: datetime
) -> Outcome:
    """Sounder off for this alarm; it stays active, lamp lit, until reset."""
    _aware(at)
    _named("by", by)
    found = open_alarm(alarms, source, type)
    if found is None:
        return _no_alarm(alarms, source, type)
    if not found.type.sounds:
        return Refused(tuple(alarms), Reason.DOES_NOT_SOUND, f"{found.type} alarms do not sound")
    if found.silenced:
        return Refused(
            tuple(alarms),
            Reason.ALREADY_SILENCED,
            f"silenced already by {found.silenced_by} at {_iso(found.silenced_at)}",
        )
    quiet = replace(found, silenced_by=by, silenced_at=at)
    return _applied(alarms, found, quiet, Change.SILENCED, f"silenced by {by}; still active")


def silence_all(alarms: Sequence[Alarm], by: str, at: datetime) -> tuple[Alarms, list[Applied]]:
    """The console's one silence button: every sounding alarm, each recorded on its own."""
    current, done = tuple(alarms), []
    for alarm in [a for a in alarms if a.sounding]:
        outcome = silence(current, alarm.source, alarm.type, by, at)
        if isinstance(outcome, Applied):
            current = outcome.alarms
            done.append(outcome)
    return current, done


def reset(alarms: Sequence[Alarm], source: str, type: AlarmType, by: str, at: datetime) -> Outcome:
    """A person closes an alarm whose source has cleared; refused while it is in alarm."""
    _aware(at)
    _named("by", by)
    found = open_alarm(alarms, source, type)
    if found is None:
        return _no_alarm(alarms, source, type)
    if found.cleared_at is None:
        if found.type.latches:
            message = f"{found.source} still reports {found.type}: reset once it has cleared"
        else:
            message = (
                f"{found.type} alarms do not latch: this one closes by itself when "
                f"{found.source} has cleared and it is acknowledged"
            )
        return Refused(tuple(alarms), Reason.STILL_IN_ALARM, message)
    done = replace(found, reset_by=by, reset_at=at)
    note = f"reset by {by}"
    if not found.acknowledged:
        done = replace(done, acknowledged_by=by, acknowledged_at=at)
        note = f"{note}, acknowledging it"
    return _applied(alarms, found, done, Change.RESET, note)


def open_alarm(alarms: Iterable[Alarm], source: str, type: AlarmType) -> Alarm | None:
    """The open alarm of `source` and `type`, if there is one."""
    return next((a for a in alarms if a.is_open and a.source == source and a.type == type), None)


def console_order(alarms: Iterable[Alarm]) -> list[Alarm]:
    """The open alarms as the console lists them.

    Fire before intrusion before supervisory before trouble; within a type, active
    unacknowledged first, then active acknowledged, cleared unacknowledged, cleared;
    then the oldest first, because the first detector to alarm shows where it started.
    """
    return sorted(
        (a for a in alarms if a.is_open),
        key=lambda a: (a.type.precedence, a.state.rank, a.first_at, a.source),
    )


@dataclass(frozen=True)
class Outputs:
    """What the alarm lamp and the sounder should do."""

    lamp: bool
    sounder: bool


def outputs(alarms: Iterable[Alarm], zones: Collection[str] | None = None) -> Outputs:
    """Lamp on while any fire or intrusion alarm is open (active or awaiting reset);
    sounder on while any of them is not silenced. `zones` limits it to some zones (the
    lamp of one floor); None means the whole site."""
    relevant = [
        a for a in alarms if a.is_open and a.type.sounds and (zones is None or a.zone in zones)
    ]
    return Outputs(lamp=bool(relevant), sounder=any(not a.silenced for a in relevant))


def _applied(alarms: Sequence[Alarm], old: Alarm, new: Alarm, change: Change, note: str) -> Applied:
    replaced = tuple(new if a is old else a for a in alarms)
    return Applied(replaced, new, change, f"{new.describe()}: {note}")


def _closed(alarm: Alarm, at: datetime) -> Alarm:
    return replace(alarm, reset_at=at)  # reset_by stays None: it closed by itself


def _no_alarm(alarms: Sequence[Alarm], source: str, type: AlarmType) -> Refused:
    return Refused(tuple(alarms), Reason.NO_OPEN_ALARM, f"no open {type} alarm of {source}")


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; alarms need aware times")


def _named(what: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"an alarm's {what} is a name, not {value!r}")


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at is not None else "?"
