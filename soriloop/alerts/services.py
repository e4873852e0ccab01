"""Webhook endpoints: create, change, rotate, delete; the outbox filled from the change log;
replay and test sends (docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Membership, User, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.alerts.models import DeliveryState, WebhookDelivery, WebhookEndpoint, new_secret
from soriloop.alerts.payloads import EVENTS, change_data, envelope, fit
from soriloop.alerts.webhooks import UnsafeAddress, resolve
from soriloop.core.models import Change

ROTATION_OVERLAP = dt.timedelta(hours=24)
MAX_ENDPOINTS = 50


class WebhookInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def _events(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or any(e not in EVENTS for e in raw):
        raise WebhookInvalid({"events": [f"must be a non-empty list of {', '.join(EVENTS)}"]})
    return sorted(set(raw))


def _url(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > 2000:
        raise WebhookInvalid({"url": ["must be an http(s) URL of at most 2,000 characters"]})
    try:
        resolve(raw)
    except UnsafeAddress as exc:
        raise WebhookInvalid({"url": [str(exc)]}) from exc
    return raw


def _check(actor: Membership | None) -> None:
    if actor is not None:
        require(actor, Action.MANAGE_SETTINGS)


def _audit(endpoint: WebhookEndpoint, actor: Membership | None, action: str) -> None:
    audit_record(
        workspace=endpoint.workspace,
        actor=actor.user if actor else None,
        action=action,
        target=f"webhook {endpoint.pk}",
        data={"url": endpoint.url, "events": endpoint.events},
    )


def webhook_create(
    *,
    workspace: Workspace,
    actor: Membership | None,
    data: Mapping[str, Any],
    created_by: User | None = None,
) -> WebhookEndpoint:
    """A new endpoint with a fresh ``whsec_`` secret (shown once, by the caller); raise
    ``WebhookInvalid`` for an unsafe URL or unknown events."""
    _check(actor)
    if WebhookEndpoint.objects.filter(workspace=workspace).count() >= MAX_ENDPOINTS:
        raise WebhookInvalid({"url": [f"a workspace has at most {MAX_ENDPOINTS} webhooks"]})
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=_url(data.get("url")),
        events=_events(data.get("events")),
        description=str(data.get("description") or "")[:300],
        personal_data=bool(data.get("personal_data", False)),
        created_by=created_by or (actor.user if actor else None),
    )
    _audit(endpoint, actor, "webhook.created")
    return endpoint


def webhook_update(
    *, endpoint: WebhookEndpoint, actor: Membership | None, data: Mapping[str, Any]
) -> WebhookEndpoint:
    """Change the URL, events, description, personal data or enabled flag; ``rotate_secret``
    makes a new secret while the old one still signs for 24 hours."""
    _check(actor)
    if "url" in data:
        endpoint.url = _url(data["url"])
    if "events" in data:
        endpoint.events = _events(data["events"])
    if "description" in data:
        endpoint.description = str(data["description"] or "")[:300]
    if "personal_data" in data:
        endpoint.personal_data = bool(data["personal_data"])
    if "enabled" in data:
        endpoint.enabled = bool(data["enabled"])
        if endpoint.enabled:
            endpoint.disabled_reason, endpoint.failing_since = "", None
    if data.get("rotate_secret"):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = timezone.now() + ROTATION_OVERLAP
        endpoint.secret = new_secret()
    endpoint.save()
    _audit(endpoint, actor, "webhook.changed")
    return endpoint


def webhook_delete(*, endpoint: WebhookEndpoint, actor: Membership | None) -> None:
    _check(actor)
    _audit(endpoint, actor, "webhook.deleted")
    endpoint.delete()


def message_id(change_id: int, endpoint_id: int) -> str:
    """The ``webhook-id`` of one change for one endpoint: the same on every retry and replay."""
    return f"msg_{change_id}_{endpoint_id}"


def webhooks_consume(events: Sequence[Change]) -> None:
    """The change-log handler: one delivery per (event, subscribed enabled endpoint) in the
    outbox. Idempotent: a delivery exists once per message id."""
    workspaces = {e.workspace_id for e in events}
    endpoints = list(WebhookEndpoint.objects.filter(workspace_id__in=workspaces, enabled=True))
    if not endpoints:
        return
    rows = []
    for change in events:
        # a subscription hears what happens from its creation on, not the log's past
        mine = [
            e
            for e in endpoints
            if e.workspace_id == change.workspace_id
            and change.type in e.events
            and change.created_at >= e.created_at
        ]
        payloads: dict[bool, dict[str, Any] | None] = {}
        for endpoint in mine:
            if endpoint.personal_data not in payloads:
                payloads[endpoint.personal_data] = change_data(
                    change, personal_data=endpoint.personal_data
                )
            data = payloads[endpoint.personal_data]
            if data is None:
                continue
            rows.append(
                WebhookDelivery(
                    workspace_id=change.workspace_id,
                    endpoint=endpoint,
                    message_id=message_id(change.id, endpoint.pk),
                    event_type=change.type,
                    change_id=change.id,
                    payload=fit(envelope(change.type, change.workspace_id, data)),
                )
            )
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def deliveries_replay(*, endpoint: WebhookEndpoint, delivery_ids: Sequence[int]) -> int:
    """Send deliveries again (dead or delivered ones too), with their own message ids, so a
    receiver that keeps ids drops what it already has; returns how many."""
    return WebhookDelivery.objects.filter(endpoint=endpoint, id__in=list(delivery_ids)).update(
        state=DeliveryState.PENDING, next_attempt_at=timezone.now(), attempts=0
    )


def webhook_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``webhook.test`` message to the endpoint (sent like any other)."""
    stamp = timezone.now()
    return WebhookDelivery.objects.create(
        workspace_id=endpoint.workspace_id,
        endpoint=endpoint,
        message_id=f"msg_test_{endpoint.pk}_{int(stamp.timestamp() * 1000)}",
        event_type="webhook.test",
        payload=envelope(
            "webhook.test",
            endpoint.workspace_id,
            {"message": "A test from Soriloop: this endpoint receives its events."},
        ),
    )
