"""Generated catalogues: binary MARC 21 files that look like a public library's export.

Each record has the 25-45 fields a cataloguer's record has (control fields, 020 ISBNs
with valid check digits, 040, 050/082, 100, 245 $a $b $c, 246, 250, 264, 300, 336-338,
490/830, notes of realistic length, 2-6 subjects, 0-4 added authors, 856) and Koha 952
holdings, one per copy, with a skewed number of copies: most books have one or two, a
few bestsellers and textbooks dozens. About 7 % of the books are Chinese.

The same records are written twice: as MARC-8 (leader 09 blank; diacritics as MARC-8
combining characters before their letter, Chinese as EACC in 880 fields beside a
romanised 245) and as UTF-8 (leader 09 'a', Chinese in the 245 itself). pymarc can only
decode MARC-8, so the encoder here inverts pymarc's own decoding tables: whatever it
writes, pymarc reads back as the text it started from.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import isbnlib
from pymarc import marc8_mapping

FT, RT, SF, ESC = b"\x1e", b"\x1d", b"\x1f", b"\x1b"


def _words_of(text: str) -> list[str]:
    return text.split()


TITLE_WORDS = _words_of("""
garden river night house winter summer shadow light stone city island history war peace
secret life death love memory journey kingdom empire ocean mountain forest silence storm
road letters children mother father daughter son friend stranger queen king world story
science mind body music art language machine water fire earth sky star moon sun dream
time year century revolution nation people power money market economy freedom justice
truth lies truth birds wolves horses cats gardens kitchen cooking bread wine coffee tea
travel maps atlas guide handbook introduction principles theory practice design code
data networks systems learning teaching school library book reader writer poems essays
tales sea harbour bridge tower castle village valley desert glass iron silver golden
red blue green black white last first lost hidden broken quiet wild little great new old
""")
SURNAMES = _words_of("""
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore
Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright
Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans
Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson
Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray James
Hughes Price Sanders Myers Long Ross Foster Atwood Morrison Ishiguro Rushdie Munro Le_Guin
Tolkien Orwell Woolf Austen Dickens Eliot Hardy Conrad Joyce Beckett Pratchett Gaiman
García Müller Dvořák Łukasiewicz Žižek Gonçalves Ødegaard
Åkesson Özdemir Çelik Björk Sørensen Þórsdóttir Kováč
Šimić Ferrández Brontë Dostoevskiĭ García_Márquez
Saramágo Szymborska Košík Peña Nuñez López Hernández
""")
GIVEN = _words_of("""
James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Margaret Ursula Toni Kazuo
Salman Alice Neil Terry Virginia Jane George Gabriel José André François
Renée Søren Zoë Björn Jiří Małgorzata Anaïs Inés
""")
TOPICS = (
    """
