"""What the feedback endpoints take and answer, for the API description.

Each input states the rules ``validation`` and ``filters`` enforce (see ``core.api_types``);
the endpoints still hand the raw values to those, which every channel shares."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from soriloop.core import patterns
from soriloop.core.api_types import (
    Day,
    JsonObject,
    Matching,
    OneOf,
    QueryText,
    RecordId,
    omitted,
)
from soriloop.feedback.filters import (
    CHANNELS_PATTERN,
    CHANNELS_PROBLEM,
    CURSOR_PATTERN,
    CURSOR_PROBLEM,
    FEEDBACK_TYPES,
    LANGUAGES,
    SCORE_BOUNDS,
    SENTIMENTS,
    SLUG_PROBLEM,
    TOPIC_PATTERN,
    TOPIC_RE,
)
from soriloop.feedback.models import SCORE_RANGES, Channel, ScoreKind
from soriloop.feedback.validation import (
    MAX_BULK,
    MAX_EMAIL,
    MAX_METADATA_BYTES,
    MAX_SHORT,
    MAX_TEXT,
    MOMENT_PROBLEM,
)


class CustomerOut(Schema):
    """Null for what the profile does not hold."""

    id: int
    external_id: str | None
    email: str | None
    phone: str | None
    name: str


class FeedbackOut(Schema):
    id: int
    channel: str
    source: str
    external_id: str
    customer: CustomerOut | None
    touchpoint: str
    text: str
    score: float | None
    score_kind: str | None
    language: str | None
    metadata: dict[str, Any]
    received_at: dt.datetime
    day: dt.date
    created_at: dt.datetime
    analysis_state: str
    analysis: dict[str, Any] | None = Field(
        description="Labels with provenance once analysed; null while it waits."
    )
    case: int | None = Field(
        default=None, description="The id of the record's case once it has one (docs/cases.md)."
    )


class IngestedOut(FeedbackOut):
    status: Literal["created", "duplicate"]


class BulkError(Schema):
    fields: dict[str, list[str]]


class BulkResult(Schema):
    index: int
    status: Literal["created", "duplicate", "error"]
    id: int | None
    error: BulkError | None


class BulkOut(Schema):
    results: list[BulkResult]


class FeedbackPage(Schema):
    items: list[FeedbackOut]
    next_cursor: str | None


Score = Annotated[float, Field(ge=SCORE_BOUNDS[0], le=SCORE_BOUNDS[1], allow_inf_nan=False)]


class FilterQuery(Schema):
    """The filters of the feedback list and the metrics: all optional, combined with AND.
    Days are the workspace's days (from 1900-01-01 to 2999-12-31); `date_to` is not before
    `date_from`."""

    channel: list[Annotated[str, Matching(CHANNELS_PATTERN, CHANNELS_PROBLEM)]] | None = omitted(
        description=f"Repeatable, or comma-separated: {', '.join(Channel.values)}.",
    )
    source: QueryText | None = omitted()
    touchpoint: QueryText | None = omitted()
    date_from: Day | None = omitted(description="First day, 2026-01-31.")
    date_to: Day | None = omitted(description="Last day, 2026-01-31.")
    score_kind: ScoreKind | None = omitted()
    score_min: Score | None = omitted(description="Scores from this one.")
    score_max: Score | None = omitted(description="Scores up to this one.")
    language: Annotated[str, OneOf(LANGUAGES)] | None = omitted()
    sentiment: Annotated[str, OneOf(SENTIMENTS)] | None = omitted()
    topic: Annotated[str, Matching(TOPIC_PATTERN, SLUG_PROBLEM, TOPIC_RE)] | None = omitted(
        description="A topic key, or unassigned."
    )
    type: Annotated[str, OneOf(FEEDBACK_TYPES)] | None = omitted(
        description="A feedback type, or none."
    )
    segment: QueryText | None = omitted(
        description="The customer's segment attribute (the first 60 characters)."
    )
    q: QueryText | None = omitted(
        description="Words the text contains (the first 200 characters). A key without "
        "personal data searches the masked text.",
    )
    customer: RecordId | None = omitted(description="A customer id.")
    has_text: bool | None = omitted()


class PageQuery(Schema):
    cursor: Annotated[str, Matching(CURSOR_PATTERN, CURSOR_PROBLEM)] | None = omitted(
        description="The `next_cursor` of the page before."
    )
    limit: int = Field(default=50, ge=1, le=500)


def _short(name: str, description: str = "") -> Any:
    limit = MAX_SHORT.get(name, 200)
    extra = f" At most {limit} characters (also once spaces are tidied)."
    return Field(default=None, max_length=limit, description=(description + extra).strip())


class CustomerIn(Schema):
    """Matched to a profile by external id, then e-mail, then phone; created when none is."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = _short("external_id")
    email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL,
        json_schema_extra={"pattern": patterns.EMAIL},
        description="An e-mail address.",
    )
    phone: str | None = Field(
        default=None,
        json_schema_extra={"pattern": patterns.PHONE},
        description="6 to 16 digits, an optional leading +; spaces, dashes, dots and "
        "brackets are ignored; +82 10... is stored as 010... .",
    )
    name: str | None = _short("name")
    attributes: JsonObject | None = None


