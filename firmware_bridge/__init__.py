"""The node protocol between reader nodes and the gateway that reads them over a serial line.

Sans-I/O and standard library only: `node` (frames, payloads, the acknowledged link),
`cobs` and `crc` (its framing), `rdm6300` (off-the-shelf 125 kHz card readers).
"""
