"""REST endpoints for sending surveys: campaigns and their progress, trigger rules, the
contact rule (fatigue) with quiet hours, and the suppression list (docs/surveys.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict, field_validator

from soriloop.accounts.api import read_auth, request_key, write_auth
from soriloop.analysis.engine.pii import mask_email
from soriloop.core import patterns
from soriloop.core.api_types import RecordId, not_a_boolean
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    invalid,
    json_ok,
    not_found,
)
from soriloop.surveys import campaigns, fatigue, progress, selectors, suppression, triggers
from soriloop.surveys.api import RecipientIn
from soriloop.surveys.models import Survey
from soriloop.surveys.questions import SurveyInvalid

router = Router(tags=["survey sending"])

CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_CSV_CHARS = 8_000_000


class CampaignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=200)
    recipients: list[RecipientIn] | None = Field(
        default=None, min_length=1, max_length=campaigns.MAX_CAMPAIGN_RECIPIENTS
    )
    csv: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_CSV_CHARS,
        description="CSV text: a header with email and optionally name, external_id, language "
        "and hidden question keys.",
    )
    segment: str | None = Field(
        default=None, min_length=1, max_length=120, description="Customers of this segment."
    )
    reminder_days: int | None = Field(
        default=None,
        ge=1,
        le=campaigns.MAX_REMINDER_DAYS,
        description="One reminder to non-responders this many days after their invitation.",
    )
    start_at: dt.datetime | None = Field(default=None, description="Default: now.")
    expires_days: int | None = Field(default=None, ge=1, le=365)


class SkippedOut(Schema):
    suppressed: int = Field(ge=0)
    fatigue_gap: int = Field(ge=0)
    fatigue_window: int = Field(ge=0)
    survey_closed: int = Field(ge=0)
    expired: int = Field(ge=0)
    cancelled: int = Field(ge=0)
    no_address: int = Field(ge=0)
    late: int = Field(ge=0)
    finished: int = Field(ge=0)
    no_consent: int = Field(ge=0, description="The customer withdrew consent to survey e-mail.")


class VariantsOut(Schema):
    unopened: int = Field(ge=0)
    opened: int = Field(ge=0)
    started: int = Field(ge=0)


class RemindersOut(Schema):
    queued: int = Field(ge=0)
    sent: int = Field(ge=0)
    bounced: int = Field(ge=0)
    failed: int = Field(ge=0)
    skipped: SkippedOut
    sent_by_variant: VariantsOut


class CampaignOut(Schema):
    id: int
    survey_id: int
    name: str
    source: Literal["list", "csv", "segment"]
    segment: str | None
    state: Literal["scheduled", "sending", "sent", "cancelled"]
    reminder_days: int | None
    start_at: dt.datetime
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    recipients: int = Field(ge=0)
    queued: int = Field(ge=0)
    sent: int = Field(ge=0)
    bounced: int = Field(ge=0)
    failed: int = Field(ge=0)
    skipped: SkippedOut
    opened: int = Field(ge=0)
    started: int = Field(ge=0)
    finished: int = Field(ge=0)
    reminders: RemindersOut


class RejectedOut(Schema):
    where: str
    reason: str


class CampaignCreatedOut(CampaignOut):
    rejected: list[RejectedOut]


class CampaignPage(Schema):
    items: list[CampaignOut]


class TriggerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    event_type: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,59}$", examples=["purchase_completed"])
    delay_minutes: int = Field(default=0, ge=0, le=triggers.MAX_DELAY_MINUTES)
    filter: dict[str, str | int | float | bool] | None = Field(
        default=None,
        max_length=triggers.MAX_FILTER_KEYS,
        description="Property name -> the value it must equal (names 1-60 characters).",
    )


class TriggerOut(Schema):
    id: int
    survey_id: int
    event_type: str
    delay_minutes: int = Field(ge=0)
    filter: dict[str, Any]
    active: bool
    created_at: dt.datetime
    scheduled: int = Field(ge=0)
    sent: int = Field(ge=0)
    bounced: int = Field(ge=0)
    failed: int = Field(ge=0)
    skipped: SkippedOut


class TriggerPage(Schema):
    items: list[TriggerOut]


class OverrideIO(Schema):
    model_config = ConfigDict(extra="forbid")

    gap_days: int | None = Field(
        default=None, ge=0, le=fatigue.MAX_DAYS, description="Null: the workspace's."
    )
    max_in_window: int | None = Field(
        default=None, ge=1, le=fatigue.MAX_DAYS, description="Null: the workspace's."
    )

    _numbers = field_validator("gap_days", "max_in_window", mode="before")(not_a_boolean)
    counts: bool = Field(
        default=True, description="Whether this survey's sends count toward the others' limits."
    )


class QuietHours(Schema):
    model_config = ConfigDict(extra="forbid")

    start: str = Field(pattern=CLOCK, examples=["21:00"])
    end: str = Field(pattern=CLOCK, examples=["09:00"])


class RuleOut(Schema):
    gap_days: int = Field(ge=0, le=fatigue.MAX_DAYS)
    max_in_window: int = Field(ge=1, le=fatigue.MAX_DAYS)
    window_days: int = Field(ge=1, le=fatigue.MAX_DAYS)
    quiet_hours: QuietHours | None


class RuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    gap_days: int | None = Field(default=None, ge=0, le=fatigue.MAX_DAYS)
    max_in_window: int | None = Field(default=None, ge=1, le=fatigue.MAX_DAYS)
    window_days: int | None = Field(default=None, ge=1, le=fatigue.MAX_DAYS)

    _numbers = field_validator("gap_days", "max_in_window", "window_days", mode="before")(
        not_a_boolean
    )
    quiet_hours: QuietHours | None = Field(
        default=None, description="Local times, in the workspace's zone; null: none."
    )


class SuppressionOut(Schema):
    address: str
    reason: Literal["unsubscribed", "bounced"]
    created_at: dt.datetime


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    total: int = Field(ge=0)


class SuppressionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    addresses: list[Annotated[str, Field(max_length=254, pattern=patterns.EMAIL_STRICT)]] = Field(
        min_length=1, max_length=10_000
    )


class AddedOut(Schema):
    added: int = Field(ge=0)


class PageQuery(Schema):
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def _survey(request: HttpRequest, survey_id: int) -> Survey | None:
    return selectors.survey_get(workspace=request_key(request).workspace, survey_id=survey_id)


def _recipients(survey: Survey, payload: CampaignIn) -> tuple[str, list[Any], list[Any]]:
    """The campaign's source, its good recipients and the rejected ones."""
    given = [name for name in ("recipients", "csv", "segment") if getattr(payload, name)]
    if len(given) != 1:
        raise SurveyInvalid({"recipients": ["give exactly one of recipients, csv and segment"]})
    hidden = [q["key"] for q in survey.current.questions if q["kind"] == "hidden"]
    if payload.csv:
        good, rejected = campaigns.recipients_from_csv(text=payload.csv, hidden_keys=hidden)
        return "csv", good, rejected
    if payload.segment:
        found = campaigns.recipients_from_segment(
            workspace=survey.workspace, segment=payload.segment
        )
        return "segment", found, []
    raw = [r.model_dump(exclude_none=True) for r in payload.recipients or []]
    good, rejected = campaigns.recipients_check(raw)
    return "list", good, rejected


