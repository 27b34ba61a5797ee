"""Moist air: saturation vapour pressure, dew point and back, by the Magnus formula.

Constants of Alduchov and Eskridge (1996), "Improved Magnus form approximation of
saturation vapor pressure", J. Appl. Meteor. 35: 601-609, over water: within 0.4 % of
the reference from -40 °C to 50 °C, far closer than a room sensor's ±2 %RH. Written out
rather than taken from a library because it is three lines and the controller and the
preservation metrics must agree on it exactly.
"""

from __future__ import annotations

import math

MAGNUS_A = 17.625
MAGNUS_B = 243.04  # °C
MAGNUS_C = 6.1094  # hPa


def saturation_vapour_pressure(temperature: float) -> float:
    """Saturation vapour pressure over water in hPa at `temperature` °C."""
    return MAGNUS_C * math.exp(MAGNUS_A * temperature / (MAGNUS_B + temperature))


def dew_point(temperature: float, humidity: float) -> float:
    """The dew point in °C of air at `temperature` °C and `humidity` %RH."""
    if not 0 < humidity <= 100:
        raise ValueError(f"relative humidity is above 0 and at most 100 %, not {humidity}")
    gamma = math.log(humidity / 100) + MAGNUS_A * temperature / (MAGNUS_B + temperature)
    return MAGNUS_B * gamma / (MAGNUS_A - gamma)


def relative_humidity(temperature: float, dew_point: float) -> float:
    """Relative humidity in % of air at `temperature` °C whose dew point is `dew_point` °C."""
    return 100 * saturation_vapour_pressure(dew_point) / saturation_vapour_pressure(temperature)


def absolute_humidity(temperature: float, humidity: float) -> float:
    """Water vapour in g/m³ of air at `temperature` °C and `humidity` %RH (ideal gas)."""
    vapour_pa = saturation_vapour_pressure(temperature) * humidity  # hPa x % = Pa
    return 1000 * vapour_pa / (461.5 * (temperature + 273.15))  # R_v = 461.5 J/(kg K)
