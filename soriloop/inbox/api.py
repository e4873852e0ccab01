"""The feedback records through the API: list with filters, read, edit, delete.

They are operations of the feedback app's router (one ``/feedback`` path for intake and
reading), added here because a record's answer carries its analysis, which the feedback app
below analysis does not know."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query

from soriloop.accounts.api import read_auth, request_key, write_auth
from soriloop.analysis.selectors import analysis_json
from soriloop.core.api_types import RecordId
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    envelope,
    invalid,
    json_ok,
)
from soriloop.feedback import selectors, services
from soriloop.feedback.api import router
from soriloop.feedback.filters import BadFilter, FeedbackFilter
from soriloop.feedback.models import Feedback
from soriloop.feedback.schemas import (
    FeedbackOut,
    FeedbackPage,
    FeedbackPatch,
    FilterQuery,
    PageQuery,
)
from soriloop.feedback.serialize import feedback_json
from soriloop.feedback.validation import InvalidFeedback, parse_feedback_patch
from soriloop.loop.selectors import case_ids_of

__all__ = ["router"]


def record_json(
    record: Feedback, *, reveal: bool, cases: dict[int, int] | None = None
) -> dict[str, Any]:
    """The record with its analysis (null while it waits) and its case (null without one);
    ``cases`` maps the ids of a page's records to their cases, read once for the page."""
    if cases is None:
        cases = case_ids_of(workspace_id=record.workspace_id, feedback_ids=[record.pk])
    body = feedback_json(record, reveal=reveal, analysis=analysis_json(record))
    body["case"] = cases.get(record.pk)
    return body


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
    key = request_key(request)
    try:
        # The schema above states the filters; they are read from the query string so the
        # inbox, exports and the API share one parser and its messages.
        parsed = FeedbackFilter.from_query(request.GET, personal=key.personal_data)
        records, next_cursor = selectors.feedback_page(
            workspace=key.workspace, filters=parsed, cursor=page.cursor or "", limit=page.limit
        )
    except BadFilter as exc:
        return envelope(422, "The request has invalid filters.", exc.fields)
    cases = case_ids_of(workspace_id=key.workspace_id, feedback_ids=[r.pk for r in records])
    return json_ok(
        {
            "items": [record_json(r, reveal=key.personal_data, cases=cases) for r in records],
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
    key = request_key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    return json_ok(record_json(record, reveal=key.personal_data))


@router.patch(
    "/feedback/{feedback_id}",
    auth=write_auth,
    summary="Change metadata or touchpoint",
    response=documented({200: FeedbackOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def feedback_patch(
    request: HttpRequest, feedback_id: Path[RecordId], payload: FeedbackPatch
) -> HttpResponse:
    key = request_key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    try:
        metadata, touchpoint = parse_feedback_patch(
            record.metadata, metadata=payload.metadata, touchpoint=payload.touchpoint
        )
    except InvalidFeedback as exc:
        return invalid(exc.fields, "feedback")
    services.feedback_update(actor=None, feedback=record, metadata=metadata, touchpoint=touchpoint)
    return json_ok(record_json(record, reveal=key.personal_data))


@router.delete(
    "/feedback/{feedback_id}",
    auth=write_auth,
    summary="Delete (soft, audited)",
    response=documented({204: None}, ONE_ERRORS, WRITE_ERRORS),
)
def feedback_remove(request: HttpRequest, feedback_id: Path[RecordId]) -> HttpResponse:
    key = request_key(request)
    record = selectors.feedback_get(workspace=key.workspace, feedback_id=feedback_id)
    services.feedback_delete(
        workspace=key.workspace,
        feedback=record,
        actor=None,
        actor_label=f"API key {key.prefix} ({key.name})",
    )
    return HttpResponse(status=204)
