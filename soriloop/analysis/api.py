"""Correcting analysis labels through the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict

from soriloop.accounts.api import read_auth, request_key, write_auth
from soriloop.analysis.corrections import NotAnalysedYet, analysis_correct
from soriloop.analysis.engine.kinds import TYPES
from soriloop.analysis.engine.sentiment import LABELS
from soriloop.analysis.selectors import (
    analysis_json,
    duplicate_groups,
    similar_feedback,
    similar_in_meaning,
)
from soriloop.core.api_types import Matching, OneOf, RecordId
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    envelope,
)
from soriloop.feedback import selectors
from soriloop.feedback.filters import SLUG_PROBLEM, TOPIC_PATTERN, TOPIC_RE
from soriloop.feedback.schemas import FeedbackOut
from soriloop.feedback.serialize import feedback_json

router = Router(tags=["analysis"])


class CorrectionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sentiment: Annotated[str, OneOf(LABELS)] | None = None
    types: list[Annotated[str, OneOf(TYPES)]] | None = None
    topics: list[Annotated[str, Matching(TOPIC_PATTERN, SLUG_PROBLEM, TOPIC_RE)]] | None = Field(
        default=None, description="Keys of the workspace's topics (422 for an unknown one)."
    )


@router.patch(
    "/feedback/{feedback_id}/analysis",
    auth=write_auth,
    summary="Correct sentiment, types or topics",
    response=documented({200: FeedbackOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS, (409,)),
)
def analysis_patch(
    request: HttpRequest, feedback_id: Path[RecordId], payload: CorrectionIn
) -> HttpResponse:
    """A person's correction wins over the model everywhere and survives re-analysis. A
    record not analysed yet (or whose analysis failed) has nothing to correct: 409."""
    key = request_key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    try:
        analysis_correct(
            feedback=record,
            changes=payload.model_dump(exclude_none=True),
            actor_label=f"API key {key.prefix} ({key.name})",
        )
    except NotAnalysedYet:
        return envelope(409, "The record is not analysed yet.", {"analysis": ["not analysed yet"]})
    except ValidationError as exc:
        return envelope(
            422,
            "The correction is invalid.",
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()},
        )
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    return JsonResponse(
        feedback_json(record, reveal=key.personal_data, analysis=analysis_json(record)),
        json_dumps_params={"ensure_ascii": False},
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


class SimilarQuery(Schema):
    limit: int = Field(default=10, ge=1, le=50)
    by: Literal["meaning", "wording"] = "meaning"


@router.get(
    "/feedback/{feedback_id}/similar",
    auth=read_auth,
    summary="The most similar feedback",
    response=documented({200: SimilarOut}, ONE_ERRORS),
)
def similar_get(
    request: HttpRequest, feedback_id: Path[RecordId], query: Query[SimilarQuery]
) -> HttpResponse:
    """Records of the same workspace most like this one. ``by=meaning`` (the default): the
    cosine similarity (0-1) of their sentence embeddings, across wording and languages; while
    the record awaits the meaning pass the answer falls back to wording and says so in ``by``.
    ``by=wording``: the estimated Jaccard similarity of their character 3-grams (0.7 and more
    is a near-duplicate)."""
    key = request_key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    by, limit = query.by, query.limit
    found = similar_in_meaning(record=record, limit=limit) if by == "meaning" else None
    if found is None:
        by, found = "wording", similar_feedback(record=record, limit=limit)
    return JsonResponse(
        {"by": by, "items": [{"id": pk, "similarity": score} for pk, score in found]}
    )


class DuplicatesQuery(Schema):
    days: int = Field(default=30, ge=1, le=365)


@router.get(
    "/feedback-duplicates",
    auth=read_auth,
    summary="Groups of near-identical feedback",
    response=documented({200: DuplicatesOut}),
)
def duplicates_get(request: HttpRequest, query: Query[DuplicatesQuery]) -> HttpResponse:
    """Records received in the last ``days`` days that repeat each other (the same complaint
    pasted into several channels), largest groups first."""
    key = request_key(request)
    since = timezone.now() - dt.timedelta(days=query.days)
    groups = duplicate_groups(workspace_id=key.workspace_id, since=since)
    return JsonResponse({"groups": [{"ids": group, "size": len(group)} for group in groups]})
