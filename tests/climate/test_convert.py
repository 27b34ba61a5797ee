"""Zigbee values become canonical readings: ZCL attribute reports and zigbee2mqtt JSON."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.readings import Quantity, Reading
from gateway.zigbee.convert import (
    BadReport,
    Report,
    availability_from_zigbee2mqtt,
    from_lqi,
    from_zcl,
    from_zigbee2mqtt,
    parse_zigbee2mqtt_topic,
)

T, RH, LUX, POWER = 0x0402, 0x0405, 0x0400, 0x0001


def reading(quantity: Quantity, value: float) -> Reading:
    return Reading(quantity=quantity, value=value)


@pytest.mark.parametrize(
    ("cluster", "attribute", "raw", "expected"),
    [
        (T, 0x0000, 2153, reading(Quantity.TEMPERATURE, 21.53)),
        (T, 0x0000, -550, reading(Quantity.TEMPERATURE, -5.5)),
        (T, 0x0000, 0xFDDA, reading(Quantity.TEMPERATURE, -5.5)),  # the same int16 bits
        (RH, 0x0000, 4520, reading(Quantity.HUMIDITY, 45.2)),
        (LUX, 0x0000, 1, reading(Quantity.ILLUMINANCE, 1.0)),
        (LUX, 0x0000, 20001, reading(Quantity.ILLUMINANCE, 100.0)),
        (LUX, 0x0000, 0, reading(Quantity.ILLUMINANCE, 0.0)),  # too dark to measure
        (POWER, 0x0021, 200, reading(Quantity.BATTERY, 100.0)),  # half percent units
        (POWER, 0x0021, 97, reading(Quantity.BATTERY, 48.5)),
    ],
)
def test_zcl_attributes_become_readings_in_canonical_units(
    cluster: int, attribute: int, raw: int, expected: Reading
) -> None:
    got = from_zcl(cluster, attribute, raw)
    assert got is not None
    assert got.quantity == expected.quantity
    assert got.value == pytest.approx(expected.value)


@pytest.mark.parametrize(
    ("cluster", "attribute", "raw"),
    [(T, 0, -0x8000), (T, 0, 0x8000), (RH, 0, 0xFFFF), (LUX, 0, 0xFFFF), (POWER, 0x21, 0xFF)],
)
def test_zcls_invalid_value_gives_no_reading(cluster: int, attribute: int, raw: int) -> None:
    assert from_zcl(cluster, attribute, raw) is None


def test_attributes_that_are_not_readings_are_passed_over() -> None:
    assert from_zcl(T, 0x0001, 100) is None  # MinMeasuredValue
    assert from_zcl(0x0006, 0x0000, 1) is None  # On/Off


@pytest.mark.parametrize(
    ("cluster", "attribute", "raw", "message"),
    [
        (T, 0, 0x10000, "does not fit a int16"),
        (RH, 0, -1, "does not fit a uint16"),
        (POWER, 0x21, 256, "does not fit a uint8"),
        (RH, 0, "45", "not an integer"),
        (RH, 0, True, "not an integer"),
    ],
)
def test_values_no_device_could_send_are_refused_with_the_reason(
    cluster: int, attribute: int, raw: object, message: str
) -> None:
    with pytest.raises(BadReport, match=message):
        from_zcl(cluster, attribute, raw)  # type: ignore[arg-type]


@given(lux=st.floats(min_value=1, max_value=3.5e6))
def test_illuminance_round_trips_through_the_zcl_encoding(lux: float) -> None:
    raw = round(10_000 * math.log10(lux) + 1)
    got = from_zcl(LUX, 0, raw)
    assert got is not None
    assert got.value == pytest.approx(lux, rel=1.2e-4)  # one raw step is 0.023 %


@given(raw=st.integers(-0x7FFF, 0x7FFF))
def test_every_valid_temperature_reads_as_hundredths(raw: int) -> None:
    got = from_zcl(T, 0, raw)
    assert got is not None
    assert got.value == pytest.approx(raw / 100)


def test_link_quality_comes_from_the_radio() -> None:
    assert from_lqi(255) == reading(Quantity.LINK_QUALITY, 255.0)
    with pytest.raises(BadReport, match="0 to 255"):
        from_lqi(300)


def test_a_zigbee2mqtt_message_gives_every_reading_it_holds() -> None:
    report = from_zigbee2mqtt(
        b'{"temperature": 21.53, "humidity": 45.2, "illuminance": 320, "battery": 97,'
        b' "linkquality": 120, "voltage": 3005, "last_seen": "2026-03-10T10:00:00Z"}'
    )
    assert report == Report(
        readings=(
            reading(Quantity.TEMPERATURE, 21.53),
            reading(Quantity.HUMIDITY, 45.2),
            reading(Quantity.ILLUMINANCE, 320.0),
            reading(Quantity.BATTERY, 97.0),
            reading(Quantity.LINK_QUALITY, 120.0),
        )
    )


def test_zigbee2mqtt_1x_lux_field_wins_over_its_raw_illuminance() -> None:
    report = from_zigbee2mqtt('{"illuminance": 25053, "illuminance_lux": 320}')
    assert report.readings == (reading(Quantity.ILLUMINANCE, 320.0),)


def test_bad_fields_are_refused_and_the_rest_is_kept() -> None:
    report = from_zigbee2mqtt(
        '{"temperature": "hot", "humidity": NaN, "battery": true, "linkquality": 90,'
        ' "illuminance": null}'
    )
    assert report.readings == (reading(Quantity.LINK_QUALITY, 90.0),)
    assert report.rejected == (
        ("temperature", "'hot' is not a number"),
        ("humidity", "nan is not a finite number"),
        ("battery", "True is not a number"),
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"{not json", "not JSON"), (b"[1, 2]", "expected a JSON object"), (b"\xff", "not JSON")],
)
def test_garbage_messages_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(BadReport, match=message):
        from_zigbee2mqtt(payload)


def test_out_of_range_values_still_travel_so_the_server_can_flag_them() -> None:
    assert from_zigbee2mqtt('{"humidity": 104.5}').readings == (reading(Quantity.HUMIDITY, 104.5),)


def test_the_contract_refuses_what_is_not_a_number() -> None:
    with pytest.raises(ValidationError):
        Reading(quantity=Quantity.TEMPERATURE, value=math.inf)
    with pytest.raises(ValidationError):
        Reading.model_validate({"quantity": "pressure", "value": 1013})
    assert reading(Quantity.ILLUMINANCE, 1).unit == "lx"


@pytest.mark.parametrize(
    ("payload", "state"),
    [
        ('{"state":"online"}', "online"),
        (b'{"state": "offline"}', "offline"),
        ("offline", "offline"),
    ],
)
def test_availability_becomes_a_device_status(payload: str | bytes, state: str) -> None:
    assert availability_from_zigbee2mqtt(payload).state == state


@pytest.mark.parametrize("payload", ['{"state": "maybe"}', "gone", "{}"])
def test_unknown_availability_is_refused(payload: str) -> None:
    with pytest.raises(BadReport, match="neither online nor offline"):
        availability_from_zigbee2mqtt(payload)


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("zigbee2mqtt/reading-room-t1", ("reading-room-t1", "state")),
        ("zigbee2mqtt/floor1/stacks/t2", ("floor1/stacks/t2", "state")),
        ("zigbee2mqtt/floor1/t2/availability", ("floor1/t2", "availability")),
        ("zigbee2mqtt/bridge/state", None),
        ("zigbee2mqtt/curtain-3/set", None),
        ("zigbee2mqtt/curtain-3/set/position", None),
        ("zigbee2mqtt/availability", None),
        ("other/t1", None),
    ],
)
def test_zigbee2mqtt_topics_name_the_device(topic: str, expected: object) -> None:
    assert parse_zigbee2mqtt_topic(topic) == expected
