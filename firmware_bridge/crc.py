"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) for node frames.

Written by hand because it must also run on the nodes under MicroPython, where `crcmod`
and `binascii.crc_hqx` are not available on every port; a 256-entry table keeps it fast.
"""


def _make_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ (0x1021 if crc & 0x8000 else 0)) & 0xFFFF
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16(data, crc=0xFFFF):
    """CRC of `data` (bytes-like) as an int in 0..0xFFFF.

    Pass a previous result as `crc` to continue over data that arrives in pieces.
    """
    table = _TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ byte) & 0xFF]
    return crc
