"""Reads of webhooks and their deliveries, scoped to a workspace."""

from __future__ import annotations

from django.db.models import QuerySet

from soriloop.accounts.models import Workspace
from soriloop.alerts.models import WebhookDelivery, WebhookEndpoint


def webhooks_of(*, workspace: Workspace) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(workspace=workspace).order_by("id")


def webhook_get(*, workspace: Workspace, webhook_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(workspace=workspace, pk=webhook_id).first()


def deliveries_of(
    *, endpoint: WebhookEndpoint, state: str | None = None, before: int | None = None
) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first; ``before`` pages by id."""
    found = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")
    if state:
        found = found.filter(state=state)
    if before:
        found = found.filter(id__lt=before)
    return found


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(endpoint=endpoint, pk=delivery_id).first()


def dead_letter_ids(*, endpoint: WebhookEndpoint) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint, state="dead").values_list("id", flat=True)
    )
