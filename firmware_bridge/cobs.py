"""Consistent Overhead Byte Stuffing: frames without 0x00 bytes, so 0x00 can end each frame.

Written by hand because it must also run on the nodes under MicroPython, where the C
`cobs` package does not exist.
"""


def encode(data):
    """COBS-encode `data` (bytes-like) -> bytes with no zero byte and no trailing delimiter."""
    out = bytearray(b"\x00")  # placeholder for the first block's code byte
    code_at = 0
    code = 1
    n = len(data)
    for i in range(n):
        byte = data[i]
        if byte == 0:
            out[code_at] = code
            code_at = len(out)
            out.append(0)
            code = 1
        else:
            out.append(byte)
            code += 1
            if code == 0xFF:
                out[code_at] = code
                code = 1
                if i + 1 < n:
                    code_at = len(out)
                    out.append(0)
                else:
                    code_at = -1  # the data ended exactly on a full block
    if code_at >= 0:
        out[code_at] = code
    return bytes(out)


def decode(data):
    """Decode one COBS block sequence (without its 0x00 delimiter) -> bytes.

    Raises ValueError if `data` holds a zero byte or a code byte runs past the end.
    """
    data = bytes(data)
    zero = data.find(b"\x00")
    if zero >= 0:
        raise ValueError("zero byte at offset %d inside COBS data" % zero)
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        end = i + code
        if end > n:
            raise ValueError(
                "code 0x%02x at offset %d runs past the end (%d bytes short)" % (code, i, end - n)
            )
        out.extend(data[i + 1 : end])
        i = end
        if code < 0xFF and i < n:
            out.append(0)
    return bytes(out)
