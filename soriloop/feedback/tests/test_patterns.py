"""The API description's patterns say what the validators do: each pattern, read as a JSON
Schema validator reads it, accepts a value exactly when the server does."""

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soriloop.core import patterns
from soriloop.core.api_types import DAY_PATTERN
from soriloop.feedback.filters import CURSOR_PATTERN, TOPIC_PATTERN, TOPIC_RE, decode_cursor
from soriloop.feedback.validation import (
    InvalidFeedback,
    normalise_text,
    parse_datetime,
    parse_feedback,
)

SEOUL = ZoneInfo("Asia/Seoul")
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def described(pattern: str, **extra: object) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(
        {"type": "string", "pattern": pattern, **extra}, validate_formats=True
    )


def customer_field_ok(name: str, value: str) -> bool:
    try:
        parse_feedback({"text": "x", "customer": {name: value}}, channel="api", tz=SEOUL, now=NOW)
    except InvalidFeedback as exc:
        return f"customer.{name}" not in exc.fields
    return True


def test_text_has_content_exactly_when_it_keeps_something_once_normalised() -> None:
    content = described(patterns.CONTENT)
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates are refused before anyone reads the text
        ch = chr(code)
        assert content.is_valid(f" {ch} ") == bool(normalise_text(f" {ch} ")), hex(code)


# The characters addresses and phone numbers are made of, and those normalisation drops.
PIECES = st.sampled_from(
    [*"0123456789+().-@._ab\t\n\u3000\u00a0\u2028\x1c\x85\x00\x7f한", "+82", "82", "010", "000"]
)
TEXTS = st.lists(PIECES, max_size=24).map("".join)


@FAST
@given(st.one_of(TEXTS, st.from_regex(patterns.EMAIL, fullmatch=True)))
def test_the_email_pattern_is_the_email_rule(value: str) -> None:
    assert described(patterns.EMAIL).is_valid(value) == customer_field_ok("email", value)


@FAST
@given(st.one_of(TEXTS, st.from_regex(patterns.PHONE, fullmatch=True)))
def test_the_phone_pattern_is_the_phone_rule(value: str) -> None:
    assert described(patterns.PHONE).is_valid(value) == customer_field_ok("phone", value)


@FAST
@given(st.from_regex(patterns.MOMENT, fullmatch=True))
def test_every_moment_the_pattern_admits_is_one_the_server_reads(value: str) -> None:
    moment = parse_datetime(value, SEOUL)
    assert moment is not None, value
    if len(value) > 10 and value[-1] != "Z" and value[-6] not in "+-":  # the workspace's time
        assert parse_datetime(value, UTC) == parse_datetime(f"{value}+00:00", UTC)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("2100-02-29", False),
        ("2000-02-29T23:59:59.999999+14:00", True),
        ("1900-01-01T00:00:00+09:00", True),  # the year as written, though 1899 in UTC
        ("1900-01-01 00:00", True),
        ("1899-12-31T23:00:00Z", False),
        ("2026-01-31T24:00", False),
        ("2026-01-31T10:00:60", False),
        ("2026.01.31", False),  # other channels read it; the API does not claim to
        ("2026-01-31\n", False),
    ],
)
def test_the_moment_pattern_on_the_edges(value: str, valid: bool) -> None:
    assert described(patterns.MOMENT).is_valid(value) == valid
    if valid:
        assert parse_datetime(value, SEOUL) is not None


@FAST
@given(st.from_regex(DAY_PATTERN, fullmatch=True))
def test_a_day_the_description_admits_is_one_the_filters_read(value: str) -> None:
    from soriloop.core.fields import parse_day

    valid = described(DAY_PATTERN, format="date").is_valid(value)
    assert valid == (parse_day(value) is not None), value


@FAST
@given(st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_cursor_the_pattern_admits_is_a_place_in_the_list(value: str) -> None:
    moment, pk = decode_cursor(value)
    assert moment.tzinfo is not None and pk >= 0


def test_the_topic_pattern_is_the_topic_rule_for_every_character_python_knows() -> None:
    topic = described(TOPIC_PATTERN)
    for code in range(0x30000):
        ch = chr(code)
        if unicodedata.category(ch) in ("Cn", "Cs"):
            continue  # unassigned in Python's Unicode (newer in Rust's), or a lone surrogate
        assert topic.is_valid(f"a{ch}") == bool(TOPIC_RE.fullmatch(f"a{ch}")), hex(code)
    assert topic.is_valid("배송-지연_2") and not topic.is_valid("a" * 61)
