"""REST endpoints for customers: events (``POST /api/v1/events``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict, field_validator

from soriloop.accounts.api import write_auth
from soriloop.accounts.models import ApiKey
from soriloop.core import patterns
from soriloop.core.api_types import a_string, not_a_boolean
from soriloop.core.errors import BODY_ERRORS, WRITE_ERRORS, documented, envelope
from soriloop.customers.events import EventInvalid, customer_event_record
from soriloop.customers.models import CustomerEvent

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
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    try:
        event, new = customer_event_record(
            workspace=key.workspace, data=payload.model_dump(exclude_none=True)
        )
    except EventInvalid as exc:
        return envelope(422, "The event has invalid fields.", exc.fields)
    return JsonResponse(
        event_json(event, duplicate=not new),
        status=201 if new else 200,
        json_dumps_params={"ensure_ascii": False},
    )
