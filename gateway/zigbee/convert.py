"""Zigbee values to canonical readings: ZCL attribute reports and zigbee2mqtt JSON.

Pure conversions, no radio and no broker: zigpy hands the adapter (cluster, attribute,
value) triples and zigbee2mqtt publishes JSON objects; both end as the same Readings.
Which ZCL attribute is which reading is a table (ZCL_ATTRIBUTES), as are the zigbee2mqtt
fields (Z2M_FIELDS). A value ZCL marks as invalid gives no reading; a value a device
cannot have sent (out of its type's range, a string where a number belongs) is refused
with the reason, and the rest of the message is still used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from contracts.events import DeviceStatus
from contracts.readings import Quantity, Reading


class BadReport(ValueError):
    """A message or value no device could have sent; the text says what was wrong."""


@dataclass(frozen=True)
class ZclAttribute:
    """How one ZCL attribute's raw value becomes a reading (ZCL specification, rev. 8)."""

    name: str  # zigpy's name for the attribute
    quantity: Quantity
    bits: int
    signed: bool
    invalid: int  # the raw value the device sends when it has no valid measurement
    decode: Callable[[int], float]

    def reading(self, raw: int) -> Reading | None:
        """The reading `raw` stands for, or None for the attribute's invalid value."""
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise BadReport(f"{self.name}: {raw!r} is not an integer")
        raw = self._normalised(raw)
        if raw == self.invalid:
            return None
        return Reading(quantity=self.quantity, value=self.decode(raw))

    def _normalised(self, raw: int) -> int:
        """`raw` in the attribute's own signedness; an int16 may come as its unsigned bits."""
        span = 1 << self.bits
        if self.signed:
            low, high = -(span >> 1), (span >> 1) - 1
            if high < raw < span:  # e.g. 0x8000 for an int16: the same bits as -32768
                raw -= span
        else:
            low, high = 0, span - 1
        if not low <= raw <= high:
            kind = "int" if self.signed else "uint"
            raise BadReport(f"{self.name}: {raw} does not fit a {kind}{self.bits}")
        return raw


def _lux(raw: int) -> float:
    # MeasuredValue = 10000 * log10(lux) + 1; 0 means too dark to measure
    return 0.0 if raw == 0 else 10 ** ((raw - 1) / 10_000)


TEMPERATURE_MEASUREMENT = 0x0402
RELATIVE_HUMIDITY = 0x0405
ILLUMINANCE_MEASUREMENT = 0x0400
POWER_CONFIGURATION = 0x0001
MEASURED_VALUE = 0x0000
BATTERY_PERCENTAGE_REMAINING = 0x0021

ZCL_ATTRIBUTES: Mapping[tuple[int, int], ZclAttribute] = {
    (TEMPERATURE_MEASUREMENT, MEASURED_VALUE): ZclAttribute(
        "measured_value", Quantity.TEMPERATURE, 16, True, -0x8000, lambda v: v / 100
    ),
    (RELATIVE_HUMIDITY, MEASURED_VALUE): ZclAttribute(
        "measured_value", Quantity.HUMIDITY, 16, False, 0xFFFF, lambda v: v / 100
    ),
    (ILLUMINANCE_MEASUREMENT, MEASURED_VALUE): ZclAttribute(
        "measured_value", Quantity.ILLUMINANCE, 16, False, 0xFFFF, _lux
    ),
    (POWER_CONFIGURATION, BATTERY_PERCENTAGE_REMAINING): ZclAttribute(  # in half percent
        "battery_percentage_remaining", Quantity.BATTERY, 8, False, 0xFF, lambda v: v / 2
    ),
}


def from_zcl(cluster: int, attribute: int, raw: int) -> Reading | None:
    """The reading an attribute report stands for; None when ZCL marks the value invalid.

    An attribute not in ZCL_ATTRIBUTES also gives None: devices report many attributes
    that are not readings (model, firmware, tolerances).
    """
    spec = ZCL_ATTRIBUTES.get((cluster, attribute))
    return None if spec is None else spec.reading(raw)


def from_lqi(lqi: int) -> Reading:
    """The link quality the radio measured on a frame from the device (0-255)."""
    if isinstance(lqi, bool) or not isinstance(lqi, int) or not 0 <= lqi <= 255:
        raise BadReport(f"link quality {lqi!r} is not an integer from 0 to 255")
    return Reading(quantity=Quantity.LINK_QUALITY, value=float(lqi))


# zigbee2mqtt publishes values already in these units. zigbee2mqtt 1.x sent the raw ZCL
# illuminance in `illuminance` beside `illuminance_lux`; 2.x sends lux in `illuminance`.
Z2M_FIELDS: Mapping[str, Quantity] = {
    "temperature": Quantity.TEMPERATURE,
    "humidity": Quantity.HUMIDITY,
    "illuminance": Quantity.ILLUMINANCE,
    "illuminance_lux": Quantity.ILLUMINANCE,
    "battery": Quantity.BATTERY,
    "linkquality": Quantity.LINK_QUALITY,
}


@dataclass(frozen=True)
class Report:
    """What one zigbee2mqtt message gave: its readings, and each field refused with why."""

    readings: tuple[Reading, ...] = ()
    rejected: tuple[tuple[str, str], ...] = ()


def from_zigbee2mqtt(payload: bytes | str) -> Report:
    """The readings in a `zigbee2mqtt/<friendly_name>` message.

    Fields that are not readings (voltage, update, last_seen, ...) are skipped, and so is
    a null, which zigbee2mqtt sends for a value the device has not reported yet.
    """
    message = _json_object(payload)
    fields = dict(message)
    if "illuminance_lux" in fields:
        fields.pop("illuminance", None)
    readings: list[Reading] = []
    rejected: list[tuple[str, str]] = []
    for field, quantity in Z2M_FIELDS.items():
        value = fields.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            rejected.append((field, f"{value!r} is not a number"))
        elif not math.isfinite(value):
            rejected.append((field, f"{value!r} is not a finite number"))
        else:
            readings.append(Reading(quantity=quantity, value=float(value)))
    return Report(tuple(readings), tuple(rejected))


def availability_from_zigbee2mqtt(payload: bytes | str) -> DeviceStatus:
    """A `zigbee2mqtt/<friendly_name>/availability` message: `{"state": ...}` or, before
    zigbee2mqtt 2.0, the bare word."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    state = text.strip()
    if state.startswith("{"):
        state = _json_object(text).get("state")
    if state not in ("online", "offline"):
        raise BadReport(f"availability {text[:80]!r} is neither online nor offline")
    return DeviceStatus(state=state, reason="zigbee2mqtt availability", device_kind="zigbee")


def parse_zigbee2mqtt_topic(
    topic: str, base: str = "zigbee2mqtt"
) -> tuple[str, Literal["state", "availability"]] | None:
    """(friendly name, what the message is) for a device topic, None for any other topic.

    Friendly names may contain '/'. The bridge's own topics and the `/set` and `/get`
    requests sent to zigbee2mqtt are not device reports.
    """
    prefix = base + "/"
    if not topic.startswith(prefix):
        return None
    name = topic[len(prefix) :]
    if not name or name == "bridge" or name.startswith("bridge/"):
        return None
    parts = name.split("/")
    if "set" in parts[1:] or "get" in parts[1:]:
        return None
    if parts[-1] == "availability":
        name = "/".join(parts[:-1])
        return (name, "availability") if name else None
    return name, "state"


def _json_object(payload: bytes | str) -> dict[str, object]:
    try:
        message = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadReport(f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise BadReport(f"expected a JSON object, got {type(message).__name__}")
    return message
