"""REST endpoints for outgoing webhooks and their deliveries (docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict

from soriloop.accounts.api import read_auth, write_auth
from soriloop.accounts.models import ApiKey
from soriloop.alerts import selectors, services
from soriloop.alerts.models import WebhookDelivery, WebhookEndpoint
from soriloop.alerts.payloads import EVENTS
from soriloop.alerts.services import WebhookInvalid
from soriloop.core.api_types import RecordId, omitted
from soriloop.core.errors import BODY_ERRORS, ONE_ERRORS, WRITE_ERRORS, documented, envelope

router = Router(tags=["webhooks"])

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


def _key(request: HttpRequest) -> ApiKey:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return key


def _json(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def webhook_json(endpoint: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "personal_data": endpoint.personal_data,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at.isoformat(),
        "secret": endpoint.secret if secret else None,
    }


def delivery_json(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "message_id": d.message_id,
        "event_type": d.event_type,
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat(),
        "created_at": d.created_at.isoformat(),
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
        "last_status": d.last_status,
        "last_latency_ms": d.last_latency_ms,
        "last_response": d.last_response,
        "last_error": d.last_error,
    }


def _endpoint(request: HttpRequest, webhook_id: Path[RecordId]) -> WebhookEndpoint | None:
    return selectors.webhook_get(workspace=_key(request).workspace, webhook_id=webhook_id)


def _missing() -> JsonResponse:
    return envelope(404, "No such webhook in this workspace.")


def _invalid(exc: WebhookInvalid) -> JsonResponse:
    return envelope(422, "The webhook has invalid fields.", exc.fields)


@router.post(
    "/webhooks",
    auth=write_auth,
    summary="Subscribe an endpoint to events (the secret is shown once)",
    response=documented({201: WebhookOut}, WRITE_ERRORS, BODY_ERRORS),
)
def webhook_create(request: HttpRequest, payload: WebhookIn) -> HttpResponse:
    key = _key(request)
    try:
        endpoint = services.webhook_create(
            workspace=key.workspace, actor=None, data=payload.model_dump()
        )
    except WebhookInvalid as exc:
        return _invalid(exc)
    return _json(webhook_json(endpoint, secret=True), 201)


@router.get(
    "/webhooks",
    auth=read_auth,
    summary="The workspace's webhooks",
    response=documented({200: WebhookPage}),
)
def webhook_list(request: HttpRequest) -> HttpResponse:
    found = selectors.webhooks_of(workspace=_key(request).workspace)
    return _json({"items": [webhook_json(e) for e in found]})


@router.get(
    "/webhooks/{webhook_id}",
    auth=read_auth,
    summary="One webhook",
    response=documented({200: WebhookOut}, ONE_ERRORS),
)
def webhook_read(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    return _json(webhook_json(endpoint)) if endpoint else _missing()


@router.patch(
    "/webhooks/{webhook_id}",
    auth=write_auth,
    summary="Change a webhook, enable it again or rotate its secret",
    response=documented({200: WebhookOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def webhook_patch(
    request: HttpRequest, webhook_id: Path[RecordId], payload: WebhookPatch
) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return _missing()
    data = payload.model_dump(exclude_none=True)
    try:
        services.webhook_update(endpoint=endpoint, actor=None, data=data)
    except WebhookInvalid as exc:
        return _invalid(exc)
    return _json(webhook_json(endpoint, secret=bool(data.get("rotate_secret"))))


@router.delete(
    "/webhooks/{webhook_id}",
    auth=write_auth,
    summary="Delete a webhook and its deliveries",
    response=documented({204: None}, ONE_ERRORS, WRITE_ERRORS),
)
def webhook_delete(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return _missing()
    services.webhook_delete(endpoint=endpoint, actor=None)
    return HttpResponse(status=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    auth=read_auth,
    summary="The delivery log, newest first (dead letters with state=dead)",
    response=documented({200: DeliveryPage}, ONE_ERRORS),
)
def delivery_list(
    request: HttpRequest, webhook_id: Path[RecordId], query: Query[DeliveryQuery]
) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return _missing()
    found = selectors.deliveries_of(endpoint=endpoint, state=query.state, before=query.before)
    items = list(found[: query.limit + 1])
    more = len(items) > query.limit
    items = items[: query.limit]
    return _json(
        {
            "items": [delivery_json(d) for d in items],
            "next_before": items[-1].pk if more and items else None,
        }
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    auth=write_auth,
    summary="Send one delivery again, with its own webhook-id",
    response=documented({200: ReplayOut}, ONE_ERRORS, WRITE_ERRORS),
)
def delivery_replay(
    request: HttpRequest, webhook_id: Path[RecordId], delivery_id: Path[RecordId]
) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if (
        endpoint is None
        or selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id) is None
    ):
        return envelope(404, "No such delivery of this webhook.")
    return _json(
        {"replayed": services.deliveries_replay(endpoint=endpoint, delivery_ids=[delivery_id])}
    )


@router.post(
    "/webhooks/{webhook_id}/replay-dead",
    auth=write_auth,
    summary="Send every dead delivery of the webhook again",
    response=documented({200: ReplayOut}, ONE_ERRORS, WRITE_ERRORS),
)
def delivery_replay_dead(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return _missing()
    dead = selectors.dead_letter_ids(endpoint=endpoint)
    return _json({"replayed": services.deliveries_replay(endpoint=endpoint, delivery_ids=dead)})


@router.post(
    "/webhooks/{webhook_id}/test",
    auth=write_auth,
    summary="Queue a test message to the endpoint",
    response=documented({201: DeliveryOut}, ONE_ERRORS, WRITE_ERRORS),
)
def webhook_test(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return _missing()
    return _json(delivery_json(services.webhook_test(endpoint=endpoint)), 201)