Cooking|Gardening|Fantasy_fiction|Detective_and_mystery_stories|Science_fiction|
World_War,_1939-1945|Economics|Climate_change|Computer_programming|Python_(Computer_program_language)|
Artificial_intelligence|Birds|Horses|Mathematics|Physics|Astronomy|Philosophy|Psychology|
Families|Friendship|Love_stories|Historical_fiction|Poetry|Art|Architecture|Music|Jazz|
Photography|Travel|Railroads|Ships|Oceanography|Medicine|Nutrition|Child_rearing|Education|
Libraries|Books_and_reading|Women|Immigrants|Civil_rights|Democracy|Islands|Mountaineering|
Wine_and_wine_making|Baking|Yoga|Chess|Football|Cats|Dogs|Dinosaurs|Volcanoes|Robots
""".replace("\n", "")
    .replace("_", " ")
    .split("|")
)
SUBDIVISIONS = [
    "History",
    "Fiction",
    "Juvenile literature",
    "Biography",
    "Handbooks, manuals, etc.",
]
SUBDIVISIONS += ["Study and teaching", "Social aspects", "Pictorial works", "Periodicals"]
PLACES = ["England", "France", "China", "Japan", "United States", "Canada", "Brazil", "Mexico"]
PLACES += ["Scotland", "Germany", "Italy", "Norway", "Spain", "Québec (Province)", "Iceland"]
PERIODS = ["20th century", "21st century", "19th century", "1945-", "To 1500"]
GENRES = ["Novels", "Detective and mystery fiction", "Picture books", "Cookbooks", "Biographies"]
LANGUAGES = ["eng", "fre", "ger", "spa"]
BINDINGS = ["hardcover", "paperback", "ebook"]
EDITIONS = ["Second edition.", "First edition.", "Revised edition."]
EDITORS = ["OCLCQ", "OCLCO", "OCLCF", "BTCTA", "YDXCP", "BDX", "UKMGB", "NLE", "IG#"]
VENDORS = [("Baker and Taylor", "BTCP"), ("Ingram", "INGR"), ("YBP Library Services", "YANK")]
VENDORS += [("OverDrive, Inc.", "DRIV"), ("Askews and Holts Library Services", "ASKH")]
ROLES = ["editor.", "translator.", "illustrator."]
GENRES += ["Short stories", "Graphic novels", "Fantasy fiction", "Poetry"]
PUBLISHERS = [
    ("New York", "Penguin Books"),
    ("London", "Faber & Faber"),
    ("New York", "Alfred A. Knopf"),
    ("Oxford", "Oxford University Press"),
    ("Cambridge", "Cambridge University Press"),
    ("Paris", "Éditions Gallimard"),
    ("München", "Carl Hanser Verlag"),
    ("Barcelona", "Editorial Anagrama"),
    ("Sebastopol, CA", "O'Reilly Media"),
    ("Boston", "Houghton Mifflin Harcourt"),
    ("Toronto", "McClelland & Stewart"),
    ("São Paulo", "Companhia das Letras"),
]
# Chinese characters with their pinyin, for titles, names and their romanised forms.
HANZI = _words_of("""
三san 体ti 问wen 题ti 红hong 楼lou 梦meng 西xi 游you 记ji 水shui 浒hu 传zhuan 国guo 演yan
义yi 中zhong 华hua 人ren 民min 共gong 和he 历li 史shi 文wen 化hua 研yan 究jiu 现xian 代dai
学xue 北bei 京jing 上shang 海hai 大da 出chu 版ban 社she 书shu 店dian 经jing 济ji 会hui 哲zhe
科ke 技ji 术shu 发fa 展zhan 论lun 集ji 简jian 山shan 河he 春chun 秋qiu 风feng 雨yu 城cheng
家jia 年nian 小xiao 说shuo 诗shi 选xuan 故gu 事shi 世shi 界jie 的de 之zhi 新xin 时shi
""")
CHINESE_SURNAMES = _words_of("王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 周zhou 吴wu")
CHINESE_GIVEN = _words_of("伟wei 芳fang 娜na 敏min 静jing 强qiang 磊lei 洋yang 明ming 华hua")
BRANCHES = ["main", "main", "main", "east", "west", "north"]
LOCATIONS = [("ADULT", "BK", "FIC"), ("ADULT", "BK", "NFIC"), ("CHILD", "JBK", "JFIC")]
LOCATIONS += [("REF", "REF", "REF"), ("TEEN", "BK", "YA"), ("AV", "DVD", "AV")]

_EACC = {}
for _code, (_point, _combining) in marc8_mapping.CODESETS[0x31].items():
    _EACC.setdefault(chr(_point), _code.to_bytes(3, "big"))
_CLUSTER = re.compile(r"[^\u0300-\u036f\ufe20-\ufe2f][\u0300-\u036f\ufe20-\ufe2f]*")
_ANSEL = {chr(point): bytes([code]) for code, (point, _c) in marc8_mapping.CODESETS[0x45].items()}


def marc8(text: str) -> bytes:
    """Text → MARC-8 bytes: combining marks before their letter, CJK as EACC (ESC $ 1)."""
    if text.isascii():
        return text.encode("ascii")  # ASCII is MARC-8's default character set
    out = bytearray()
    cjk = False
    for cluster in _CLUSTER.findall(unicodedata.normalize("NFD", text)):
        base, marks = cluster[0], cluster[1:]
        wide = ord(base) > 0x2E7F and base in _EACC
        if wide != cjk:
            out += ESC + (b"$1" if wide else b"(B")
            cjk = wide
        if wide:
            out += _EACC[base]
            continue
        out += b"".join(_ANSEL[m] for m in marks)
        out += base.encode("ascii") if base.isascii() else _ANSEL[base]
    if cjk:
        out += ESC + b"(B"
    return bytes(out)


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


Subfields = list[tuple[str, str]]
Field = tuple[str, str | Subfields, str]  # tag, control data or subfields, indicators


def record_bytes(fields: list[Field], encode, leader9: str) -> bytes:  # type: ignore[no-untyped-def]
    directory, body = bytearray(), bytearray()
    for tag, content, indicators in fields:
        if isinstance(content, str):
            data = content.encode("ascii")
        else:
            data = indicators.encode() + b"".join(SF + c.encode() + encode(v) for c, v in content)
        data += FT
        directory += b"%s%04d%05d" % (tag.encode(), len(data), len(body))
        body += data
    base = 24 + len(directory) + 1
    length = base + len(body) + 1
    leader = b"%05dnam %s22%05d i 4500" % (length, leader9.encode(), base)
    return bytes(leader + directory + FT + body + RT)


@dataclass
class Catalogue:
    """What was written, and search terms taken from it (a librarian's mix of queries)."""

    records: int = 0
    items: int = 0
    fields: int = 0  # in the UTF-8 file, holdings included
    utf8_bytes: int = 0
    queries: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


class _Zipf:
    """Pick from a list with a long tail: the first entries much more often than the last."""

    def __init__(self, values: list, s: float = 1.0) -> None:  # type: ignore[type-arg]
        self.values = values
        self.cumulative = list(itertools.accumulate(1 / (r + 1) ** s for r in range(len(values))))

    def __call__(self, rng: random.Random):  # type: ignore[no-untyped-def]
        at = bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])
        return self.values[min(at, len(self.values) - 1)]


