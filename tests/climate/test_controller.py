"""The zone controller: hysteresis, compressor protection, ventilation by dew point,
curtains with a deadband, and overrides that win until they expire."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.climate.air import dew_point, relative_humidity
from server.climate.controller import Decision, Why, apply, decide
from server.climate.zones import (
    AcKind,
    AcMode,
    Actuator,
    AirConditioner,
    Curtains,
    Outside,
    Override,
    Ventilation,
    VentilationKind,
    ZoneClimate,
    ZoneState,
    ZoneTargets,
)

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
LONG_AGO = T0 - timedelta(days=1)
MIN = timedelta(minutes=1)
THERMOSTAT = AirConditioner(AcKind.THERMOSTAT, since=LONG_AGO)
RELAY = AirConditioner(AcKind.ON_OFF, since=LONG_AGO)
FAN = Ventilation(VentilationKind.FAN, since=LONG_AGO)
DRY_OUTSIDE = Outside(temperature=18, humidity=40)  # dew point 4.2 °C
WET_OUTSIDE = Outside(temperature=24, humidity=90)  # dew point 22.3 °C
LIGHT_SENSITIVE = ZoneTargets(lux_limit=50)


def zone(**parts: object) -> ZoneState:
    return ZoneState(**parts)  # type: ignore[arg-type]


def one(state: ZoneState, climate: ZoneClimate, now: datetime = T0, outside=None) -> Decision:
    (decision,) = decide(state, climate, outside, now)
    return decision


# --- air conditioning ----------------------------------------------------------------


def test_cooling_starts_above_the_band_and_stops_inside_the_hysteresis() -> None:
    state = zone(air_conditioner=THERMOSTAT)
    assert one(state, ZoneClimate(25.0, 50)).setting == AcMode.OFF
    start = one(state, ZoneClimate(25.3, 50))
    assert (start.setting, start.change, start.why) == (AcMode.COOL, True, Why.TOO_WARM)
    assert start.set_point == 24.5
    assert start.message == "25.3 °C, the highest allowed is 25 °C"
    running = apply(state, (start,), T0)
    later = T0 + 10 * MIN
    assert one(running, ZoneClimate(24.7, 50), later).setting == AcMode.COOL  # hysteresis
    stop = one(running, ZoneClimate(24.4, 50), later)
    assert (stop.setting, stop.change, stop.why) == (AcMode.OFF, True, Why.IN_BAND)


def test_a_thermostat_heats_below_the_band_a_relay_cannot() -> None:
    heat = one(zone(air_conditioner=THERMOSTAT), ZoneClimate(15.2, 50))
    assert (heat.setting, heat.why, heat.set_point) == (AcMode.HEAT, Why.TOO_COLD, 16.5)
    assert one(zone(air_conditioner=RELAY), ZoneClimate(15.2, 50)).setting == AcMode.OFF


def test_humid_air_in_band_is_dried() -> None:
    dry = one(zone(air_conditioner=THERMOSTAT), ZoneClimate(21, 64))
    assert (dry.setting, dry.why) == (AcMode.DRY, Why.TOO_HUMID)
    assert one(zone(air_conditioner=RELAY), ZoneClimate(21, 64)).setting == AcMode.COOL
    # drying cools, so not when the zone is already at the bottom of its band
    assert one(zone(air_conditioner=THERMOSTAT), ZoneClimate(16.3, 64)).setting == AcMode.OFF


def test_the_compressor_runs_at_least_three_minutes() -> None:
    state = zone(air_conditioner=replace(THERMOSTAT, mode=AcMode.COOL, since=T0))
    hold = one(state, ZoneClimate(20, 50), T0 + 2 * MIN)
    assert (hold.setting, hold.change, hold.why) == (AcMode.COOL, False, Why.COMPRESSOR_MIN_ON)
    assert hold.retry_at == T0 + 3 * MIN
    assert "the compressor runs until 12:03:00" in hold.message
    assert one(state, ZoneClimate(20, 50), T0 + 3 * MIN).change


def test_the_compressor_rests_at_least_five_minutes() -> None:
    state = zone(air_conditioner=replace(THERMOSTAT, since=T0))
    hold = one(state, ZoneClimate(27, 50), T0 + 4 * MIN)
    assert (hold.setting, hold.change, hold.why) == (AcMode.OFF, False, Why.COMPRESSOR_MIN_OFF)
    assert hold.retry_at == T0 + 5 * MIN
    assert one(state, ZoneClimate(27, 50), T0 + 5 * MIN).setting == AcMode.COOL


def test_without_a_temperature_the_air_conditioner_stops() -> None:
    state = zone(air_conditioner=replace(THERMOSTAT, mode=AcMode.COOL))
    stop = one(state, ZoneClimate(None, 50))
    assert (stop.setting, stop.why) == (AcMode.OFF, Why.NO_READING)


# --- ventilation ---------------------------------------------------------------------


def test_ventilation_dries_a_humid_zone_with_drier_outside_air() -> None:
    decision = one(zone(ventilation=FAN), ZoneClimate(21, 65), outside=DRY_OUTSIDE)
    assert (decision.setting, decision.change, decision.why) == (True, True, Why.DRYING)
    assert "dew point outside 4.2 °C, inside 14.2 °C" in decision.message


def test_no_ventilation_when_outside_air_is_not_drier() -> None:
    # cooler outside but damper: 17 °C at 95 %RH holds more water than 21 °C at 65 %RH
    muggy = Outside(temperature=17, humidity=95)
    assert dew_point(17, 95) > dew_point(21, 65)
    decision = one(zone(ventilation=FAN), ZoneClimate(21, 65), outside=muggy)
    assert (decision.setting, decision.why) == (False, Why.OUTSIDE_NOT_DRIER)


def test_ventilation_needs_a_margin_to_start_but_not_to_keep_running() -> None:
    inside = ZoneClimate(21, 65)  # dew point 14.2 °C
    barely = Outside(temperature=20, humidity=relative_humidity(20, 13.6))
    assert one(zone(ventilation=FAN), inside, outside=barely).setting is False
    running = zone(ventilation=replace(FAN, running=True))
    assert one(running, inside, outside=barely).setting is True


def test_ventilation_cools_with_cool_dry_air_but_not_below_the_band() -> None:
    warm = one(zone(ventilation=FAN), ZoneClimate(26, 50), outside=DRY_OUTSIDE)
    assert (warm.setting, warm.why) == (True, Why.FREE_COOLING)
    cold_humid = one(zone(ventilation=FAN), ZoneClimate(16.2, 70), outside=Outside(2, 80))
    assert (cold_humid.setting, cold_humid.why) == (False, Why.OUTSIDE_TOO_COLD)


def test_no_ventilation_without_readings_to_compare() -> None:
    assert one(zone(ventilation=FAN), ZoneClimate(21, 65)).why == Why.NO_OUTSIDE_READING
    assert one(zone(ventilation=FAN), ZoneClimate(None, 65), outside=DRY_OUTSIDE).why == (
        Why.NO_READING
    )


# --- curtains ------------------------------------------------------------------------


def test_curtains_close_a_step_when_too_bright_and_rest_before_the_next() -> None:
    state = zone(targets=LIGHT_SENSITIVE, curtains=Curtains(100))
    first = one(state, ZoneClimate(illuminance=200))
    assert (first.setting, first.change, first.why) == (80, True, Why.TOO_BRIGHT)
    moved = apply(state, (first,), T0)
    rest = one(moved, ZoneClimate(illuminance=150), T0 + 5 * MIN)
    assert (rest.setting, rest.change, rest.why) == (80, False, Why.CURTAINS_RESTING)
    assert rest.retry_at == T0 + 10 * MIN
    assert one(moved, ZoneClimate(illuminance=150), T0 + 10 * MIN).setting == 60


def test_light_within_the_deadband_moves_nothing() -> None:
    state = zone(targets=LIGHT_SENSITIVE, curtains=Curtains(40))
    for lux in (41, 50, 59):
        decision = one(state, ZoneClimate(illuminance=lux))
        assert (decision.change, decision.why) == (False, Why.LIGHT_IN_DEADBAND)
    darker = one(state, ZoneClimate(illuminance=30))
    assert (darker.setting, darker.why) == (60, Why.DARKER_THAN_NEEDED)


def test_curtains_without_a_limit_or_reading_stay_put() -> None:
    assert one(zone(curtains=Curtains(70)), ZoneClimate(illuminance=900)).why == (
        Why.NO_LIGHT_LIMIT
    )
    no_reading = one(zone(targets=LIGHT_SENSITIVE, curtains=Curtains(70)), ZoneClimate())
    assert (no_reading.setting, no_reading.change) == (70, False)


# --- overrides -----------------------------------------------------------------------


def test_an_override_wins_is_shown_as_such_and_expires() -> None:
    until = T0 + 30 * MIN
    manual = Override(Actuator.CURTAINS, 100, until, by="Ana")
    state = zone(targets=LIGHT_SENSITIVE, curtains=Curtains(20), overrides=(manual,))
    during = one(state, ZoneClimate(illuminance=400))
    assert (during.setting, during.why, during.override) == (100, Why.OVERRIDE, manual)
    assert during.message == "manual: 100 % open by Ana until 2026-07-01 12:30"
    after = one(state, ZoneClimate(illuminance=400), until)
    assert (after.why, after.override) == (Why.TOO_BRIGHT, None)
    assert apply(state, (), until).overrides == ()


def test_an_override_of_the_air_conditioner_still_lets_the_compressor_rest() -> None:
    manual = Override(Actuator.AIR_CONDITIONING, AcMode.COOL, T0 + 60 * MIN)
    state = zone(air_conditioner=replace(THERMOSTAT, since=T0 - 2 * MIN), overrides=(manual,))
    hold = one(state, ZoneClimate(18, 50))
    assert (hold.setting, hold.why, hold.override) == (AcMode.OFF, Why.COMPRESSOR_MIN_OFF, manual)
    assert one(state, ZoneClimate(18, 50), T0 + 3 * MIN).setting == AcMode.COOL


def test_overrides_must_fit_their_actuator() -> None:
    with pytest.raises(ValueError, match="not a setting for curtains"):
        Override(Actuator.CURTAINS, 120, T0)
    with pytest.raises(ValueError, match="not a setting for ventilation"):
        Override(Actuator.VENTILATION, 1, T0)
    with pytest.raises(ValueError, match="not a setting for air_conditioning"):
        Override(Actuator.AIR_CONDITIONING, True, T0)


def test_targets_refuse_compressor_timings_shorter_than_the_protection() -> None:
    with pytest.raises(ValueError, match="at least 3 minutes"):
        ZoneTargets(min_on=timedelta(minutes=1))
    with pytest.raises(ValueError, match="hysteresis"):
        ZoneTargets(temperature_hysteresis=5)


# --- properties over random days -----------------------------------------------------

steps = st.lists(
    st.tuples(
        st.integers(1, 240),  # seconds since the previous step
        st.one_of(st.none(), st.floats(10, 35)),  # temperature
        st.one_of(st.none(), st.floats(20, 95)),  # humidity
        st.one_of(st.none(), st.floats(0, 400)),  # illuminance
        st.one_of(st.none(), st.tuples(st.floats(-10, 35), st.floats(5, 100))),  # outside
    ),
    min_size=1,
    max_size=120,
)
everything = ZoneState(
    targets=LIGHT_SENSITIVE,
    air_conditioner=THERMOSTAT,
    ventilation=FAN,
    curtains=Curtains(100),
)


def run(state: ZoneState, steps: list, check) -> None:
    now = T0
    for seconds, t, rh, lux, out in steps:
        now += timedelta(seconds=seconds)
        climate, outside = ZoneClimate(t, rh, lux), Outside(*out) if out else None
        decisions = decide(state, climate, outside, now)
        before = state
        state = apply(state, decisions, now)
        check(before, state, climate, outside, now)


@settings(max_examples=200)
@given(steps=steps, kind=st.sampled_from(AcKind))
def test_the_compressor_never_short_cycles(steps: list, kind: AcKind) -> None:
    state = replace(everything, air_conditioner=AirConditioner(kind, since=LONG_AGO))

    def check(before, after, climate, outside, now) -> None:
        old, new = before.air_conditioner, after.air_conditioner
        if old.running and not new.running:
            assert now - old.since >= timedelta(minutes=3)
        if not old.running and new.running:
            assert now - old.since >= timedelta(minutes=5)

    run(state, steps, check)


@settings(max_examples=200)
@given(steps=steps)
def test_curtains_never_move_twice_within_their_rest(steps: list) -> None:
    def check(before, after, climate, outside, now) -> None:
        old, new = before.curtains, after.curtains
        if new.moved_at == now and old.moved_at is not None:
            assert now - old.moved_at >= timedelta(minutes=10)
        if new.moved_at == now:
            lux = climate.illuminance
            assert lux is not None
            assert not 40 <= lux <= 60  # never within the deadband

    run(everything, steps, check)


@settings(max_examples=200)
@given(steps=steps)
def test_ventilation_never_runs_unless_the_outside_air_is_drier(steps: list) -> None:
    def check(before, after, climate, outside, now) -> None:
        if after.ventilation.running:
            assert outside is not None
            assert climate.temperature is not None
            assert climate.humidity is not None
            inside = dew_point(climate.temperature, climate.humidity)
            assert dew_point(outside.temperature, outside.humidity) < inside

    run(everything, steps, check)


settings_of = {
    Actuator.AIR_CONDITIONING: st.sampled_from(AcMode),
    Actuator.VENTILATION: st.booleans(),
    Actuator.CURTAINS: st.integers(0, 100),
}


@st.composite
def overrides(draw: st.DrawFn) -> Override:
    actuator = draw(st.sampled_from(Actuator))
    lasts = timedelta(seconds=draw(st.integers(60, 6 * 3600)))
    return Override(actuator, draw(settings_of[actuator]), T0 + lasts, by="staff")


@settings(max_examples=200)
@given(steps=steps, manual=overrides())
def test_overrides_win_until_they_expire_then_the_controller_resumes(
    steps: list, manual: Override
) -> None:
    state = replace(everything, overrides=(manual,))
    protection = timedelta(minutes=5)  # the longest the compressor may hold a change back

    def check(before, after, climate, outside, now) -> None:
        decisions = {d.actuator: d for d in decide(before, climate, outside, now)}
        mine = decisions[manual.actuator]
        if now < manual.until:
            assert mine.override == manual
            assert mine.why in (Why.OVERRIDE, Why.COMPRESSOR_MIN_ON, Why.COMPRESSOR_MIN_OFF)
            held = _setting(after, manual.actuator)
            if (
                manual.actuator != Actuator.AIR_CONDITIONING
                or now - before.air_conditioner.since >= protection
            ):
                assert held == manual.setting
        else:
            assert all(d.override is None for d in decisions.values())
            assert all(d.why != Why.OVERRIDE for d in decisions.values())
            assert after.overrides == ()

    run(state, steps, check)


def _setting(state: ZoneState, actuator: Actuator) -> object:
    if actuator == Actuator.AIR_CONDITIONING:
        return state.air_conditioner.mode
    if actuator == Actuator.VENTILATION:
        return state.ventilation.running
    return state.curtains.open_percent
