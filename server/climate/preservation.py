"""Preservation metrics of a zone, live and over a period: dew point, paper's equilibrium
moisture content, the Preservation Index and its time-weighted form, mould risk, time in band.

Pure functions over (time, temperature, humidity) samples. Every formula names its
source; tests/climate/test_preservation.py checks them against the published values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.climate.air import dew_point

GAS_CONSTANT = 8.314  # J/(mol K)
KELVIN = 273.15

# Preservation Index: the years a chemically unstable object (cellulose acetate film, acid
# paper) takes to reach a set state of decay at constant T and RH. Image Permanence
# Institute, Reilly, Nishimura and Zinn (1995), "New Tools for Preservation", Commission on
# Preservation and Access; the closed form fitted to IPI's table, as given by T. Padfield
# (2004), "The Preservation Index and the Time Weighted Preservation Index":
#   PI = exp((E - 134.9 RH) / (R T) + 0.0284 RH - 28.023) / 365 years, E = 95,220 J/mol,
# an activation energy that falls with humidity (about 89 kJ/mol at 50 %RH). IPI's
# benchmark: PI = 50 years at 20 °C, 45 %RH.
PI_ACTIVATION_ENERGY = 95_220.0  # J/mol, at 0 %RH
PI_ENERGY_PER_RH = 134.9  # J/mol per %RH
PI_RH_TERM = 0.0284
PI_CONSTANT = -28.023


def preservation_index(temperature: float, humidity: float) -> float:
    """IPI's Preservation Index in years at `temperature` °C and `humidity` %RH."""
    _check_humidity(humidity)
    energy = PI_ACTIVATION_ENERGY - PI_ENERGY_PER_RH * humidity
    exponent = (
        energy / (GAS_CONSTANT * (temperature + KELVIN)) + PI_RH_TERM * humidity + PI_CONSTANT
    )
    return math.exp(exponent) / 365


def equilibrium_moisture_content(temperature: float, humidity: float) -> float:
    """The moisture content, % of dry mass, that paper settles at in this air.

    The Hailwood-Horrobin sorption model as fitted by Simpson (1973) for the US Forest
    Products Laboratory, metric form of the Wood Handbook (FPL-GTR-190, 2010, eq. 4-5).
    It describes wood; IPI applies it to hygroscopic collections in general, paper
    included (its Dew Point Calculator and eClimateNotebook's %EMC), and so do we.
    """
    _check_humidity(humidity)
    t, h = temperature, humidity / 100
    w = 349 + 1.29 * t + 0.0135 * t * t
    k = 0.805 + 0.000736 * t - 0.00000273 * t * t
    k1 = 6.27 - 0.00938 * t - 0.000303 * t * t
    k2 = 1.91 + 0.0407 * t - 0.000293 * t * t
    kh = k * h
    return (
        1800
        / w
        * (kh / (1 - kh) + (k1 * kh + 2 * k1 * k2 * kh * kh) / (1 + k1 * kh + k1 * k2 * kh * kh))
    )


def mould_isopleth(temperature: float) -> float | None:
    """The lowest %RH at which mould grows at `temperature` °C; None where none grows.

    Hukka and Viitanen (1999), "A mathematical model of mould growth on wooden material",
    Wood Sci. Technol. 33: 475-485: RH_crit = -0.00267 T³ + 0.160 T² - 3.13 T + 100 up to
    20 °C, 80 %RH above, for 0-50 °C. Chosen over Sedlbauer's LIM B I (substrates such as
    paper and wallpaper) because it is a formula anyone can check, where LIM B I is
    published as a chart; `period` takes another isopleth where a site prefers one.
    """
    if not 0 < temperature < 50:
        return None
    if temperature > 20:
        return 80.0
    t = temperature
    return -0.00267 * t**3 + 0.160 * t**2 - 3.13 * t + 100


def mould_risk(temperature: float, humidity: float) -> bool:
    """True when the air is at or above the mould isopleth."""
    limit = mould_isopleth(temperature)
    return limit is not None and humidity >= limit


@dataclass(frozen=True)
class Band:
    """The climate a zone should be kept in."""

    temperature_low: float = 16.0
    temperature_high: float = 25.0
    humidity_low: float = 40.0
    humidity_high: float = 60.0

    def __post_init__(self) -> None:
        if not self.temperature_low < self.temperature_high:
            raise ValueError("the lowest temperature must be below the highest")
        if not 0 <= self.humidity_low < self.humidity_high <= 100:
            raise ValueError("humidity limits are 0-100 %RH, the lower below the upper")

    def holds(self, temperature: float, humidity: float) -> bool:
        return (
            self.temperature_low <= temperature <= self.temperature_high
            and self.humidity_low <= humidity <= self.humidity_high
        )


