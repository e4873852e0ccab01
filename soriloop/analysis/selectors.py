"""Reads of analysis results."""

from __future__ import annotations

from typing import Any

from soriloop.analysis.models import Enrichment, Topic
from soriloop.feedback.models import Feedback


def analysis_json(record: Feedback) -> dict[str, Any] | None:
    """The record's ``analysis`` object for the API, or None while it waits."""
    enrichment: Enrichment | None = getattr(record, "enrichment", None)
    if enrichment is None or record.analysis_state != "done":
        return None
    language = record.workspace.default_language
    return {
        "language": enrichment.language or None,
        "mixed_language": enrichment.mixed,
        "sentiment": {
            "label": enrichment.sentiment_label,
            "score": enrichment.sentiment_score,
            "confidence": enrichment.sentiment_confidence,
            "evidence": enrichment.evidence,
        },
        "topics": [
            {
                "key": t["key"],
                "name": t["name_ko"] if language == "ko" else t["name_en"],
                "name_ko": t["name_ko"],
                "name_en": t["name_en"],
                "confidence": t["confidence"],
                "evidence": t["evidence"],
            }
            for t in enrichment.topics
        ],
        "types": enrichment.types,
        "keywords": enrichment.keywords,
        "abuse": {"flagged": enrichment.abusive, "confidence": enrichment.abuse_confidence},
        "pii_found": sorted({p["kind"] for p in enrichment.pii}),
        "corrections": enrichment.corrections,
        "model_version": enrichment.model_version,
        "analyzed_at": enrichment.analyzed_at.isoformat(),
    }


def topic_names(*, workspace_id: int) -> dict[str, tuple[str, str]]:
    """key -> (Korean name, English name) for the workspace's topics."""
    return {
        key: (ko, en)
        for key, ko, en in Topic.objects.filter(workspace_id=workspace_id).values_list(
            "key", "name_ko", "name_en"
        )
    }
