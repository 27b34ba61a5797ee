"""The node protocol: CRC-checked, COBS-framed frames and the acknowledged link over them.

Sans-I/O and MicroPython-compatible: bytes in, bytes out, the caller passes the time.
"""

from firmware_bridge import cobs
from firmware_bridge.crc import crc16

PROTOCOL_VERSION = 1

# Frame types
HELLO = 0x01  # node -> gateway at boot: boot id, node kind, firmware
HEARTBEAT = 0x02  # node -> gateway: uptime
TAG_READ = 0x10  # node -> gateway: a tag entered the field
COMMAND = 0x20  # gateway -> node: opcode and arguments
RESULT = 0x21  # node -> gateway: the outcome of a COMMAND
ACK = 0x7F  # either way: the frame's seq is the acknowledged seq; empty payload

# COMMAND opcodes
OP_IDENTIFY = 0x01  # blink/beep; args = u16 milliseconds

MAX_PAYLOAD = 240
MAX_BUFFER = 1024  # bytes accepted without a delimiter before the run is dropped as "overlong"
MAX_BACKOFF = 2.0  # seconds: the ceiling of the exponential retransmission backoff
MAX_UID = 32

_HEADER = 4  # version, type, seq (u16)
_OVERHEAD = _HEADER + 2  # + crc16


class LinkBusy(Exception):
    """The link already has `window` unacknowledged frames; send again after some are acked."""


class Frame:
    """One frame: `type` (u8), `seq` (u16) and `payload` (bytes, at most MAX_PAYLOAD)."""

    __slots__ = ("payload", "seq", "type")

    def __init__(self, type, seq, payload=b""):
        self.type = type
        self.seq = seq
        self.payload = bytes(payload)

    def __eq__(self, other):
        if not isinstance(other, Frame):
            return NotImplemented
        return self.type == other.type and self.seq == other.seq and self.payload == other.payload

    def __ne__(self, other):
        equal = self.__eq__(other)
        if equal is NotImplemented:
            return equal
        return not equal

    __hash__ = None

    def __repr__(self):
        return "Frame(type=0x%02x, seq=%d, payload=%r)" % (self.type, self.seq, self.payload)


def encode_frame(frame):
    """Frame -> bytes to write: COBS(version|type|seq|payload|crc16) followed by 0x00.

    Raises ValueError if the type, seq or payload length is out of range.
    """
    if not 0 <= frame.type <= 0xFF:
        raise ValueError("frame type %r is not in 0..255" % (frame.type,))
    if not 0 <= frame.seq <= 0xFFFF:
        raise ValueError("seq %r is not in 0..65535" % (frame.seq,))
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(
            "payload of %d bytes is longer than %d" % (len(frame.payload), MAX_PAYLOAD)
        )
    raw = bytearray((PROTOCOL_VERSION, frame.type))
    raw.extend(frame.seq.to_bytes(2, "big"))
    raw.extend(frame.payload)
    raw.extend(crc16(raw).to_bytes(2, "big"))
    return cobs.encode(raw) + b"\x00"


class FrameDecoder:
    """Splits a byte stream on 0x00 delimiters into frames; never raises.

    Counters: `frames` (good frames), `rejected` (reason -> count; reasons "cobs", "short",
    "crc", "version", "overlong") and `last_error` (the last rejection, in words, or None).
    Empty chunks (consecutive delimiters) are skipped, not rejected. Frames of unknown type
    are passed through.
    """

    def __init__(self):
        self.frames = 0
        self.rejected = {}
        self.last_error = None
        self._buffer = bytearray()
        self._skipping = False  # inside an overlong run: drop bytes until the next delimiter

    def feed(self, data):
        """Bytes from the line -> list of Frames completed by them (possibly empty)."""
        data = bytes(data)
        frames = []
        buffer = self._buffer
        start = 0
        n = len(data)
        while start < n:
            delimiter = data.find(b"\x00", start)
            end = n if delimiter < 0 else delimiter
            if self._skipping:
                if delimiter >= 0:
                    self._skipping = False
            else:
                buffer.extend(data[start:end])
                if len(buffer) > MAX_BUFFER:
                    self._reject("overlong", "no delimiter within %d bytes" % MAX_BUFFER)
                    self._buffer = buffer = bytearray()
                    self._skipping = delimiter < 0
                elif delimiter >= 0 and buffer:
                    frame = self._decode(bytes(buffer))
                    self._buffer = buffer = bytearray()
                    if frame is not None:
                        frames.append(frame)
            if delimiter < 0:
                break
            start = delimiter + 1
        return frames

    def _decode(self, chunk):
        try:
            raw = cobs.decode(chunk)
        except ValueError as error:
            self._reject("cobs", "bad COBS: %s" % error)
            return None
        if len(raw) < _OVERHEAD:
            self._reject("short", "frame of %d bytes is shorter than %d" % (len(raw), _OVERHEAD))
            return None
        got = int.from_bytes(raw[-2:], "big")
        computed = crc16(raw[:-2])
        if got != computed:
            self._reject("crc", "crc mismatch: got 0x%04x, computed 0x%04x" % (got, computed))
            return None
        if raw[0] != PROTOCOL_VERSION:
            self._reject("version", "protocol version %d, expected %d" % (raw[0], PROTOCOL_VERSION))
            return None
        if len(raw) - _OVERHEAD > MAX_PAYLOAD:
            self._reject(
                "overlong",
                "payload of %d bytes is longer than %d" % (len(raw) - _OVERHEAD, MAX_PAYLOAD),
            )
            return None
        self.frames += 1
        return Frame(raw[1], int.from_bytes(raw[2:4], "big"), raw[_HEADER:-2])

    def _reject(self, reason, message):
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        self.last_error = message


