"""REST endpoints for feedback: ingest one or many, list with filters, read, edit, delete."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Path, Query, Router

from soriloop.accounts.api import read_auth, write_auth
from soriloop.accounts.models import ApiKey
from soriloop.core.api_types import RecordId
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    envelope,
)
from soriloop.feedback import selectors, services
from soriloop.feedback.filters import BadFilter, FeedbackFilter
from soriloop.feedback.schemas import (
    BulkIn,
    BulkOut,
    FeedbackIn,
    FeedbackOut,
    FeedbackPage,
    FeedbackPatch,
    FilterQuery,
    IngestedOut,
    PageQuery,
)
from soriloop.feedback.serialize import feedback_json
from soriloop.feedback.validation import (
    MAX_BULK,
    InvalidFeedback,
    parse_feedback,
    parse_feedback_patch,
)

router = Router(tags=["feedback"])

REUSED = "was used before with a different body"


def _key(request: HttpRequest) -> ApiKey:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return key


def _parse(key: ApiKey, data: dict[str, Any]) -> Any:
    return parse_feedback(
        data, channel="api", tz=ZoneInfo(key.workspace.timezone), now=timezone.now()
    )


def _json(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


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
    key = _key(request)
    data = payload.model_dump(mode="json", exclude_none=True)
    idempotency = request.headers.get("Idempotency-Key", "").strip()
    if idempotency:
        data["idempotency_key"] = idempotency
    try:
        item = _parse(key, data)
    except InvalidFeedback as exc:
        return envelope(422, "The feedback has invalid fields.", exc.fields)
    result = services.feedback_ingest_one(workspace=key.workspace, item=item)
    if result.status == "conflict":
        return envelope(422, "The feedback has invalid fields.", {"Idempotency-Key": [REUSED]})
    body = feedback_json(result.feedback, reveal=key.personal_data) | {"status": result.status}
    return _json(body, 201 if result.status == "created" else 200)


@router.post(
    "/feedback/bulk",
    auth=write_auth,
    summary="Send up to 10,000 pieces at once",
    response=documented({200: BulkOut}, WRITE_ERRORS, BODY_ERRORS),
)
def feedback_bulk(request: HttpRequest, payload: BulkIn) -> HttpResponse:
    """Good items are stored even when others fail; each result names its index."""
    key = _key(request)
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
    return _json({"results": results})


@router.get(
    "/feedback",
    auth=read_auth,
    summary="List feedback, newest first",
    response=documented({200: FeedbackPage}),
)
def feedback_list(
    request: HttpRequest, filters: Query[FilterQuery], page: Query[PageQuery]
) -> HttpResponse:
    """Newest first, `limit` records a page; `next_cursor` (null on the last page) asks for
    the next. A key without personal data finds by `q` only what its masked text shows."""
    key = _key(request)
    try:
        # The schema above states the filters; they are read from the query string so the
        # inbox, exports and the API share one parser and its messages.
        parsed = FeedbackFilter.from_query(request.GET, personal=key.personal_data)
        records, next_cursor = selectors.feedback_page(
            workspace=key.workspace, filters=parsed, cursor=page.cursor or "", limit=page.limit
        )
    except BadFilter as exc:
        return envelope(422, "The request has invalid filters.", exc.fields)
    return _json(
        {
            "items": [feedback_json(r, reveal=key.personal_data) for r in records],
            "next_cursor": next_cursor,
        }
    )


@router.get(
    "/feedback/{feedback_id}",
    auth=read_auth,
    summary="One piece of feedback",
    response=documented({200: FeedbackOut}, ONE_ERRORS),
)
def feedback_read(request: HttpRequest, feedback_id: Path[RecordId]) -> HttpResponse:
    key = _key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    return _json(feedback_json(record, reveal=key.personal_data))


@router.patch(
    "/feedback/{feedback_id}",
    auth=write_auth,
    summary="Change metadata or touchpoint",
    response=documented({200: FeedbackOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def feedback_patch(
    request: HttpRequest, feedback_id: Path[RecordId], payload: FeedbackPatch
) -> HttpResponse:
    key = _key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    try:
        metadata, touchpoint = parse_feedback_patch(
            record.metadata, metadata=payload.metadata, touchpoint=payload.touchpoint
        )
    except InvalidFeedback as exc:
        return envelope(422, "The feedback has invalid fields.", exc.fields)
    services.feedback_update(actor=None, feedback=record, metadata=metadata, touchpoint=touchpoint)
    return _json(feedback_json(record, reveal=key.personal_data))


@router.delete(
    "/feedback/{feedback_id}",
    auth=write_auth,
    summary="Delete (soft, audited)",
    response=documented({204: None}, ONE_ERRORS, WRITE_ERRORS),
)
def feedback_remove(request: HttpRequest, feedback_id: Path[RecordId]) -> HttpResponse:
    key = _key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    services.feedback_delete(
        workspace=key.workspace,
        feedback=record,
        actor=None,
        actor_label=f"API key {key.prefix} ({key.name})",
    )
    return HttpResponse(status=204)
