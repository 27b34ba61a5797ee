"""Supervision: devices gone silent raise trouble alarms, and clear them when heard again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.safety.alarms import (
    Alarm,
    AlarmState,
    AlarmType,
    Applied,
    acknowledge,
    open_alarm,
    raise_,
)
from server.safety.supervision import (
    GRACE,
    DeviceKind,
    Supervised,
    Supervision,
    applied_alarms,
    apply,
    supervise,
)

T0 = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
GATEWAY = Supervised("gw-main", DeviceKind.GATEWAY, timedelta(seconds=30), "building")
COLLECTOR = Supervised("io-1", DeviceKind.COLLECTOR, MINUTE, "basement", via="gw-main")
SMOKE = Supervised("smoke-3", DeviceKind.DETECTOR, 4 * MINUTE, "stacks", via="io-1")
READER = Supervised("pad-1", DeviceKind.READER, MINUTE, "desk", via="gw-main")
DEVICES = (GATEWAY, COLLECTOR, SMOKE, READER)


def all_seen_at(at: datetime) -> dict[str, datetime]:
    return {device.name: at for device in DEVICES}


def check(
    last_seen: dict[str, datetime], now: datetime, alarms: tuple = (), **options: object
) -> Supervision:
    return supervise(DEVICES, last_seen, alarms, now, watching_since=T0, **options)  # type: ignore[arg-type]


def test_devices_heard_within_their_grace_are_fine() -> None:
    found = check(all_seen_at(T0), T0 + 75 * timedelta(seconds=1))  # gateway: 2.5 x 30 s
    assert found == Supervision(next_check=T0 + timedelta(seconds=75))


def test_a_reader_silent_longer_than_its_grace_raises_trouble() -> None:
    seen = {**all_seen_at(T0 + 10 * MINUTE), "pad-1": T0}
    found = check(seen, T0 + 10 * MINUTE)
    assert [s.device.name for s in found.silent] == ["pad-1"]
    gone = found.silent[0]
    assert (gone.last_seen, gone.silent_for) == (T0, 10 * MINUTE)
    assert gone.message == (
        f"reader pad-1 silent since {T0.isoformat()} (10 min; heartbeat every 60 s)"
    )
    outcomes = apply((), found, T0 + 10 * MINUTE)
    alarms = applied_alarms((), outcomes)
    alarm = open_alarm(alarms, "pad-1", AlarmType.TROUBLE)
    assert alarm is not None
    assert (alarm.zone, alarm.state) == ("desk", AlarmState.ACTIVE_UNACKNOWLEDGED)


def test_exactly_the_grace_is_not_yet_silent() -> None:
    due = T0 + MINUTE * GRACE
    seen = {**all_seen_at(due), "pad-1": T0}
    assert check(seen, due).silent == ()
    later = check(seen, due + timedelta(seconds=1))
    assert [s.device.name for s in later.silent] == ["pad-1"]


def test_a_silent_device_is_raised_once_not_every_round() -> None:
    seen = {**all_seen_at(T0 + 10 * MINUTE), "pad-1": T0}
    now = T0 + 10 * MINUTE
    alarms = applied_alarms((), apply((), check(seen, now), now))
    assert check(seen, now + MINUTE, alarms).silent == ()


def test_a_device_heard_again_clears_its_trouble() -> None:
    seen = {**all_seen_at(T0 + 10 * MINUTE), "pad-1": T0}
    now = T0 + 10 * MINUTE
    alarms = applied_alarms((), apply((), check(seen, now), now))
    alarms = acknowledge(alarms, "pad-1", AlarmType.TROUBLE, "mei", now).alarms
    back = {**seen, "pad-1": now + MINUTE}
    found = check(back, now + MINUTE, alarms)
    assert [b.device.name for b in found.returned] == ["pad-1"]
    assert found.returned[0].message == (
        f"reader pad-1 heard from again at {(now + MINUTE).isoformat()}"
    )
    outcomes = apply(alarms, found, now + MINUTE)
    assert all(isinstance(o, Applied) for o in outcomes)
    cleared = applied_alarms(alarms, outcomes)
    assert open_alarm(cleared, "pad-1", AlarmType.TROUBLE) is None  # acknowledged: closed


def test_a_silent_gateway_is_one_alarm_not_one_per_device_behind_it() -> None:
    now = T0 + 30 * MINUTE
    found = check(all_seen_at(T0), now)
    assert [s.device.name for s in found.silent] == ["gw-main"]
    assert {(u.device.name, u.behind) for u in found.unreachable} == {
        ("io-1", "gw-main"),
        ("smoke-3", "io-1"),
        ("pad-1", "gw-main"),
    }


def test_a_device_still_silent_when_its_gateway_returns_is_raised_then() -> None:
    now = T0 + 30 * MINUTE
    seen = {**all_seen_at(T0), "gw-main": now, "io-1": now}
    found = check(seen, now)
    assert sorted(s.device.name for s in found.silent) == ["pad-1", "smoke-3"]


def test_devices_never_heard_from_count_from_when_supervision_began() -> None:
    found = check({}, T0 + MINUTE)
    assert found.silent == ()
    assert found.next_check == T0 + timedelta(seconds=75)
    later = check({}, T0 + 30 * MINUTE)
    assert [s.device.name for s in later.silent] == ["gw-main"]
    assert later.silent[0].last_seen is None
    assert "since supervision began" in later.silent[0].message


def test_a_trouble_from_before_a_restart_is_not_cleared_without_a_heartbeat() -> None:
    now = T0 + 10 * MINUTE
    alarms = applied_alarms((), apply((), check({"pad-1": T0}, now), now))
    restarted = supervise(DEVICES, {}, alarms, now + MINUTE, watching_since=now + MINUTE)
    assert restarted.returned == ()


def test_the_next_check_is_when_the_first_device_could_go_silent() -> None:
    seen = {"gw-main": T0, "io-1": T0, "smoke-3": T0 - 9 * MINUTE, "pad-1": T0}
    found = check(seen, T0)
    assert found.next_check == T0 + timedelta(seconds=60)  # smoke-3: 10 min grace, 9 gone
    assert check({d.name: T0 for d in DEVICES}, T0 + 30 * MINUTE).next_check is None


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="longer than 0"):
        Supervised("pad-1", DeviceKind.READER, timedelta(0), "desk")
    with pytest.raises(ValueError, match="through itself"):
        Supervised("pad-1", DeviceKind.READER, MINUTE, "desk", via="pad-1")
    with pytest.raises(ValueError, match="before a heartbeat is even due"):
        check({}, T0, grace=0.5)
    with pytest.raises(ValueError, match="aware"):
        supervise(DEVICES, {}, (), datetime(2026, 3, 10), watching_since=T0)


def test_a_loop_of_devices_reporting_through_each_other_does_not_hang() -> None:
    a = Supervised("a", DeviceKind.COLLECTOR, MINUTE, "z", via="b")
    b = Supervised("b", DeviceKind.COLLECTOR, MINUTE, "z", via="a")
    found = supervise((a, b), {}, (), T0 + 10 * MINUTE, watching_since=T0)
    assert {u.device.name for u in found.unreachable} == {"a", "b"}


@given(
    ages=st.lists(st.integers(0, 3600), min_size=4, max_size=4),
    troubled=st.sets(st.sampled_from([d.name for d in DEVICES])),
)
def test_every_device_is_accounted_for_once(ages: list[int], troubled: set[str]) -> None:
    now = T0 + timedelta(hours=2)
    seen = {d.name: now - timedelta(seconds=age) for d, age in zip(DEVICES, ages, strict=True)}
    alarms: tuple[Alarm, ...] = ()
    for name in sorted(troubled):
        alarms = raise_(alarms, name, AlarmType.TROUBLE, "z", T0).alarms
    found = supervise(DEVICES, seen, alarms, now, watching_since=T0)
    silent = {s.device.name for s in found.silent}
    back = {b.device.name for b in found.returned}
    hidden = {u.device.name for u in found.unreachable}
    assert not silent & back
    assert not silent & hidden
    assert not back & hidden
    for device in DEVICES:
        overdue = now - seen[device.name] > device.interval * GRACE
        if device.name in silent:
            assert overdue
            assert device.name not in troubled
        if device.name in back:
            assert not overdue
            assert device.name in troubled
        if overdue and device.name not in hidden and device.name not in troubled:
            assert device.name in silent
        if not overdue and device.name in troubled:
            assert device.name in back
