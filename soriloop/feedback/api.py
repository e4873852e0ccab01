"""REST endpoints that take feedback in: one record or many at once.

Reading, editing and deleting records (``GET/PATCH/DELETE /feedback...``) are operations of
the same router added by the inbox app (soriloop/inbox/api.py), which stands above analysis
and shows what it found."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from soriloop.accounts.api import request_key, write_auth
from soriloop.accounts.models import ApiKey
from soriloop.core.errors import (
    BODY_ERRORS,
    WRITE_ERRORS,
    documented,
    envelope,
    invalid,
    json_ok,
)
from soriloop.feedback import services
from soriloop.feedback.schemas import (
    BulkIn,
    BulkOut,
    FeedbackIn,
    IngestedOut,
)
from soriloop.feedback.serialize import feedback_json
from soriloop.feedback.validation import (
    MAX_BULK,
    InvalidFeedback,
    parse_feedback,
)

router = Router(tags=["feedback"])

REUSED = "was used before with a different body"


def _parse(key: ApiKey, data: dict[str, Any]) -> Any:
    return parse_feedback(
        data, channel="api", tz=ZoneInfo(key.workspace.timezone), now=timezone.now()
    )


@router.post(
    "/feedback",
    auth=write_auth,
    summary="Send one piece of feedback",
    response=documented({201: IngestedOut, 200: IngestedOut}, WRITE_ERRORS, BODY_ERRORS),
)
def feedback_create(request: HttpRequest, payload: FeedbackIn) -> HttpResponse:
    """201 with the new record; 200 with the stored one when it is a duplicate (same source
    + external id, or the same `Idempotency-Key` header: at most 200 characters; the same key
    with a different body is a 422). A `received_at` more than a day ahead is a 422."""
    key = request_key(request)
    data = payload.model_dump(mode="json", exclude_none=True)
    idempotency = request.headers.get("Idempotency-Key", "").strip()
    if idempotency:
        data["idempotency_key"] = idempotency
    try:
        item = _parse(key, data)
    except InvalidFeedback as exc:
        return invalid(exc.fields, "feedback")
    result = services.feedback_ingest_one(workspace=key.workspace, item=item)
    if result.status == "conflict":
        return envelope(422, "The feedback has invalid fields.", {"Idempotency-Key": [REUSED]})
    body = feedback_json(result.feedback, reveal=key.personal_data) | {"status": result.status}
    return json_ok(body, 201 if result.status == "created" else 200)


@router.post(
    "/feedback/bulk",
    auth=write_auth,
    summary="Send up to 10,000 pieces at once",
    response=documented({200: BulkOut}, WRITE_ERRORS, BODY_ERRORS),
)
def feedback_bulk(request: HttpRequest, payload: BulkIn) -> HttpResponse:
    """Good items are stored even when others fail; each result names its index."""
    key = request_key(request)
    if len(payload.items) > MAX_BULK:
        return envelope(
            413,
            f"At most {MAX_BULK:,} items per request.",
            {"items": [f"has {len(payload.items):,} items"]},
        )
    results: list[dict[str, Any]] = [{} for _ in payload.items]
    valid: list[tuple[int, Any]] = []
    for index, raw in enumerate(payload.items):
        try:
            valid.append((index, _parse(key, raw if isinstance(raw, dict) else {})))
        except InvalidFeedback as exc:
            results[index] = {
                "index": index,
                "status": "error",
                "id": None,
                "error": {"fields": exc.fields},
            }
    stored = services.feedback_ingest(workspace=key.workspace, items=[item for _, item in valid])
    for (index, _item), result in zip(valid, stored, strict=True):
        if result.status == "conflict":
            error = {"fields": {"idempotency_key": [REUSED]}}
            results[index] = {"index": index, "status": "error", "id": None, "error": error}
            continue
        results[index] = {
            "index": index,
            "status": result.status,
            "id": result.feedback_id,
            "error": None,
        }
    return json_ok({"results": results})
