"""The analysis context's part of a customer's profile (customers/hooks.py): the sentiment
of their feedback as churn signals, its labels in the export, and the erasure of everything
derived from their records (enrichments with their evidence, PII spans, redacted text,
vectors and signatures; corrections), before the feedback source unlinks the records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count

from soriloop.analysis.models import Correction, Enrichment
from soriloop.customers.hooks import CustomerSource

RECENT = 3  # the sentiment of the last three records, against the three before
CHUNK = 5000


def _enrichments(workspace_id: int, customer_id: int) -> Any:
    return Enrichment.objects.filter(workspace_id=workspace_id, feedback__customer_id=customer_id)


def analysis_erase(workspace_id: int, customer_id: int, email: str, phone: str) -> int:
    ids = list(
        Enrichment.objects.filter(
            workspace_id=workspace_id, feedback__customer_id=customer_id
        ).values_list("feedback_id", flat=True)
    )
    corrections, _ = Correction.objects.filter(
        workspace_id=workspace_id, feedback__customer_id=customer_id
    ).delete()
    deleted, _ = Enrichment.objects.filter(feedback_id__in=ids).delete()
    return int(deleted + corrections)


def analysis_export(workspace_id: int, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "analysis": [
            {
                "feedback_id": e.feedback_id,
                "language": e.language,
                "sentiment": e.sentiment_label,
                "sentiment_score": e.sentiment_score,
                "topics": [t.get("key") for t in e.topics],
                "model_version": e.model_version,
            }
            for e in _enrichments(workspace_id, customer_id).order_by("feedback_id")
        ]
    }


def analysis_signals(
    workspace_id: int, customer_ids: Sequence[int], now: dt.datetime
) -> dict[int, dict[str, float]]:
    """``sentiment_recent``: the mean sentiment (-1 to 1) of the last records before ``now``;
    ``sentiment_trend``: that minus the mean of the records before them."""
    scores: dict[int, list[float]] = {}
    for start in range(0, len(customer_ids), CHUNK):
        rows = (
            Enrichment.objects.filter(
                workspace_id=workspace_id,
                feedback__customer_id__in=customer_ids[start : start + CHUNK],
                feedback__received_at__lt=now,
                feedback__deleted_at=None,
            )
            .order_by("feedback__customer_id", "-feedback__received_at")
            .values_list("feedback__customer_id", "sentiment_score")
        )
        for customer_id, score in rows:
            held = scores.setdefault(customer_id, [])
            if len(held) < 2 * RECENT:
                held.append(float(score))
    found = {}
    for customer_id, held in scores.items():
        recent, earlier = held[:RECENT], held[RECENT:]
        mean = sum(recent) / len(recent)
        trend = mean - sum(earlier) / len(earlier) if earlier else 0.0
        found[customer_id] = {
            "sentiment_recent": round(mean, 4),
            "sentiment_trend": round(trend, 4),
        }
    return found


def analysis_count(
    workspace_id: int, customer_ids: Sequence[int], condition: dict[str, Any], now: dt.datetime
) -> dict[int, int] | None:
    """Analysed records per customer by sentiment (``negative``, ``positive``, or ``any``
    about a ``topic``), received before ``now`` and within ``within_days``."""
    kind, topic = condition["feedback"], condition.get("topic")
    if kind not in ("negative", "positive") and not (kind == "any" and topic):
        return None
    found = Enrichment.objects.filter(
        workspace_id=workspace_id,
        feedback__customer_id__in=customer_ids,
        feedback__deleted_at=None,
        feedback__received_at__lte=now,
    )
    if kind != "any":
        found = found.filter(sentiment_label=kind)
    if topic:
        found = found.filter(topic_keys__contains=f"|{topic}|")
    if condition.get("within_days"):
        since = now - dt.timedelta(days=condition["within_days"])
        found = found.filter(feedback__received_at__gt=since)
    counted = found.values("feedback__customer_id").annotate(n=Count("feedback_id"))
    return {row["feedback__customer_id"]: row["n"] for row in counted}


SOURCE = CustomerSource(
    name="analysis",
    export=analysis_export,
    erase=analysis_erase,
    signals=analysis_signals,
    count=analysis_count,
)
