"""Stream rows out of CSV, JSONL and XLSX files without loading them whole.

Each reader yields ``Row`` objects: the physical line (or sheet row) a row starts on, its
values by column name, and a problem when the row itself is broken (bad encoding, bad JSON,
an unterminated quote). Readers report progress as bytes read.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMATS = ("csv", "jsonl", "xlsx")
SNIFF_BYTES = 256 * 1024


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


def _csv_rows(handle: IO[bytes], encoding: str) -> Iterator[Row]:
    lines = _Lines(handle, encoding)
    sample = handle.read(SNIFF_BYTES)
    handle.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(
            sample.decode(encoding, errors="ignore"), delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    # strict: an unterminated quote at the end is an error, not a silently merged row
    reader = csv.reader(lines, dialect, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    if not any(header):
        raise UnreadableFile("the first line has no column names")
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(line=start, problem=f"broken CSV: {exc}")
            start = reader.line_num + 1
            continue
        end = reader.line_num
        bad = sorted(n for n in lines.bad if start <= n <= end)
        if bad:
            yield Row(line=start, problem=f"invalid {encoding} text on line {bad[0]}")
        elif len(values) > len(header):
            yield Row(line=start, problem=f"{len(values)} values but {len(header)} columns")
        elif any(v.strip() for v in values):
            yield Row(line=start, values=dict(zip(header, values, strict=False)))
        start = end + 1


def _jsonl_rows(handle: IO[bytes], encoding: str) -> Iterator[Row]:
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


def _xlsx_rows(path: Path, reader: RowReader) -> Iterator[Row]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        reader.rows_total = sheet.max_row or 0
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header or not any(header):
            raise UnreadableFile("the first row has no column names")
        names = [str(h).strip() if h is not None else "" for h in header]
        for number, values in enumerate(rows, start=2):
            reader.rows_read = number
            if any(v not in (None, "") for v in values):
                yield Row(line=number, values=dict(zip(names, values, strict=False)))
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
            reader = _csv_rows if self.fmt == "csv" else _jsonl_rows
            yield from reader(handle, encoding)


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