@dataclass(frozen=True)
class Now:
    """A zone's metrics at one moment."""

    dew_point: float | None  # None for perfectly dry air
    emc: float
    preservation_index: float
    mould_risk: bool
    in_band: bool


def now(temperature: float, humidity: float, band: Band | None = None) -> Now:
    """The live metrics of air at `temperature` °C and `humidity` %RH."""
    return Now(
        dew_point=dew_point(temperature, humidity) if humidity > 0 else None,
        emc=equilibrium_moisture_content(temperature, humidity),
        preservation_index=preservation_index(temperature, humidity),
        mould_risk=mould_risk(temperature, humidity),
        in_band=(band or Band()).holds(temperature, humidity),
    )


@dataclass(frozen=True)
class Sample:
    """The zone's air at an instant; it stands until the next sample (see `intervals`)."""

    at: datetime
    temperature: float
    humidity: float


MAX_GAP = timedelta(hours=1)


def intervals(
    samples: Iterable[Sample], end: datetime | None = None, max_gap: timedelta = MAX_GAP
) -> Iterator[tuple[Sample, timedelta]]:
    """Each sample with the time it stands for: until the next sample or `end`, at most
    `max_gap`, so that a sensor outage is counted as unknown time rather than as the last
    value. Samples must be in time order."""
    previous: Sample | None = None
    for sample in samples:
        if previous is not None:
            if sample.at < previous.at:
                raise ValueError(f"samples out of order at {sample.at.isoformat()}")
            yield previous, min(sample.at - previous.at, max_gap)
        previous = sample
    if previous is not None and end is not None and end > previous.at:
        yield previous, min(end - previous.at, max_gap)


def twpi(
    samples: Iterable[Sample], end: datetime | None = None, max_gap: timedelta = MAX_GAP
) -> float | None:
    """IPI's Time-Weighted Preservation Index in years, None with no time covered.

    The time-weighted harmonic mean of the PI, TWPI = Σ dt / Σ (dt / PI): the decay done
    in each interval adds up, so a warm month costs more than a cool month saves. With
    equal intervals it is IPI's n / Σ (1 / PI_i).
    """
    total = 0.0
    decay = 0.0
    for sample, span in intervals(samples, end, max_gap):
        seconds = span.total_seconds()
        total += seconds
        decay += seconds / preservation_index(sample.temperature, sample.humidity)
    return total / decay if decay > 0 else None


@dataclass(frozen=True)
class Period:
    """A zone's metrics over a period; hours are those covered by samples."""

    hours: float
    twpi: float | None
    min_emc: float | None
    max_emc: float | None
    min_dew_point: float | None
    max_dew_point: float | None
    mould_hours: float
    hours_in_band: float

    @property
    def fraction_in_band(self) -> float | None:
        return self.hours_in_band / self.hours if self.hours else None


def period(
    samples: Sequence[Sample],
    band: Band | None = None,
    end: datetime | None = None,
    max_gap: timedelta = MAX_GAP,
    isopleth: Callable[[float], float | None] = mould_isopleth,
) -> Period:
    """Every period metric at once over time-ordered `samples`."""
    band = band or Band()
    hours = mould = in_band = 0.0
    emcs: list[float] = []
    dew_points: list[float] = []
    for sample, span in intervals(samples, end, max_gap):
        h = span.total_seconds() / 3600
        t, rh = sample.temperature, sample.humidity
        hours += h
        limit = isopleth(t)
        if limit is not None and rh >= limit:
            mould += h
        if band.holds(t, rh):
            in_band += h
        emcs.append(equilibrium_moisture_content(t, rh))
        if rh > 0:
            dew_points.append(dew_point(t, rh))
    return Period(
        hours=hours,
        twpi=twpi(samples, end, max_gap),
        min_emc=min(emcs, default=None),
        max_emc=max(emcs, default=None),
        min_dew_point=min(dew_points, default=None),
        max_dew_point=max(dew_points, default=None),
        mould_hours=mould,
        hours_in_band=in_band,
    )


def _check_humidity(humidity: float) -> None:
    if not 0 <= humidity <= 100:
        raise ValueError(f"relative humidity is between 0 and 100 %, not {humidity}")
