"""COBS: the vectors from Cheshire & Baker / Wikipedia, malformed input, and round trips."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge import cobs

VECTORS = [
    (b"", b"\x01"),
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    # 254 non-zero bytes fill exactly one 0xFF block
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    (b"\x00" + bytes(range(1, 255)), b"\x01\xff" + bytes(range(1, 255))),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]


@pytest.mark.parametrize(("raw", "encoded"), VECTORS)
def test_vectors(raw: bytes, encoded: bytes) -> None:
    assert cobs.encode(raw) == encoded
    assert cobs.decode(encoded) == raw


def test_zero_byte_inside_is_rejected() -> None:
    with pytest.raises(ValueError, match="zero byte at offset 2"):
        cobs.decode(b"\x03\x11\x00\x02\x33")


def test_code_running_past_the_end_is_rejected() -> None:
    with pytest.raises(ValueError, match="runs past the end"):
        cobs.decode(b"\x05\x11\x22")


def test_decode_accepts_bytearray() -> None:
    assert cobs.decode(bytearray(b"\x03\x11\x22\x02\x33")) == b"\x11\x22\x00\x33"


@given(st.binary(max_size=1200))
def test_round_trip(data: bytes) -> None:
    encoded = cobs.encode(data)
    assert 0 not in encoded
    assert len(encoded) <= len(data) + 1 + len(data) // 254
    assert cobs.decode(encoded) == data


@given(st.binary(max_size=600))
def test_decode_raises_only_value_error(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        cobs.decode(data)
