"""What the climate controller knows of a zone: its targets, its actuators and their
present state, and the manual overrides librarians set from the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from server.climate.preservation import Band

# Compressor protection (manufacturers' anti-short-cycle delays): a zone may ask for
# longer, never for less.
MIN_COMPRESSOR_ON = timedelta(minutes=3)
MIN_COMPRESSOR_OFF = timedelta(minutes=5)


class Actuator(StrEnum):
    AIR_CONDITIONING = "air_conditioning"
    VENTILATION = "ventilation"
    CURTAINS = "curtains"


class AcKind(StrEnum):
    THERMOSTAT = "thermostat"  # takes a mode and a set point
    ON_OFF = "on_off"  # a relay on a cooling compressor: COOL or OFF only


class AcMode(StrEnum):
    OFF = "off"
    COOL = "cool"
    HEAT = "heat"
    DRY = "dry"


class VentilationKind(StrEnum):
    FAN = "fan"
    DAMPER = "damper"


Setting = AcMode | bool | int  # an air conditioner's mode, ventilation on, curtains' open %


@dataclass(frozen=True)
class ZoneTargets:
    """The climate a zone is kept in, and how calmly the controller gets there."""

    band: Band = field(default_factory=Band)  # 16-25 °C, 40-60 %RH
    lux_limit: float | None = None  # for light-sensitive collections, e.g. 50 lx
    temperature_hysteresis: float = 0.5  # °C back inside the band before stopping
    humidity_hysteresis: float = 3.0  # %RH likewise
    min_on: timedelta = MIN_COMPRESSOR_ON
    min_off: timedelta = MIN_COMPRESSOR_OFF
    dew_point_margin: float = 1.0  # °C drier the outside air must be to start ventilating
    curtain_deadband: float = 0.2  # light within ±20 % of the limit moves nothing
    curtain_step: int = 20  # % of travel per move
    curtain_interval: timedelta = timedelta(minutes=10)  # rest between moves

    def __post_init__(self) -> None:
        band = self.band
        if not 0 < self.temperature_hysteresis < (band.temperature_high - band.temperature_low) / 2:
            raise ValueError("temperature hysteresis must be positive and under half the band")
        if not 0 < self.humidity_hysteresis < (band.humidity_high - band.humidity_low) / 2:
            raise ValueError("humidity hysteresis must be positive and under half the band")
        if self.min_on < MIN_COMPRESSOR_ON or self.min_off < MIN_COMPRESSOR_OFF:
            raise ValueError("a compressor runs at least 3 minutes and rests at least 5")
        if self.lux_limit is not None and self.lux_limit <= 0:
            raise ValueError("a light limit is above 0 lx")
        if not 0 < self.curtain_deadband < 1 or not 1 <= self.curtain_step <= 100:
            raise ValueError("curtain deadband is a fraction of the limit, the step 1-100 %")
        if self.dew_point_margin < 0 or self.curtain_interval < timedelta(0):
            raise ValueError("dew point margin and curtain interval cannot be negative")


@dataclass(frozen=True)
class AirConditioner:
    kind: AcKind
    since: datetime  # when the compressor last started or stopped
    mode: AcMode = AcMode.OFF

    @property
    def running(self) -> bool:
        return self.mode != AcMode.OFF


@dataclass(frozen=True)
class Ventilation:
    kind: VentilationKind
    since: datetime
    running: bool = False  # a fan on, a damper open


@dataclass(frozen=True)
class Curtains:
    open_percent: int = 100  # 0 closed, 100 fully open
    moved_at: datetime | None = None


@dataclass(frozen=True)
class Override:
    """A person's setting for one actuator that the controller keeps until `until`."""

    actuator: Actuator
    setting: Setting
    until: datetime
    by: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        ok = {
            Actuator.AIR_CONDITIONING: isinstance(self.setting, AcMode),
            Actuator.VENTILATION: isinstance(self.setting, bool),
            Actuator.CURTAINS: type(self.setting) is int and 0 <= self.setting <= 100,
        }[self.actuator]
        if not ok:
            raise ValueError(f"{self.setting!r} is not a setting for {self.actuator.value}")

    def active(self, now: datetime) -> bool:
        return now < self.until


@dataclass(frozen=True)
class ZoneState:
    """A zone's targets, whichever actuators it has, and the overrides set on them."""

    targets: ZoneTargets = field(default_factory=ZoneTargets)
    air_conditioner: AirConditioner | None = None
    ventilation: Ventilation | None = None
    curtains: Curtains | None = None
    overrides: tuple[Override, ...] = ()

    def override(self, actuator: Actuator, now: datetime) -> Override | None:
        """The latest-set active override of `actuator`, if any."""
        active = [o for o in self.overrides if o.actuator == actuator and o.active(now)]
        return active[-1] if active else None


@dataclass(frozen=True)
class ZoneClimate:
    """The zone's present air and light from readings that passed the quality filter."""

    temperature: float | None = None
    humidity: float | None = None
    illuminance: float | None = None


@dataclass(frozen=True)
class Outside:
    temperature: float
    humidity: float
