"""The alerts API's request and response schemas (docs/alerts.md, docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, field_validator

from soriloop.alerts.payloads import EVENTS
from soriloop.core.api_types import NO_NUL, RecordId, a_string, not_a_boolean, omitted
from soriloop.core.fields import MAX_ID
from soriloop.feedback.models import Channel

EventName = Literal[EVENTS]  # type: ignore[valid-type]


class WebhookIn(Schema):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="http(s); private addresses are refused.")
    events: list[EventName] = Field(min_length=1)
    description: str = Field(default="", max_length=300)
    personal_data: bool = Field(default=False, description="Send the text unmasked.")


class WebhookPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    events: list[EventName] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=300)
    personal_data: bool | None = None
    enabled: bool | None = None
    rotate_secret: bool | None = Field(
        default=None, description="A new secret; the old one signs too for 24 hours."
    )


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    description: str
    personal_data: bool
    enabled: bool
    disabled_reason: str
    created_at: dt.datetime
    secret: str | None = Field(description="Only in the answer that created or rotated it.")


class WebhookPage(Schema):
    items: list[WebhookOut]


class DeliveryOut(Schema):
    id: int
    message_id: str
    event_type: str
    state: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    last_status: int | None
    last_latency_ms: int | None
    last_response: str
    last_error: str


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_before: int | None


class DeliveryQuery(Schema):
    state: Literal["pending", "delivered", "dead"] | None = omitted()
    limit: int = Field(default=50, ge=1, le=500)
    before: RecordId | None = omitted(description="Deliveries older than this id.")


class ReplayOut(Schema):
    replayed: int


Sentiment = Literal["negative", "neutral", "positive"]


TypeName = Literal["praise", "complaint", "suggestion", "question", "bug"]


ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]


ScoreKindName = Literal["nps", "csat", "ces", "stars"]


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


Name = Annotated[str, Field(min_length=1, max_length=120, pattern=NO_NUL)]


class AlertConditionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sentiment: Sentiment | None = None
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    topics: list[Name] = Field(default_factory=list, max_length=50, description="Topic keys.")
    types: list[TypeName] = Field(default_factory=list)
    score_kind: ScoreKindName | None = None
    score_min: float | None = Field(default=None, ge=0, le=10)
    score_max: float | None = Field(default=None, ge=0, le=10)
    keyword: str | None = Field(default=None, max_length=100, pattern=NO_NUL)
    languages: list[Name] = Field(default_factory=list, max_length=20)
    channels: list[ChannelName] = Field(default_factory=list)  # type: ignore[valid-type]
    sources: list[Name] = Field(default_factory=list, max_length=50)
    touchpoints: list[Name] = Field(default_factory=list, max_length=50)
    segments: list[Name] = Field(
        default_factory=list, max_length=50, description="Customer attribute `segment`."
    )
    abusive: StrictBool | None = None

    _numbers = field_validator("min_confidence", "score_min", "score_max", mode="before")(
        not_a_boolean
    )


Word = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]


class NegativeShareIn(Schema):
    """A topic's negative share in the last hours above ``factor`` times its baseline (the
    same hours on the same weekday of the past 8 weeks)."""

    model_config = ConfigDict(extra="forbid")

    measure: Literal["negative_share"]
    topic: Word = Field(description="Topic key.")
    hours: int = Field(default=1, ge=1, le=24, description="Whole UTC hours and the current one.")
    factor: float = Field(default=2.0, ge=1, le=100)

    _numbers = field_validator("hours", "factor", mode="before")(not_a_boolean)


class NpsDropIn(Schema):
    """NPS of the last 7 days more than ``points`` below the 7 before, beyond noise."""

    model_config = ConfigDict(extra="forbid")

    measure: Literal["nps_drop"]
    points: float = Field(default=10.0, ge=0, le=200)

    _numbers = field_validator("points", mode="before")(not_a_boolean)


class KeywordVolumeIn(Schema):
    """At least ``min_count`` records naming the keyword in the last hours."""

    model_config = ConfigDict(extra="forbid")

    measure: Literal["keyword_volume"]
    keyword: Word = Field(description="An analysis keyword, compared lower-cased.")
    hours: int = Field(default=1, ge=1, le=168)
    min_count: int = Field(default=10, ge=1, le=1_000_000)

    _numbers = field_validator("hours", "min_count", mode="before")(not_a_boolean)


class SpikeIn(Schema):
    """A spike of the insights pages (of one topic, of one kind, when given)."""

    model_config = ConfigDict(extra="forbid")

    measure: Literal["spike"]
    topic: str = Field(default="", max_length=100, pattern=NO_NUL)
    spike_kind: Literal["", "volume", "negative_share"] = ""


AggregateIn = Annotated[
    NegativeShareIn | NpsDropIn | KeywordVolumeIn | SpikeIn, Field(discriminator="measure")
]


RuleKindName = Literal["record", "aggregate"]


class AlertRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    enabled: StrictBool = True
    kind: RuleKindName = Field(
        default="record", description="aggregate: checked on a schedule over the rollups."
    )
    conditions: AlertConditionsIn = Field(default_factory=AlertConditionsIn)
    aggregate: AggregateIn | None = Field(default=None, description="An aggregate rule's measure.")
    notify_user_ids: list[RecordId] = Field(default_factory=list, max_length=50)
    in_app: StrictBool = True
    email: StrictBool = False
    slack_url: str = Field(default="", max_length=2000, pattern=NO_NUL)
    webhook: StrictBool = Field(default=True, description="Append alert.fired for webhooks.")
    dedup_minutes: int = Field(default=60, ge=0, le=10080)
    max_per_hour: int = Field(default=10, ge=1, le=1000)
    quiet_start: str | None = Field(
        default=None, pattern=HHMM, description="HH:MM in the workspace's time zone."
    )
    quiet_end: str | None = Field(default=None, pattern=HHMM)
    muted_until: dt.datetime | None = None

    _numbers = field_validator("dedup_minutes", "max_per_hour", mode="before")(not_a_boolean)
    _times = field_validator("muted_until", mode="before")(a_string)


class AlertRulePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    enabled: StrictBool | None = None
    kind: RuleKindName | None = None
    conditions: AlertConditionsIn | None = None
    aggregate: AggregateIn | None = None
    notify_user_ids: list[RecordId] | None = Field(default=None, max_length=50)
    in_app: StrictBool | None = None
    email: StrictBool | None = None
    slack_url: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)
    webhook: StrictBool | None = None
    dedup_minutes: int | None = Field(default=None, ge=0, le=10080)
    max_per_hour: int | None = Field(default=None, ge=1, le=1000)
    quiet_start: str | None = Field(
        default=None, pattern=HHMM, description="HH:MM; null clears quiet hours."
    )
    quiet_end: str | None = Field(default=None, pattern=HHMM)
    muted_until: dt.datetime | None = Field(default=None, description="null unmutes.")

    _numbers = field_validator("dedup_minutes", "max_per_hour", mode="before")(not_a_boolean)
    _times = field_validator("muted_until", mode="before")(a_string)


class AlertConditionsOut(Schema):
    sentiment: Sentiment | None = None
    min_confidence: float | None = None
    topics: list[str] = Field(default_factory=list)
    types: list[TypeName] = Field(default_factory=list)
    score_kind: ScoreKindName | None = None
    score_min: float | None = None
    score_max: float | None = None
    keyword: str | None = None
    languages: list[str] = Field(default_factory=list)
    channels: list[ChannelName] = Field(default_factory=list)  # type: ignore[valid-type]
    sources: list[str] = Field(default_factory=list)
    touchpoints: list[str] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)
    abusive: bool | None = None


class AggregateOut(Schema):
    measure: Literal["negative_share", "nps_drop", "keyword_volume", "spike"]
    topic: str | None = None
    keyword: str | None = None
    hours: int | None = None
    factor: float | None = None
    points: float | None = None
    min_count: int | None = None
    spike_kind: Literal["", "volume", "negative_share"] | None = None


class AlertRuleOut(Schema):
    id: int
    name: str
    owner_id: int
    enabled: bool
    kind: RuleKindName
    conditions: AlertConditionsOut
    aggregate: AggregateOut | None = Field(description="Null for a record rule.")
    active: bool = Field(description="An aggregate rule's condition holds (fired, not cleared).")
    notify_user_ids: list[int]
    in_app: bool
    email: bool
    slack_url: str
    webhook: bool
    dedup_minutes: int
    max_per_hour: int
    quiet_start: str | None = Field(pattern=HHMM)
    quiet_end: str | None = Field(pattern=HHMM)
    muted_until: dt.datetime | None
    created_at: dt.datetime


class AlertRulePage(Schema):
    items: list[AlertRuleOut]


class PreviewExampleOut(Schema):
    id: int
    text: str = Field(description="Masked.")
    received_at: dt.datetime


class PreviewOut(Schema):
    days: int
    records_checked: int = Field(description="Record rules: records replayed; aggregate: 0.")
    matches: int = Field(description="Matching records, or checks in which the measure held.")
    alerts: int = Field(description="Alerts it would have fired, with dedup and throttle.")
    throttled: int
    examples: list[PreviewExampleOut]
    checks: int = Field(description="Aggregate rules: times the measure was read; record: 0.")
    fired_at: list[dt.datetime] = Field(description="Aggregate rules: when it would have fired.")


class AlertRecordOut(Schema):
    id: int
    url: str
    text: str = Field(description="Masked unless the key may see personal data.")
    received_at: dt.datetime
    sentiment: Sentiment | None
    topics: list[str]


class AlertOut(Schema):
    id: int
    rule_id: int
    rule_name: str
    fired_at: dt.datetime
    last_at: dt.datetime
    count: int
    held: bool = Field(description="Held by quiet hours until the digest.")
    sent_at: dt.datetime | None
    records: list[AlertRecordOut]
    measure: dict[str, Any] | None = Field(
        description="An aggregate rule's reading (measure, value, baseline...); null for records."
    )
    measure_text: str = Field(description="That reading in words, in the request's language.")


class AlertPage(Schema):
    items: list[AlertOut]
    next_before: int | None


class AlertQuery(Schema):
    rule_id: int | None = omitted(ge=1, le=MAX_ID)
    limit: int = Field(default=50, ge=1, le=200)
    before: int | None = omitted(ge=1, le=MAX_ID, description="Alerts older than this id.")


class NotificationOut(Schema):
    id: int
    alert_id: int | None
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread: int


class NotificationQuery(Schema):
    unread: bool = False
    limit: int = Field(default=50, ge=1, le=200)


class NotificationReadIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ids: list[RecordId] | None = Field(
        default=None, max_length=500, description="null marks every notification read."
    )


class NotificationReadOut(Schema):
    read: int


class InboundCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=300, pattern=NO_NUL)


class InboundOut(Schema):
    id: int
    url: str = Field(description="Where the CRM POSTs its signed calls.")
    description: str
    enabled: bool
    created_at: dt.datetime
    secret: str | None = Field(description="Only in the answer that created it.")


class InboundPage(Schema):
    items: list[InboundOut]


class InboundCallIn(Schema):
    """The body a CRM signs and sends."""

    type: Literal["customer.upsert", "customer.event"]
    data: dict[str, Any] = Field(
        description="customer.upsert: external_id, email, phone, name, attributes (an "
        "identifier required); customer.event: the body of POST /api/v1/events."
    )


class InboundResultOut(Schema):
    type: Literal["customer.upsert", "customer.event"]
    duplicate: bool = Field(description="This webhook-id came before; nothing changed.")
    customer_id: int
    event_id: int | None = None
    new_event: bool | None = None


class DigestIn(Schema):
    model_config = ConfigDict(extra="forbid")

    frequency: Literal["off", "daily", "weekly"]


class DigestOut(Schema):
    frequency: Literal["off", "daily", "weekly"]
    hour: int = Field(description="Local hour (the workspace's zone) digests go out from.")
    timezone: str