# Payload codecs --------------------------------------------------------------------------


def _check_int(value, low, high, what):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError("%s %r is not in %d..%d" % (what, value, low, high))


def _text(value, what):
    if not isinstance(value, str):
        raise ValueError("%s must be a str, not %r" % (what, value))
    data = value.encode("utf-8")
    if len(data) > 0xFF:
        raise ValueError("%s is %d bytes of UTF-8, longer than 255" % (what, len(data)))
    return bytes((len(data),)) + data


def _fits(payload, what):
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(
            "%s payload of %d bytes is longer than %d" % (what, len(payload), MAX_PAYLOAD)
        )
    return payload


class _Reader:
    """Reads fields off a payload, raising ValueError that names the frame type."""

    def __init__(self, payload, what):
        self.data = bytes(payload)
        self.what = what
        self.at = 0

    def take(self, n, field):
        end = self.at + n
        if end > len(self.data):
            raise ValueError(
                "%s payload of %d bytes ends inside %s" % (self.what, len(self.data), field)
            )
        out = self.data[self.at : end]
        self.at = end
        return out

    def uint(self, n, field):
        return int.from_bytes(self.take(n, field), "big")

    def text(self, field):
        data = self.take(self.uint(1, field + " length"), field)
        try:
            return data.decode("utf-8")
        except ValueError:  # UnicodeDecodeError (CPython), UnicodeError (MicroPython)
            raise ValueError("%s %s is not valid UTF-8: %r" % (self.what, field, data)) from None

    def end(self):
        extra = len(self.data) - self.at
        if extra:
            raise ValueError("%s payload has %d unexpected trailing byte(s)" % (self.what, extra))


def hello_payload(boot_id, node_kind, firmware):
    """boot_id (u32, different on every boot), node_kind (str), firmware (str) -> bytes."""
    _check_int(boot_id, 0, 0xFFFFFFFF, "boot_id")
    payload = boot_id.to_bytes(4, "big") + _text(node_kind, "node_kind")
    payload += _text(firmware, "firmware")
    return _fits(payload, "HELLO")


def parse_hello(payload):
    """bytes -> (boot_id, node_kind, firmware); ValueError if malformed."""
    r = _Reader(payload, "HELLO")
    boot_id = r.uint(4, "boot_id")
    node_kind = r.text("node_kind")
    firmware = r.text("firmware")
    r.end()
    return boot_id, node_kind, firmware


def heartbeat_payload(uptime_ms):
    """uptime_ms (u32, wraps after ~49.7 days) -> bytes."""
    _check_int(uptime_ms, 0, 0xFFFFFFFF, "uptime_ms")
    return uptime_ms.to_bytes(4, "big")


def parse_heartbeat(payload):
    """bytes -> uptime_ms; ValueError if malformed."""
    r = _Reader(payload, "HEARTBEAT")
    uptime_ms = r.uint(4, "uptime_ms")
    r.end()
    return uptime_ms


