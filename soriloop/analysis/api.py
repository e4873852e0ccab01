"""Correcting analysis labels through the API."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema
from pydantic import ConfigDict

from soriloop.accounts.api import write_auth
from soriloop.accounts.models import ApiKey
from soriloop.analysis.corrections import analysis_correct
from soriloop.core.errors import envelope
from soriloop.feedback import selectors
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
    return JsonResponse(feedback_json(record), json_dumps_params={"ensure_ascii": False})
