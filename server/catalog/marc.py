"""MARC 21 → (RecordIn, [ItemIn]): pure functions over one record's bytes, no I/O.

Binary files are split on the record terminator (0x1D) here rather than by pymarc's
reader, so one record with a wrong length or directory cannot swallow the next; each
chunk is then decoded by pymarc. Every chunk maps on its own, so parsing can be spread
over processes (`parse_marc` and `parse_marcxml` take bytes and return picklable results).
pymarc is handed only the fields read below: summaries, contents notes and other fields
are often half a record, and decoding them (MARC-8 character by character) is wasted.

Fields read (MARC 21 bibliographic):
- 001 control number; 020 $a ISBN (020 $z, cancelled ISBNs, are ignored)
- 245 $a $b $n $p title; 100/110/111 $a and 700/710/711 $a authors
- 260/264 $b publisher, $c year (else 008/07-10); 041 $a language (else 008/35-37)
- 600/610/611/630/650/651/655 $a with $x $y $z subdivisions joined by " -- ": subjects
- 050 $a $b, 082 $a, 090/092/099 call number (else the first item's $o)

Items come from Koha-style 952 holdings fields (949, used the same way by other
systems, is read with the same subfield codes):
$p barcode, $a home branch, $c shelving location → zone, $j stack, $o call number,
$y item type, $8 collection code, $3 parts when it is a number, $0 withdrawn and
$1 lost (any value but 0) → status withdrawn / missing. RFID tags and shelves are not in
Koha's framework: they come from CSV, the API or intake.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree import ElementTree

import pymarc
from pydantic import ValidationError

from server.catalog.shapes import ItemIn, ItemStatus, RecordIn, reason_of

END_OF_RECORD = b"\x1d"
MAX_RECORD = 99_999  # five digits of record length in the leader
SLIM = "{http://www.loc.gov/MARC21/slim}"
_TRAILING = " /:;,=."
_YEAR = re.compile(r"(1[0-9]{3}|2[01][0-9]{2})")


@dataclass(slots=True)
class Parsed:
    record: RecordIn
    items: list[ItemIn] = field(default_factory=list)


@dataclass(slots=True)
class Rejected:
    reason: str
    control_number: str = ""


Outcome = Parsed | Rejected


def split_marc(stream: BinaryIO, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The records of a binary MARC file, as bytes ending in 0x1D (a last partial one too)."""
    pending = b""
    while block := stream.read(chunk_size):
        pending += block
        *whole, pending = pending.split(END_OF_RECORD)
        for record in whole:
            yield from _resync(record + END_OF_RECORD)
    if pending.strip(b"\r\n\x00 \x1a"):
        yield pending


def _resync(chunk: bytes) -> list[bytes]:
    """A truncated record has no terminator and runs into the next: split the next one off.

    The next record is found by its leader: five digits giving exactly the length left,
    and "4500" at leader positions 20-23.
    """
    declared = chunk[:5]
    if declared.isdigit() and int(declared) == len(chunk):
        return [chunk]
    at = chunk.find(b"4500", 21)
    while at != -1:
        start = at - 20
        length = chunk[start : start + 5]
        if length.isdigit() and int(length) == len(chunk) - start:
            return [chunk[:start], chunk[start:]]
        at = chunk.find(b"4500", at + 1)
    return [chunk]


def split_marcxml(stream: BinaryIO) -> Iterator[bytes | Rejected]:
    """Each <record> of a MARCXML file as its own small document; a broken file ends it."""
    try:
        for _event, element in ElementTree.iterparse(stream, events=("end",)):
            if element.tag in (f"{SLIM}record", "record"):
                yield ElementTree.tostring(element)
                element.clear()
    except ElementTree.ParseError as error:
        yield Rejected(f"the XML is broken from here on ({error}); later records were not read")


def parse_marc(data: bytes) -> Outcome:
    """One binary MARC record → what to store, or why not."""
    try:
        return _map(_decode(data))
    except _Refused as refused:
        return Rejected(str(refused), _control_number_of(data))
    except (pymarc.exceptions.PymarcException, ValueError, IndexError, KeyError) as error:
        return Rejected(f"broken MARC record: {_describe(error)}", _control_number_of(data))


def parse_marcxml(data: bytes) -> Outcome:
    """One MARCXML <record> → what to store, or why not."""
    try:
        records = pymarc.parse_xml_to_array(io.BytesIO(data))
    except Exception as error:  # the SAX parser raises many kinds
        return Rejected(f"broken MARCXML record: {_describe(error)}")
    if len(records) != 1 or records[0] is None:
        return Rejected("broken MARCXML record: no fields")
    try:
        return _map(records[0])
    except _Refused as refused:
        return Rejected(str(refused), _first(_Fields(records[0]), "001"))


