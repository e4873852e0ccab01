"""One exception shape for "these fields are wrong, and why", shared by every validator."""

from __future__ import annotations

import datetime as dt
from typing import Any


class FieldErrors(ValueError):
    """Each field's reasons, e.g. ``{"score": ["must be between 0 and 10 for nps"]}``."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


# Ids and days a query can take on every database: SQLite's integers are 64-bit, and a day
# near year 1 or 9999 overflows when a period around it is computed or moved to a time zone.
MAX_ID = 2**63 - 1
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def parse_id(raw: object) -> int | None:
    """A positive record id from text (ASCII digits only, 64-bit), else None."""
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_day(raw: str) -> dt.date | None:
    """A day written 2026-01-31 between FIRST_DAY and LAST_DAY, else None."""
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


DAY_PROBLEM = f"must be a date like 2026-01-31, from {FIRST_DAY} to {LAST_DAY}"


def unicode_problem(value: Any, *, nul_ok: bool) -> str:
    """Why ``value`` (a string, or JSON with strings in it) cannot be stored, or "".

    A lone surrogate cannot be encoded at all; a NUL is refused by PostgreSQL in JSON and
    kept by SQLite, so JSON values refuse it on every database (text fields drop it as a
    control character instead)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode (it has a lone surrogate)"
        return "" if nul_ok or "\x00" not in value else "must not contain NUL characters"
    if isinstance(value, dict):
        parts: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        return ""
    return next((p for p in (unicode_problem(v, nul_ok=nul_ok) for v in parts) if p), "")
