"""Codec for RDM6300-style 125 kHz card readers, which stream bare ASCII frames.

Frame: STX (0x02) | 10 hex chars (version/vendor byte + 4-byte card id) | 2 hex chars
(XOR of the 5 bytes) | ETX (0x03). Readers repeat a held card every ~100 ms; no debouncing here.
"""

from __future__ import annotations

STX = 0x02
ETX = 0x03
_BODY = 12  # 10 data + 2 checksum hex chars
_HEX = frozenset(b"0123456789abcdefABCDEF")


def _checksum(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def encode_card(card: str) -> bytes:
    """10 hex chars (any case) -> the reader's frame for that card; ValueError otherwise."""
    if not isinstance(card, str) or len(card) != 10 or not set(card.encode()) <= _HEX:
        raise ValueError(f"card must be 10 hex characters, not {card!r}")
    card = card.upper()
    checksum = _checksum(bytes.fromhex(card))
    return bytes((STX,)) + card.encode("ascii") + b"%02X" % checksum + bytes((ETX,))


class CardFrameDecoder:
    """Reader bytes -> card ids (10 upper-case hex chars); never raises.

    Counters: `frames` (good frames), `rejected` (reason -> count: "checksum", "not-hex",
    "length", and "noise" once per run of bytes outside a STX..ETX frame), `last_error`.
    A STX always starts a new frame, so the decoder resynchronises after any garbage.
    """

    def __init__(self) -> None:
        self.frames = 0
        self.rejected: dict[str, int] = {}
        self.last_error: str | None = None
        self._body: bytearray | None = None  # inside a frame: the bytes after its STX
        self._in_noise = False  # the previous byte outside a frame was noise
        self._discarding = False  # inside a frame already rejected as too long

    def feed(self, data: bytes) -> list[str]:
        cards: list[str] = []
        for byte in bytes(data):
            if byte == STX:
                if self._body is not None:
                    self._reject("length", f"frame cut short after {len(self._body)} characters")
                self._body = bytearray()
                self._in_noise = self._discarding = False
            elif self._discarding:
                if byte == ETX:
                    self._discarding = False
            elif self._body is None:
                if not self._in_noise:
                    self._reject("noise", f"stray byte 0x{byte:02x} outside a frame")
                    self._in_noise = True
            elif byte == ETX:
                card = self._finish(bytes(self._body))
                self._body = None
                if card is not None:
                    cards.append(card)
            else:
                self._body.append(byte)
                if len(self._body) > _BODY:
                    self._reject("length", f"no ETX within {_BODY} characters after STX")
                    self._body = None
                    self._discarding = True
        return cards

    def _finish(self, body: bytes) -> str | None:
        if len(body) != _BODY:
            self._reject("length", f"frame of {len(body)} characters, expected {_BODY}")
            return None
        if not set(body) <= _HEX:
            self._reject("not-hex", f"frame holds non-hex characters: {body!r}")
            return None
        data = bytes.fromhex(body[:10].decode("ascii"))
        got = int(body[10:], 16)
        computed = _checksum(data)
        if got != computed:
            message = f"checksum mismatch: got 0x{got:02x}, computed 0x{computed:02x}"
            self._reject("checksum", message)
            return None
        self.frames += 1
        return body[:10].decode("ascii").upper()

    def _reject(self, reason: str, message: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        self.last_error = message
