"""Exports of a filtered record list, never all in memory: CSV streamed row by row as the
records are read; XLSX written row by row to a temporary file (openpyxl's write-only mode),
then streamed. Without ``reveal`` personal data is masked as on the pages."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import BinaryIO
from zoneinfo import ZoneInfo

from soriloop.analysis.engine.pii import mask_email, mask_json, mask_phone, mask_text
from soriloop.core.spreadsheet import csv_cell, xlsx_cells
from soriloop.feedback.models import Feedback

COLUMNS = [
    "id", "received_at", "day", "channel", "source", "external_id", "touchpoint", "score",
    "score_kind", "language", "text", "customer_external_id", "customer_email",
    "customer_phone", "customer_name", "metadata", "analysis_state", "sentiment",
    "sentiment_score", "sentiment_confidence", "types", "topics", "topic_keys", "keywords",
    "abusive", "pii_found", "model_version",
]  # fmt: skip


NUMERIC = {
    COLUMNS.index(name) for name in ("id", "score", "sentiment_score", "sentiment_confidence")
}


class _Line:
    def write(self, value: str) -> str:
        return value


def _row(record: Feedback, tz: ZoneInfo, reveal: bool) -> list[object]:
    customer = record.customer
    text, metadata = record.text, record.metadata
    email = (customer.email or "") if customer else ""
    phone = (customer.phone_display or "") if customer else ""
    if not reveal:
        text, metadata = mask_text(text), mask_json(metadata)
        email, phone = email and mask_email(email), phone and mask_phone(phone)
    return [
        record.pk,
        record.received_at.astimezone(tz).isoformat(),
        record.day.isoformat(),
        record.channel,
        record.source,
        record.external_id,
        record.touchpoint,
        "" if record.score is None else f"{record.score:g}",
        record.score_kind,
        record.language,
        text,
        customer.external_id if customer else "",
        email,
        phone,
        customer.name if customer else "",
        json.dumps(metadata, ensure_ascii=False) if metadata else "",
        record.analysis_state,
        *_analysis_cells(record),
    ]


def _analysis_cells(record: Feedback) -> list[object]:
    analysis = getattr(record, "enrichment", None)
    if analysis is None or record.analysis_state != "done":
        return [""] * 10
    language = record.workspace.default_language
    return [
        analysis.sentiment_label,
        analysis.sentiment_score,
        analysis.sentiment_confidence,
        " ".join(t["name"] for t in analysis.types),
        "; ".join(t["name_ko"] if language == "ko" else t["name_en"] for t in analysis.topics),
        " ".join(t["key"] for t in analysis.topics),
        "; ".join(analysis.keywords),
        "yes" if analysis.abusive else "no",
        " ".join(sorted({p["kind"] for p in analysis.pii})),
        analysis.model_version,
    ]


def csv_lines(records: Iterable[Feedback], tz: ZoneInfo, *, reveal: bool) -> Iterator[str]:
    """A BOM (so spreadsheet programs read Korean as UTF-8), the header, then one line each."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(COLUMNS)
    for record in records:
        row = _row(record, tz, reveal)
        yield writer.writerow([csv_cell(v, numeric=i in NUMERIC) for i, v in enumerate(row)])


SCORE_COLUMN = COLUMNS.index("score")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header


def xlsx_file(records: Iterable[Feedback], tz: ZoneInfo, target: BinaryIO, *, reveal: bool) -> int:
    """Write the records as an XLSX workbook into ``target``; returns how many rows it wrote
    (at most ``XLSX_MAX_ROWS``: a CSV has no limit)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("feedback")
    sheet.append(COLUMNS)
    written = 0
    for record in records:
        if written >= XLSX_MAX_ROWS:
            break
        cells = xlsx_cells(sheet, _row(record, tz, reveal))
        if record.score is not None:
            cells[SCORE_COLUMN] = record.score  # a number a spreadsheet can sum, not text
        sheet.append(cells)
        written += 1
    book.save(target)
    return written
