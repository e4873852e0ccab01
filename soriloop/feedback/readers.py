"""Stream rows out of CSV, JSONL and XLSX files without loading them whole.

Each reader yields ``Row`` objects: the physical line (or sheet row) a row starts on, its
values by column name, and a problem when the row itself is broken (bad encoding, bad JSON,
an unterminated quote). Readers report progress as bytes read.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.conf import settings

FORMATS = ("csv", "jsonl", "xlsx")
SNIFF_BYTES = 256 * 1024
# A quoted field may span lines, but not without end: past these bounds the record is
# reported as broken and reading starts again on the line after its first.
MAX_RECORD_LINES = 100
MAX_RECORD_CHARS = 256 * 1024
MAX_BAD_IN_A_ROW = 1000  # then the rest of the file is not read, and that is said


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (unknown format, no header, unknown encoding)."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    problem: str = ""


def file_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in {"csv", "tsv", "txt"}:
        return "csv"
    if suffix in {"jsonl", "ndjson", "json"}:
        return "jsonl"
    if suffix in {"xlsx", "xlsm"}:
        return "xlsx"
    raise UnreadableFile(f"unsupported file type .{suffix}: use CSV, JSONL or XLSX")


def _bad_line_share(head: bytes, encoding: str) -> float:
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the sniffed block may end inside a line
    bad = 0
    for line in lines:
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            bad += 1
    return bad / len(lines)


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), else CP949 (Korean Excel's default): the first whose
    lines mostly decode. Lines that still do not decode are reported one by one later;
    a file where most lines fail in both is refused."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    shares = {encoding: _bad_line_share(head, encoding) for encoding in ("utf-8", "cp949")}
    for encoding, share in shares.items():
        if share == 0:
            return encoding
    encoding, share = min(shares.items(), key=lambda pair: pair[1])
    if share < 0.5:
        return encoding
    raise UnreadableFile("the file is neither UTF-8 nor CP949 (EUC-KR) text")


class _Lines:
    """Decoded lines of a binary file; a line that does not decode is kept, with U+FFFD
    in place of its bad bytes, and its number is remembered."""

    def __init__(self, handle: IO[bytes], encoding: str) -> None:
        self.handle = handle
        self.encoding = encoding
        self.number = 0
        self.bad: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.handle:
            self.number += 1
            if first and self.encoding == "utf-8-sig":
                raw = raw.removeprefix(codecs.BOM_UTF8)
            first = False
            try:
                yield raw.decode(self.encoding.replace("-sig", ""))
            except UnicodeDecodeError:
                self.bad.add(self.number)
                yield raw.decode(self.encoding.replace("-sig", ""), errors="replace")


class _Runaway(Exception):
    """A record grew past the bounds: a quoted field that never ends."""


class _Feed:
    """Lines for ``csv.reader``, one record at a time: remembers the lines of the record being
    read, stops a record that grows past ``MAX_RECORD_LINES`` or ``MAX_RECORD_CHARS``, and
    can put a failed record's later lines back to be read again."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.source = lines
        self.number = 0  # of the last line taken from the source
        self.pending: deque[tuple[int, str]] = deque()
        self.record: list[tuple[int, str]] = []
        self.chars = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.pending:
            number, text = self.pending.popleft()
        else:
            text = next(self.source)
            self.number += 1
            number = self.number
        self.record.append((number, text))
        self.chars += len(text)
        if len(self.record) > MAX_RECORD_LINES or self.chars > MAX_RECORD_CHARS:
            raise _Runaway
        return text

    def begin(self) -> None:
        self.record, self.chars = [], 0

    def retry_after_first_line(self) -> None:
        """Read again every line of the failed record but its first."""
        self.pending.extendleft(reversed(self.record[1:]))
        self.record, self.chars = [], 0

    def lines_left(self) -> int:
        return len(self.pending) + sum(1 for _ in self.source)