def tag_read_payload(uid, antenna=0, rssi=0):
    """uid (1..32 bytes), antenna (u8), rssi (i8, dBm) -> bytes."""
    if not isinstance(uid, (bytes, bytearray)) or not 1 <= len(uid) <= MAX_UID:
        raise ValueError("uid must be 1..%d bytes, not %r" % (MAX_UID, uid))
    _check_int(antenna, 0, 0xFF, "antenna")
    _check_int(rssi, -128, 127, "rssi")
    return bytes((len(uid),)) + bytes(uid) + bytes((antenna, rssi & 0xFF))


def parse_tag_read(payload):
    """bytes -> (uid, antenna, rssi); ValueError if malformed."""
    r = _Reader(payload, "TAG_READ")
    length = r.uint(1, "uid length")
    if not 1 <= length <= MAX_UID:
        raise ValueError("TAG_READ uid length %d is not in 1..%d" % (length, MAX_UID))
    uid = r.take(length, "uid")
    antenna = r.uint(1, "antenna")
    rssi = r.uint(1, "rssi")
    r.end()
    if rssi > 127:
        rssi -= 256
    return uid, antenna, rssi


def command_payload(opcode, args=b""):
    """opcode (u8, e.g. OP_IDENTIFY), args (bytes) -> bytes."""
    _check_int(opcode, 0, 0xFF, "opcode")
    return _fits(bytes((opcode,)) + bytes(args), "COMMAND")


def parse_command(payload):
    """bytes -> (opcode, args); ValueError if malformed."""
    r = _Reader(payload, "COMMAND")
    opcode = r.uint(1, "opcode")
    return opcode, r.data[1:]


def result_payload(ref_seq, status, detail=""):
    """ref_seq (u16, the COMMAND's seq), status (u8, 0 = ok), detail (str) -> bytes."""
    _check_int(ref_seq, 0, 0xFFFF, "ref_seq")
    _check_int(status, 0, 0xFF, "status")
    payload = ref_seq.to_bytes(2, "big") + bytes((status,)) + _text(detail, "detail")
    return _fits(payload, "RESULT")


def parse_result(payload):
    """bytes -> (ref_seq, status, detail); ValueError if malformed."""
    r = _Reader(payload, "RESULT")
    ref_seq = r.uint(2, "ref_seq")
    status = r.uint(1, "status")
    detail = r.text("detail")
    r.end()
    return ref_seq, status, detail


# The acknowledged link -------------------------------------------------------------------


