"""The feedback context's part of a customer's profile (customers/hooks.py): their records on
the timeline and in the export, their contact frequency and last NPS as churn signals, and
the erasure of their records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from soriloop.analysis.engine.pii import mask_text
from soriloop.core.changes import changes_append, events_for
from soriloop.customers.hooks import CustomerSource, TimelineItem
from soriloop.feedback.models import Feedback, RawMail

SUMMARY_CHARS = 200
CHUNK = 5000


def _records(workspace_id: int, customer_id: int) -> Any:
    return Feedback.objects.filter(
        workspace_id=workspace_id, customer_id=customer_id, deleted_at=None
    )


def feedback_timeline(
    workspace_id: int, customer_id: int, before: dt.datetime | None, limit: int
) -> list[TimelineItem]:
    records = _records(workspace_id, customer_id)
    if before is not None:
        records = records.filter(received_at__lt=before)
    return [
        TimelineItem(
            at=r.received_at,
            kind="feedback",
            ref=r.pk,
            summary=r.text[:SUMMARY_CHARS],
            data={"channel": r.channel, "score": r.score, "score_kind": r.score_kind or None},
        )
        for r in records.order_by("-received_at", "-pk").only(
            "id", "received_at", "text", "channel", "score", "score_kind"
        )[:limit]
    ]


def feedback_export(workspace_id: int, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "feedback": [
            {
                "id": r.pk,
                "channel": r.channel,
                "source": r.source,
                "external_id": r.external_id,
                "text": r.text,
                "score": r.score,
                "score_kind": r.score_kind or None,
                "touchpoint": r.touchpoint,
                "metadata": r.metadata,
                "received_at": r.received_at.isoformat(),
            }
            for r in _records(workspace_id, customer_id).order_by("received_at", "pk")
        ]
    }


def feedback_erase_size(workspace_id: int, customer_id: int) -> int:
    return int(Feedback.objects.filter(workspace_id=workspace_id, customer_id=customer_id).count())


def feedback_erase(workspace_id: int, customer_id: int, email: str, phone: str) -> int:
    """Erase the customer's records (``feedback_records_erase``)."""
    ids = Feedback.objects.filter(workspace_id=workspace_id, customer_id=customer_id)
    return feedback_records_erase(
        workspace_id=workspace_id,
        ids=list(ids.values_list("id", flat=True)),
        email=email,
        phone=phone,
    )


def feedback_records_erase(*, workspace_id: int, ids: Sequence[int], email: str, phone: str) -> int:
    """Delete the records ``ids`` (``ERASURE_FEEDBACK=delete``: text and metadata emptied)
    or keep them anonymous (``redact``: personal data in the text masked); either way
    unlinked from their customer, out of dedup, their raw mail deleted, and
    ``feedback.deleted`` and ``feedback.purged`` appended so the rollups recount their days
    and the consumers holding derived data forget it. Also the door for an app above whose
    conversation holds records no customer owns (loop: a case's out-of-office replies).
    Returns how many records it erased."""
    records = list(
        Feedback.objects.filter(workspace_id=workspace_id, pk__in=ids).only(
            "id", "workspace_id", "day", "text", "deleted_at"
        )
    )
    if not records:
        return 0
    ids = [r.pk for r in records]
    RawMail.objects.filter(feedback_id__in=ids).delete()
    moment = timezone.now()
    base = Feedback.objects.filter(pk__in=ids)
    if settings.ERASURE_FEEDBACK == "redact":
        for record in records:
            text = mask_text(record.text)
            for value in (email, phone):
                text = text.replace(value, "") if value else text
            Feedback.objects.filter(pk=record.pk).update(text=text)
        base.update(customer=None, metadata={}, dedup_key=None, idempotency_key=None)
    else:
        base.filter(deleted_at=None).update(deleted_at=moment)
        base.update(
            customer=None,
            text="",
            metadata={},
            external_id="",
            dedup_key=None,
            idempotency_key=None,
        )
        changes_append(events_for([r for r in records if r.deleted_at is None], "feedback.deleted"))
    changes_append(events_for(records, "feedback.purged"))
    return len(records)


def feedback_signals(
    workspace_id: int, customer_ids: Sequence[int], now: dt.datetime
) -> dict[int, dict[str, float]]:
    """Days since the last record, records in 90 days, and the last NPS score given."""
    found: dict[int, dict[str, float]] = {}
    d90 = now - dt.timedelta(days=90)
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        records = Feedback.objects.filter(
            workspace_id=workspace_id, customer_id__in=chunk, deleted_at=None, received_at__lt=now
        )
        for row in records.values("customer_id").annotate(
            last=Max("received_at"), recent=Count("id", filter=Q(received_at__gte=d90))
        ):
            found[row["customer_id"]] = {
                "last_feedback_days": max(0.0, (now - row["last"]).total_seconds() / 86400),
                "feedback_90d": float(row["recent"]),
            }
        nps = (
            records.filter(score_kind="nps", score__isnull=False)
            .order_by("customer_id", "-received_at", "-pk")
            .values_list("customer_id", "score")
        )
        seen: set[int] = set()
        for customer_id, score in nps:
            if customer_id not in seen and score is not None:
                seen.add(customer_id)
                found.setdefault(customer_id, {})["last_nps"] = float(score)
    return found


NPS_KINDS = {
    "detractor": Q(score_kind="nps", score__lte=6),
    "passive": Q(score_kind="nps", score__gt=6, score__lt=9),
    "promoter": Q(score_kind="nps", score__gte=9),
    "any": Q(),
}


def feedback_count(
    workspace_id: int, customer_ids: Sequence[int], condition: dict[str, Any], now: dt.datetime
) -> dict[int, int] | None:
    """Records per customer of an NPS kind (or any), received before ``now`` and within
    ``within_days``; None for sentiment or topic conditions (the analysis source's)."""
    kind = condition["feedback"]
    if kind not in NPS_KINDS or condition.get("topic"):
        return None
    records = Feedback.objects.filter(
        NPS_KINDS[kind],
        workspace_id=workspace_id,
        customer_id__in=customer_ids,
        deleted_at=None,
        received_at__lte=now,
    )
    if condition.get("within_days"):
        records = records.filter(received_at__gt=now - dt.timedelta(days=condition["within_days"]))
    counted = records.values("customer_id").annotate(n=Count("id"))
    return {row["customer_id"]: row["n"] for row in counted}


def feedback_owners(workspace_id: int, record_ids: Sequence[int]) -> set[int]:
    found = Feedback.objects.filter(workspace_id=workspace_id, pk__in=record_ids)
    return set(found.exclude(customer=None).values_list("customer_id", flat=True))


SOURCE = CustomerSource(
    name="feedback",
    timeline=feedback_timeline,
    export=feedback_export,
    erase=feedback_erase,
    size=feedback_erase_size,
    signals=feedback_signals,
    count=feedback_count,
    owners=feedback_owners,
)
