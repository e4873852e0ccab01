"""Validate and normalise one piece of feedback from any channel (no database access)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from soriloop.core.fields import FIRST_DAY, LAST_DAY, FieldErrors, unicode_problem
from soriloop.customers.services import CustomerRef, normalise_email, normalise_phone
from soriloop.feedback.models import SCORE_RANGES, Channel

MAX_TEXT = 20_000
MAX_BULK = 10_000  # items in one API request
MAX_METADATA_BYTES = 16_384
MAX_SHORT = {"source": 120, "external_id": 200, "touchpoint": 120, "idempotency_key": 200}
FIELDS = {
    "text", "score", "score_kind", "channel", "source", "external_id", "touchpoint",
    "received_at", "metadata", "customer", "idempotency_key",
}  # fmt: skip
CUSTOMER_FIELDS = {"external_id", "email", "phone", "name", "attributes"}

CHANNELS = frozenset(Channel.values)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
_PHONE = re.compile(r"\+?[0-9]{6,16}")
MAX_EMAIL = 254  # the column's length, and RFC 5321's limit
MOMENT_PROBLEM = (
    f"must be an ISO 8601 date or time from {FIRST_DAY.year} to {LAST_DAY.year}, "
    "like 2026-01-31T14:03:00+09:00"
)


class InvalidFeedback(FieldErrors):
    """Bad feedback fields, by field."""


@dataclass(frozen=True)
class FeedbackInput:
    channel: str
    received_at: dt.datetime
    text: str = ""
    score: float | None = None
    score_kind: str = ""
    source: str = ""
    external_id: str = ""
    touchpoint: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    customer: CustomerRef | None = None
    idempotency_key: str = ""
    # A hash of what was sent with an idempotency key: a retry must send the same.
    fingerprint: str = ""
    # Set by file imports without an external id: the row's content and its repeat number,
    # stable when rows are added to or removed from the file around it.
    dedup_hint: str = ""


def normalise_text(raw: str) -> str:
    """NFC, no control characters, single spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def printable(name: str) -> str:
    """A field name that can be sent back in an answer, even one with a lone surrogate."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


_JSON_FIELDS = {"metadata", "attributes"}


def _without_bad_unicode(
    data: Mapping[str, Any], errors: dict[str, list[str]], prefix: str = ""
) -> dict[str, Any]:
    """``data`` with each value that cannot be stored replaced by None, and its error noted."""
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if prefix == "" and name == "customer" and isinstance(value, dict):
            clean[name] = _without_bad_unicode(value, errors, prefix="customer.")
            continue
        problem = unicode_problem(value, nul_ok=name not in _JSON_FIELDS)
        if problem:
            errors.setdefault(printable(prefix + str(name)), []).append(problem)
        clean[printable(str(name))] = None if problem else value
    return clean


def _short(value: Any, name: str, errors: dict[str, list[str]]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.setdefault(name, []).append("must be a string")
        return ""
    text = normalise_text(str(value))
    limit = MAX_SHORT.get(name, 200)
    if len(text) > limit:
        errors.setdefault(name, []).append(f"must be at most {limit} characters")
    return text


def _score(data: Mapping[str, Any], errors: dict[str, list[str]]) -> tuple[float | None, str]:
    raw, kind = data.get("score"), data.get("score_kind") or ""
    if raw is None or raw == "":
        if kind:
            errors.setdefault("score", []).append("is required when score_kind is given")
        return None, ""
    if not kind:
        errors.setdefault("score_kind", []).append(
            f"is required with a score: one of {', '.join(SCORE_RANGES)}"
        )
        return None, ""
    if kind not in SCORE_RANGES:
        errors.setdefault("score_kind", []).append(f"must be one of {', '.join(SCORE_RANGES)}")
        return None, ""
    try:
        score = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        score = math.nan
    low, high = SCORE_RANGES[kind]
    if math.isnan(score):
        errors.setdefault("score", []).append("must be a number")
    elif not low <= score <= high:
        errors.setdefault("score", []).append(f"must be between {low} and {high} for {kind}")
    elif kind != "stars" and score != int(score):
        errors.setdefault("score", []).append(f"must be a whole number for {kind}")
    elif kind == "stars" and score * 2 != int(score * 2):
        errors.setdefault("score", []).append("must be a whole or half star")
    return score, kind


_KOREAN_DATE = re.compile(r"^(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일\s*")
_DOTTED_DATE = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})\.?")


def _parse_text_datetime(text: str) -> dt.datetime | None:
    """ISO 8601, ``2024.03.05``, ``2024/3/5 14:22`` or ``2024년 3월 5일``; a bare date is noon."""
    for pattern in (_KOREAN_DATE, _DOTTED_DATE):
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            rest = text[match.end() :].strip()
            text = f"{year:04d}-{month:02d}-{day:02d}" + (f"T{rest}" if rest else "")
            break
    text = text[:-1] + "+00:00" if text.endswith("Z") else text
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(hour=12) if len(text) == 10 else moment


def parse_datetime(value: Any, tz: ZoneInfo) -> dt.datetime | None:
    """An aware datetime from ISO 8601 text, a date, or a Unix timestamp; naive means ``tz``."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(12, 0))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        parsed = _parse_text_datetime(value.strip())
        if parsed is None:
            return None
        moment = parsed
    else:
        return None
    # The year as written (the one a person reads), checked before the move to UTC, which a
    # year 1 or 9999 would overflow.
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(dt.UTC)