class NodeLink:
    """Reliable delivery over a lossy line; the same class runs on the node and the gateway.

    Every data frame (anything but ACK) gets the next seq (1..65535, then 1 again; 0 is
    never used), is kept until the peer acknowledges it and is retransmitted by `poll` with
    exponential backoff; after `max_retries` retransmissions it is given up (`given_up`).
    Received data frames are acknowledged and delivered once: a retransmitted duplicate is
    acknowledged again but not delivered again. A HELLO means the peer rebooted and restarted
    its seqs, so it clears the memory of seen seqs -- unless it repeats the last HELLO exactly
    (same seq and payload): that is a retransmission. A node must therefore send a boot_id
    that differs from one boot to the next, and send HELLO first. Frames sent while a HELLO
    is unacknowledged are held back (`send` returns b"") and written once it is acknowledged
    (by `receive`) or given up (by `poll`): were they to overtake it, a lost HELLO would leave
    the peer taking them for duplicates of the previous boot's frames, or a late one would
    make it forget them and deliver their retransmissions twice.

    With `auto_ack=False` no data frame is acknowledged until the caller calls `ack(seq)`,
    e.g. once the frame's effect is on disk; until then its duplicates get no answer.
    """

    def __init__(
        self,
        retransmit_after=0.2,
        max_retries=5,
        window=32,
        auto_ack=True,
        first_seq=1,
        remember=256,
    ):
        _check_int(window, 1, 0x7FFF, "window")
        _check_int(first_seq, 1, 0xFFFF, "first_seq")
        _check_int(remember, 1, 0x7FFF, "remember")
        if remember < window:
            raise ValueError("remember (%d) must be at least window (%d)" % (remember, window))
        self.retransmit_after = retransmit_after
        self.max_retries = max_retries
        self.window = window
        self.auto_ack = auto_ack
        self.decoder = FrameDecoder()
        self.sent = 0  # data frames sent (first transmissions)
        self.retransmitted = 0
        self.duplicates = 0  # duplicate data frames received
        self.given_up = []  # (type, seq) of frames dropped after max_retries; caller may clear
        self.last_sent_seq = 0  # seq of the last frame `send` assigned (0: none yet)
        self._next_seq = first_seq
        self._unacked = []  # [type, seq, encoded bytes, retries, due or None if held]
        self._remember = remember
        self._seen = {}  # seq -> True once acknowledged
        self._seen_order = [None] * remember  # ring of seen seqs, oldest overwritten
        self._seen_at = 0
        self._last_hello = None  # (seq, payload) of the last HELLO received

    @property
    def pending(self):
        """Number of frames sent and not yet acknowledged."""
        return len(self._unacked)

    def send(self, type, payload, now):
        """Queue a data frame -> the bytes to write. Raises LinkBusy when the window is full.

        Returns b"" while a HELLO is unacknowledged: the frame is written after it.
        """
        if type == ACK:
            raise ValueError("ACK frames are written by the link itself, not sent")
        if len(self._unacked) >= self.window:
            raise LinkBusy("%d frames are waiting for an acknowledgement" % len(self._unacked))
        seq = self._next_seq
        data = encode_frame(Frame(type, seq, payload))
        self._next_seq = 1 if seq >= 0xFFFF else seq + 1
        held = type != HELLO and self._hello_pending()
        self._unacked.append([type, seq, data, 0, None if held else now + self.retransmit_after])
        self.sent += 1
        self.last_sent_seq = seq
        return b"" if held else data

    def receive(self, data, now):
        """Bytes from the line -> (frames delivered for the first time, bytes to write).

        The bytes to write are ACKs, and frames released by the ACK of a HELLO.
        """
        delivered = []
        out = bytearray()
        for frame in self.decoder.feed(data):
            seq = frame.seq
            if frame.type == ACK:
                self._acknowledged(seq, now, out)
                continue
            if frame.type == HELLO:
                hello = (seq, frame.payload)
                if hello != self._last_hello or seq not in self._seen:
                    self._forget()
                    self._last_hello = hello
            acked = self._seen.get(seq)
            if acked is None:
                self._remember_seq(seq, self.auto_ack)
                delivered.append(frame)
                if self.auto_ack:
                    out.extend(encode_frame(Frame(ACK, seq)))
            else:
                self.duplicates += 1
                if acked:
                    out.extend(encode_frame(Frame(ACK, seq)))
        return delivered, bytes(out)

    def ack(self, seq):
        """Acknowledge a delivered frame now (for auto_ack=False) -> the bytes to write.

        Returns b"" for a seq this link does not remember delivering: after the peer's HELLO
        its old seqs are forgotten, and acknowledging one would clear a new frame instead.
        """
        if seq not in self._seen:
            return b""
        self._seen[seq] = True
        return encode_frame(Frame(ACK, seq))

    def poll(self, now):
        """Retransmissions due at `now` -> the bytes to write (b"" if none). Never raises."""
        out = bytearray()
        keep = []
        release = False
        for entry in self._unacked:
            if entry[4] is not None and now >= entry[4]:
                if entry[3] >= self.max_retries:
                    self.given_up.append((entry[0], entry[1]))
                    release = release or entry[0] == HELLO
                    continue
                entry[3] += 1
                entry[4] = now + self._backoff(entry[3])
                out.extend(entry[2])
                self.retransmitted += 1
            keep.append(entry)
        self._unacked = keep
        if release:
            self._release(now, out)
        return bytes(out)

    def _backoff(self, retries):
        ceiling = max(MAX_BACKOFF, self.retransmit_after)
        if retries >= 16:  # 2**16 * anything sensible is past the ceiling; avoid huge ints
            return ceiling
        return min(self.retransmit_after * (1 << retries), ceiling)

    def _acknowledged(self, seq, now, out):
        for i in range(len(self._unacked)):
            if self._unacked[i][1] == seq:
                entry = self._unacked.pop(i)
                if entry[0] == HELLO:
                    self._release(now, out)
                return

    def _hello_pending(self):
        return any(entry[0] == HELLO for entry in self._unacked)

    def _release(self, now, out):
        """Write the frames held behind a HELLO, unless another HELLO is still unacknowledged."""
        if self._hello_pending():
            return
        for entry in self._unacked:
            if entry[4] is None:
                entry[4] = now + self.retransmit_after
                out.extend(entry[2])

    def _remember_seq(self, seq, acked):
        old = self._seen_order[self._seen_at]
        if old is not None:
            self._seen.pop(old, None)
        self._seen_order[self._seen_at] = seq
        self._seen_at = (self._seen_at + 1) % self._remember
        self._seen[seq] = acked

    def _forget(self):
        self._seen = {}
        self._seen_order = [None] * self._remember
        self._seen_at = 0
