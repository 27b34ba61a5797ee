"""RDM6300-style card frames: the datasheet example, rejections and resynchronisation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.rdm6300 import CardFrameDecoder, encode_card

# The reader's datasheet example: card 62 E3 08 6C ED, checksum 08
EXAMPLE = b"\x02" + b"62E3086CED" + b"08" + b"\x03"

cards = st.text("0123456789abcdefABCDEF", min_size=10, max_size=10)


def test_datasheet_example() -> None:
    assert encode_card("62E3086CED") == EXAMPLE
    assert encode_card("62e3086ced") == EXAMPLE
    decoder = CardFrameDecoder()
    assert decoder.feed(EXAMPLE) == ["62E3086CED"]
    assert decoder.frames == 1
    assert decoder.rejected == {}
    assert decoder.last_error is None


def test_lower_case_frames_are_accepted_and_reported_upper_case() -> None:
    assert CardFrameDecoder().feed(EXAMPLE.lower()) == ["62E3086CED"]


@pytest.mark.parametrize(
    "card", ["62E3086CE", "62E3086CEDA", "62E3086CEG", "62 3086CED", "é" * 10, 5]
)
def test_encode_rejects_anything_but_ten_hex_characters(card) -> None:
    with pytest.raises(ValueError, match="10 hex characters"):
        encode_card(card)


def test_held_card_repeats_are_all_reported() -> None:
    assert CardFrameDecoder().feed(EXAMPLE * 3) == ["62E3086CED"] * 3


def test_byte_by_byte() -> None:
    decoder = CardFrameDecoder()
    out = []
    for byte in EXAMPLE * 2:
        out += decoder.feed(bytes([byte]))
    assert out == ["62E3086CED"] * 2


@pytest.mark.parametrize(
    ("frame", "reason", "message"),
    [
        (b"\x0262E3086CED09\x03", "checksum", "checksum mismatch: got 0x09, computed 0x08"),
        (b"\x0262E3086CEG08\x03", "not-hex", "frame holds non-hex characters"),
        (b"\x0262E3086CED0\x03", "length", "frame of 11 characters, expected 12"),
        (b"\x0262E3086CED08A\x03", "length", "no ETX within 12 characters after STX"),
        (b"\x0262E3086C\x02", "length", "frame cut short after 8 characters"),
        (b"\r\n", "noise", "stray byte 0x0d outside a frame"),
    ],
)
def test_rejections(frame: bytes, reason: str, message: str) -> None:
    decoder = CardFrameDecoder()
    assert decoder.feed(frame) == []
    assert decoder.rejected == {reason: 1}
    assert decoder.last_error.startswith(message)
    # and the next good frame is read
    assert decoder.feed(EXAMPLE) == ["62E3086CED"]


def test_a_noise_run_counts_once_even_across_feeds() -> None:
    decoder = CardFrameDecoder()
    assert decoder.feed(b"abc") == []
    assert decoder.feed(b"def" + EXAMPLE + b"\x03\x03" + EXAMPLE) == ["62E3086CED"] * 2
    assert decoder.rejected == {"noise": 2}


def test_a_long_run_without_etx_is_one_rejection() -> None:
    decoder = CardFrameDecoder()
    assert decoder.feed(b"\x02" + b"A" * 5000 + b"\x03" + EXAMPLE) == ["62E3086CED"]
    assert decoder.rejected == {"length": 1}


@given(cards)
def test_round_trip(card: str) -> None:
    frame = encode_card(card)
    assert len(frame) == 14
    decoder = CardFrameDecoder()
    assert decoder.feed(frame) == [card.upper()]
    assert decoder.rejected == {}


@given(cards, st.sampled_from([0, 1]), st.integers(1, 15))
def test_a_damaged_checksum_is_counted(card: str, digit: int, change: int) -> None:
    frame = bytearray(encode_card(card))
    at = 11 + digit
    frame[at] = ord("%X" % (int(chr(frame[at]), 16) ^ change))
    decoder = CardFrameDecoder()
    assert decoder.feed(bytes(frame)) == []
    assert decoder.rejected == {"checksum": 1}


@settings(max_examples=300)
@given(st.binary(max_size=400), cards)
def test_garbage_never_raises_and_the_next_frame_is_read(garbage: bytes, card: str) -> None:
    decoder = CardFrameDecoder()
    out = decoder.feed(garbage)
    assert len(out) == decoder.frames
    assert all(len(c) == 10 and c == c.upper() for c in out)
    assert set(decoder.rejected) <= {"checksum", "not-hex", "length", "noise"}
    assert decoder.feed(encode_card(card)) == [card.upper()]