def _received_at(
    value: Any, tz: ZoneInfo, now: dt.datetime, errors: dict[str, list[str]]
) -> dt.datetime:
    if value is None or value == "":
        return now
    moment = parse_datetime(value, tz)
    if moment is None:
        errors.setdefault("received_at", []).append(MOMENT_PROBLEM)
        return now
    if moment > now + dt.timedelta(days=1):
        errors.setdefault("received_at", []).append("is in the future")
    return moment


def _metadata(value: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.setdefault("metadata", []).append("must be a JSON object")
        return {}
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_METADATA_BYTES:
        errors.setdefault("metadata", []).append(
            f"must be at most {MAX_METADATA_BYTES} bytes as JSON"
        )
    return value


def _customer(value: Any, errors: dict[str, list[str]]) -> CustomerRef | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.setdefault("customer", []).append("must be an object")
        return None
    unknown = set(value) - CUSTOMER_FIELDS
    for name in sorted(map(str, unknown)):
        errors.setdefault(f"customer.{name}", []).append("is not a known field")
    email = normalise_email(str(value.get("email") or ""))
    if email and not _EMAIL.fullmatch(email):
        errors.setdefault("customer.email", []).append("is not an e-mail address")
    elif len(email) > MAX_EMAIL:
        errors.setdefault("customer.email", []).append(f"must be at most {MAX_EMAIL} characters")
    phone = normalise_phone(str(value.get("phone") or ""))
    if phone and not _PHONE.fullmatch(phone):
        errors.setdefault("customer.phone", []).append("is not a phone number")
    attributes = value.get("attributes") or {}
    if not isinstance(attributes, dict):
        errors.setdefault("customer.attributes", []).append("must be an object")
        attributes = {}
    ref = CustomerRef(
        external_id=_short(value.get("external_id"), "external_id", errors),
        email=email,
        phone=phone,
        name=_short(value.get("name"), "name", errors),
        attributes=attributes,
    )
    return None if ref.is_empty and not ref.name else ref


def parse_feedback(
    data: Mapping[str, Any], *, channel: str, tz: ZoneInfo, now: dt.datetime
) -> FeedbackInput:
    """Check and normalise one item; raise ``InvalidFeedback`` naming every bad field.

    ``channel`` is the default when the item names none; ``tz`` interprets naive times.
    """
    errors: dict[str, list[str]] = {}
    data = _without_bad_unicode(data, errors)
    for name in sorted(set(data) - FIELDS):
        errors.setdefault(name, []).append("is not a known field")
    raw_text = data.get("text")
    if raw_text is not None and not isinstance(raw_text, str):
        errors.setdefault("text", []).append("must be a string")
        raw_text = ""
    text = normalise_text(raw_text or "")
    if len(text) > MAX_TEXT:
        errors.setdefault("text", []).append(f"must be at most {MAX_TEXT:,} characters")
    score, kind = _score(data, errors)
    quiet = {"text", "score", "score_kind"} & set(errors)
    if not text and score is None and not quiet:
        errors.setdefault("text", []).append("is empty and there is no score")
    chosen = data.get("channel") or channel
    if chosen not in CHANNELS:
        errors.setdefault("channel", []).append(f"must be one of {', '.join(Channel.values)}")
    item = FeedbackInput(
        channel=str(chosen),
        received_at=_received_at(data.get("received_at"), tz, now, errors),
        text=text,
        score=score,
        score_kind=kind,
        source=_short(data.get("source"), "source", errors),
        external_id=_short(data.get("external_id"), "external_id", errors),
        touchpoint=_short(data.get("touchpoint"), "touchpoint", errors),
        metadata=_metadata(data.get("metadata"), errors),
        customer=_customer(data.get("customer"), errors),
        idempotency_key=_short(data.get("idempotency_key"), "idempotency_key", errors),
    )
    if errors:
        raise InvalidFeedback(errors)
    if item.idempotency_key:
        return replace(item, fingerprint=_fingerprint(data))
    return item


def parse_feedback_patch(
    current: Mapping[str, Any], *, metadata: dict[str, Any] | None, touchpoint: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """A change of a stored record's metadata (merged into ``current``, a null value removes
    a key) and touchpoint, checked as an ingested record's are; the touchpoint normalised.
    Raise ``InvalidFeedback`` naming every bad field."""
    errors: dict[str, list[str]] = {}
    for name, value, nul_ok in (("metadata", metadata, False), ("touchpoint", touchpoint, True)):
        problem = unicode_problem(value, nul_ok=nul_ok)
        if problem:
            errors.setdefault(name, []).append(problem)
    if metadata is not None and not errors:
        _metadata({k: v for k, v in {**current, **metadata}.items() if v is not None}, errors)
    if touchpoint is not None and not errors:
        touchpoint = _short(touchpoint, "touchpoint", errors)
    if errors:
        raise InvalidFeedback(errors)
    return metadata, touchpoint


def _fingerprint(data: Mapping[str, Any]) -> str:
    sent = {k: v for k, v in data.items() if k != "idempotency_key" and v is not None}
    canonical = json.dumps(sent, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
