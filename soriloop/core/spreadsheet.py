"""Cells of exported spreadsheets that no spreadsheet program runs (the inbox's record
exports and the surveys' response exports share them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV
# injection"): such text gets a leading single quote; a number in a numeric column stays one.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def csv_cell(value: object, *, numeric: bool = False) -> object:
    """``value`` as a CSV cell no spreadsheet program evaluates."""
    if not isinstance(value, str) or not value.startswith(FORMULA_LEADS):
        return value
    if numeric and _is_number(value):
        return value
    return "'" + value


def xlsx_cells(sheet: Any, values: Iterable[object]) -> list[object]:
    """``values`` as a row of a write-only openpyxl ``sheet``: text stays text (a leading
    ``=`` is typed as a string, never a formula), with the characters XML cannot hold
    removed; numbers stay numbers."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells: list[object] = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
                value = cell
        cells.append(value)
    return cells
