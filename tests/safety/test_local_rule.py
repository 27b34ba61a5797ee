"""The gateway's own fire rule: the lamp lights with no server, and latches as the server's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.detectors import (
    Condition,
    DetectorReport,
    FireOutputs,
    LocalFireState,
    observe,
    reset,
    silence,
)
from gateway.zigbee.ias import ZoneType, from_zigbee2mqtt, from_zone_status
from server.safety import alarms as server

FIRE = from_zone_status(0b1, ZoneType.FIRE_SENSOR)
CLEAR = from_zone_status(0, ZoneType.FIRE_SENSOR)
QUIET = FireOutputs(lamp=False, sounder=False)
RINGING = FireOutputs(lamp=True, sounder=True)
SILENCED = FireOutputs(lamp=True, sounder=False)


def test_nothing_lit_when_no_detector_reports_fire() -> None:
    assert LocalFireState().outputs == QUIET
    assert observe(LocalFireState(), "smoke-3", CLEAR).outputs == QUIET


def test_a_fire_lights_the_lamp_and_sounds_and_stays_latched_after_it_clears() -> None:
    state = observe(LocalFireState(), "smoke-3", FIRE)
    assert state.outputs == RINGING
    state = observe(state, "smoke-3", CLEAR)
    assert state.in_fire == frozenset()
    assert state.latched == {"smoke-3"}
    assert state.outputs == RINGING


def test_a_zigbee2mqtt_smoke_message_drives_the_rule_too() -> None:
    smoke = from_zigbee2mqtt(b'{"smoke": true, "battery": 90}').report
    assert observe(LocalFireState(), "smoke-4", smoke).outputs == RINGING


def test_a_report_silent_about_fire_changes_nothing() -> None:
    state = observe(LocalFireState(), "smoke-3", FIRE)
    battery_only = DetectorReport(frozenset({Condition.BATTERY_LOW}))
    assert observe(state, "smoke-3", battery_only) == state


def test_silencing_stops_the_sounder_but_not_the_lamp() -> None:
    state = silence(observe(LocalFireState(), "smoke-3", FIRE))
    assert state.outputs == SILENCED
    assert observe(state, "smoke-3", FIRE).outputs == SILENCED  # a repeat stays silent


def test_a_second_detector_or_the_same_after_clearing_sounds_again() -> None:
    state = silence(observe(LocalFireState(), "smoke-3", FIRE))
    assert observe(state, "flame-1", FIRE).outputs == RINGING
    cleared = observe(state, "smoke-3", CLEAR)
    assert cleared.outputs == SILENCED
    assert observe(cleared, "smoke-3", FIRE).outputs == RINGING


def test_reset_is_refused_while_the_detector_still_reports_fire() -> None:
    state = observe(LocalFireState(), "smoke-3", FIRE)
    done = reset(state)
    assert (done.reset, done.refused) == (frozenset(), {"smoke-3"})
    assert done.state.outputs == RINGING


def test_reset_after_clearing_puts_out_the_lamp() -> None:
    state = silence(observe(observe(LocalFireState(), "smoke-3", FIRE), "smoke-3", CLEAR))
    done = reset(state)
    assert done.reset == {"smoke-3"}
    assert done.state == LocalFireState()
    assert done.state.outputs == QUIET


def test_reset_of_some_detectors_leaves_the_others_latched() -> None:
    state = observe(LocalFireState(), "smoke-3", FIRE)
    state = observe(state, "flame-1", FIRE)
    state = observe(observe(state, "smoke-3", CLEAR), "flame-1", CLEAR)
    done = reset(state, ["smoke-3", "nobody"])
    assert (done.reset, done.refused) == ({"smoke-3"}, frozenset())
    assert done.state.latched == {"flame-1"}
    assert done.state.outputs == RINGING


DETECTORS = st.sampled_from(["smoke-1", "smoke-2", "flame-1"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("fire"), DETECTORS),
        st.tuples(st.just("clear"), DETECTORS),
        st.tuples(st.just("silence"), st.none()),
        st.tuples(st.just("reset"), DETECTORS),
    ),
    max_size=40,
)


@given(steps=STEPS)
def test_the_gateway_and_the_server_agree_on_lamp_and_sounder(
    steps: list[tuple[str, str | None]],
) -> None:
    local = LocalFireState()
    alarms: tuple[server.Alarm, ...] = ()
    at = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
    for act, detector in steps:
        at += timedelta(seconds=10)
        if act == "fire":
            assert detector is not None
            local = observe(local, detector, FIRE)
            alarms = server.raise_(alarms, detector, server.AlarmType.FIRE, "stacks", at).alarms
        elif act == "clear":
            assert detector is not None
            local = observe(local, detector, CLEAR)
            alarms = server.clear(alarms, detector, server.AlarmType.FIRE, at).alarms
        elif act == "silence":
            local = silence(local)
            alarms, _ = server.silence_all(alarms, "mei", at)
        else:
            assert detector is not None
            done = reset(local, [detector])
            outcome = server.reset(alarms, detector, server.AlarmType.FIRE, "mei", at)
            assert (detector in done.reset) == outcome.ok
            local, alarms = done.state, outcome.alarms
        expected = server.outputs(alarms)
        assert local.outputs == FireOutputs(lamp=expected.lamp, sounder=expected.sounder)
        assert local.latched == {a.source for a in alarms if a.is_open}
