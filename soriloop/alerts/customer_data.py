"""The alerts context's part of an erasure (customers/hooks.py): webhook deliveries that
carry one of the customer's records are deleted, sent or not (a payload may hold the text
and, for endpoints allowed personal data, the text unmasked)."""

from __future__ import annotations

from soriloop.alerts.models import WebhookDelivery
from soriloop.customers.hooks import CustomerSource
from soriloop.feedback.models import Feedback

CHUNK = 500


def alerts_erase(workspace_id: int, customer_id: int, email: str, phone: str) -> int:
    ids = list(
        Feedback.objects.filter(workspace_id=workspace_id, customer_id=customer_id).values_list(
            "id", flat=True
        )
    )
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        found = WebhookDelivery.objects.filter(
            workspace_id=workspace_id, payload__data__feedback__id__in=ids[start : start + CHUNK]
        )
        deleted += found.delete()[0]
    return deleted


SOURCE = CustomerSource(name="alerts", erase=alerts_erase)
