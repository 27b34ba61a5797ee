"""The node protocol: wire format, the stream decoder, payload codecs and the acknowledged link."""

import ast
import contextlib
import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge import node
from firmware_bridge.crc import crc16
from firmware_bridge.node import ACK, Frame, FrameDecoder, NodeLink, encode_frame

types = st.integers(0, 255)
seqs = st.integers(0, 0xFFFF)
payloads = st.binary(max_size=node.MAX_PAYLOAD)
frames = st.builds(Frame, types, seqs, payloads)
frame_lists = st.lists(frames, min_size=1, max_size=6)


def stream_of(items: list[Frame]) -> bytes:
    return b"".join(encode_frame(f) for f in items)


def non_empty_chunks(data: bytes) -> int:
    """How many frames-to-be a decoder fed `data` plus a final delimiter must account for."""
    return sum(1 for chunk in data.split(b"\x00") if chunk)


# Wire format ------------------------------------------------------------------------------


def test_golden_frame() -> None:
    frame = Frame(node.HEARTBEAT, 1, node.heartbeat_payload(1000))
    # raw: version 01 | type 02 | seq 0001 | payload 000003e8 | crc 952a
    assert crc16(bytes.fromhex("01020001000003e8")) == 0x952A
    assert encode_frame(frame) == bytes.fromhex("0301020201010503e8952a00")
    assert FrameDecoder().feed(bytes.fromhex("0301020201010503e8952a00")) == [frame]


def test_frame_equality_and_repr() -> None:
    assert Frame(1, 2, b"x") == Frame(1, 2, bytearray(b"x"))
    assert Frame(1, 2, b"x") != Frame(1, 2, b"y")
    assert Frame(1, 2) != Frame(1, 3)
    assert Frame(1, 2) != (1, 2, b"")
    assert repr(Frame(0x10, 7, b"\x01")) == "Frame(type=0x10, seq=7, payload=b'\\x01')"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (Frame(1, 1, bytes(node.MAX_PAYLOAD + 1)), "longer than 240"),
        (Frame(1, -1), "seq -1"),
        (Frame(1, 0x10000), "seq 65536"),
        (Frame(256, 1), "frame type 256"),
    ],
)
def test_encode_frame_rejects_out_of_range(frame: Frame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode_frame(frame)


@given(frames)
def test_frame_round_trip(frame: Frame) -> None:
    data = encode_frame(frame)
    assert data.endswith(b"\x00")
    assert 0 not in data[:-1]
    decoder = FrameDecoder()
    assert decoder.feed(data) == [frame]
    assert decoder.frames == 1
    assert decoder.rejected == {}


# The stream decoder -----------------------------------------------------------------------


def test_consecutive_delimiters_are_not_rejections() -> None:
    decoder = FrameDecoder()
    frame = Frame(node.TAG_READ, 5, b"abc")
    assert decoder.feed(b"\x00\x00" + encode_frame(frame) + b"\x00\x00\x00") == [frame]
    assert decoder.rejected == {}
    assert decoder.last_error is None


@pytest.mark.parametrize(
    ("chunk", "reason", "message"),
    [
        (b"\x05\x01\x02", "cobs", "bad COBS: code 0x05 at offset 0 runs past the end"),
        (b"\x02\x01\x01\x01\x01", "short", "frame of 4 bytes is shorter than 6"),
    ],
)
def test_rejections_are_counted_and_explained(chunk: bytes, reason: str, message: str) -> None:
    decoder = FrameDecoder()
    assert decoder.feed(chunk + b"\x00") == []
    assert decoder.rejected == {reason: 1}
    assert decoder.last_error.startswith(message)


def test_crc_mismatch_names_both_values() -> None:
    raw = bytes.fromhex("01020001000003e8") + b"\x12\x34"
    decoder = FrameDecoder()
    assert decoder.feed(node.cobs.encode(raw) + b"\x00") == []
    assert decoder.rejected == {"crc": 1}
    assert decoder.last_error == "crc mismatch: got 0x1234, computed 0x952a"


def test_other_protocol_version_is_rejected() -> None:
    raw = bytes.fromhex("02020001")
    raw += crc16(raw).to_bytes(2, "big")
    decoder = FrameDecoder()
    assert decoder.feed(node.cobs.encode(raw) + b"\x00") == []
    assert decoder.rejected == {"version": 1}
    assert decoder.last_error == "protocol version 2, expected 1"


def test_payload_over_the_limit_with_good_crc_is_rejected() -> None:
    raw = bytes.fromhex("01100001") + bytes(range(1, 242))  # 241-byte payload
    raw += crc16(raw).to_bytes(2, "big")
    decoder = FrameDecoder()
    assert decoder.feed(node.cobs.encode(raw) + b"\x00") == []
    assert decoder.rejected == {"overlong": 1}


def test_unknown_types_pass_through() -> None:
    frame = Frame(0x55, 9, b"future")
    assert FrameDecoder().feed(encode_frame(frame)) == [frame]


def test_run_without_delimiter_is_dropped_once_and_decoding_resumes() -> None:
    decoder = FrameDecoder()
    frame = Frame(node.TAG_READ, 3, b"uid")
    assert decoder.feed(b"\x01" * 700) == []
    assert decoder.feed(b"\x01" * 700) == []  # over the cap, across two feeds
    assert decoder.feed(b"\x01" * 3000) == []  # still the same run: not counted again
    assert decoder.feed(b"\x00" + encode_frame(frame)) == [frame]
    assert decoder.rejected == {"overlong": 1}
    assert decoder.last_error == "no delimiter within 1024 bytes"
    assert decoder.frames == 1


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=1500) | st.sampled_from([b"\x00", b"\x01" * 1100]), max_size=6))
def test_garbage_never_raises_and_every_chunk_is_accounted_for(pieces: list[bytes]) -> None:
    decoder = FrameDecoder()
    delivered = []
    for piece in [*pieces, b"\x00"]:
        delivered += decoder.feed(piece)
    assert len(delivered) == decoder.frames
    assert decoder.frames + sum(decoder.rejected.values()) == non_empty_chunks(b"".join(pieces))
    assert set(decoder.rejected) <= {"cobs", "short", "crc", "version", "overlong"}
    if decoder.rejected:
        assert isinstance(decoder.last_error, str)
        assert decoder.last_error


