"""Exports of a survey's responses, one row per response: CSV streamed row by row, XLSX
written row by row to a file (openpyxl's write-only mode). Without ``reveal`` personal data
is masked as on the inbox's exports."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from soriloop.analysis.engine.pii import mask_email, mask_text
from soriloop.core.spreadsheet import csv_cell, xlsx_cells
from soriloop.surveys.models import Response, Survey

FIXED = [
    "id", "version", "started_at", "finished_at", "language",
    "customer_external_id", "customer_email", "customer_name",
]  # fmt: skip
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header


@dataclass(frozen=True)
class Columns:
    """The questions asked in any version (the current one's order first) and the hidden
    fields, so an answer given on an older version keeps its column."""

    questions: list[str]
    hidden: list[str]

    @classmethod
    def of(cls, survey: Survey) -> Columns:
        questions: list[str] = []
        hidden: list[str] = []
        for version in survey.versions.order_by("-number"):
            for q in version.questions:
                into = hidden if q["kind"] == "hidden" else questions
                if q["key"] not in into:
                    into.append(q["key"])
        return cls(questions, hidden)

    @property
    def header(self) -> list[str]:
        return [*FIXED, *self.questions, *(f"hidden_{k}" for k in self.hidden)]


def _answer(value: Any, reveal: bool) -> object:
    """A cell for one answer: a number stays a number; choices are joined with "; "."""
    if isinstance(value, list):
        return "; ".join(str(_answer(item, reveal)) for item in value)
    if isinstance(value, Mapping):  # a choice's "other" text
        value = f"other: {value.get('other', '')}"
    if isinstance(value, str):
        return value if reveal else mask_text(value)
    return value


def _row(response: Response, columns: Columns, tz: ZoneInfo, reveal: bool) -> list[object]:
    customer = response.customer
    email = (customer.email or "") if customer else ""
    if email and not reveal:
        email = mask_email(email)
    answers, hidden = response.answers, response.hidden
    return [
        response.pk,
        response.version.number,
        response.started_at.astimezone(tz).isoformat(),
        response.finished_at.astimezone(tz).isoformat() if response.finished_at else "",
        response.language,
        (customer.external_id or "") if customer else "",
        email,
        customer.name if customer else "",
        *(_answer(answers[k], reveal) if k in answers else "" for k in columns.questions),
        *(_answer(hidden.get(k, ""), reveal) for k in columns.hidden),
    ]


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(
    responses: Iterable[Response], columns: Columns, tz: ZoneInfo, *, reveal: bool
) -> Iterator[str]:
    """A BOM (so spreadsheet programs read Korean as UTF-8), the header, then one line each;
    no cell can run as a formula."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(columns.header)
    for response in responses:
        yield writer.writerow([csv_cell(v) for v in _row(response, columns, tz, reveal)])


def xlsx_file(
    responses: Iterable[Response], columns: Columns, tz: ZoneInfo, target: BinaryIO, *, reveal: bool
) -> int:
    """Write the responses as an XLSX workbook into ``target``; returns how many rows."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.append(columns.header)
    written = 0
    for response in responses:
        if written >= XLSX_MAX_ROWS:
            break
        sheet.append(xlsx_cells(sheet, _row(response, columns, tz, reveal)))
        written += 1
    book.save(target)
    return written