@router.post(
    "/surveys/{survey_id}/campaigns",
    auth=write_auth,
    summary="E-mail a live survey to a list, a CSV or a segment, throttled, with a reminder",
    response=documented({201: CampaignCreatedOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def campaign_create(
    request: HttpRequest, survey_id: Path[RecordId], payload: CampaignIn
) -> HttpResponse:
    """201 with the campaign's progress and the `rejected` recipients (where and why);
    422 when no recipient is good."""
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    try:
        source, good, rejected = _recipients(survey, payload)
        campaign = campaigns.campaign_create(
            survey=survey,
            actor=None,
            recipients=good,
            name=payload.name,
            source=source,
            segment=payload.segment or "",
            reminder_days=payload.reminder_days,
            start_at=payload.start_at,
            expires_days=payload.expires_days,
        )
    except SurveyInvalid as exc:
        return invalid(exc.fields)
    body = progress.campaign_progress(campaign=campaign)
    body["rejected"] = [{"where": r.where, "reason": r.reason} for r in rejected]
    return json_ok(body, 201)


@router.get(
    "/surveys/{survey_id}/campaigns",
    auth=read_auth,
    summary="A survey's campaigns with their progress",
    response=documented({200: CampaignPage}, ONE_ERRORS),
)
def campaign_list(request: HttpRequest, survey_id: Path[RecordId]) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    found = progress.campaigns_of(survey=survey)[:200]
    return json_ok({"items": [progress.campaign_progress(campaign=c) for c in found]})


@router.get(
    "/surveys/{survey_id}/campaigns/{campaign_id}",
    auth=read_auth,
    summary="A campaign's progress: queued, sent, skipped by reason, bounced, opened, started, "
    "finished, reminders",
    response=documented({200: CampaignOut}, ONE_ERRORS),
)
def campaign_read(
    request: HttpRequest, survey_id: Path[RecordId], campaign_id: Path[RecordId]
) -> HttpResponse:
    survey = _survey(request, survey_id)
    campaign = progress.campaign_get(survey=survey, campaign_id=campaign_id) if survey else None
    if campaign is None:
        return not_found("campaign")
    return json_ok(progress.campaign_progress(campaign=campaign))


@router.post(
    "/surveys/{survey_id}/campaigns/{campaign_id}/cancel",
    auth=write_auth,
    summary="Stop a campaign: what is still queued is skipped as cancelled",
    response=documented({200: CampaignOut}, ONE_ERRORS, WRITE_ERRORS),
)
def campaign_cancel(
    request: HttpRequest, survey_id: Path[RecordId], campaign_id: Path[RecordId]
) -> HttpResponse:
    survey = _survey(request, survey_id)
    campaign = progress.campaign_get(survey=survey, campaign_id=campaign_id) if survey else None
    if campaign is None:
        return not_found("campaign")
    campaigns.campaign_cancel(campaign=campaign, actor=None)
    return json_ok(progress.campaign_progress(campaign=campaign))


@router.post(
    "/surveys/{survey_id}/triggers",
    auth=write_auth,
    summary="Send the survey some minutes after each customer event of a type",
    response=documented({201: TriggerOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def trigger_create(
    request: HttpRequest, survey_id: Path[RecordId], payload: TriggerIn
) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    try:
        rule = triggers.trigger_create(
            survey=survey, actor=None, data=payload.model_dump(exclude_none=True)
        )
    except SurveyInvalid as exc:
        return invalid(exc.fields)
    return json_ok(progress.trigger_json(trigger=rule), 201)


@router.get(
    "/surveys/{survey_id}/triggers",
    auth=read_auth,
    summary="A survey's trigger rules with what each scheduled, sent and skipped",
    response=documented({200: TriggerPage}, ONE_ERRORS),
)
def trigger_list(request: HttpRequest, survey_id: Path[RecordId]) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    found = progress.triggers_of(survey=survey)[:200]
    return json_ok({"items": [progress.trigger_json(trigger=t) for t in found]})


@router.delete(
    "/surveys/{survey_id}/triggers/{trigger_id}",
    auth=write_auth,
    summary="Switch a trigger rule off (what it scheduled still goes)",
    response=documented({200: TriggerOut}, ONE_ERRORS, WRITE_ERRORS),
)
def trigger_stop(
    request: HttpRequest, survey_id: Path[RecordId], trigger_id: Path[RecordId]
) -> HttpResponse:
    survey = _survey(request, survey_id)
    rule = progress.trigger_get(survey=survey, trigger_id=trigger_id) if survey else None
    if rule is None:
        return not_found("trigger rule")
    triggers.trigger_stop(trigger=rule, actor=None)
    return json_ok(progress.trigger_json(trigger=rule))


@router.get(
    "/surveys/{survey_id}/fatigue",
    auth=read_auth,
    summary="A survey's own contact rule (null: the workspace's)",
    response=documented({200: OverrideIO}, ONE_ERRORS),
)
def override_read(request: HttpRequest, survey_id: Path[RecordId]) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    return json_ok(fatigue.override_get(survey=survey).as_dict())


@router.put(
    "/surveys/{survey_id}/fatigue",
    auth=write_auth,
    summary="Set a survey's own gap and limit, and whether it counts for the others",
    response=documented({200: OverrideIO}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def override_update(
    request: HttpRequest, survey_id: Path[RecordId], payload: OverrideIO
) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    try:
        found = fatigue.override_update(survey=survey, actor=None, data=payload.model_dump())
    except SurveyInvalid as exc:
        return invalid(exc.fields)
    return json_ok(found.as_dict())


@router.get(
    "/survey-settings",
    auth=read_auth,
    summary="The workspace's contact rule and quiet hours",
    response=documented({200: RuleOut}),
)
def rule_read(request: HttpRequest) -> HttpResponse:
    return json_ok(fatigue.rule_get(workspace=request_key(request).workspace).as_dict())


@router.put(
    "/survey-settings",
    auth=write_auth,
    summary="Change the contact rule and quiet hours (fields left out keep their value)",
    response=documented({200: RuleOut}, WRITE_ERRORS, BODY_ERRORS),
)
def rule_update(request: HttpRequest, payload: RuleIn) -> HttpResponse:
    """`quiet_hours: null` switches quiet hours off; a field left out keeps its value."""
    data = payload.model_dump(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k == "quiet_hours"}
    try:
        rule = fatigue.rule_update(workspace=request_key(request).workspace, actor=None, data=data)
    except SurveyInvalid as exc:
        return invalid(exc.fields)
    return json_ok(rule.as_dict())


@router.get(
    "/suppressions",
    auth=read_auth,
    summary="Addresses no survey e-mail goes to (unsubscribed, bounced), newest first",
    response=documented({200: SuppressionPage}),
)
def suppression_list(request: HttpRequest, page: Query[PageQuery]) -> HttpResponse:
    """Addresses are masked unless the key may read personal data."""
    key = request_key(request)
    found = suppression.suppressions_of(workspace=key.workspace)
    items = [
        {
            "address": s.address if key.personal_data else mask_email(s.address),
            "reason": s.reason,
            "created_at": s.created_at.isoformat(),
        }
        for s in found[page.offset : page.offset + page.limit]
    ]
    return json_ok({"items": items, "total": found.count()})


@router.post(
    "/suppressions",
    auth=write_auth,
    summary="Suppress addresses (e.g. unsubscribes from another tool)",
    response=documented({200: AddedOut}, WRITE_ERRORS, BODY_ERRORS),
)
def suppression_create(request: HttpRequest, payload: SuppressionsIn) -> HttpResponse:
    bad: dict[str, list[str]] = {}
    for i, address in enumerate(payload.addresses):
        try:
            validate_email(address.strip())
        except ValidationError:
            bad[f"addresses[{i}]"] = ["is not an e-mail address"]
    if bad:
        return invalid(bad)
    added = suppression.suppressions_add(
        workspace=request_key(request).workspace, addresses=payload.addresses, reason="unsubscribed"
    )
    return json_ok({"added": added})
