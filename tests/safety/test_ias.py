"""IAS Zone detectors: ZoneStatus bits and zigbee2mqtt JSON become the same detector report."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.detectors import Condition, DetectorReport
from gateway.zigbee.ias import (
    ALARM_BITS,
    STATUS_BITS,
    BadZoneReport,
    ZoneStatus,
    ZoneType,
    from_zigbee2mqtt,
    from_zone_status,
)

FIRE_SENSOR = ZoneType.FIRE_SENSOR


def test_a_smoke_alarm_bit_on_a_fire_sensor_is_fire() -> None:
    report = from_zone_status(0b1, FIRE_SENSOR)
    assert report.conditions == {Condition.FIRE}
    assert report.says(Condition.FIRE) is True
    assert report.says(Condition.TAMPER) is False
    assert report.says(Condition.INTRUSION) is None


def test_a_clear_status_restores_every_condition_it_speaks_of() -> None:
    report = from_zone_status(0, FIRE_SENSOR)
    assert report.conditions == frozenset()
    assert report.reported == {Condition.FIRE, *STATUS_BITS.values()}


def test_each_status_bit_is_its_condition() -> None:
    assert from_zone_status(1 << 2, FIRE_SENSOR).conditions == {Condition.TAMPER}
    assert from_zone_status(1 << 3, FIRE_SENSOR).conditions == {Condition.BATTERY_LOW}
    assert from_zone_status(1 << 6, FIRE_SENSOR).conditions == {Condition.TROUBLE}
    assert from_zone_status(1 << 7, FIRE_SENSOR).conditions == {Condition.MAINS_FAULT}
    assert from_zone_status(1 << 8, FIRE_SENSOR).conditions == {Condition.TEST}
    assert from_zone_status(1 << 9, FIRE_SENSOR).conditions == {Condition.BATTERY_DEFECT}


def test_supervision_and_restore_reports_are_capabilities_not_conditions() -> None:
    report = from_zone_status((1 << 4) | (1 << 5), FIRE_SENSOR)
    assert report.conditions == frozenset()
    assert (report.supervision_reports, report.restore_reports) == (True, True)


def test_a_detector_test_still_reports_the_fire() -> None:
    report = from_zone_status(int(ZoneStatus.ALARM1 | ZoneStatus.TEST), FIRE_SENSOR)
    assert report.conditions == {Condition.FIRE, Condition.TEST}


def test_alarm2_on_a_fire_sensor_counts_as_fire() -> None:
    assert from_zone_status(0b10, FIRE_SENSOR).conditions == {Condition.FIRE}


def test_the_zone_type_says_what_the_alarm_bits_mean() -> None:
    assert from_zone_status(1, ZoneType.MOTION_SENSOR).conditions == {Condition.INTRUSION}
    assert from_zone_status(2, ZoneType.CONTACT_SWITCH).conditions == {Condition.INTRUSION}
    assert from_zone_status(1, ZoneType.GLASS_BREAK_SENSOR).conditions == {Condition.INTRUSION}
    assert from_zone_status(1, ZoneType.WATER_SENSOR).conditions == {Condition.WATER_LEAK}
    assert from_zone_status(1, ZoneType.KEY_FOB).conditions == {Condition.PANIC}
    co = from_zone_status(0b11, ZoneType.CARBON_MONOXIDE_SENSOR)
    assert co.conditions == {Condition.CARBON_MONOXIDE}  # Alarm2 is "cooking"
    assert from_zone_status(1, ZoneType.STANDARD_WARNING_DEVICE).conditions == frozenset()


def test_a_vendors_own_zone_type_still_reports_its_alarm() -> None:
    assert from_zone_status(1, 0x8001).conditions == {Condition.ALARM}


def test_reserved_bits_are_ignored_and_impossible_values_refused() -> None:
    assert from_zone_status(0xFC00, FIRE_SENSOR).conditions == frozenset()
    for status in (-1, 0x10000, "1", True, 1.0):
        with pytest.raises(BadZoneReport, match=r"zone status .* not a 16-bit"):
            from_zone_status(status, FIRE_SENSOR)  # type: ignore[arg-type]
    with pytest.raises(BadZoneReport, match="zone type"):
        from_zone_status(0, -5)


def test_every_zone_type_has_a_meaning_for_both_alarm_bits() -> None:
    assert set(ALARM_BITS) == set(ZoneType)


HEIMAN_SMOKE = {
    "battery": 100,
    "battery_low": False,
    "linkquality": 120,
    "smoke": True,
    "supervision_reports": True,
    "restore_reports": True,
    "tamper": False,
    "test": False,
    "trouble": False,
    "ac_status": False,
    "battery_defect": False,
}


def test_a_zigbee2mqtt_smoke_message_gives_the_same_report_as_its_zone_status() -> None:
    message = from_zigbee2mqtt(json.dumps(HEIMAN_SMOKE))
    assert message.rejected == ()
    status = int(ZoneStatus.ALARM1 | ZoneStatus.SUPERVISION_REPORTS | ZoneStatus.RESTORE_REPORTS)
    assert message.report == from_zone_status(status, FIRE_SENSOR)


def test_a_message_without_smoke_says_nothing_of_fire() -> None:
    report = from_zigbee2mqtt(b'{"battery": 80, "battery_low": true}').report
    assert report.conditions == {Condition.BATTERY_LOW}
    assert report.says(Condition.FIRE) is None


def test_nulls_say_nothing_and_non_booleans_are_refused_without_losing_the_rest() -> None:
    message = from_zigbee2mqtt({"smoke": None, "tamper": "yes", "battery_low": True})
    assert message.rejected == (("tamper", "'yes' is not true or false"),)
    assert message.report.conditions == {Condition.BATTERY_LOW}
    assert message.report.says(Condition.FIRE) is None


def test_smoke_and_fire_disagreeing_is_fire() -> None:
    for first, second in ((True, False), (False, True)):
        report = from_zigbee2mqtt({"smoke": first, "fire": second}).report
        assert report.says(Condition.FIRE) is True


def test_gas_and_water_detectors_map_to_their_conditions() -> None:
    report = from_zigbee2mqtt({"gas": True, "carbon_monoxide": False, "water_leak": True}).report
    assert report.conditions == {Condition.GAS, Condition.WATER_LEAK}
    assert report.says(Condition.CARBON_MONOXIDE) is False


def test_garbage_is_refused_with_a_reason() -> None:
    with pytest.raises(BadZoneReport, match="not JSON"):
        from_zigbee2mqtt(b"{smoke")
    with pytest.raises(BadZoneReport, match="expected a JSON object, got list"):
        from_zigbee2mqtt("[true]")


def test_a_report_always_speaks_of_what_it_reports() -> None:
    report = DetectorReport(frozenset({Condition.FIRE}))
    assert report.reported == {Condition.FIRE}


BITS = {
    "smoke": ZoneStatus.ALARM1,
    "tamper": ZoneStatus.TAMPER,
    "battery_low": ZoneStatus.BATTERY,
    "supervision_reports": ZoneStatus.SUPERVISION_REPORTS,
    "restore_reports": ZoneStatus.RESTORE_REPORTS,
    "trouble": ZoneStatus.TROUBLE,
    "ac_status": ZoneStatus.AC_MAINS,
    "test": ZoneStatus.TEST,
    "battery_defect": ZoneStatus.BATTERY_DEFECT,
}


@given(status=st.integers(0, 0x03FF))
def test_zigbee2mqtts_full_smoke_message_matches_the_bits_it_came_from(status: int) -> None:
    # zigbee-herdsman-converters' ias_smoke_alarm_1 turns the bitmap into these fields
    message = {field: bool(status & bit) for field, bit in BITS.items()}
    from_bits = from_zone_status(status, FIRE_SENSOR)
    from_json = from_zigbee2mqtt(message).report
    assert from_json.conditions == from_bits.conditions - (
        {Condition.FIRE} if status & ZoneStatus.ALARM2 and not status & ZoneStatus.ALARM1 else set()
    )
    assert from_json.supervision_reports == from_bits.supervision_reports
    assert from_json.restore_reports == from_bits.restore_reports