@given(frame_lists, st.lists(st.integers(0, 2000), max_size=8))
def test_chunk_boundaries_do_not_matter(items: list[Frame], cuts: list[int]) -> None:
    data = stream_of(items)
    bounds = sorted({min(c, len(data)) for c in cuts})
    decoder = FrameDecoder()
    delivered = []
    start = 0
    for end in [*bounds, len(data)]:
        delivered += decoder.feed(data[start:end])
        start = end
    assert delivered == items
    assert decoder.rejected == {}


# CRC-16 misses about one in 65536 errors that change more than a burst of 16 bits (a
# damaged COBS code byte or delimiter reshapes the frame); these two tests pin their examples
# (derandomize) so that such a coincidence cannot make them flaky: a failure is a real bug.


@settings(max_examples=300, derandomize=True)
@given(frame_lists, st.data())
def test_a_damaged_byte_loses_only_its_frame(items: list[Frame], data: st.DataObject) -> None:
    encoded = [encode_frame(f) for f in items]
    stream = b"".join(encoded)
    at = data.draw(st.integers(0, len(stream) - 1), label="at")
    value = data.draw(st.integers(0, 255).filter(lambda v: v != stream[at]), label="value")
    damaged = bytearray(stream)
    damaged[at] = value
    # which frame the byte belongs to, and whether it was that frame's delimiter
    start = 0
    hit = 0
    while at >= start + len(encoded[hit]):
        start += len(encoded[hit])
        hit += 1
    lost = {hit}
    if at == start + len(encoded[hit]) - 1:  # a delimiter gone: the next frame merges in
        lost.add(hit + 1)
    decoder = FrameDecoder()
    delivered = decoder.feed(bytes(damaged) + b"\x00")
    assert delivered == [f for i, f in enumerate(items) if i not in lost]
    assert sum(decoder.rejected.values()) >= 1


