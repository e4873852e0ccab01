"""The feedback record as JSON, the same for the API and exports.

Without ``reveal`` personal data is masked: the text and metadata through the engine's
detector, the customer's e-mail and phone partly hidden (who may see what: docs/analysis.md).
"""

from __future__ import annotations

from typing import Any

from soriloop.analysis.engine.pii import mask_email, mask_json, mask_phone, mask_text
from soriloop.feedback.models import Feedback


def customer_json(record: Feedback, *, reveal: bool) -> dict[str, Any] | None:
    customer = record.customer
    if customer is None:
        return None
    email, phone = customer.email, customer.phone_display
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "email": email if reveal or not email else mask_email(email),
        "phone": phone if reveal or not phone else mask_phone(phone),
        "name": customer.name,
    }


def feedback_json(
    record: Feedback, *, reveal: bool, analysis: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The record as the API shows it; ``analysis`` is given by the callers that know it (a
    record just stored has none yet)."""
    return {
        "id": record.pk,
        "channel": record.channel,
        "source": record.source,
        "external_id": record.external_id,
        "customer": customer_json(record, reveal=reveal),
        "touchpoint": record.touchpoint,
        "text": record.text if reveal else mask_text(record.text),
        "score": record.score,
        "score_kind": record.score_kind or None,
        "language": record.language or None,
        "metadata": record.metadata if reveal else mask_json(record.metadata),
        "received_at": record.received_at.isoformat(),
        "day": record.day.isoformat(),
        "created_at": record.created_at.isoformat(),
        "analysis_state": record.analysis_state,
        "analysis": analysis,
    }
