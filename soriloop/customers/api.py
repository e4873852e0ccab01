"""REST endpoints for customers: profiles (CRM upsert, search, one profile with its timeline
and churn risk, export, erasure) and events (``POST /api/v1/events``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict, field_validator

from soriloop.accounts.api import read_auth, request_key, write_auth
from soriloop.accounts.models import ApiKey
from soriloop.core import patterns
from soriloop.core.api_types import (
    NO_NUL,
    Day,
    JsonObject,
    RecordId,
    a_string,
    not_a_boolean,
    omitted,
)
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    envelope,
    invalid,
    json_ok,
    not_found,
)
from soriloop.customers import erasure, segments, selectors
from soriloop.customers.events import EventInvalid, customer_event_record, customer_events_import
from soriloop.customers.models import Customer, CustomerErasure, CustomerEvent
from soriloop.customers.retention import MAX_MONTHS, retention_get
from soriloop.customers.risk import (
    ChurnRisk,
    churn_model_active,
    churn_model_json,
    churn_model_latest,
    customer_churn_risk,
)
from soriloop.customers.services import (
    CustomerInvalid,
    Upsert,
    customer_consent_set,
    customer_upsert,
)

router = Router(tags=["customers"])


class EventCustomerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=patterns.EMAIL)
    phone: str | None = Field(default=None, max_length=32, pattern=patterns.PHONE)


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer: EventCustomerIn = Field(description="external_id, email or phone (at least one).")
    type: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,59}$", examples=["purchase_completed"])
    occurred_at: dt.datetime | None = Field(
        default=None,
        description="Default: now; naive means the workspace's zone; at most a day ahead, not before 1970.",
    )
    amount: float | None = Field(default=None, gt=-1e12, lt=1e12, description="Kept to 2 decimals.")
    properties: dict[str, Any] | None = Field(default=None, description="At most 16,000 bytes.")
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Your id for the event: the same id is stored once (200 with the stored one).",
    )

    _amount = field_validator("amount", mode="before")(not_a_boolean)
    _when = field_validator("occurred_at", mode="before")(a_string)


class EventOut(Schema):
    id: int
    customer_id: int
    type: str
    occurred_at: dt.datetime
    amount: float | None
    properties: dict[str, Any]
    external_id: str | None
    duplicate: bool


def event_json(event: CustomerEvent, *, duplicate: bool) -> dict[str, Any]:
    return {
        "id": event.pk,
        "customer_id": event.customer_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "amount": float(event.amount) if event.amount is not None else None,
        "properties": event.properties,
        "external_id": event.external_id,
        "duplicate": duplicate,
    }


@router.post(
    "/events",
    auth=write_auth,
    summary="Report a customer event (survey triggers react to it)",
    response=documented({201: EventOut, 200: EventOut}, WRITE_ERRORS, BODY_ERRORS),
)
def event_create(request: HttpRequest, payload: EventIn) -> HttpResponse:
    """201 with the stored event; 200 with the one stored before under the same `id`."""
    key = request_key(request)
    try:
        event, new = customer_event_record(
            workspace=key.workspace, data=payload.model_dump(exclude_none=True)
        )
    except EventInvalid as exc:
        return invalid(exc.fields, "event")
    return JsonResponse(
        event_json(event, duplicate=not new),
        status=201 if new else 200,
        json_dumps_params={"ensure_ascii": False},
    )


class EventsBulkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=10_000, description="Event bodies as for POST /events."
    )


class EventResultOut(Schema):
    index: int
    status: Literal["error"]
    error: dict[str, Any] | None


class EventsBulkOut(Schema):
    stored: int
    duplicates: int
    results: list[EventResultOut] = Field(description="The bad items only, with their fields.")


@router.post(
    "/events/bulk",
    auth=write_auth,
    summary="Report up to 10,000 customer events; good ones are stored when others fail",
    response=documented({200: EventsBulkOut}, WRITE_ERRORS, BODY_ERRORS),
)
def events_bulk(request: HttpRequest, payload: EventsBulkIn) -> HttpResponse:
    key = request_key(request)
    report = customer_events_import(workspace=key.workspace, rows=enumerate(payload.items))
    results = [
        {"index": index, "status": "error", "error": {"fields": fields}}
        for index, fields in report.errors
    ]
    return JsonResponse(
        {"stored": report.stored, "duplicates": report.duplicates, "results": results},
        json_dumps_params={"ensure_ascii": False},
    )


# -- profiles ------------------------------------------------------------------------------


class ChurnRiskOut(Schema):
    score: float = Field(ge=0, le=1)
    level: Literal["low", "medium", "high"]
    reasons: list[str]
    model: Literal["heuristic", "model"]


class CustomerRecordOut(Schema):
    id: int
    external_id: str | None
    email: str | None = Field(description="Masked unless the key may see personal data.")
    phone: str | None = Field(description="Masked unless the key may see personal data.")
    name: str
    attributes: dict[str, Any]
    consent: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class TimelineItemOut(Schema):
    at: dt.datetime
    kind: Literal[
        "feedback", "survey_response", "event", "segment_joined", "segment_left", "merged"
    ]
    id: int
    summary: str
    data: dict[str, Any]


class ProfileOut(CustomerRecordOut):
    timeline: list[TimelineItemOut] = Field(description="Newest first, `limit` at most.")
    timeline_next_before: dt.datetime | None = Field(
        description="Pass as `before` for the older items; null when there are none."
    )
    churn_risk: ChurnRiskOut


class CustomerPage(Schema):
    items: list[CustomerRecordOut]
    next_before: int | None


class UpsertIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        default=None, max_length=254, pattern=patterns.EMAIL, description="Omit to keep it."
    )
    phone: str | None = Field(default=None, max_length=32, pattern=patterns.PHONE)
    name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    attributes: JsonObject | None = Field(
        default=None, description="Merged into the stored ones; a key set to null is removed."
    )


ExternalId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00/]+$")]


class CustomerQuery(Schema):
    q: Annotated[str, Field(max_length=200, pattern=NO_NUL)] | None = omitted(
        description="A name (or part of one), an exact e-mail or phone, or part of an external id."
    )
    segment: RecordId | None = omitted(description="Only the members of this saved segment.")
    limit: int = Field(default=50, ge=1, le=200)
    before: RecordId | None = omitted(description="Customers older than this id.")


class ProfileQuery(Schema):
    limit: int = Field(default=50, ge=1, le=200, description="Timeline items at most.")
    before: dt.datetime | None = omitted(description="Timeline items older than this.")

    _when = field_validator("before", mode="before")(a_string)


class ErasedOut(Schema):
    erased: bool
    rows: int


class ErasureOut(Schema):
    id: int
    customer_id: int
    state: Literal["pending", "running", "done", "failed"]
    rows: int
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


def _risk_json(risk: ChurnRisk) -> dict[str, Any]:
    return {"score": risk.score, "level": risk.level, "reasons": risk.reasons, "model": risk.model}


def _customer(request: HttpRequest, customer_id: int) -> Customer | None:
    return selectors.customer_get(workspace=request_key(request).workspace, customer_id=customer_id)


@router.put(
    "/customers/by-external-id/{external_id}",
    auth=write_auth,
    summary="Create or update a customer by your id for them (CRM sync; idempotent)",
    response=documented(
        {200: CustomerRecordOut, 201: CustomerRecordOut}, WRITE_ERRORS, BODY_ERRORS, (409,)
    ),
)
def customer_put(
    request: HttpRequest, external_id: Path[ExternalId], payload: UpsertIn
) -> HttpResponse:
    """201 with the new profile, 200 with the updated one; 409 when the e-mail or phone
    belongs to another customer of the workspace."""
    key = request_key(request)
    data = Upsert(
        email=payload.email,
        phone=payload.phone,
        name=payload.name,
        attributes=dict(payload.attributes or {}),
    )
    try:
        customer, created = customer_upsert(
            workspace=key.workspace, external_id=external_id, data=data
        )
    except CustomerInvalid as exc:
        status = 409 if exc.conflict else 422
        return envelope(status, "The customer could not be saved.", exc.fields)
    return json_ok(
        selectors.profile_json(customer, reveal=key.personal_data), 201 if created else 200
    )


@router.get(
    "/customers",
    auth=read_auth,
    summary="Search the workspace's customers, newest first",
    response=documented({200: CustomerPage}),
)
def customer_list(request: HttpRequest, query: Query[CustomerQuery]) -> HttpResponse:
    key = request_key(request)
    members = None
    if query.segment is not None:
        segment = segments.segment_get(workspace=key.workspace, segment_id=query.segment)
        # another workspace's segment, or none: no members (as for an empty segment)
        members = segments.segment_member_ids(segment=segment) if segment else []
    return _customer_page(
        key, q=query.q or "", members=members, before=query.before, limit=query.limit
    )


def _customer_page(
    key: ApiKey, *, q: str, members: Any, before: int | None, limit: int
) -> HttpResponse:
    found = selectors.customers_search(
        workspace=key.workspace, q=q, member_ids=members, before=before, limit=limit + 1
    )
    more = len(found) > limit
    found = found[:limit]
    return json_ok(
        {
            "items": [selectors.profile_json(c, reveal=key.personal_data) for c in found],
            "next_before": found[-1].pk if more and found else None,
        }
    )


@router.get(
    "/customers/{customer_id}",
    auth=read_auth,
    summary="One customer: profile, timeline (newest first) and churn risk",
    response=documented({200: ProfileOut}, ONE_ERRORS),
)
def customer_read(
    request: HttpRequest, customer_id: Path[RecordId], query: Query[ProfileQuery]
) -> HttpResponse:
    customer = _customer(request, customer_id)
    if customer is None:
        return not_found("customer")
    page = selectors.customer_timeline(customer=customer, before=query.before, limit=query.limit)
    body = selectors.profile_json(customer, reveal=request_key(request).personal_data)
    body["timeline"] = [selectors.timeline_item_json(item) for item in page.items]
    body["timeline_next_before"] = page.next_before.isoformat() if page.next_before else None
    body["churn_risk"] = _risk_json(customer_churn_risk(customer))
    return json_ok(body)


@router.get(
    "/customers/{customer_id}/export",
    auth=read_auth,
    summary="Everything stored about one customer, as JSON (a subject access request)",
    response=documented({200: dict[str, Any]}, ONE_ERRORS, WRITE_ERRORS),
)
def customer_export(request: HttpRequest, customer_id: Path[RecordId]) -> HttpResponse:
    """Unmasked, so only for a key that may see personal data (403 otherwise)."""
    if not request_key(request).personal_data:
        return envelope(403, "This key may not see personal data.")
    customer = _customer(request, customer_id)
    if customer is None:
        return not_found("customer")
    return json_ok(selectors.customer_export(customer=customer))


@router.delete(
    "/customers/{customer_id}",
    auth=write_auth,
    summary="Erase one customer and their personal data everywhere",
    response=documented({200: ErasedOut, 202: ErasureOut}, ONE_ERRORS, WRITE_ERRORS),
)
def customer_delete(request: HttpRequest, customer_id: Path[RecordId]) -> HttpResponse:
    """200 when erased now; 202 with the job when the customer has more rows than
    ``ERASURE_SYNC_LIMIT`` (follow it at ``/customer-erasures/{id}``)."""
    key = request_key(request)
    customer = _customer(request, customer_id)
    if customer is None:
        return not_found("customer")
    outcome = erasure.customer_erase(
        customer=customer, actor_label=f"API key {key.prefix} ({key.name})"
    )
    if outcome.job is not None:
        return json_ok(erasure_json(outcome.job), 202)
    return json_ok({"erased": True, "rows": outcome.erased or 0})


def erasure_json(job: CustomerErasure) -> dict[str, Any]:
    return {
        "id": job.pk,
        "customer_id": job.customer_id,
        "state": job.state,
        "rows": job.erased,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@router.get(
    "/customer-erasures/{job_id}",
    auth=read_auth,
    summary="An erasure done by the worker",
    response=documented({200: ErasureOut}, ONE_ERRORS),
)
def erasure_read(request: HttpRequest, job_id: Path[RecordId]) -> HttpResponse:
    job = erasure.customer_erasure_get(workspace=request_key(request).workspace, job_id=job_id)
    if job is None:
        return not_found("erasure")
    return json_ok(erasure_json(job))


class ConsentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    purpose: Literal["survey_email", "analysis", "marketing"]
    granted: bool
    source: str = Field(
        default="api", min_length=1, max_length=200, pattern=NO_NUL,
        description="Where the customer said it (a form, a call, your CRM).",
    )  # fmt: skip


@router.put(
    "/customers/{customer_id}/consent",
    auth=write_auth,
    summary="Record a customer's consent (or its withdrawal) for one purpose",
    response=documented({200: CustomerRecordOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def consent_put(
    request: HttpRequest, customer_id: Path[RecordId], payload: ConsentIn
) -> HttpResponse:
    """Survey e-mail is not sent to a customer who withdrew `survey_email` (skipped as
    `no_consent`)."""
    customer = _customer(request, customer_id)
    if customer is None:
        return not_found("customer")
    customer_consent_set(
        customer=customer, purpose=payload.purpose, granted=payload.granted, source=payload.source
    )
    return json_ok(selectors.profile_json(customer, reveal=request_key(request).personal_data))


# -- retention (docs/metrics.md) -----------------------------------------------------------


class RetentionQuery(Schema):
    date_from: Day | None = omitted(description="Default: the first day of 11 months ago.")
    date_to: Day | None = omitted(description="Default: today; at most 36 months after date_from.")


class RetentionPeriodOut(Schema):
    start: dt.date
    active_at_start: int
    churned: int
    new: int
    churn_rate: float | None
    retention_rate: float | None


class CohortOut(Schema):
    month: str
    size: int
    retained: list[float] = Field(description="Share still active at the end of each month.")


class RetentionOut(Schema):
    inactivity_days: int
    periods: list[RetentionPeriodOut]
    cohorts: list[CohortOut]


@router.get(
    "/metrics/retention",
    auth=read_auth,
    summary="Churn and retention per month, and cohort retention by signup month",
    response=documented({200: RetentionOut}),
)
def retention_read(request: HttpRequest, query: Query[RetentionQuery]) -> HttpResponse:
    """`date_to` before `date_from`, or a span of more than 36 months, is a 422 naming it."""
    workspace = request_key(request).workspace
    today = timezone.localdate(timezone.now(), ZoneInfo(workspace.timezone))
    date_to = query.date_to or today
    date_from = query.date_from or (date_to.replace(day=1) - dt.timedelta(days=320)).replace(day=1)
    if date_to < date_from:
        return envelope(422, "The period is invalid.", {"date_to": ["is before date_from"]})
    if (date_to.year - date_from.year) * 12 + date_to.month - date_from.month >= MAX_MONTHS:
        return envelope(
            422,
            "The period is too long.",
            {"date_to": [f"at most {MAX_MONTHS} months after date_from"]},
        )
    return json_ok(retention_get(workspace=workspace, date_from=date_from, date_to=date_to))


class CalibrationBinOut(Schema):
    predicted: float
    observed: float
    count: int


class ChurnModelOut(Schema):
    id: int
    active: bool = Field(description="Whether profiles use it (else the heuristic).")
    note: str = Field(description="Why it is not used, when it is not.")
    trained_at: dt.datetime
    customers: int
    churned: int
    held_out: int
    auc: float | None = Field(description="On the held-out customers.")
    brier: float | None
    calibration: list[CalibrationBinOut]
    features: list[str]
    coefficients: list[float]
    rule: str


class ChurnModelState(Schema):
    active: ChurnModelOut | None
    latest: ChurnModelOut | None


@router.get(
    "/churn-model",
    auth=read_auth,
    summary="The workspace's churn model: the one in use and the last training",
    response=documented({200: ChurnModelState}),
)
def churn_model_read(request: HttpRequest) -> HttpResponse:
    workspace_id = request_key(request).workspace.pk
    active = churn_model_active(workspace_id=workspace_id)
    latest = churn_model_latest(workspace_id=workspace_id)
    return json_ok(
        {
            "active": churn_model_json(active) if active else None,
            "latest": churn_model_json(latest) if latest else None,
        }
    )


# -- segments (docs/customers.md#segments) -------------------------------------------------


class SegmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=NO_NUL)
    rules: JsonObject = Field(
        description='A group {"all": [...]} or {"any": [...]} of conditions and groups; '
        "see docs/customers.md#segments.",
        examples=[{"all": [{"attribute": "plan", "op": "eq", "value": "pro"},
                           {"event": "purchase", "op": "eq", "value": 0, "within_days": 60}]}],
    )  # fmt: skip


class SegmentOut(Schema):
    id: int
    name: str
    rules: dict[str, Any]
    member_count: int
    created_at: dt.datetime
    refreshed_at: dt.datetime | None


class SegmentList(Schema):
    items: list[SegmentOut]


class MembersQuery(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    before: RecordId | None = omitted(description="Members older than this customer id.")


def segment_json(segment: Any) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "rules": segment.rules,
        "member_count": segment.member_count,
        "created_at": segment.created_at.isoformat(),
        "refreshed_at": segment.refreshed_at.isoformat() if segment.refreshed_at else None,
    }


@router.get(
    "/segments",
    auth=read_auth,
    summary="The workspace's saved segments with their member counts",
    response=documented({200: SegmentList}),
)
def segment_list(request: HttpRequest) -> HttpResponse:
    found = segments.segments_of(workspace=request_key(request).workspace)
    return json_ok({"items": [segment_json(s) for s in found]})


@router.post(
    "/segments",
    auth=write_auth,
    summary="Save a segment; its members are found at once and kept current",
    response=documented({201: SegmentOut}, WRITE_ERRORS, BODY_ERRORS),
)
def segment_create(request: HttpRequest, payload: SegmentIn) -> HttpResponse:
    """422 names the bad part of the rule by its path (`rules.all.1.op`)."""
    try:
        segment = segments.segment_create(
            workspace=request_key(request).workspace, name=payload.name, rules=payload.rules
        )
    except segments.SegmentInvalid as exc:
        return invalid(exc.fields, "segment")
    return json_ok(segment_json(segment), 201)


@router.get(
    "/segments/{segment_id}/customers",
    auth=read_auth,
    summary="The members of a segment, newest customer first",
    response=documented({200: CustomerPage}, ONE_ERRORS),
)
def segment_customers(
    request: HttpRequest, segment_id: Path[RecordId], query: Query[MembersQuery]
) -> HttpResponse:
    key = request_key(request)
    segment = segments.segment_get(workspace=key.workspace, segment_id=segment_id)
    if segment is None:
        return not_found("segment")
    members = segments.segment_member_ids(segment=segment)
    return _customer_page(key, q="", members=members, before=query.before, limit=query.limit)
