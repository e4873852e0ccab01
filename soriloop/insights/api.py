"""Metrics through the API: the same filter as the feedback list, answered from rollups."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from soriloop.accounts.api import read_auth, request_key
from soriloop.accounts.models import ApiKey
from soriloop.core.api_types import Day, OneOf, omitted
from soriloop.core.errors import documented, envelope
from soriloop.feedback.filters import BadFilter, FeedbackFilter
from soriloop.feedback.schemas import FilterQuery
from soriloop.insights.selectors import (
    GRAINS,
    GROUPS,
    metrics_breakdown_page,
    metrics_overview,
    period_get,
    series_length,
)
from soriloop.insights.spikes import spikes_detect

router = Router(tags=["metrics"])


class MetricsOut(Schema):
    """Definitions: docs/metrics.md."""

    model_config = ConfigDict(extra="allow")

    period: dict[str, Any]
    previous_period: dict[str, Any]
    source: str
    metrics: dict[str, Any]
    series: list[dict[str, Any]]
    filter: str
    breakdown: dict[str, Any] | None = None


class Spike(Schema):
    topic: str
    kind: str
    from_: str = Field(alias="from")
    to: str
    now: float
    baseline: float
    z: float
    records: str


class SpikesOut(Schema):
    date: dt.date
    items: list[Spike]


class MetricsQuery(Schema):
    grain: Annotated[str, OneOf(GRAINS)] = Field(
        default="day", description="The buckets of `series`."
    )
    group_by: Annotated[str, OneOf(GROUPS[1:])] | None = omitted(
        description="Adds `breakdown` by this dimension."
    )
    limit: int = Field(default=20, ge=1, le=100, description="Items of `breakdown`.")
    offset: int = Field(default=0, ge=0, description="Items of `breakdown` skipped.")


@router.get(
    "/metrics",
    auth=read_auth,
    summary="Metrics for a filter, with trend and breakdown",
    response=documented({200: MetricsOut}),
)
def metrics_get(
    request: HttpRequest, filters: Query[FilterQuery], query: Query[MetricsQuery]
) -> HttpResponse:
    """Takes every filter of `GET /feedback`; the period is `date_from`..`date_to` (default:
    the last 30 days in the workspace's time zone) and is compared with the previous period
    of equal length. `grain` (day, week, month) shapes `series`; `group_by` (channel, source,
    touchpoint, language, segment, sentiment, topic, type) adds `breakdown`, paged by `limit`
    and `offset` (`total`, `next_offset`). A series longer than `METRICS_MAX_POINTS` (400)
    buckets is refused with 422: choose a coarser grain or a shorter period. Definitions:
    docs/metrics.md."""
    key = request_key(request)
    grain = query.grain
    try:
        parsed = FeedbackFilter.from_query(request.GET, personal=key.personal_data)
    except BadFilter as exc:  # one parser for pages and API
        return envelope(422, "The request has invalid parameters.", exc.fields)
    too_long = _too_long(key, parsed, grain)
    if too_long:
        return envelope(422, "The request has invalid parameters.", too_long)
    data: dict[str, Any] = {
        **metrics_overview(workspace=key.workspace, filters=parsed, grain=grain),
        "filter": parsed.to_query(),
    }
    if query.group_by:
        page = metrics_breakdown_page(
            workspace=key.workspace,
            filters=parsed,
            group=query.group_by,
            limit=query.limit,
            offset=query.offset,
        )
        data["breakdown"] = {"by": query.group_by, **page}
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _too_long(key: ApiKey, filters: FeedbackFilter, grain: str) -> dict[str, list[str]]:
    """Why the series would be too long to answer, by field (empty: it is not)."""
    points = series_length(period=period_get(workspace=key.workspace, filters=filters), grain=grain)
    if points <= settings.METRICS_MAX_POINTS:
        return {}
    coarser = GRAINS[GRAINS.index(grain) + 1 :]
    advice = f"choose {' or '.join(coarser)}, or " if coarser else ""
    return {
        "grain": [
            f"the period has {points} points at {grain} grain, at most "
            f"{settings.METRICS_MAX_POINTS} are answered: {advice}a shorter period"
        ]
    }


class SpikesQuery(Schema):
    date: Day | None = omitted(description="Default: today.")


@router.get(
    "/spikes",
    auth=read_auth,
    summary="Topics rising above their own baseline",
    response=documented({200: SpikesOut}),
)
def spikes_get(request: HttpRequest, query: Query[SpikesQuery]) -> HttpResponse:
    """Topics whose volume or negative share on `date` (default: today in the workspace's time
    zone), or in the 7 days up to it, is well above the same weekdays of the 8 weeks before.
    Each item names the filter of the records behind it. Definitions: docs/metrics.md."""
    key = request_key(request)
    day = query.date or key.workspace.today()
    items = [s.as_dict() for s in spikes_detect(workspace=key.workspace, today=day)]
    return JsonResponse(
        {"date": day.isoformat(), "items": items}, json_dumps_params={"ensure_ascii": False}
    )
