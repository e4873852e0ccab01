"""Reads of analysis results."""

from __future__ import annotations

from typing import Any

from soriloop.analysis.models import Enrichment
from soriloop.feedback.models import Feedback


def analysis_json(record: Feedback) -> dict[str, Any] | None:
    """The record's ``analysis`` object for the API, or None while it waits."""
    enrichment: Enrichment | None = getattr(record, "enrichment", None)
    if enrichment is None or record.analysis_state != "done":
        return None
    return {
        "language": enrichment.language or None,
        "mixed_language": enrichment.mixed,
        "sentiment": {
            "label": enrichment.sentiment_label,
            "score": enrichment.sentiment_score,
            "confidence": enrichment.sentiment_confidence,
            "evidence": enrichment.evidence,
        },
        "types": enrichment.types,
        "keywords": enrichment.keywords,
        "abuse": {"flagged": enrichment.abusive, "confidence": enrichment.abuse_confidence},
        "pii_found": sorted({p["kind"] for p in enrichment.pii}),
        "model_version": enrichment.model_version,
        "analyzed_at": enrichment.analyzed_at.isoformat(),
    }
