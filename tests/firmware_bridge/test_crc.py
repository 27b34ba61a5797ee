"""CRC-16/CCITT-FALSE: published check values and agreement with a bit-by-bit reference."""

from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.crc import crc16


def bitwise_crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def test_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1


def test_known_values() -> None:
    assert crc16(b"") == 0xFFFF
    assert crc16(b"A") == 0xB915
    assert crc16(bytearray(b"123456789")) == 0x29B1
    assert crc16(memoryview(b"123456789")) == 0x29B1


def test_continues_over_pieces() -> None:
    assert crc16(b"56789", crc16(b"1234")) == 0x29B1


@given(st.binary(max_size=300))
def test_table_matches_bitwise_reference(data: bytes) -> None:
    assert crc16(data) == bitwise_crc16(data)


@given(st.binary(max_size=300))
def test_message_followed_by_its_crc_checks_to_zero(data: bytes) -> None:
    assert crc16(data + crc16(data).to_bytes(2, "big")) == 0


@given(st.binary(min_size=1, max_size=64), st.data())
def test_detects_any_single_byte_error(data: bytes, draw: st.DataObject) -> None:
    at = draw.draw(st.integers(0, len(data) - 1))
    flip = draw.draw(st.integers(1, 255))
    damaged = bytearray(data)
    damaged[at] ^= flip
    assert crc16(bytes(damaged)) != crc16(data)
