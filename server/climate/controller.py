"""The zone climate controller: what each actuator should do now, and why.

Pure: `decide` reads the zone's state, its present climate and the outside air and
returns one Decision per actuator, a command to send when `change` is set. `apply`
records decisions the equipment has carried out. Hysteresis keeps each actuator from
chattering at a band's edge; a compressor runs at least `min_on` and rests at least
`min_off`, whoever asks; ventilation runs only when the outside air is drier (lower dew
point) than the zone's; curtains move in steps with a deadband and a rest between moves.
An active override wins over the automatic rules and is reported as one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from server.climate.air import dew_point
from server.climate.zones import (
    AcKind,
    AcMode,
    Actuator,
    Curtains,
    Outside,
    Override,
    Setting,
    Ventilation,
    ZoneClimate,
    ZoneState,
)


class Why(StrEnum):
    """The reason code of a decision, for pages to translate."""

    OVERRIDE = "override"
    NO_READING = "no_reading"
    TOO_WARM = "too_warm"
    TOO_COLD = "too_cold"
    TOO_HUMID = "too_humid"
    IN_BAND = "in_band"
    COMPRESSOR_MIN_ON = "compressor_min_on"
    COMPRESSOR_MIN_OFF = "compressor_min_off"
    NO_OUTSIDE_READING = "no_outside_reading"
    OUTSIDE_NOT_DRIER = "outside_not_drier"
    OUTSIDE_TOO_COLD = "outside_too_cold"
    DRYING = "drying"
    FREE_COOLING = "free_cooling"
    NOT_NEEDED = "not_needed"
    NO_LIGHT_LIMIT = "no_light_limit"
    TOO_BRIGHT = "too_bright"
    DARKER_THAN_NEEDED = "darker_than_needed"
    LIGHT_IN_DEADBAND = "light_in_deadband"
    CURTAINS_RESTING = "curtains_resting"


@dataclass(frozen=True)
class Decision:
    """What one actuator should be at, and why; `change`: a command must be sent."""

    actuator: Actuator
    setting: Setting
    change: bool
    why: Why
    message: str
    set_point: float | None = None  # for a thermostat air conditioner that is running
    override: Override | None = None  # set while a person's override rules this actuator
    retry_at: datetime | None = None  # when a change held back may happen


def decide(
    state: ZoneState, climate: ZoneClimate, outside: Outside | None, now: datetime
) -> tuple[Decision, ...]:
    """One decision for each actuator the zone has."""
    decisions = []
    if state.air_conditioner is not None:
        decisions.append(_air_conditioning(state, climate, now))
    if state.ventilation is not None:
        decisions.append(_ventilation(state, state.ventilation, climate, outside, now))
    if state.curtains is not None:
        decisions.append(_curtains(state, state.curtains, climate, now))
    return tuple(decisions)


def apply(state: ZoneState, decisions: tuple[Decision, ...], now: datetime) -> ZoneState:
    """The zone after the changes in `decisions` were carried out at `now`; expired
    overrides are dropped."""
    for d in (d for d in decisions if d.change):
        if d.actuator == Actuator.AIR_CONDITIONING and state.air_conditioner is not None:
            ac = state.air_conditioner
            mode = AcMode(d.setting)  # type: ignore[arg-type]
            since = now if (mode != AcMode.OFF) != ac.running else ac.since
            state = replace(state, air_conditioner=replace(ac, mode=mode, since=since))
        elif d.actuator == Actuator.VENTILATION and state.ventilation is not None:
            fan = replace(state.ventilation, running=bool(d.setting), since=now)
            state = replace(state, ventilation=fan)
        elif d.actuator == Actuator.CURTAINS:
            curtains = Curtains(open_percent=int(d.setting), moved_at=now)
            state = replace(state, curtains=curtains)
    return replace(state, overrides=tuple(o for o in state.overrides if o.active(now)))


def _air_conditioning(state: ZoneState, climate: ZoneClimate, now: datetime) -> Decision:
    ac = state.air_conditioner
    assert ac is not None
    targets, band = state.targets, state.targets.band
    t, rh = climate.temperature, climate.humidity
    override = state.override(Actuator.AIR_CONDITIONING, now)
    if override is not None:
        mode, why, message = AcMode(override.setting), Why.OVERRIDE, _manual(override)  # type: ignore[arg-type]
    elif t is None:
        mode, why, message = AcMode.OFF, Why.NO_READING, "no good temperature reading: stopped"
    else:
        h = targets.temperature_hysteresis
        cooling = t > band.temperature_high or (
            ac.mode == AcMode.COOL and t > band.temperature_high - h
        )
        heating = ac.kind == AcKind.THERMOSTAT and (
            t < band.temperature_low or (ac.mode == AcMode.HEAT and t < band.temperature_low + h)
        )
        drying = (
            rh is not None
            and t > band.temperature_low + h  # drying cools: not when it is cool already
            and (
                rh > band.humidity_high
                or (ac.running and rh > band.humidity_high - targets.humidity_hysteresis)
            )
        )
        if heating:
            mode, why = AcMode.HEAT, Why.TOO_COLD
            message = f"{t:.1f} °C, the lowest allowed is {band.temperature_low:g} °C"
        elif cooling:
            mode, why = AcMode.COOL, Why.TOO_WARM
            message = f"{t:.1f} °C, the highest allowed is {band.temperature_high:g} °C"
        elif drying:
            mode = AcMode.DRY if ac.kind == AcKind.THERMOSTAT else AcMode.COOL
            why = Why.TOO_HUMID
            message = f"{rh:.0f} %RH, the highest allowed is {band.humidity_high:g} %RH"
        else:
            mode, why, message = AcMode.OFF, Why.IN_BAND, f"{t:.1f} °C is within the band"
    if mode != AcMode.OFF and ac.kind == AcKind.ON_OFF:
        mode = AcMode.COOL  # all a relay on a cooling compressor can do

    ran_for = now - ac.since
    if ac.running and mode == AcMode.OFF and ran_for < targets.min_on:
        retry = ac.since + targets.min_on
        return Decision(
            Actuator.AIR_CONDITIONING,
            ac.mode,
            False,
            Why.COMPRESSOR_MIN_ON,
            f"{message}; the compressor runs until {retry:%H:%M:%S} (at least "
            f"{targets.min_on.total_seconds() / 60:g} min)",
            _set_point(state, ac.mode),
            override,
            retry,
        )
    if not ac.running and mode != AcMode.OFF and ran_for < targets.min_off:
        retry = ac.since + targets.min_off
        return Decision(
            Actuator.AIR_CONDITIONING,
            AcMode.OFF,
            False,
            Why.COMPRESSOR_MIN_OFF,
            f"{message}; the compressor rests until {retry:%H:%M:%S} (at least "
            f"{targets.min_off.total_seconds() / 60:g} min)",
            None,
            override,
            retry,
        )
    return Decision(
        Actuator.AIR_CONDITIONING,
        mode,
        mode != ac.mode,
        why,
        message,
        _set_point(state, mode),
        override,
    )


def _set_point(state: ZoneState, mode: AcMode) -> float | None:
    assert state.air_conditioner is not None
    if state.air_conditioner.kind != AcKind.THERMOSTAT:
        return None
    band, h = state.targets.band, state.targets.temperature_hysteresis
    return {
        AcMode.COOL: band.temperature_high - h,
        AcMode.HEAT: band.temperature_low + h,
    }.get(mode)


def _ventilation(
    state: ZoneState,
    fan: Ventilation,
    climate: ZoneClimate,
    outside: Outside | None,
    now: datetime,
) -> Decision:
    def decision(on: bool, why: Why, message: str, override: Override | None = None) -> Decision:
        return Decision(Actuator.VENTILATION, on, on != fan.running, why, message, None, override)

    override = state.override(Actuator.VENTILATION, now)
    if override is not None:
        return decision(bool(override.setting), Why.OVERRIDE, _manual(override), override)
    t, rh = climate.temperature, climate.humidity
    if t is None or rh is None or rh <= 0:
        return decision(False, Why.NO_READING, "no good temperature and humidity reading")
    if outside is None or outside.humidity <= 0:
        return decision(False, Why.NO_OUTSIDE_READING, "no outside reading to compare with")
    targets, band = state.targets, state.targets.band
    inside_dp, outside_dp = dew_point(t, rh), dew_point(outside.temperature, outside.humidity)
    dew_points = f"dew point outside {outside_dp:.1f} °C, inside {inside_dp:.1f} °C"
    margin = 0.0 if fan.running else targets.dew_point_margin
    if not outside_dp < inside_dp - margin:
        return decision(False, Why.OUTSIDE_NOT_DRIER, f"{dew_points}: it would not dry the zone")
    h = targets.temperature_hysteresis
    if outside.temperature < t and t <= band.temperature_low + h:
        return decision(
            False, Why.OUTSIDE_TOO_COLD, f"{outside.temperature:.1f} °C outside would chill it"
        )
    rh_hold = band.humidity_high - (targets.humidity_hysteresis if fan.running else 0)
    if rh > rh_hold:
        return decision(True, Why.DRYING, f"{rh:.0f} %RH inside; {dew_points}")
    t_hold = band.temperature_high - (h if fan.running else 0)
    if t > t_hold and outside.temperature < t - 1 and rh > band.humidity_low:
        return decision(
            True, Why.FREE_COOLING, f"{t:.1f} °C inside, {outside.temperature:.1f} °C outside"
        )
    return decision(False, Why.NOT_NEEDED, f"{rh:.0f} %RH and {t:.1f} °C need no outside air")


def _curtains(
    state: ZoneState, curtains: Curtains, climate: ZoneClimate, now: datetime
) -> Decision:
    def decision(
        open_percent: int,
        why: Why,
        message: str,
        override: Override | None = None,
        retry_at: datetime | None = None,
    ) -> Decision:
        change = open_percent != curtains.open_percent
        return Decision(
            Actuator.CURTAINS, open_percent, change, why, message, None, override, retry_at
        )

    here = curtains.open_percent
    override = state.override(Actuator.CURTAINS, now)
    if override is not None:
        return decision(int(override.setting), Why.OVERRIDE, _manual(override), override)
    targets, limit, lux = state.targets, state.targets.lux_limit, climate.illuminance
    if limit is None:
        return decision(here, Why.NO_LIGHT_LIMIT, "no light limit in this zone")
    if lux is None:
        return decision(here, Why.NO_READING, "no good light reading")
    high, low = limit * (1 + targets.curtain_deadband), limit * (1 - targets.curtain_deadband)
    if lux > high and here > 0:
        target, why = max(0, here - targets.curtain_step), Why.TOO_BRIGHT
        message = f"{lux:.0f} lx, the limit is {limit:g} lx"
    elif lux < low and here < 100:
        target, why = min(100, here + targets.curtain_step), Why.DARKER_THAN_NEEDED
        message = f"{lux:.0f} lx, below the {limit:g} lx allowed"
    else:
        return decision(here, Why.LIGHT_IN_DEADBAND, f"{lux:.0f} lx, limit {limit:g} lx")
    if curtains.moved_at is not None and now - curtains.moved_at < targets.curtain_interval:
        retry = curtains.moved_at + targets.curtain_interval
        return decision(
            here, Why.CURTAINS_RESTING, f"{message}; next move at {retry:%H:%M}", retry_at=retry
        )
    return decision(target, why, message)


def _manual(override: Override) -> str:
    who = f" by {override.by}" if override.by else ""
    setting = override.setting
    if isinstance(setting, AcMode):
        shown = setting.value
    elif isinstance(setting, bool):
        shown = "on" if setting else "off"
    else:
        shown = f"{setting} % open"
    return f"manual: {shown}{who} until {override.until:%Y-%m-%d %H:%M}"
