"""The alerts context's part of an erasure (customers/hooks.py): webhook deliveries that
carry one of the customer's records are deleted, sent or not (a payload may hold the text
and, for endpoints allowed personal data, the text unmasked)."""

from __future__ import annotations

from collections.abc import Sequence

from soriloop.alerts.models import WebhookDelivery
from soriloop.customers.hooks import CustomerSource
from soriloop.feedback.models import Feedback

CHUNK = 500


def alerts_erase(workspace_id: int, customer_id: int, email: str, phone: str) -> int:
    ids = Feedback.objects.filter(workspace_id=workspace_id, customer_id=customer_id)
    return deliveries_erase(
        workspace_id=workspace_id, feedback_ids=list(ids.values_list("id", flat=True))
    )


def deliveries_erase(*, workspace_id: int, feedback_ids: Sequence[int]) -> int:
    """Delete the webhook deliveries carrying one of ``feedback_ids``; how many went (also
    called by loop for the records of a case no customer owns)."""
    deleted = 0
    for start in range(0, len(feedback_ids), CHUNK):
        found = WebhookDelivery.objects.filter(
            workspace_id=workspace_id,
            payload__data__feedback__id__in=feedback_ids[start : start + CHUNK],
        )
        deleted += found.delete()[0]
    return deleted


SOURCE = CustomerSource(name="alerts", erase=alerts_erase)