def _csv_dialect(handle: IO[bytes], encoding: str) -> Any:
    sample = handle.read(SNIFF_BYTES)
    handle.seek(0)
    try:
        return csv.Sniffer().sniff(sample.decode(encoding, errors="ignore"), delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _csv_rows(handle: IO[bytes], encoding: str, reader: RowReader) -> Iterator[Row]:
    """Rows of a CSV file. A broken record costs its first line only: reading starts again
    on the next line, so a stray quote cannot swallow the rows after it."""
    dialect = _csv_dialect(handle, encoding)
    lines = _Lines(handle, encoding)
    feed = _Feed(iter(lines))
    # strict: an unterminated quote at the end is an error, not a silently merged row
    records = csv.reader(feed, dialect, strict=True)
    try:
        header = [h.strip() for h in next(records)]
    except (StopIteration, _Runaway, csv.Error):
        raise UnreadableFile("the first line is not a row of column names") from None
    if not any(header):
        raise UnreadableFile("the first line has no column names")
    bad_in_a_row = 0
    while True:
        feed.begin()
        try:
            values = next(records)
            problem = _csv_problem(values, header, feed.record, lines.bad, encoding)
        except StopIteration:
            return
        except _Runaway:
            problem = (
                f"a quoted field does not end within {MAX_RECORD_LINES} lines "
                f"or {MAX_RECORD_CHARS:,} characters (a stray quote?)"
            )
        except csv.Error as exc:
            problem = f"broken CSV: {exc}"
        first = feed.record[0][0] if feed.record else feed.number
        if problem:
            yield Row(line=first, problem=problem)
            bad_in_a_row += 1
            if len(feed.record) > 1 and not problem.startswith("invalid "):
                feed.retry_after_first_line()
            records = csv.reader(feed, dialect, strict=True)  # no state left from the break
            if bad_in_a_row >= MAX_BAD_IN_A_ROW:
                last = feed.record[-1][0] if feed.record else first
                reader.stopped = (
                    f"the file cannot be read past line {last}: {MAX_BAD_IN_A_ROW} broken rows "
                    f"in a row; {feed.lines_left():,} lines not read"
                )
                return
            continue
        bad_in_a_row = 0
        if any(v.strip() for v in values):
            yield Row(line=first, values=dict(zip(header, values, strict=False)))


def _csv_problem(
    values: list[str],
    header: list[str],
    record: list[tuple[int, str]],
    bad_lines: set[int],
    encoding: str,
) -> str:
    numbers = [number for number, _text in record]
    bad = sorted(n for n in numbers if n in bad_lines)
    if bad:
        return f"invalid {encoding} text on line {bad[0]}"
    if len(values) > len(header):
        if len(record) > 1:
            return "a quoted field runs into the next lines (a stray quote?)"
        return f"{len(values)} values but {len(header)} columns"
    return ""


def _jsonl_rows(handle: IO[bytes], encoding: str, reader: RowReader) -> Iterator[Row]:
    for number, raw in enumerate(_Lines(handle, encoding), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError as exc:
            yield Row(line=number, problem=f"invalid JSON: {exc}")
            continue
        if not isinstance(value, dict):
            yield Row(line=number, problem="each line must be a JSON object")
            continue
        yield Row(line=number, values=value)


MAX_RATIO = 100  # deflated XML of real sheets packs 5-30x; bombs pack 1000x
RATIO_FROM_BYTES = 16 * 1024 * 1024  # small members may pack as tightly as they like
MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024
# openpyxl builds objects for every style, name and relation it parses, at many times the
# XML's size; real workbooks keep these parts well under a megabyte.
MAX_PART_BYTES = 16 * 1024 * 1024
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si[\s>/]")


def xlsx_check(path: Path) -> None:
    """Refuse a workbook that would unpack too large or hold too many strings, from the
    zip's declared sizes (``zipfile`` stops a member at its declared size, so they hold)
    before openpyxl reads a byte of it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from exc
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        limit = settings.IMPORT_XLSX_MAX_UNPACKED_BYTES
        if total > limit:
            raise UnreadableFile(
                f"the workbook unpacks to {_mb(total)}, more than {_mb(limit)} "
                "(IMPORT_XLSX_MAX_UNPACKED_BYTES)"
            )
        for member in members:
            _part_check(member)
            packed = max(member.compress_size, 1)
            if member.file_size > RATIO_FROM_BYTES and member.file_size > MAX_RATIO * packed:
                raise UnreadableFile(
                    f"{member.filename} unpacks to {_mb(member.file_size)} from {_mb(packed)}: "
                    "refused as a zip bomb"
                )
        shared = next((m for m in members if m.filename.lower() == "xl/sharedstrings.xml"), None)
        if shared is not None:
            _shared_strings_check(archive, shared)


def _part_check(member: zipfile.ZipInfo) -> None:
    """Bound the XML parts openpyxl parses whole (styles, workbook, relations, themes);
    sheets are streamed and shared strings are bounded apart."""
    name = member.filename.lower()
    streamed = name.startswith("xl/worksheets/") or name == "xl/sharedstrings.xml"
    if name.endswith((".xml", ".rels")) and not streamed and member.file_size > MAX_PART_BYTES:
        raise UnreadableFile(
            f"{member.filename} unpacks to {_mb(member.file_size)}, more than "
            f"{_mb(MAX_PART_BYTES)} a workbook part may hold"
        )


def _shared_strings_check(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    limit = settings.IMPORT_XLSX_MAX_SHARED_STRINGS
    if member.file_size > MAX_SHARED_STRINGS_BYTES:
        raise UnreadableFile(
            f"the workbook's distinct strings unpack to {_mb(member.file_size)}, "
            f"more than {_mb(MAX_SHARED_STRINGS_BYTES)}"
        )
    count, carry = 0, b""
    with archive.open(member) as handle:
        for chunk in iter(partial(handle.read, 1024 * 1024), b""):
            data = carry + chunk
            cut = data.rfind(b"<")  # a tag cut by the chunk's end is counted with the next
            carry, data = (data[cut:], data[:cut]) if cut >= 0 else (b"", data)
            count += len(_SHARED_STRING.findall(data))
            if count > limit:
                raise UnreadableFile(
                    f"the workbook holds more than {limit:,} distinct strings "
                    "(IMPORT_XLSX_MAX_SHARED_STRINGS)"
                )
    count += len(_SHARED_STRING.findall(carry))
    if count > limit:
        raise UnreadableFile(
            f"the workbook holds more than {limit:,} distinct strings "
            "(IMPORT_XLSX_MAX_SHARED_STRINGS)"
        )


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def _xlsx_rows(path: Path, reader: RowReader) -> Iterator[Row]:
    import openpyxl

    xlsx_check(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        reader.rows_total = sheet.max_row or 0
        # Rows are padded to the declared width: a sheet claiming 16,384 columns would make
        # every row that long. Without the claim each row is as wide as its cells.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header or not any(header):
            raise UnreadableFile("the first row has no column names")
        names = [str(h).strip() if h is not None else "" for h in header]
        number = 1
        try:
            for number, values in enumerate(rows, start=2):
                reader.rows_read = number
                if any(v not in (None, "") for v in values):
                    yield Row(line=number, values=dict(zip(names, values, strict=False)))
        except Exception as exc:  # a damaged sheet breaks openpyxl's XML parser mid-way
            left = max(reader.rows_total - number, 0)
            reader.stopped = (
                f"the sheet cannot be read past row {number} ({exc}); about {left:,} rows not read"
            )
    finally:
        book.close()


class RowReader:
    """Iterate a file's rows; ``progress`` tells how far it got, from 0 to 1."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self.size = path.stat().st_size
        self.rows_read = 0
        self.rows_total = 0
        # Why the reader stopped before the end of the file, with what was not read; else "".
        self.stopped = ""
        self._handle: IO[bytes] | None = None

    @property
    def progress(self) -> float:
        if self.fmt == "xlsx":
            return min(1.0, self.rows_read / self.rows_total) if self.rows_total else 0.0
        if self._handle is None or self._handle.closed or not self.size:
            return 0.0
        return min(1.0, self._handle.tell() / self.size)

    def __iter__(self) -> Iterator[Row]:
        if self.fmt == "xlsx":
            yield from _xlsx_rows(self.path, self)
            return
        with open(self.path, "rb") as handle:
            encoding = detect_encoding(handle.read(SNIFF_BYTES))
            handle.seek(0)
            self._handle = handle
            rows = _csv_rows if self.fmt == "csv" else _jsonl_rows
            yield from rows(handle, encoding, self)


def sample(path: Path, fmt: str, limit: int = 200) -> tuple[list[str], list[Row]]:
    """The column names and up to ``limit`` rows from the start, to propose a mapping."""
    rows: list[Row] = []
    columns: dict[str, None] = {}
    for row in RowReader(path, fmt):
        if row.values:
            columns.update(dict.fromkeys(str(k) for k in row.values))
            rows.append(row)
        if len(rows) >= limit:
            break
    return list(columns), rows