METADATA_SIZE = f"At most {MAX_METADATA_BYTES:,} bytes as JSON (UTF-8)."

# Stricter than the other channels (files, mail), which also read 2026.01.31 or a Unix
# time: the API takes what its description can state.
Moment = Annotated[str, Matching(patterns.MOMENT, MOMENT_PROBLEM)]


def _text_or_score() -> list[Any]:
    """The body's alternatives: text with something in it and no score, or a score in its
    kind's range (whole numbers, stars by halves)."""
    text = {
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "pattern": patterns.CONTENT},
            "score": {"type": "null"},
            "score_kind": {"type": "null"},
        },
    }
    scored = [
        {
            "required": ["score", "score_kind"],
            "properties": {
                "score_kind": {"const": kind},
                "score": {
                    "type": "number",
                    "multipleOf": 0.5 if kind == ScoreKind.STARS else 1,
                    "minimum": low,
                    "maximum": high,
                },
            },
        }
        for kind, (low, high) in SCORE_RANGES.items()
    ]
    return [text, *scored]


class FeedbackIn(Schema):
    """Text, a score, or both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": _text_or_score()})

    text: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description=f"What the customer wrote (at most {MAX_TEXT:,} characters). Required, "
        "with something besides spaces, unless there is a score.",
    )
    score: float | None = Field(
        default=None, strict=True, description="Within its kind's range; stars by halves."
    )
    score_kind: ScoreKind | None = Field(
        default=None,
        description="nps (0-10), csat (1-5), ces (1-7), stars (1-5); required with a score.",
    )
    channel: Channel | None = Field(default=None, description="Default: api.")
    source: str | None = _short("source")
    external_id: str | None = _short("external_id", "With source: the same pair is stored once.")
    touchpoint: str | None = _short("touchpoint")
    received_at: Moment | None = Field(
        default=None,
        description="ISO 8601, from 1900 to 2999 and at most a day ahead of the server's "
        "clock: 2026-01-31T14:03:00+09:00; without an offset the workspace's time, a bare "
        "date is noon. Default: now.",
    )
    metadata: JsonObject | None = Field(default=None, description=METADATA_SIZE)
    customer: CustomerIn | None = None


class BulkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        json_schema_extra={"maxItems": MAX_BULK},
        description=f"Up to {MAX_BULK:,} feedback objects, each checked on its own: a bad "
        "one is reported in its result (413 for more items).",
    )


class FeedbackPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    metadata: JsonObject | None = Field(
        default=None, description=f"Merged; a null value removes a key. {METADATA_SIZE}"
    )
    touchpoint: str | None = _short("touchpoint")
