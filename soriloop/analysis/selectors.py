"""Reads of analysis results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from soriloop.accounts.models import Workspace
from soriloop.analysis.engine.embed import unpack, unpack_many
from soriloop.analysis.engine.similar import from_bytes, similarities
from soriloop.analysis.models import EmergingIssue, Enrichment, Topic, WorkspaceModel
from soriloop.feedback.filters import FeedbackFilter
from soriloop.feedback.models import Feedback
from soriloop.feedback.selectors import feedback_records


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


SIMILAR_WINDOW = 20_000  # most recent analysed records compared against


def _signatures(workspace_id: int, since: Any = None) -> tuple[list[int], np.ndarray]:
    rows = Enrichment.objects.filter(workspace_id=workspace_id, feedback__deleted_at__isnull=True)
    if since is not None:
        rows = rows.filter(feedback__received_at__gte=since)
    pairs = list(
        rows.order_by("-feedback_id").values_list("feedback_id", "signature")[:SIMILAR_WINDOW]
    )
    ids = [pk for pk, raw in pairs if raw]
    matrix = (
        np.stack([from_bytes(raw) for _pk, raw in pairs if raw])
        if ids
        else np.zeros((0, 64), np.uint32)
    )
    return ids, matrix


def similar_feedback(
    *, record: Feedback, limit: int = 10, minimum: float = 0.2
) -> list[tuple[int, float]]:
    """(feedback id, similarity) of the records most like ``record`` in its workspace."""
    enrichment: Enrichment | None = getattr(record, "enrichment", None)
    if enrichment is None or not enrichment.signature:
        return []
    ids, matrix = _signatures(record.workspace_id)
    scores = similarities(from_bytes(enrichment.signature), matrix)
    ranked = sorted(
        (
            (pk, float(score))
            for pk, score in zip(ids, scores, strict=True)
            if pk != record.pk and score >= minimum
        ),
        key=lambda pair: -pair[1],
    )
    return [(pk, round(score, 3)) for pk, score in ranked[:limit]]


MEANING_MINIMUM = 0.4  # cosine below which records are not called similar in meaning


def similar_in_meaning(
    *, record: Feedback, limit: int = 10, minimum: float = MEANING_MINIMUM
) -> list[tuple[int, float]] | None:
    """(feedback id, cosine similarity of sentence embeddings) of the records of the workspace
    closest in meaning to ``record``, whatever their words or language; None while the
    meaning pass has not reached the record."""
    enrichment: Enrichment | None = getattr(record, "enrichment", None)
    if enrichment is None or enrichment.vector is None:
        return None
    if not enrichment.vector:
        return []
    rows = (
        Enrichment.objects.filter(workspace_id=record.workspace_id, feedback__deleted_at__isnull=True)
        .exclude(vector=None)
        .exclude(feedback_id=record.pk)
        .order_by("-feedback_id")
        .values_list("feedback_id", "vector")[:SIMILAR_WINDOW]
    )  # fmt: skip
    pairs = [(pk, raw) for pk, raw in rows if raw]
    if not pairs:
        return []
    scores = unpack_many([raw for _pk, raw in pairs]) @ unpack(enrichment.vector)
    order = np.argsort(-scores)[:limit]
    return [(pairs[i][0], round(float(scores[i]), 3)) for i in order if scores[i] >= minimum]


def duplicate_groups(
    *, workspace_id: int, since: Any = None, threshold: float = 0.7
) -> list[list[int]]:
    """Groups of near-identical records (largest first), found with LSH bands of the
    signatures and confirmed by their estimated similarity."""
    ids, matrix = _signatures(workspace_id, since)
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for band in range(16):
        buckets: dict[bytes, list[int]] = {}
        for i, row in enumerate(matrix[:, band * 4 : band * 4 + 4]):
            buckets.setdefault(row.tobytes(), []).append(i)
        for members in buckets.values():
            for other in members[1:]:
                if float((matrix[members[0]] == matrix[other]).mean()) >= threshold:
                    parent[root(other)] = root(members[0])
    groups: dict[int, list[int]] = {}
    for i in range(len(ids)):
        groups.setdefault(root(i), []).append(ids[i])
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def workspace_models_active(*, workspace: Workspace) -> list[WorkspaceModel]:
    """The workspace's own models that passed their checks, by kind."""
    return list(WorkspaceModel.objects.filter(workspace=workspace, active=True).order_by("kind"))


def emerging_proposed(*, workspace: Workspace, limit: int) -> list[EmergingIssue]:
    """The ``limit`` largest emerging issues still waiting for a decision."""
    issues = EmergingIssue.objects.filter(workspace=workspace, status=EmergingIssue.Status.PROPOSED)
    return list(issues.order_by("-size")[:limit])


def emerging_issue_get(*, workspace: Workspace, issue_id: int | None) -> EmergingIssue | None:
    """The workspace's proposed issue ``issue_id``; None when it is decided, another
    workspace's, unknown, or no id was given."""
    if issue_id is None:
        return None
    return EmergingIssue.objects.filter(
        workspace=workspace, pk=issue_id, status=EmergingIssue.Status.PROPOSED
    ).first()


@dataclass(frozen=True)
class EmergingEntry:
    issue: EmergingIssue
    examples: list[Feedback]  # its most typical live records


@dataclass(frozen=True)
class EmergingList:
    proposed: list[EmergingEntry]
    decided: list[EmergingIssue]


EMERGING_LISTED = 50
EMERGING_EXAMPLES = 3


def emerging_list(*, workspace: Workspace) -> EmergingList:
    """The workspace's emerging issues, proposed first and largest first (at most
    ``EMERGING_LISTED``), each proposed one with up to ``EMERGING_EXAMPLES`` live records."""
    issues = list(
        EmergingIssue.objects.filter(workspace=workspace).order_by("status", "-size")[
            :EMERGING_LISTED
        ]
    )
    proposed = [i for i in issues if i.status == EmergingIssue.Status.PROPOSED]
    wanted = {pk for issue in proposed for pk in issue.example_ids[:EMERGING_EXAMPLES]}
    live = feedback_records(workspace=workspace, filters=FeedbackFilter()).filter(pk__in=wanted)
    found = {record.pk: record for record in live}
    return EmergingList(
        proposed=[
            EmergingEntry(
                issue, [found[pk] for pk in issue.example_ids[:EMERGING_EXAMPLES] if pk in found]
            )
            for issue in proposed
        ],
        decided=[i for i in issues if i.status != EmergingIssue.Status.PROPOSED],
    )
