"""What a webhook carries: versioned, human-readable (labels, topic names, a link back), at
most ``MAX_BYTES`` (docs/webhooks.md has an example of each event)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone

from soriloop.analysis.engine.pii import mask_text
from soriloop.analysis.selectors import analysis_json
from soriloop.core.models import Change
from soriloop.feedback.models import Feedback

VERSION = 1
MAX_BYTES = 20_000
TEXT_LIMIT = 4_000

FEEDBACK_EVENTS = ("feedback.created", "feedback.analyzed", "feedback.corrected")
EVENTS = (*FEEDBACK_EVENTS, "survey.response.completed", "alert.fired")


def envelope(event_type: str, workspace_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": event_type,
        "version": VERSION,
        "timestamp": timezone.now().isoformat(),
        "workspace_id": workspace_id,
        "data": dict(data),
    }


def _analysis(record: Feedback) -> dict[str, Any] | None:
    found = analysis_json(record)
    if found is None:
        return None
    return {
        "sentiment": {
            "label": found["sentiment"]["label"],
            "confidence": found["sentiment"]["confidence"],
        },
        "types": [t["name"] for t in found["types"]],
        "topics": [
            {"key": t["key"], "name_ko": t["name_ko"], "name_en": t["name_en"]}
            for t in found["topics"]
        ],
        "keywords": found["keywords"][:20],
        "abusive": found["abuse"]["flagged"],
        "corrected": sorted(found["corrections"]),
    }


def feedback_data(record: Feedback, *, personal_data: bool) -> dict[str, Any]:
    """The record as a webhook shows it: masked unless the endpoint may see personal data."""
    text = record.text if personal_data else mask_text(record.text)
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "…"
    customer = record.customer
    return {
        "id": record.pk,
        "url": f"{settings.SITE_URL}/inbox/{record.pk}/",
        "channel": record.channel,
        "source": record.source,
        "external_id": record.external_id,
        "text": text,
        "score": record.score,
        "score_kind": record.score_kind or None,
        "touchpoint": record.touchpoint,
        "language": record.language or None,
        "received_at": record.received_at.isoformat(),
        "customer": {"id": customer.pk, "external_id": customer.external_id} if customer else None,
        "analysis": _analysis(record),
    }


def change_data(change: Change, *, personal_data: bool) -> dict[str, Any] | None:
    """The ``data`` of a change-log event's webhook, or None when its subject is gone."""
    if change.type in FEEDBACK_EVENTS:
        record = (
            Feedback.objects.select_related("customer", "workspace", "enrichment")
            .filter(pk=change.subject_id, workspace_id=change.workspace_id, deleted_at=None)
            .first()
        )
        if record is None:
            return None
        data = {"feedback": feedback_data(record, personal_data=personal_data)}
        for name in ("step", "fields", "failed"):
            if name in change.payload:
                data[name] = change.payload[name]
        return data
    if change.type == "survey.response.completed":
        return {"response_id": change.subject_id, **change.payload}
    return dict(change.payload)


def fit(body: dict[str, Any]) -> dict[str, Any]:
    """Keep a payload within ``MAX_BYTES``: shorten the record's text, then drop keywords."""
    if len(json.dumps(body, ensure_ascii=False).encode()) <= MAX_BYTES:
        return body
    feedback = body.get("data", {}).get("feedback")
    if isinstance(feedback, dict):
        feedback["text"] = feedback["text"][:500] + "…"
        if isinstance(feedback.get("analysis"), dict):
            feedback["analysis"]["keywords"] = []
    body["data"]["truncated"] = True
    return body
