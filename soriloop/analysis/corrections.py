"""People stay in charge: a correction of sentiment, types or topics wins over the model on
the record, in the API, the filters and the exports, survives re-analysis, and is audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Membership, User, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.analysis.engine.kinds import TYPES
from soriloop.analysis.engine.sentiment import LABELS
from soriloop.analysis.models import Correction, Enrichment, Topic
from soriloop.core.changes import changes_append, events_for
from soriloop.feedback.models import Feedback


class NotAnalysedYet(ValidationError):
    """The record has no analysis to correct: it waits for one, or its analysis failed."""


def _check(workspace: Workspace, field: str, value: Any) -> Any:
    if field == "sentiment":
        if value not in LABELS:
            raise ValidationError({"sentiment": [f"must be one of {', '.join(LABELS)}"]})
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: ["must be a list of names"]})
    allowed = (
        set(TYPES)
        if field == "types"
        else set(Topic.objects.filter(workspace=workspace).values_list("key", flat=True))
    )
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValidationError({field: [f"unknown: {', '.join(unknown)}"]})
    return sorted(set(value))


def apply_corrections(enrichment: Enrichment, latest: dict[str, Correction]) -> None:
    """Put corrected values into the enrichment's fields, keeping what the model said."""
    names = {
        key: (ko, en)
        for key, ko, en in Topic.objects.filter(workspace_id=enrichment.workspace_id).values_list("key", "name_ko", "name_en")
    } if "topics" in latest else {}  # fmt: skip
    for field, correction in latest.items():
        record = {"by": correction.corrected_by_label, "at": correction.created_at.isoformat()}
        if field == "sentiment":
            record["model"] = enrichment.corrections.get(field, {}).get(
                "model", enrichment.sentiment_label
            )
            enrichment.sentiment_label = correction.value
        elif field == "types":
            record["model"] = enrichment.corrections.get(field, {}).get(
                "model", [t["name"] for t in enrichment.types]
            )
            enrichment.types = [
                {"name": v, "confidence": 1.0, "evidence": []} for v in correction.value
            ]
        else:
            record["model"] = enrichment.corrections.get(field, {}).get(
                "model", [t["key"] for t in enrichment.topics]
            )
            enrichment.topics = [
                {
                    "key": v,
                    "name_ko": names.get(v, (v, v))[0],
                    "name_en": names.get(v, (v, v))[1],
                    "confidence": 1.0,
                    "evidence": [],
                }
                for v in correction.value
            ]
        enrichment.corrections = {**enrichment.corrections, field: record}
    enrichment.index_labels()


def latest_corrections(feedback_ids: Iterable[int]) -> dict[int, dict[str, Correction]]:
    """feedback id -> field -> its latest correction."""
    found: dict[int, dict[str, Correction]] = {}
    for correction in Correction.objects.filter(feedback_id__in=list(feedback_ids)).order_by(
        "created_at", "id"
    ):
        found.setdefault(correction.feedback_id, {})[correction.field] = correction
    return found


@transaction.atomic
def analysis_correct(
    *,
    feedback: Feedback,
    changes: dict[str, Any],
    actor: Membership | None = None,
    actor_label: str = "",
) -> Enrichment:
    """Record corrections (``{"sentiment": "negative", "types": [...], "topics": [...]}``) of
    an analysed record; raise ``ValidationError`` for unknown values, ``NotAnalysedYet``
    (one too) for a record without analysis."""
    if actor is not None:
        require(actor, Action.WRITE_FEEDBACK)
    enrichment = Enrichment.objects.select_for_update().filter(feedback=feedback).first()
    if enrichment is None or feedback.analysis_state != "done":
        raise NotAnalysedYet({"analysis": ["this record is not analysed yet"]})
    user: User | None = actor.user if actor else None
    label = actor_label or (user.email if user else "")
    latest: dict[str, Correction] = {}
    for field in Correction.FIELDS:
        if field in changes and changes[field] is not None:
            value = _check(feedback.workspace, field, changes[field])
            latest[field] = Correction.objects.create(
                feedback=feedback, workspace=feedback.workspace, field=field, value=value,
                corrected_by=user, corrected_by_label=label, created_at=timezone.now(),
            )  # fmt: skip
    apply_corrections(enrichment, latest)
    enrichment.save()
    changes_append(events_for([feedback], "feedback.corrected", fields=sorted(latest)))
    audit_record(
        workspace=feedback.workspace,
        actor=user,
        actor_label=label,
        action="analysis.corrected",
        target=f"feedback {feedback.pk}",
        data={field: c.value for field, c in latest.items()},
    )
    return enrichment