_WORD = _Zipf(TITLE_WORDS, 0.8)
_SURNAME = _Zipf([s.replace("_", " ") for s in SURNAMES], 0.6)
_TOPIC = _Zipf(TOPICS, 0.7)


def copies(rng: random.Random) -> int:
    """Copies of one book: none for e-books, mostly one or two, up to 60 for a bestseller."""
    if rng.random() < 0.05:
        return 0
    return min(60, int(rng.paretovariate(1.35)))


def isbn13(serial: int) -> str:
    stem = f"978{serial:09d}" if serial % 10 else f"979{10**8 + serial:09d}"
    return stem + isbnlib.check_digit13(stem)


class _Books:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.isbn = itertools.count(100_000_001, 7)
        self.barcode = itertools.count(1)

    def person(self) -> str:
        return f"{_SURNAME(self.rng)}, {self.rng.choice(GIVEN)}"

    def words(self, low: int, high: int) -> str:
        return " ".join(_WORD(self.rng) for _ in range(self.rng.randint(low, high)))

    def chinese(self, low: int, high: int) -> tuple[str, str]:
        picked = [self.rng.choice(HANZI) for _ in range(self.rng.randint(low, high))]
        return "".join(p[0] for p in picked), " ".join(p[1:] for p in picked).capitalize()

    def subjects(self, count: int) -> list[Field]:
        rng, found = self.rng, []
        for _ in range(count):
            kind = rng.random()
            if kind < 0.1:
                found.append(("600", [("a", self.person() + ","), ("x", "Criticism.")], "10"))
            elif kind < 0.2:
                place = rng.choice(PLACES)
                found.append(
                    ("651", [("a", place), ("x", "History"), ("y", rng.choice(PERIODS))], " 0")
                )
            elif kind < 0.3:
                found.append(("655", [("a", rng.choice(GENRES) + "."), ("2", "lcgft")], " 7"))
            else:
                parts = [("a", _TOPIC(rng))]
                if rng.random() < 0.6:
                    parts.append(("x", rng.choice(SUBDIVISIONS)))
                if rng.random() < 0.3:
                    parts.append(("z", rng.choice(PLACES)))
                found.append(("650", parts, " 0"))
        return found

    def book(self, number: int) -> tuple[list[Field], list[Field], dict[str, str]]:
        """(fields for MARC-8, fields for UTF-8, search terms); they differ only for Chinese."""
        rng = self.rng
        year = rng.randint(1950, 2025) if rng.random() < 0.3 else rng.randint(2005, 2025)
        chinese = rng.random() < 0.07
        language = "chi" if chinese else rng.choices(LANGUAGES, [90, 4, 3, 3])[0]
        place, publisher = rng.choice(PUBLISHERS)
        isbns = [isbn13(next(self.isbn)) for _ in range(rng.choices([1, 2, 3], [60, 30, 10])[0])]
        author = self.person()
        title, subtitle = self.words(1, 4).capitalize(), self.words(2, 6)
        if chinese:
            vernacular, title = self.chinese(2, 7)
            surname, given = rng.choice(CHINESE_SURNAMES), rng.choice(CHINESE_GIVEN)
            author = f"{surname[1:].capitalize()}, {given[1:].capitalize()}"
            vernacular_author = surname[0] + given[0]
        control = f"{40_000_000 + number * 3:09d}"
        month, day = rng.randint(1, 9), rng.randint(10, 28)
        fields: list[Field] = [
            ("001", f"ocm{control}", ""),
            ("003", "OCoLC", ""),
            ("005", f"{rng.randint(2015, 2025)}0{month}{day}093512.0", ""),
            ("008", f"{year % 100:02d}0{month}{day}s{year}    nyu{' ' * 11}000 1 {language} d", ""),
        ]
        for n, value in enumerate(isbns):
            if n == 0 and not value.startswith("979") and rng.random() < 0.5:
                value = isbnlib.to_isbn10(value)
            fields.append(_f("020", "  ", "a", value, "q", rng.choice(BINDINGS)))
        shelf_mark = f"{rng.choice('ABCDEFGHLMRST')}{rng.randint(10, 99)}"
        fields += self.shared_cataloguing(control, title)
        fields += [
            _f("050", "00", "a", f"PS{rng.randint(1000, 3999)}.{shelf_mark}", "b", f"{year}"),
            _f("082", "04", "a", f"{rng.randint(0, 999):03d}.{rng.randint(0, 99)}", "2", "23"),
            _f("100", "1 ", "a", author + ",", "e", "author."),
        ]
        statement = " ".join(reversed(author.split(", ")))
        fields.append(_f("245", "10", "a", title + " :", "b", subtitle + " /", "c", statement))
        if rng.random() < 0.25:
            fields.append(_f("246", "30", "a", self.words(2, 4).capitalize()))
        if rng.random() < 0.2:
            fields.append(_f("250", "  ", "a", rng.choice(EDITIONS)))
        pages, size = f"{rng.randint(48, 900)} pages :", f"{rng.randint(18, 30)} cm"
        fields += [
            _f("264", " 1", "a", place + " :", "b", publisher + ",", "c", f"{year}."),
            _f("264", " 4", "c", f"©{year}"),
            _f("300", "  ", "a", pages, "b", "illustrations ;", "c", size),
            _f("336", "  ", "a", "text", "b", "txt", "2", "rdacontent"),
            _f("337", "  ", "a", "unmediated", "b", "n", "2", "rdamedia"),
            _f("338", "  ", "a", "volume", "b", "nc", "2", "rdacarrier"),
        ]
        if rng.random() < 0.3:
            series, volume = self.words(1, 3).title(), str(rng.randint(1, 12))
            fields.append(_f("490", "1 ", "a", series + " ;", "v", volume))
            fields.append(_f("830", " 0", "a", series + " ;", "v", volume + "."))
        if rng.random() < 0.4:
            note = f"Originally published: {place} : {publisher}, {year - 3}."
            fields.append(_f("500", "  ", "a", note))
        if rng.random() < 0.6:
            first = rng.randint(200, 400)
            note = f"Includes bibliographical references (pages {first}-{first + 20}) and index."
            fields.append(_f("504", "  ", "a", note))
        if rng.random() < 0.6:
            summary = ". ".join(self.words(8, 20).capitalize() for _ in range(rng.randint(2, 6)))
            fields.append(_f("520", "  ", "a", summary + "."))
        if rng.random() < 0.2:
            chapters = " -- ".join(self.words(2, 5).capitalize() for _ in range(rng.randint(5, 14)))
            fields.append(_f("505", "0 ", "a", chapters + "."))
        if rng.random() < 0.3:
            fields.append(_f("588", "0 ", "a", "Print version record."))
        fields += self.subjects(rng.randint(2, 6))
        for _ in range(rng.choices([0, 1, 2, 3, 4], [45, 30, 15, 7, 3])[0]):
            fields.append(_f("700", "1 ", "a", self.person() + ",", "e", rng.choice(ROLES)))
        if rng.random() < 0.3:
            link = f"https://catalog.example.org/ebooks/{control}"
            fields.append(_f("856", "40", "u", link, "z", "Read online"))
        fields.append(_f("942", "  ", "c", "BK", "2", "ddc"))
        fields.append(_f("994", "  ", "a", "C0", "b", "LIB"))
        call_number = f"{rng.randint(0, 999):03d}.{rng.randint(0, 99)} {author[:3].upper()}"
        barcodes = [f"3{next(self.barcode):011d}" for _ in range(copies(rng))]
        for copy, barcode in enumerate(barcodes, 1):
            fields.append(self.holding(copy, barcode, year, call_number))
        fields.sort(key=lambda f: f[0])  # tag order, as catalogues write them
        terms = {"title": title.split()[0], "author": author.split(",")[0], "isbn": isbns[0]}
        terms["subject"] = _TOPIC(rng).split()[0]
        if barcodes:
            terms["barcode"] = rng.choice(barcodes)
        if not chinese:
            return fields, fields, terms
        start = rng.randrange(max(1, len(vernacular) - 1))
        terms["chinese"] = vernacular[start : start + 2]
        at = next(n for n, f in enumerate(fields) if f[0] == "245")
        title_field = _f("245", "10", "a", vernacular + " /", "c", vernacular_author)
        unicode = [*fields[:at], title_field, *fields[at + 1 :]]
        linked = [
            _f("880", "1 ", "6", "100-01", "a", vernacular_author + ",", "e", "author."),
            _f("880", "10", "6", "245-01", "a", vernacular + " /", "c", vernacular_author),
        ]
        return [*fields, *linked], unicode, terms

    def shared_cataloguing(self, control: str, title: str) -> list[Field]:
        """What copy cataloguing leaves in a record: numbers of the record in other
        catalogues, the libraries that edited it, vendors' order numbers."""
        rng = self.rng
        fields = [_f("035", "  ", "a", f"(OCoLC){control}")]
        if rng.random() < 0.5:
            fields.append(
                _f("010", "  ", "a", f"  20{rng.randint(0, 25):02d}{rng.randint(0, 999999):06d}")
            )
        if rng.random() < 0.3:
            fields.append(
                _f(
                    "019",
                    "  ",
                    *[
                        x
                        for _ in range(rng.randint(1, 3))
                        for x in ("a", str(rng.randint(10**8, 10**9)))
                    ],
                )
            )
        for _ in range(rng.choices([0, 1, 2, 3, 4], [30, 30, 20, 12, 8])[0]):
            agency = rng.choice(["AU@", "NZ1", "UKMGB", "DEBBG", "CHNEW", "GBVCP"])
            fields.append(_f("029", "1 ", "a", agency, "b", f"{rng.randint(10**11, 10**12)}"))
        if rng.random() < 0.3:
            fields.append(_f("035", "  ", "a", f"(Sirsi) a{rng.randint(100000, 999999)}"))
        edited_by = [x for _ in range(rng.randint(1, 6)) for x in ("d", rng.choice(EDITORS))]
        fields.append(_f("040", "  ", "a", "DLC", "b", "eng", "e", "rda", "c", "DLC", *edited_by))
        if rng.random() < 0.4:
            fields.append(_f("042", "  ", "a", "pcc"))
        if rng.random() < 0.3:
            fields.append(
                _f("043", "  ", "a", rng.choice(["n-us---", "e-uk---", "a-cc---", "e-fr---"]))
            )
        fields.append(_f("049", "  ", "a", "LIBA"))
        if rng.random() < 0.25:
            fields.append(
                _f(
                    "776",
                    "08",
                    "i",
                    "Online version:",
                    "t",
                    title,
                    "w",
                    f"(OCoLC){int(control) + 1}",
                )
            )
        for _ in range(rng.choices([0, 1, 2, 3], [30, 35, 25, 10])[0]):
            vendor, code = rng.choice(VENDORS)
            fields.append(
                _f("938", "  ", "a", vendor, "b", code, "n", f"{rng.randint(10**9, 10**10)}")
            )
        return fields

    def holding(self, copy: int, barcode: str, year: int, call_number: str) -> Field:
        """A Koha 952: $0 withdrawn, $1 lost, $a/$b branches, $c location, $p barcode ..."""
        rng = self.rng
        location, item_type, collection = rng.choice(LOCATIONS)
        gone = rng.random()
        return _f(
            "952", "  ",
            "0", "1" if gone < 0.01 else "0",
            "1", "1" if 0.01 <= gone < 0.025 else "0",
            "8", collection,
            "a", rng.choice(BRANCHES),
            "b", "main",
            "c", location,
            "d", f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "g", f"{rng.randint(5, 60)}.{rng.randint(0, 99):02d}",
            "j", f"S{rng.randint(1, 40)}",
            "o", call_number,
            "p", barcode,
            "t", str(copy),
            "y", item_type,
        )  # fmt: skip


