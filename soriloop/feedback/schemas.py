"""What the feedback endpoints answer and which filters they take, for the API description."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema


class CustomerOut(Schema):
    id: int
    external_id: str
    email: str
    phone: str
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


class FilterQuery(Schema):
    """The filters of the feedback list and the metrics: all optional, combined with AND.
    Days are the workspace's days (from 1900-01-01 to 2999-12-31)."""

    channel: list[str] | None = Field(
        default=None, description="Repeatable, or comma-separated: api, widget, email, ..."
    )
    source: str | None = None
    touchpoint: str | None = None
    date_from: str | None = Field(default=None, description="First day, 2026-01-31.")
    date_to: str | None = Field(default=None, description="Last day, 2026-01-31.")
    score_kind: str | None = Field(default=None, description="nps, csat, ces or stars.")
    score_min: str | None = Field(default=None, description="A number.")
    score_max: str | None = Field(default=None, description="A number.")
    language: str | None = None
    sentiment: str | None = Field(default=None, description="positive, neutral or negative.")
    topic: str | None = Field(default=None, description="A topic key, or unassigned.")
    type: str | None = Field(default=None, description="A feedback type, or none.")
    segment: str | None = Field(default=None, description="The customer's segment attribute.")
    q: str | None = Field(default=None, description="Words the text contains.")
    customer: str | None = Field(default=None, description="A customer id.")
    has_text: str | None = Field(default=None, description="true or false.")