class _Refused(ValueError):
    pass


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if str(error) else text


def _decode(data: bytes) -> pymarc.Record:
    if len(data) < 25 or not data[:5].isdigit():
        raise _Refused("broken MARC record: the leader is missing or its length is not a number")
    declared = int(data[:5])
    if declared != len(data):
        raise _Refused(
            f"broken MARC record: the leader says {declared} bytes but the record has "
            f"{len(data)} (truncated or joined records)"
        )
    if len(data) > MAX_RECORD:
        raise _Refused(f"broken MARC record: {len(data)} bytes, more than MARC allows")
    fields = _fields_read(data)
    says_utf8 = data[9:10] == b"a"
    if not says_utf8 and not data.isascii() and _valid_utf8(data):
        # Leader 09 says MARC-8, but the bytes are UTF-8 (a common export mistake). MARC-8
        # diacritics are bytes 0xE0-0xFE before an ASCII letter, which is never valid
        # UTF-8, so trusting the bytes here cannot misread a real MARC-8 record.
        return pymarc.Record(data=fields, to_unicode=True, force_utf8=True, hide_utf8_warnings=True)
    if says_utf8 and not _valid_utf8(data):
        raise _Refused(
            "wrong encoding: the leader (position 09 = 'a') says UTF-8 but the record "
            "holds bytes that are not UTF-8 (MARC-8 or Latin-1?)"
        )
    return pymarc.Record(data=fields, to_unicode=True, force_utf8=False, hide_utf8_warnings=True)


# The fields _map reads; the others (notes, summaries, 880s ...) are not handed to pymarc.
READ = frozenset(
    b"001 008 020 041 050 082 090 092 099 100 110 111 245 260 264 "
    b"600 610 611 630 650 651 655 700 710 711 949 952".split(b" ")
)


_ENTRY = re.compile(rb"([0-9A-Za-z]{3})([0-9]{4})([0-9]{5})")
_DIRECTORY = re.compile(rb"(?:[0-9A-Za-z]{3}[0-9]{9})*")


def _fields_read(data: bytes) -> bytes:
    """The record cut down to the fields in READ, once the directory is checked: every
    entry well formed, and each field read ending where its entry says (pymarc would
    slice garbage otherwise)."""
    base = data[12:17]
    if not base.isdigit() or not 25 <= int(base) <= len(data):
        raise _Refused("broken MARC record: the leader's base address is not a number in range")
    start = int(base)
    directory = data[24 : start - 1]
    if data[start - 1 : start] != b"\x1e" or len(directory) % 12:
        raise _Refused("broken MARC record: the directory does not end where the leader says")
    if not _DIRECTORY.fullmatch(directory):
        entry = next(
            directory[at : at + 12]
            for at in range(0, len(directory), 12)
            if not _ENTRY.fullmatch(directory[at : at + 12])
        )
        raise _Refused(f"broken MARC record: directory entry {entry!r} is not tag+length+start")
    body = len(data) - start
    kept_directory, kept_body = bytearray(), bytearray()
    for tag, length, offset in _ENTRY.findall(directory):
        if tag not in READ:
            continue  # never sliced, so its place in the record does not matter
        begin = start + int(offset)
        end = begin + int(length)
        if end - start > body or data[end - 1] != 0x1E:
            raise _Refused(
                f"broken MARC record: field {tag.decode()} does not end where the directory says"
            )
        kept_directory += b"%s%s%05d" % (tag, length, len(kept_body))
        kept_body += data[begin:end]
    if not kept_body:
        raise _Refused("title: missing (no 245 field)")
    kept_base = 24 + len(kept_directory) + 1
    length = b"%05d" % (kept_base + len(kept_body) + 1)
    leader = length + data[5:12] + b"%05d" % kept_base + data[17:24]
    return leader + kept_directory + b"\x1e" + kept_body + b"\x1d"


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _control_number_of(data: bytes) -> str:
    # best effort, for the rejects file: the 001 is usually the first field
    match = re.search(rb"\x1e([ -~]{1,64}?)\x1e", data[:2000])
    return match.group(1).decode("ascii") if match and data[24:27] == b"001" else ""


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(_TRAILING).strip()


