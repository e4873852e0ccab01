"""The overview dashboard: KPI tiles, trends, topics and the newest feedback, each number a
link to exactly the records behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.feedback.filters import SENTIMENTS, BadFilter, FeedbackFilter
from soriloop.feedback.forms import FilterForm
from soriloop.feedback.selectors import feedback_records
from soriloop.feedback.views import _topic_choices
from soriloop.insights.selectors import GRAINS, Period, breakdown, overview, period_of

LIVE_ROWS = 8


def _inbox(f: FeedbackFilter, **changes: Any) -> str:
    query = f.to_query(**changes)
    return reverse("feedback:inbox") + (f"?{query}" if query else "")


def _bucket(start: dt.date, grain: str, period: Period) -> tuple[dt.date, dt.date]:
    """The days of a series point, clipped to the period."""
    if grain == "week":
        end = start + dt.timedelta(days=6)
    elif grain == "month":
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    else:
        end = start
    return max(start, period.start), min(end, period.end)


def _tiles(f: FeedbackFilter, metrics: dict[str, Any]) -> list[dict[str, Any]]:
    sentiment = metrics["net_sentiment"]
    return [
        {"key": "nps", "label": _("NPS"), "metric": metrics["nps"], "unit": "",
         "href": _inbox(f, score_kind="nps"), "note": _("responses")},
        {"key": "csat", "label": _("CSAT"), "metric": metrics["csat"], "unit": "%",
         "href": _inbox(f, score_kind="csat"), "note": _("responses")},
        {"key": "ces", "label": _("CES"), "metric": metrics["ces"], "unit": "",
         "href": _inbox(f, score_kind="ces"), "note": _("responses")},
        {"key": "net_sentiment", "label": _("Net sentiment"), "metric": sentiment, "unit": "",
         "href": _inbox(f), "count": metrics["volume"]["n"], "note": _("analysed"),
         "parts": [
             (_("positive"), sentiment.get("positive"), _inbox(f, sentiment="positive"), "positive"),
             (_("negative"), sentiment.get("negative"), _inbox(f, sentiment="negative"), "negative"),
         ]},
        {"key": "volume", "label": _("Volume"), "metric": metrics["volume"], "unit": "",
         "href": _inbox(f), "note": _("records")},
    ]  # fmt: skip


@member_required
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    errors: dict[str, list[str]] = {}
    try:
        f = FeedbackFilter.from_query(request.GET)
    except BadFilter as exc:
        f, errors = FeedbackFilter(), exc.fields
    grain = request.GET.get("grain", "day")
    if grain not in GRAINS:
        grain = "day"
    period = period_of(workspace, f)
    # The period is part of every link, so a drill-down lists exactly the counted records.
    dated = replace(f, date_from=period.start, date_to=period.end)
    data = overview(workspace, dated, grain)
    language = (get_language() or "ko")[:2]
    topics = breakdown(workspace, dated, "topic", limit=10)
    for item in topics:
        item["name"] = item.get(f"name_{language}", item["key"])
        item["href"] = _inbox(dated, topic=item["key"])
    points = []
    for point in data["series"]:
        start, end = _bucket(dt.date.fromisoformat(point["start"]), grain, period)
        within = replace(dated, date_from=start, date_to=end)
        hrefs = {s: _inbox(within, sentiment=s) for s in SENTIMENTS}
        points.append({**point, "href": _inbox(within), "hrefs": hrefs})
    charts = {
        "points": points,
        "labels": {
            "volume": _("Volume"), "nps": _("NPS"), "net_sentiment": _("Net sentiment"),
            "positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative"),
        },
    }  # fmt: skip
    anything = feedback_records(workspace=workspace, filters=FeedbackFilter()).exists()
    context = {
        "form": FilterForm(request.GET or None, topics=_topic_choices(membership)),
        "filter_errors": errors,
        "query": f.to_query(),
        "grain": grain,
        "grains": [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
        "data": data,
        "period": period,
        "tiles": _tiles(dated, data["metrics"]),
        "topics": topics,
        "charts": charts,
        "negative": list(
            feedback_records(
                workspace=workspace, filters=FeedbackFilter(sentiment="negative")
            ).select_related("customer", "enrichment")[:5]
        ),
        "negative_href": _inbox(FeedbackFilter(sentiment="negative")),
        "live": _live(membership),
        "anything": anything,
    }
    return render(request, "insights/dashboard.html", context)


def _live(membership: Membership, after: int = 0) -> list[Any]:
    records = feedback_records(workspace=membership.workspace, filters=FeedbackFilter())
    if after:
        records = records.filter(id__gt=after)
    return list(records.select_related("customer", "enrichment")[:LIVE_ROWS])


@member_required
def live(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The live feed's rows (polled by the dashboard every 1.5 s)."""
    return render(request, "insights/_live.html", {"live": _live(membership)})