@settings(max_examples=300, derandomize=True)
@given(frame_lists, st.data())
def test_a_truncated_frame_is_rejected_and_the_next_one_delivered(
    items: list[Frame], data: st.DataObject
) -> None:
    encoded = [encode_frame(f) for f in items]
    last = len(items) - 1
    keep = data.draw(st.integers(1, len(encoded[last]) - 2), label="keep")  # lose >= 1 byte
    after = Frame(node.HEARTBEAT, 77, b"after")
    decoder = FrameDecoder()
    delivered = decoder.feed(b"".join(encoded[:last]) + encoded[last][:keep])
    assert delivered == items[:last]
    # the node reboots mid-frame: the line carries a delimiter, then new frames
    delivered = decoder.feed(b"\x00" + encode_frame(after))
    assert delivered == [after]
    assert sum(decoder.rejected.values()) == 1


# Payload codecs ---------------------------------------------------------------------------

short_text = st.text(max_size=40)


@given(st.integers(0, 0xFFFFFFFF), short_text, short_text)
def test_hello_round_trip(boot_id: int, kind: str, firmware: str) -> None:
    payload = node.hello_payload(boot_id, kind, firmware)
    assert node.parse_hello(payload) == (boot_id, kind, firmware)


@given(st.integers(0, 0xFFFFFFFF))
def test_heartbeat_round_trip(uptime_ms: int) -> None:
    assert node.parse_heartbeat(node.heartbeat_payload(uptime_ms)) == uptime_ms


@given(st.binary(min_size=1, max_size=32), st.integers(0, 255), st.integers(-128, 127))
def test_tag_read_round_trip(uid: bytes, antenna: int, rssi: int) -> None:
    assert node.parse_tag_read(node.tag_read_payload(uid, antenna, rssi)) == (uid, antenna, rssi)


@given(st.integers(0, 255), st.binary(max_size=239))
def test_command_round_trip(opcode: int, args: bytes) -> None:
    assert node.parse_command(node.command_payload(opcode, args)) == (opcode, args)


@given(st.integers(0, 0xFFFF), st.integers(0, 255), st.text(max_size=60))
def test_result_round_trip(ref_seq: int, status: int, detail: str) -> None:
    payload = node.result_payload(ref_seq, status, detail)
    assert node.parse_result(payload) == (ref_seq, status, detail)


