"""Metrics through the API: the same filter as the feedback list, answered from rollups."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from soriloop.accounts.api import read_auth
from soriloop.accounts.models import ApiKey
from soriloop.core.errors import envelope
from soriloop.core.fields import DAY_PROBLEM, parse_day
from soriloop.feedback.filters import BadFilter, FeedbackFilter
from soriloop.insights.selectors import GRAINS, GROUPS, breakdown, overview
from soriloop.insights.spikes import detect

router = Router(tags=["metrics"])


@router.get("/metrics", auth=read_auth, summary="Metrics for a filter, with trend and breakdown")
def metrics_get(
    request: HttpRequest, grain: str = "day", group_by: str = "", limit: int = 20
) -> HttpResponse:
    """Takes every filter of `GET /feedback` plus `topic`, `type` and `segment`; the period is
    `date_from`..`date_to` (default: the last 30 days in the workspace's time zone) and is
    compared with the previous period of equal length. `grain` (day, week, month) shapes
    `series`; `group_by` (channel, source, touchpoint, language, segment, sentiment, topic,
    type) adds `breakdown`. Definitions: docs/metrics.md."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    problems: dict[str, list[str]] = {}
    if grain not in GRAINS:
        problems["grain"] = [f"must be one of {', '.join(GRAINS)}"]
    if group_by and (group_by == "day" or group_by not in GROUPS):
        problems["group_by"] = [f"must be one of {', '.join(GROUPS[1:])}"]
    if not 1 <= limit <= 100:
        problems["limit"] = ["must be between 1 and 100"]
    try:
        filters = FeedbackFilter.from_query(request.GET)
    except BadFilter as exc:
        problems.update(exc.fields)
    if problems:
        return envelope(422, "The request has invalid parameters.", problems)
    data = overview(key.workspace, filters, grain)
    data["filter"] = filters.to_query()
    if group_by:
        data["breakdown"] = {
            "by": group_by,
            "items": breakdown(key.workspace, filters, group_by, limit),
        }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@router.get("/spikes", auth=read_auth, summary="Topics rising above their own baseline")
def spikes_get(request: HttpRequest, date: str = "") -> HttpResponse:
    """Topics whose volume or negative share on `date` (default: today in the workspace's time
    zone), or in the 7 days up to it, is well above the same weekdays of the 8 weeks before.
    Each item names the filter of the records behind it. Definitions: docs/metrics.md."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    day = parse_day(date) if date else key.workspace.today()
    if day is None:
        return envelope(422, "The request has invalid parameters.", {"date": [DAY_PROBLEM]})
    items = [s.as_dict() for s in detect(key.workspace, day)]
    return JsonResponse(
        {"date": day.isoformat(), "items": items}, json_dumps_params={"ensure_ascii": False}
    )
