"""Correcting analysis labels through the API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Router, Schema
from pydantic import ConfigDict

from soriloop.accounts.api import read_auth, write_auth
from soriloop.accounts.models import ApiKey
from soriloop.analysis.corrections import analysis_correct
from soriloop.analysis.selectors import duplicate_groups, similar_feedback, similar_in_meaning
from soriloop.core.errors import BODY_ERRORS, ONE_ERRORS, WRITE_ERRORS, documented, envelope
from soriloop.feedback import selectors
from soriloop.feedback.schemas import FeedbackOut
from soriloop.feedback.serialize import feedback_json

router = Router(tags=["analysis"])


class CorrectionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sentiment: str | None = None
    types: list[str] | None = None
    topics: list[str] | None = None


@router.patch(
    "/feedback/{feedback_id}/analysis",
    auth=write_auth,
    summary="Correct sentiment, types or topics",
    response=documented({200: FeedbackOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def analysis_patch(request: HttpRequest, feedback_id: int, payload: CorrectionIn) -> HttpResponse:
    """A person's correction wins over the model everywhere and survives re-analysis."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    try:
        analysis_correct(
            feedback=record,
            changes=payload.model_dump(exclude_none=True),
            actor_label=f"API key {key.prefix} ({key.name})",
        )
    except ValidationError as exc:
        return envelope(
            422,
            "The correction is invalid.",
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()},
        )
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    return JsonResponse(
        feedback_json(record, reveal=key.personal_data), json_dumps_params={"ensure_ascii": False}
    )


class Similar(Schema):
    id: int
    similarity: float


class SimilarOut(Schema):
    by: Literal["meaning", "wording"]
    items: list[Similar]


class DuplicateGroup(Schema):
    ids: list[int]
    size: int


class DuplicatesOut(Schema):
    groups: list[DuplicateGroup]


@router.get(
    "/feedback/{feedback_id}/similar",
    auth=read_auth,
    summary="The most similar feedback",
    response=documented({200: SimilarOut}, ONE_ERRORS, (400,)),
)
def similar_get(
    request: HttpRequest, feedback_id: int, limit: int = 10, by: str = "meaning"
) -> HttpResponse:
    """Records of the same workspace most like this one. ``by=meaning`` (the default): the
    cosine similarity (0-1) of their sentence embeddings, across wording and languages; while
    the record awaits the meaning pass the answer falls back to wording and says so in ``by``.
    ``by=wording``: the estimated Jaccard similarity of their character 3-grams (0.7 and more
    is a near-duplicate)."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    if by not in ("meaning", "wording"):
        return envelope(400, "by must be meaning or wording.", {"by": ["meaning or wording"]})
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    limit = max(1, min(limit, 50))
    found = similar_in_meaning(record=record, limit=limit) if by == "meaning" else None
    if found is None:
        by, found = "wording", similar_feedback(record=record, limit=limit)
    return JsonResponse(
        {"by": by, "items": [{"id": pk, "similarity": score} for pk, score in found]}
    )


@router.get(
    "/feedback-duplicates",
    auth=read_auth,
    summary="Groups of near-identical feedback",
    response=documented({200: DuplicatesOut}),
)
def duplicates_get(request: HttpRequest, days: int = 30) -> HttpResponse:
    """Records received in the last ``days`` days that repeat each other (the same complaint
    pasted into several channels), largest groups first."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    since = timezone.now() - dt.timedelta(days=max(1, min(days, 365)))
    groups = duplicate_groups(workspace_id=key.workspace_id, since=since)
    return JsonResponse({"groups": [{"ids": group, "size": len(group)} for group in groups]})