def _f(tag: str, indicators: str, *codes_and_values: str) -> Field:
    pairs = codes_and_values
    return tag, list(zip(pairs[::2], pairs[1::2], strict=True)), indicators


def books(items: int, seed: int = 7) -> Iterator[tuple[bytes, bytes, dict[str, str], int]]:
    """(MARC-8 record, UTF-8 record, search terms, copies) until `items` copies are made."""
    maker = _Books(seed)
    made = 0
    for number in itertools.count(1):
        marc8_fields, utf8_fields, terms = maker.book(number)
        count = sum(1 for f in utf8_fields if f[0] == "952")
        yield (
            record_bytes(marc8_fields, marc8, " "),
            record_bytes(utf8_fields, utf8, "a"),
            terms,
            count,
        )
        made += count
        if made >= items:
            return


def write_catalogue(directory: Path, items: int, *, seed: int = 7) -> Catalogue:
    """catalogue-marc8.mrc and catalogue-utf8.mrc in `directory`, the same books in each."""
    catalogue = Catalogue()
    paths = {"marc8": directory / "catalogue-marc8.mrc", "utf8": directory / "catalogue-utf8.mrc"}
    rng = random.Random(seed + 1)
    picked: dict[str, list[str]] = {}
    with paths["marc8"].open("wb") as eight, paths["utf8"].open("wb") as unicode:
        for marc8_record, utf8_record, terms, count in books(items, seed):
            eight.write(marc8_record)
            unicode.write(utf8_record)
            catalogue.records += 1
            catalogue.items += count
            catalogue.fields += (int(utf8_record[12:17]) - 25) // 12  # directory entries
            catalogue.utf8_bytes += len(utf8_record)
            for kind, value in terms.items():
                if rng.random() < 0.02:
                    picked.setdefault(kind, []).append(value)
    catalogue.files = {k: str(v) for k, v in paths.items()}
    catalogue.queries = queries(picked, random.Random(seed + 2))
    return catalogue


MIX = {"title": 30, "author": 20, "subject": 15, "isbn": 10, "barcode": 15, "chinese": 5}
MIX["title+author"] = 5


def queries(picked: dict[str, list[str]], rng: random.Random, count: int = 2000) -> list[str]:
    """A mix of what people type into the catalogue: words, names, subjects, codes."""
    kinds = [k for k in MIX if k in picked or k == "title+author"]
    found = []
    for kind in rng.choices(kinds, [MIX[k] for k in kinds], k=count):
        if kind == "title+author":
            found.append(f"{rng.choice(picked['title'])} {rng.choice(picked['author'])}")
        elif kind == "isbn" and rng.random() < 0.3:
            found.append(isbnlib.mask(rng.choice(picked[kind])) or rng.choice(picked[kind]))
        else:
            found.append(rng.choice(picked[kind]))
    return found
