"""A sensor's measurement as gateways send it: one quantity, one value, in its canonical unit.

Whatever the device spoke (raw ZCL attributes through zigpy, zigbee2mqtt JSON), the
gateway turns each measured value into a Reading. The contract only refuses values that
are not numbers; a number out of physical range still travels, so the server can flag
the sensor instead of the sensor seeming to fall silent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.events import EventData


class Quantity(StrEnum):
    """What a reading measures; UNITS gives the unit its value is always in."""

    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    ILLUMINANCE = "illuminance"
    BATTERY = "battery"
    LINK_QUALITY = "link_quality"


UNITS: dict[Quantity, str] = {
    Quantity.TEMPERATURE: "°C",
    Quantity.HUMIDITY: "%RH",
    Quantity.ILLUMINANCE: "lx",
    Quantity.BATTERY: "%",
    Quantity.LINK_QUALITY: "LQI",  # the radio's link quality indicator, 0-255
}


class Reading(EventData):
    """One measured value of a sensor, in the unit UNITS names for its quantity."""

    KIND: ClassVar[str] = "reading"
    quantity: Quantity
    value: float = Field(allow_inf_nan=False, description="in the quantity's canonical unit")

    @property
    def unit(self) -> str:
        return UNITS[self.quantity]
