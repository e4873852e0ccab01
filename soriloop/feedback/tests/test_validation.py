"""The one validator every channel shares."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from soriloop.customers.services import normalise_phone
from soriloop.feedback.validation import (
    InvalidFeedback,
    normalise_text,
    parse_datetime,
    parse_feedback,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def parse(**data):
    return parse_feedback(data, channel="api", tz=SEOUL, now=NOW)


def test_text_is_nfc_normalised_and_tidied() -> None:
    decomposed = "\u1100\u1161\u11a8 \t 배송\u200b  \r\n\r\n\r\n\r\n늦어요  "  # 각 in jamo
    assert normalise_text(decomposed) == "각 배송\n\n늦어요"


def test_emoji_and_mixed_scripts_survive() -> None:
    assert parse(text="앱 UI가 😍 great").text == "앱 UI가 😍 great"


def test_a_full_20000_character_text_is_kept_and_one_more_is_refused() -> None:
    assert len(parse(text="가" * 20_000).text) == 20_000
    with pytest.raises(InvalidFeedback) as exc:
        parse(text="가" * 20_001)
    assert "text" in exc.value.fields


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("nps", [0, 10], [-1, 11, 7.5]),
        ("csat", [1, 5], [0, 6]),
        ("ces", [1, 7], [0, 8]),
        ("stars", [1, 4.5, 5], [0.5, 5.5, 3.3]),
    ],
)
def test_scores_stay_within_their_kind(kind: str, good: list, bad: list) -> None:
    for value in good:
        assert parse(score=value, score_kind=kind).score == value
    for value in bad:
        with pytest.raises(InvalidFeedback) as exc:
            parse(score=value, score_kind=kind)
        assert "score" in exc.value.fields


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidFeedback) as exc:
        parse(text=5, score="high", score_kind="nps", channel="fax", unknown=1)
    assert set(exc.value.fields) == {"text", "score", "channel", "unknown"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-05T14:00:00+09:00", "2026-03-05T05:00:00+00:00"),
        ("2026-03-05T14:00:00Z", "2026-03-05T14:00:00+00:00"),
        ("2026-03-05 14:00", "2026-03-05T05:00:00+00:00"),
        ("2026-03-05", "2026-03-05T03:00:00+00:00"),
        ("2026.03.05", "2026-03-05T03:00:00+00:00"),
        ("2026.3.5.", "2026-03-05T03:00:00+00:00"),
        ("2026/03/05 09:30", "2026-03-05T00:30:00+00:00"),
        ("2026년 3월 5일", "2026-03-05T03:00:00+00:00"),
        (1772668800, "2026-03-05T00:00:00+00:00"),
        (1772668800000, "2026-03-05T00:00:00+00:00"),
    ],
)
def test_dates_in_the_forms_people_export(raw, expected: str) -> None:
    assert parse_datetime(raw, SEOUL).astimezone(dt.UTC).isoformat() == expected


def test_unparseable_dates_are_none() -> None:
    for raw in ("yesterday", "2026-13-01", "", None, 10**20):
        assert parse_datetime(raw, SEOUL) is None


def test_korean_phone_numbers_are_normalised() -> None:
    assert normalise_phone("+82 10-1234-5678") == "01012345678"
    assert normalise_phone("010.1234.5678") == "01012345678"
    assert normalise_phone("(02) 123-4567") == "021234567"


def test_customer_fields_are_checked() -> None:
    item = parse(text="x", customer={"email": " Kim@Example.COM ", "name": "김"})
    assert item.customer.email == "kim@example.com"
    with pytest.raises(InvalidFeedback) as exc:
        parse(text="x", customer={"phone": "call me"})
    assert "customer.phone" in exc.value.fields
