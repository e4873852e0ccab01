"""The feedback record as JSON, the same for the API and exports."""

from __future__ import annotations

from typing import Any

from soriloop.analysis.selectors import analysis_json
from soriloop.feedback.models import Feedback


def customer_json(record: Feedback) -> dict[str, Any] | None:
    customer = record.customer
    if customer is None:
        return None
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "email": customer.email,
        "phone": customer.phone,
        "name": customer.name,
    }


def feedback_json(record: Feedback) -> dict[str, Any]:
    return {
        "id": record.pk,
        "channel": record.channel,
        "source": record.source,
        "external_id": record.external_id,
        "customer": customer_json(record),
        "touchpoint": record.touchpoint,
        "text": record.text,
        "score": record.score,
        "score_kind": record.score_kind or None,
        "language": record.language or None,
        "metadata": record.metadata,
        "received_at": record.received_at.isoformat(),
        "day": record.day.isoformat(),
        "created_at": record.created_at.isoformat(),
        "analysis_state": record.analysis_state,
        "analysis": analysis_json(record),
    }