class _Fields:
    """A record's fields by tag: _map asks for a dozen tags, and pymarc finds each by
    going through every field."""

    __slots__ = ("by_tag", "fields")

    def __init__(self, record: pymarc.Record) -> None:
        self.fields = record.fields
        self.by_tag: dict[str, list[pymarc.Field]] = {}
        for found in record.fields:
            self.by_tag.setdefault(found.tag, []).append(found)

    def get_fields(self, *tags: str) -> list[pymarc.Field]:
        if len(tags) == 1:
            return self.by_tag.get(tags[0], [])
        return [found for found in self.fields if found.tag in tags]  # in the record's order


def _first(record: _Fields, tag: str, code: str | None = None) -> str:
    for found in record.get_fields(tag):
        value = found.data if found.is_control_field() else found.get(code or "a")
        if value and value.strip():
            return value.strip()
    return ""


def _title(record: _Fields) -> str:
    fields = record.get_fields("245")
    if not fields:
        raise _Refused("title: missing (no 245 field)")
    parts = [c for v in fields[0].get_subfields("a", "b", "n", "p") if (c := _clean(v))]
    if not parts:
        raise _Refused("title: empty (245 $a has no text)")
    return " : ".join(parts[:2]) + "".join(f". {p}" for p in parts[2:])


def _subjects(record: _Fields) -> list[str]:
    found: list[str] = []
    for subject in record.get_fields("600", "610", "611", "630", "650", "651", "655"):
        heading = " -- ".join(
            c for v in subject.get_subfields("a", "x", "y", "z") if (c := _clean(v))
        )
        if heading and heading not in found:
            found.append(heading)
    return found


def _year(record: _Fields) -> int | None:
    for tag in ("264", "260"):
        match = _YEAR.search(_first(record, tag, "c"))
        if match:
            return int(match.group(1))
    fixed = _first(record, "008")
    return int(fixed[7:11]) if fixed[7:11].isdigit() and fixed[7] in "12" else None


def _call_number(record: _Fields) -> str:
    lc = record.get_fields("050")
    if lc:
        return " ".join(c for v in lc[0].get_subfields("a", "b") if (c := _clean(v)))
    for tag in ("082", "090", "092", "099"):
        value = _clean(_first(record, tag, "a"))
        if value:
            return value
    return _clean(_first(record, "952", "o") or _first(record, "949", "o"))


def _item(holding: pymarc.Field) -> ItemIn:
    first: dict[str, str] = {}  # each code's first value, as Field.get gives it
    for code, value in holding.subfields:
        first.setdefault(code, value)

    def sub(code: str) -> str:
        return (first.get(code) or "").strip()

    status = ItemStatus.AVAILABLE
    if sub("0") not in ("", "0"):
        status = ItemStatus.WITHDRAWN
    elif sub("1") not in ("", "0"):
        status = ItemStatus.MISSING
    values = {
        "barcode": sub("p"),
        "home_branch": sub("a") or "main",
        "zone": sub("c"),
        "stack": sub("j"),
        "collection": sub("8"),
        "item_type": sub("y") or "book",
        "status": status,
        "parts": int(sub("3")) if sub("3").isdigit() and int(sub("3")) > 0 else 1,
    }
    return ItemIn.model_validate(values)


def _map(marc: pymarc.Record) -> Outcome:
    record = _Fields(marc)
    control = _first(record, "001")
    try:
        language = _first(record, "041") or _first(record, "008")[35:38].strip()
        shape = RecordIn(
            control_number=control or None,
            title=_title(record),
            authors=[
                c
                for f in record.get_fields("100", "110", "111", "700", "710", "711")
                for a in f.get_subfields("a")[:1]
                if (c := _clean(a))
            ],
            isbns=[v for f in record.get_fields("020") for v in f.get_subfields("a")],
            publisher=_clean(_first(record, "264", "b") or _first(record, "260", "b")),
            year=_year(record),
            subjects=_subjects(record),
            language=language.lower()[:8],
            call_number=_call_number(record)[:64],
        )
        holdings = record.get_fields("952", "949")
        items = []
        for number, holding in enumerate(holdings, 1):
            try:
                items.append(_item(holding))
            except ValidationError as error:
                raise _Refused(f"item {number} ({holding.tag}): {reason_of(error)}") from error
    except ValidationError as error:
        return Rejected(reason_of(error), control)
    except _Refused as refused:
        return Rejected(str(refused), control)
    barcodes = [i.barcode for i in items]
    if len(set(barcodes)) != len(barcodes):
        return Rejected("items: the same barcode appears twice in this record", control)
    return Parsed(shape, items)
