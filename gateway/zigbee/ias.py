"""IAS Zone detectors (smoke, flame, motion, contact, ...) to neutral detector reports.

Two inputs, one result: the ZoneStatus bitmap of ZCL cluster 0x0500 (what zigpy hands the
adapter from a Zone Status Change Notification or an attribute report), read with the
zone's ZoneType, and the JSON zigbee2mqtt publishes for such a device (`smoke`, `tamper`,
`battery_low`, ...). Both become a DetectorReport of gateway/detectors.py.

The bits and zone types are written out here from the ZCL specification (rev. 8, 8.2.2.2)
rather than taken from zigpy, which the gateway does not need for zigbee2mqtt sites.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from gateway.detectors import Condition, DetectorReport

IAS_ZONE = 0x0500
ZONE_TYPE = 0x0001  # attribute: what kind of zone the device is
ZONE_STATUS = 0x0002  # attribute: the ZoneStatus bitmap


class BadZoneReport(ValueError):
    """A status or message no IAS device could have sent; the text says what was wrong."""


class ZoneStatus(IntFlag):
    """ZoneStatus, a 16-bit bitmap; bits 10-15 are reserved."""

    ALARM1 = 1 << 0
    ALARM2 = 1 << 1
    TAMPER = 1 << 2
    BATTERY = 1 << 3  # battery low
    SUPERVISION_REPORTS = 1 << 4  # the device sends supervision reports
    RESTORE_REPORTS = 1 << 5  # the device reports restores
    TROUBLE = 1 << 6
    AC_MAINS = 1 << 7  # AC mains fault
    TEST = 1 << 8
    BATTERY_DEFECT = 1 << 9


class ZoneType(IntEnum):
    STANDARD_CIE = 0x0000
    MOTION_SENSOR = 0x000D
    CONTACT_SWITCH = 0x0015
    DOOR_WINDOW_HANDLE = 0x0016
    FIRE_SENSOR = 0x0028
    WATER_SENSOR = 0x002A
    CARBON_MONOXIDE_SENSOR = 0x002B
    PERSONAL_EMERGENCY_DEVICE = 0x002C
    VIBRATION_MOVEMENT_SENSOR = 0x002D
    REMOTE_CONTROL = 0x010F
    KEY_FOB = 0x0115
    KEYPAD = 0x021D
    STANDARD_WARNING_DEVICE = 0x0225
    GLASS_BREAK_SENSOR = 0x0226
    SECURITY_REPEATER = 0x0229


# What Alarm1 and Alarm2 mean for each zone type (ZCL table "Values of the ZoneType
# attribute"); None: the bit means nothing for that type. A fire sensor's Alarm2 is
# unassigned, but some smoke detectors raise it instead of Alarm1, so it counts as fire:
# a fire missed is worse than a fire reported twice.
ALARM_BITS: Mapping[ZoneType, tuple[Condition | None, Condition | None]] = {
    ZoneType.STANDARD_CIE: (Condition.ALARM, None),
    ZoneType.MOTION_SENSOR: (Condition.INTRUSION, Condition.INTRUSION),  # intrusion, presence
    ZoneType.CONTACT_SWITCH: (Condition.INTRUSION, Condition.INTRUSION),  # 1st and 2nd portal
    ZoneType.DOOR_WINDOW_HANDLE: (Condition.INTRUSION, None),
    ZoneType.FIRE_SENSOR: (Condition.FIRE, Condition.FIRE),
    ZoneType.WATER_SENSOR: (Condition.WATER_LEAK, None),
    ZoneType.CARBON_MONOXIDE_SENSOR: (Condition.CARBON_MONOXIDE, None),  # Alarm2: cooking
    ZoneType.PERSONAL_EMERGENCY_DEVICE: (Condition.PANIC, Condition.PANIC),
    ZoneType.VIBRATION_MOVEMENT_SENSOR: (Condition.INTRUSION, Condition.INTRUSION),
    ZoneType.REMOTE_CONTROL: (Condition.PANIC, Condition.PANIC),
    ZoneType.KEY_FOB: (Condition.PANIC, Condition.PANIC),
    ZoneType.KEYPAD: (Condition.PANIC, Condition.PANIC),
    ZoneType.STANDARD_WARNING_DEVICE: (None, None),
    ZoneType.GLASS_BREAK_SENSOR: (Condition.INTRUSION, None),
    ZoneType.SECURITY_REPEATER: (None, None),
}
UNKNOWN_TYPE_BITS = (Condition.ALARM, Condition.ALARM)  # a vendor's own zone type

STATUS_BITS: Mapping[ZoneStatus, Condition] = {
    ZoneStatus.TAMPER: Condition.TAMPER,
    ZoneStatus.BATTERY: Condition.BATTERY_LOW,
    ZoneStatus.TROUBLE: Condition.TROUBLE,
    ZoneStatus.AC_MAINS: Condition.MAINS_FAULT,
    ZoneStatus.TEST: Condition.TEST,
    ZoneStatus.BATTERY_DEFECT: Condition.BATTERY_DEFECT,
}


def from_zone_status(status: int, zone_type: int) -> DetectorReport:
    """The report a ZoneStatus bitmap stands for, read as the zone type `zone_type` says.

    Every bit is a statement, so the report speaks of all the conditions it can carry.
    Reserved bits (10-15) are ignored.
    """
    for name, value in (("zone status", status), ("zone type", zone_type)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFF:
            raise BadZoneReport(f"{name} {value!r} is not a 16-bit unsigned integer")
    bits = ZoneStatus(status & 0x03FF)
    try:
        meanings = ALARM_BITS[ZoneType(zone_type)]
    except ValueError:
        meanings = UNKNOWN_TYPE_BITS
    conditions: set[Condition] = set()
    reported: set[Condition] = set(STATUS_BITS.values())
    for bit, meaning in zip((ZoneStatus.ALARM1, ZoneStatus.ALARM2), meanings, strict=True):
        if meaning is not None:
            reported.add(meaning)
            if bit in bits:
                conditions.add(meaning)
    conditions.update(condition for bit, condition in STATUS_BITS.items() if bit in bits)
    return DetectorReport(
        frozenset(conditions),
        frozenset(reported),
        supervision_reports=ZoneStatus.SUPERVISION_REPORTS in bits,
        restore_reports=ZoneStatus.RESTORE_REPORTS in bits,
    )


# zigbee2mqtt's fields for IAS detectors (zigbee-herdsman-converters' ias_*_alarm
# converters); each is a true/false statement of one condition.
Z2M_CONDITIONS: Mapping[str, Condition] = {
    "smoke": Condition.FIRE,
    "fire": Condition.FIRE,
    "gas": Condition.GAS,
    "carbon_monoxide": Condition.CARBON_MONOXIDE,
    "water_leak": Condition.WATER_LEAK,
    "tamper": Condition.TAMPER,
    "battery_low": Condition.BATTERY_LOW,
    "battery_defect": Condition.BATTERY_DEFECT,
    "trouble": Condition.TROUBLE,
    "ac_status": Condition.MAINS_FAULT,  # true: the AC mains bit is set, a fault
    "test": Condition.TEST,
}
Z2M_FLAGS = ("supervision_reports", "restore_reports")


@dataclass(frozen=True)
class Z2mDetectorMessage:
    """What a zigbee2mqtt message said of a detector, and each field refused with why."""

    report: DetectorReport
    rejected: tuple[tuple[str, str], ...] = ()


def from_zigbee2mqtt(payload: bytes | str | Mapping[str, object]) -> Z2mDetectorMessage:
    """The detector report in a `zigbee2mqtt/<friendly_name>` message.

    Fields that are not detector conditions (battery, linkquality, voltage, ...) are left
    to the readings converter; a null (not reported yet) says nothing; a field that is not
    true or false is refused, and the rest of the message still counts.
    """
    message = _json_object(payload) if isinstance(payload, bytes | str) else dict(payload)
    conditions: set[Condition] = set()
    reported: set[Condition] = set()
    rejected: list[tuple[str, str]] = []
    flags: dict[str, bool] = {}
    for name in (*Z2M_CONDITIONS, *Z2M_FLAGS):
        value = message.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            rejected.append((name, f"{value!r} is not true or false"))
            continue
        if name in Z2M_FLAGS:
            flags[name] = value
            continue
        condition = Z2M_CONDITIONS[name]
        if condition in reported and (condition in conditions) != value:
            value = True  # `smoke` and `fire` disagree: a fire missed is worse
        reported.add(condition)
        if value:
            conditions.add(condition)
    report = DetectorReport(frozenset(conditions), frozenset(reported), **flags)
    return Z2mDetectorMessage(report, tuple(rejected))


def _json_object(payload: bytes | str) -> dict[str, object]:
    try:
        message = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadZoneReport(f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise BadZoneReport(f"expected a JSON object, got {type(message).__name__}")
    return message