def test_payload_layouts() -> None:
    assert node.hello_payload(0x01020304, "pad", "1.0") == b"\x01\x02\x03\x04\x03pad\x031.0"
    assert node.tag_read_payload(b"\xaa\xbb", 1, -40) == b"\x02\xaa\xbb\x01\xd8"
    assert node.tag_read_payload(b"\xaa") == b"\x01\xaa\x00\x00"
    assert node.command_payload(node.OP_IDENTIFY, (1500).to_bytes(2, "big")) == b"\x01\x05\xdc"
    assert node.result_payload(0x0102, 0, "ok") == b"\x01\x02\x00\x02ok"
    assert node.result_payload(7, 3) == b"\x00\x07\x03\x00"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: node.hello_payload(-1, "a", "b"), "boot_id -1"),
        (lambda: node.hello_payload(1, "a", "é" * 200), "longer than 255"),
        (lambda: node.hello_payload(1, "x" * 200, "y" * 200), "longer than 240"),
        (lambda: node.heartbeat_payload(1 << 32), "uptime_ms"),
        (lambda: node.tag_read_payload(b""), "uid must be 1..32 bytes"),
        (lambda: node.tag_read_payload(bytes(33)), "uid must be 1..32 bytes"),
        (lambda: node.tag_read_payload(b"\x01", rssi=128), "rssi 128"),
        (lambda: node.tag_read_payload(b"\x01", antenna=256), "antenna 256"),
        (lambda: node.command_payload(1, bytes(240)), "longer than 240"),
        (lambda: node.result_payload(1, 0, "x" * 237), "longer than 240"),
        (lambda: node.result_payload(0x10000, 0), "ref_seq"),
    ],
)
def test_payload_builders_reject_bad_values(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    ("parse", "payload", "message"),
    [
        (node.parse_hello, b"\x00\x00\x00", "HELLO payload of 3 bytes ends inside boot_id"),
        (node.parse_hello, b"\x00\x00\x00\x01\x05ab", "ends inside node_kind"),
        (node.parse_hello, b"\x00\x00\x00\x01\x01\xff\x00", "node_kind is not valid UTF-8"),
        (node.parse_hello, b"\x00\x00\x00\x01\x00\x00!", "1 unexpected trailing byte"),
        (node.parse_heartbeat, b"\x00\x00\x00\x00\x00", "trailing"),
        (node.parse_tag_read, b"\x00\x01\x02", "uid length 0 is not in 1..32"),
        (node.parse_tag_read, b"\x21" + bytes(35), "uid length 33"),
        (node.parse_tag_read, b"\x02\xaa\xbb\x01", "ends inside rssi"),
        (node.parse_command, b"", "ends inside opcode"),
        (node.parse_result, b"\x00\x01\x00", "ends inside detail length"),
    ],
)
def test_payload_parsers_reject_malformed(parse, payload: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(payload)


@given(st.binary(max_size=80))
def test_payload_parsers_raise_only_value_error(payload: bytes) -> None:
    for parse in (
        node.parse_hello,
        node.parse_heartbeat,
        node.parse_tag_read,
        node.parse_command,
        node.parse_result,
    ):
        with contextlib.suppress(ValueError):
            parse(payload)


# The acknowledged link --------------------------------------------------------------------


def ack_bytes(seq: int) -> bytes:
    return encode_frame(Frame(ACK, seq))


def test_send_deliver_ack() -> None:
    node_end, gateway = NodeLink(), NodeLink()
    data = node_end.send(node.TAG_READ, b"uid", 0.0)
    assert data == encode_frame(Frame(node.TAG_READ, 1, b"uid"))
    assert node_end.pending == 1
    assert node_end.last_sent_seq == 1
    delivered, to_write = gateway.receive(data, 0.01)
    assert delivered == [Frame(node.TAG_READ, 1, b"uid")]
    assert to_write == ack_bytes(1)
    assert node_end.receive(to_write, 0.02) == ([], b"")  # an ACK is not delivered nor acked
    assert node_end.pending == 0
    assert node_end.poll(10.0) == b""
    assert node_end.sent == 1
    assert node_end.retransmitted == 0


def test_duplicates_are_acked_again_but_delivered_once() -> None:
    node_end, gateway = NodeLink(), NodeLink()
    data = node_end.send(node.TAG_READ, b"uid", 0.0)
    assert len(gateway.receive(data, 0.0)[0]) == 1
    retransmission = node_end.poll(0.2)  # the ACK was lost
    assert retransmission == data
    assert gateway.receive(retransmission, 0.2) == ([], ack_bytes(1))
    assert gateway.duplicates == 1


def test_ack_for_an_unknown_seq_is_ignored() -> None:
    link = NodeLink()
    link.send(node.TAG_READ, b"a", 0.0)
    assert link.receive(ack_bytes(9), 0.0) == ([], b"")
    assert link.pending == 1


def test_acks_are_not_sent_through_send() -> None:
    with pytest.raises(ValueError, match="ACK"):
        NodeLink().send(ACK, b"", 0.0)


def test_deferred_ack() -> None:
    node_end, gateway = NodeLink(), NodeLink(auto_ack=False)
    first = node_end.send(node.TAG_READ, b"one", 0.0)
    second = node_end.send(node.TAG_READ, b"two", 0.0)
    delivered, to_write = gateway.receive(first + second, 0.0)
    assert [f.payload for f in delivered] == [b"one", b"two"]
    assert to_write == b""
    # not on disk yet: the node retransmits, the gateway neither delivers nor acks
    assert node_end.poll(0.25) == first + second
    assert gateway.receive(first + second, 0.25) == ([], b"")
    assert gateway.duplicates == 2
    assert node_end.pending == 2
    # the first is durable now
    assert node_end.receive(gateway.ack(1), 0.3) == ([], b"")
    assert node_end.pending == 1
    # a late copy of the first is acked at once; the second is still waiting
    assert gateway.receive(first + second, 0.35) == ([], ack_bytes(1))
    node_end.receive(gateway.ack(2), 0.4)
    assert node_end.pending == 0
    assert gateway.receive(second, 0.5) == ([], ack_bytes(2))


def boot(link: NodeLink, gateway: NodeLink, boot_id: int, now: float) -> list[Frame]:
    """The node says HELLO and the gateway acknowledges it -> what the gateway delivered."""
    hello = link.send(node.HELLO, node.hello_payload(boot_id, "pad", "1.0"), now)
    delivered, ack = gateway.receive(hello, now)
    assert link.receive(ack, now) == ([], b"")
    return delivered


def test_hello_resets_duplicate_detection() -> None:
    gateway = NodeLink()
    before = NodeLink()
    assert len(boot(before, gateway, 1111, 0.0)) == 1
    tags = before.send(node.TAG_READ, b"a", 0.0) + before.send(node.TAG_READ, b"b", 0.0)
    assert [f.seq for f in gateway.receive(tags, 0.0)[0]] == [2, 3]
    # the node reboots: its seqs restart at 1, its new HELLO clears the gateway's memory
    after = NodeLink()
    delivered = boot(after, gateway, 2222, 1.0)
    assert [(f.type, f.seq) for f in delivered] == [(node.HELLO, 1)]
    assert node.parse_hello(delivered[0].payload)[0] == 2222
    delivered, to_write = gateway.receive(after.send(node.TAG_READ, b"c", 1.0), 1.0)
    assert delivered == [Frame(node.TAG_READ, 2, b"c")]
    assert to_write == ack_bytes(2)


def test_a_frame_from_before_a_reboot_is_not_acknowledged_after_it() -> None:
    gateway = NodeLink(auto_ack=False)
    before = NodeLink(first_seq=5)
    assert len(gateway.receive(before.send(node.TAG_READ, b"a", 0.0), 0.0)[0]) == 1
    # the node reboots while that read is on its way to disk
    after = NodeLink()
    hello = after.send(node.HELLO, node.hello_payload(2222, "pad", "1.0"), 1.0)
    assert len(gateway.receive(hello, 1.0)[0]) == 1
    assert after.send(node.TAG_READ, b"b", 1.0) == b""  # seq 2, held behind the HELLO
    # an ACK for the old seq would clear whatever the new boot sends as seq 5
    assert gateway.ack(5) == b""
    assert gateway.ack(9) == b""  # never delivered
    assert gateway.ack(1) == ack_bytes(1)  # the HELLO's


def test_without_hello_a_restarted_peer_looks_like_duplicates() -> None:
    gateway = NodeLink()
    gateway.receive(NodeLink().send(node.TAG_READ, b"a", 0.0), 0.0)
    delivered, to_write = gateway.receive(NodeLink().send(node.TAG_READ, b"b", 1.0), 1.0)
    assert delivered == []
    assert to_write == ack_bytes(1)


def test_frames_wait_for_the_hello_to_be_acknowledged() -> None:
    node_end, gateway = NodeLink(retransmit_after=0.25), NodeLink(auto_ack=False)
    hello = node_end.send(node.HELLO, node.hello_payload(1111, "pad", "1.0"), 0.0)
    assert node_end.send(node.TAG_READ, b"a", 0.0) == b""
    assert node_end.send(node.TAG_READ, b"b", 0.0) == b""
    assert node_end.pending == 3
    assert node_end.last_sent_seq == 3
    assert node_end.poll(0.25) == hello  # only the HELLO is on a timer
    delivered, to_write = gateway.receive(hello + hello, 0.25)
    assert [f.type for f in delivered] == [node.HELLO]
    assert to_write == b""
    # acknowledged: the held frames go out, in order
    delivered, to_write = node_end.receive(gateway.ack(1), 0.375)
    tags = encode_frame(Frame(node.TAG_READ, 2, b"a")) + encode_frame(Frame(node.TAG_READ, 3, b"b"))
    assert (delivered, to_write) == ([], tags)
    assert node_end.send(node.TAG_READ, b"c", 0.375) == encode_frame(Frame(node.TAG_READ, 4, b"c"))
    assert [f.seq for f in gateway.receive(tags, 0.375)[0]] == [2, 3]
    # a late copy of the same HELLO is a retransmission, not a reboot: nothing is forgotten
    delivered, to_write = gateway.receive(hello + tags, 0.5)
    assert delivered == []
    assert to_write == ack_bytes(1)  # 2 and 3 are not on disk yet
    assert gateway.duplicates == 4
    assert node_end.poll(0.5) == b""
    assert node_end.poll(0.625) == tags + encode_frame(Frame(node.TAG_READ, 4, b"c"))


def test_frames_held_behind_a_hello_go_out_when_it_is_given_up() -> None:
    link = NodeLink(retransmit_after=0.25, max_retries=1)
    hello = link.send(node.HELLO, node.hello_payload(1, "pad", "1.0"), 0.0)
    assert link.send(node.TAG_READ, b"a", 0.0) == b""
    assert link.poll(0.25) == hello
    assert link.poll(0.75) == encode_frame(Frame(node.TAG_READ, 2, b"a"))
    assert link.given_up == [(node.HELLO, 1)]
    assert link.pending == 1


def test_window_full_raises_link_busy() -> None:
    link = NodeLink(window=3)
    for _ in range(3):
        link.send(node.TAG_READ, b"x", 0.0)
    with pytest.raises(node.LinkBusy):
        link.send(node.TAG_READ, b"x", 0.0)
    assert link.sent == 3
    assert link.last_sent_seq == 3
    link.receive(ack_bytes(2), 0.1)
    assert link.send(node.TAG_READ, b"x", 0.1) == encode_frame(Frame(node.TAG_READ, 4, b"x"))


def test_seq_wraps_past_65535_to_1() -> None:
    sender, receiver = NodeLink(first_seq=65534), NodeLink()
    sent = [sender.send(node.TAG_READ, bytes([i]), 0.0) for i in range(4)]
    delivered, to_write = receiver.receive(b"".join(sent), 0.0)
    assert [f.seq for f in delivered] == [65534, 65535, 1, 2]
    sender.receive(to_write, 0.0)
    assert sender.pending == 0


def test_seq_wraps_without_reusing_a_remembered_seq() -> None:
    sender, receiver = NodeLink(first_seq=65535 - 300), NodeLink()
    seen = []
    for i in range(600):
        delivered, to_write = receiver.receive(sender.send(node.TAG_READ, b"", i), i)
        sender.receive(to_write, i)
        seen += [f.seq for f in delivered]
    assert len(seen) == 600
    assert 0 not in seen
    assert seen[300:302] == [65535, 1]


def test_retransmission_backoff_and_giving_up() -> None:
    link = NodeLink(retransmit_after=0.125, max_retries=3)
    data = link.send(node.TAG_READ, b"x", 0.0)
    timeline = [(0.1, b""), (0.125, data), (0.37, b""), (0.375, data), (0.87, b"")]
    timeline += [(0.875, data), (1.87, b""), (1.875, b"")]
    for now, expected in timeline:
        assert link.poll(now) == expected, now
    assert link.pending == 0
    assert link.given_up == [(node.TAG_READ, 1)]
    assert link.retransmitted == 3
    assert link.poll(100.0) == b""


def test_backoff_is_capped_at_two_seconds_and_never_overflows() -> None:
    link = NodeLink(retransmit_after=0.5, max_retries=1_000_000)
    data = link.send(node.TAG_READ, b"x", 0.0)
    times = []
    now = 0.0
    while len(times) < 2000:
        now += 0.25
        if link.poll(now) == data:
            times.append(now)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[:3] == [0.5, 1.5, 3.5]
    assert all(gap == 2.0 for gap in gaps[2:])
    assert link.pending == 1


def test_retransmissions_come_in_send_order() -> None:
    link = NodeLink(retransmit_after=0.25)
    a = link.send(node.TAG_READ, b"a", 0.0)
    b = link.send(node.TAG_READ, b"b", 0.125)
    c = link.send(node.TAG_READ, b"c", 0.25)
    assert link.poll(0.25) == a
    assert link.poll(0.375) == b
    assert link.poll(1.0) == a + b + c


# Two links back to back through a bad line --------------------------------------------------

DISK_LATENCY = 0.15  # deferred mode: a retransmission (after 0.1 s) arrives before the ack
LINE_OPS = st.sampled_from(["deliver", "deliver", "drop", "burst", "duplicate", "corrupt", "delay"])


def cobs_data_positions(chunk: bytes) -> list[int]:
    """Offsets of data bytes (not code bytes) in a COBS chunk."""
    positions, at = [], 0
    while at < len(chunk):
        positions.extend(range(at + 1, at + chunk[at]))
        at += chunk[at]
    return positions


class BadLine:
    """Carries frames with latency; drops, duplicates, delays (reorders) or damages them.

    A burst drops this frame and the next n % 8, whichever way they go (a loose connector).

    Damage changes one COBS data byte to another non-zero value: a single-byte error in the
    frame, which CRC-16 always detects (other damage is covered by the decoder tests). Once
    its ops run out, the line is good. `watch` sees every frame as written.
    """

    def __init__(self, ops: list[tuple[str, int]], watch) -> None:
        self.ops = list(ops)
        self.watch = watch
        self.in_flight: list[tuple[float, int, str, bytes]] = []
        self.order = 0
        self.lost = 0  # frames dropped or damaged
        self.burst = 0  # frames the current burst will still drop

    def write(self, to: str, data: bytes, now: float) -> None:
        for chunk in data.split(b"\x00")[:-1]:
            frame = chunk + b"\x00"
            self.watch(to, frame)
            if self.burst:
                self.burst -= 1
                self.lost += 1
                continue
            op, n = self.ops.pop(0) if self.ops else ("deliver", 0)
            if op == "burst":
                self.burst = n % 8
            if op in ("drop", "burst"):
                self.lost += 1
                continue
            self.lost += op == "corrupt"
            if op == "corrupt":
                positions = cobs_data_positions(chunk)
                at = positions[n % len(positions)]
                damaged = bytearray(frame)
                damaged[at] = (damaged[at] + n % 254) % 255 + 1
                frame = bytes(damaged)
            delays = {"duplicate": [0.01, 0.3], "delay": [0.5]}.get(op, [0.01])
            for delay in delays:
                self.order += 1
                self.in_flight.append((now + delay, self.order, to, frame))

    def due(self, now: float) -> list[tuple[str, bytes]]:
        ready = sorted(item for item in self.in_flight if item[0] <= now)
        self.in_flight = [item for item in self.in_flight if item[0] > now]
        return [(to, frame) for _, _, to, frame in ready]


@settings(max_examples=150, deadline=None)
@given(
    ops=st.lists(st.tuples(LINE_OPS, st.integers(0, 1000)), max_size=120),
    node_frames=st.integers(1, 25),
    commands=st.integers(0, 4),
    deferred=st.booleans(),
)
def test_exactly_once_over_a_bad_line(
    ops: list[tuple[str, int]], node_frames: int, commands: int, deferred: bool
) -> None:
    retries = 4  # the last wait, 1.6 s, outlasts any round trip on this line
    links = {
        "node": NodeLink(retransmit_after=0.1, max_retries=retries, window=4),
        "gateway": NodeLink(
            retransmit_after=0.1, max_retries=retries, window=4, auto_ack=not deferred
        ),
    }
    other = {"node": "gateway", "gateway": "node"}
    outgoing = {
        "node": [(node.HELLO, node.hello_payload(7, "pad", "1.0"))]
        + [(node.TAG_READ, b"tag %d" % i) for i in range(node_frames)],
        "gateway": [(node.COMMAND, node.command_payload(1, b"%d" % i)) for i in range(commands)],
    }
    sent = {"node": {}, "gateway": {}}  # sender -> seq -> (type, payload)
    delivered = {"node": [], "gateway": []}  # receiver -> frames
    to_ack: list[tuple[float, int]] = []  # (when it is on disk, seq)
    on_disk: set[int] = set()

    def watch(to: str, frame: bytes) -> None:
        if deferred and to == "node":
            for f in FrameDecoder().feed(frame):
                if f.type == ACK:
                    assert f.seq in on_disk, f"seq {f.seq} acknowledged before it was on disk"

    line = BadLine(ops, watch)
    now = 0.0
    for _ in range(2000):
        now = round(now + 0.05, 2)
        for name, link in links.items():
            if outgoing[name] and link.pending < link.window:
                kind, payload = outgoing[name].pop(0)
                line.write(other[name], link.send(kind, payload, now), now)
                sent[name][link.last_sent_seq] = (kind, payload)
        while to_ack and to_ack[0][0] <= now:  # the gateway's event is on disk now
            seq = to_ack.pop(0)[1]
            on_disk.add(seq)
            line.write("node", links["gateway"].ack(seq), now)
        for to, frame in line.due(now):
            got, reply = links[to].receive(frame, now)
            line.write(other[to], reply, now)
            delivered[to] += got
            if to == "gateway" and deferred:
                to_ack += [(now + DISK_LATENCY, f.seq) for f in got]
        for name, link in links.items():
            line.write(other[name], link.poll(now), now)
        quiet = not line.in_flight and not to_ack
        if quiet and not any(outgoing.values()) and not any(x.pending for x in links.values()):
            break
    else:
        pytest.fail("the links never settled")

    for sender, receiver in (("node", "gateway"), ("gateway", "node")):
        got = [(f.seq, f.type, f.payload) for f in delivered[receiver]]
        assert len({seq for seq, _, _ in got}) == len(got), "a frame was delivered twice"
        for seq, kind, payload in got:
            assert sent[sender][seq] == (kind, payload), "a frame arrived altered"
        given_up = {seq for _, seq in links[sender].given_up}
        for seq in sent[sender]:
            if seq not in given_up:
                assert seq in {s for s, _, _ in got}, f"seq {seq} was lost"
        assert links[sender].sent == len(sent[sender])
    if not deferred:
        # giving a frame up takes retries + 1 transmissions that each lost the frame or its ACK
        given_up = len(links["node"].given_up) + len(links["gateway"].given_up)
        assert given_up * (retries + 1) <= line.lost, "gave up on a frame the line did not lose"


# The modules the nodes run ----------------------------------------------------------------

PACKAGE = Path(node.__file__).parent
ON_THE_NODE = ("node.py", "cobs.py", "crc.py")  # must load under MicroPython


@pytest.mark.parametrize("name", ON_THE_NODE)
def test_node_modules_stay_in_the_micropython_subset(name: str) -> None:
    tree = ast.parse((PACKAGE / name).read_text())
    assert ast.get_docstring(tree)
    for item in ast.walk(tree):
        where = f"{name}:{getattr(item, 'lineno', '?')}"
        assert not isinstance(item, ast.Import), f"{where}: import of a host module"
        if isinstance(item, ast.ImportFrom):
            assert item.module in ("firmware_bridge", "firmware_bridge.crc"), where
        assert not isinstance(item, (ast.JoinedStr, ast.NamedExpr, ast.AnnAssign)), where
        if isinstance(item, ast.arg):
            assert item.annotation is None, f"{where}: annotation"
        if isinstance(item, ast.FunctionDef):
            assert item.returns is None, f"{where}: annotation"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_the_package_needs_only_the_standard_library(path: Path) -> None:
    tree = ast.parse(path.read_text())
    assert ast.get_docstring(tree), "every module says what it is for"
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            names = [alias.name for alias in item.names]
        elif isinstance(item, ast.ImportFrom):
            names = [item.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top == "firmware_bridge", f"imports {name}"
