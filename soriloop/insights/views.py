"""The overview dashboard: KPI tiles, trends, topics and the newest feedback, each number a
link to exactly the records behind it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, can
from soriloop.analysis.engine.pii import mask_text
from soriloop.analysis.models import EmergingIssue
from soriloop.analysis.selectors import topic_names
from soriloop.analysis.taxonomy import topic_choices
from soriloop.core.fields import parse_day
from soriloop.feedback.filters import SENTIMENTS, BadFilter, FeedbackFilter
from soriloop.feedback.forms import FilterForm
from soriloop.feedback.models import Channel
from soriloop.feedback.selectors import feedback_newest, feedback_records
from soriloop.feedback.services import export_audit
from soriloop.insights.metrics import summary
from soriloop.insights.selectors import (
    GRAINS,
    Period,
    breakdown,
    bucket_days,
    compare_values,
    keyword_ranking,
    level_for,
    overview,
    period_of,
    topic_hints,
    totals,
)
from soriloop.insights.spikes import detect

LIVE_ROWS = 8


def _inbox(f: FeedbackFilter, **changes: Any) -> str:
    query = f.to_query(**changes)
    return reverse("feedback:inbox") + (f"?{query}" if query else "")


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


@dataclass
class _Page:
    """What every insights page starts from: the filter, its period, and the filter bar."""

    f: FeedbackFilter
    dated: FeedbackFilter  # f with the period's dates: every link lists the counted records
    period: Period
    grain: str
    context: dict[str, Any]


def _page(request: HttpRequest, membership: Membership) -> _Page:
    errors: dict[str, list[str]] = {}
    personal = can(membership, Action.VIEW_PERSONAL_DATA)
    try:
        f = FeedbackFilter.from_query(request.GET, personal=personal)
    except BadFilter as exc:
        f, errors = exc.usable or FeedbackFilter(personal=personal), exc.fields
    grain = request.GET.get("grain", "day")
    if grain not in GRAINS:
        grain = "day"
    period = period_of(membership.workspace, f)
    context = {
        "form": FilterForm(
            request.GET or None, topics=topic_choices(workspace=membership.workspace)
        ),
        "filter_errors": errors,
        "query": f.to_query(),
        "grain": grain,
        "grains": [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
        "period": period,
    }
    dated = replace(f, date_from=period.start, date_to=period.end)
    return _Page(f, dated, period, grain, context)


# A score over fewer answers swings by up to 100 points a day: the trend leaves it out (and says
# so); the tooltip gives each point's n.
TREND_MIN_N = 5


def _thin_points_left_out(point: dict[str, Any]) -> dict[str, Any]:
    drawn = dict(point)
    for metric in ("nps", "net_sentiment"):
        if drawn.get(f"{metric}_n", 0) < TREND_MIN_N:
            drawn[metric] = None
    return drawn


def _charts(page: _Page, series: list[dict[str, Any]]) -> dict[str, Any]:
    points = []
    for point in map(_thin_points_left_out, series):
        start, end = bucket_days(dt.date.fromisoformat(point["start"]), page.grain, page.period)
        within = replace(page.dated, date_from=start, date_to=end)
        hrefs = {s: _inbox(within, sentiment=s) for s in SENTIMENTS}
        hrefs["nps"] = _inbox(within, score_kind="nps")  # the answers behind an NPS point
        points.append({**point, "href": _inbox(within), "hrefs": hrefs})
    return {
        "points": points,
        "labels": {
            "volume": _("Volume"), "nps": _("NPS"), "net_sentiment": _("Net sentiment"),
            "positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative"),
            "n": _("answers"),
            "thin": _("NPS and net sentiment are drawn where a point has at least %(n)s answers; "
                      "choose a week or month for more.") % {"n": TREND_MIN_N},
        },
    }  # fmt: skip


def _named(
    items: list[dict[str, Any]], link: Callable[[str], str], labels: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    language = (get_language() or "ko")[:2]
    for item in items:
        item["name"] = item.get(f"name_{language}") or (labels or {}).get(item["key"], item["key"])
        item["href"] = link(item["key"])
    return items


@member_required
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    page = _page(request, membership)
    data = overview(workspace, page.dated, page.grain)
    # Topics the rollups cannot split this way are counted from records after the page loads.
    topics = _top_topics(workspace, page) if level_for(page.dated, "topic") is not None else None
    negative = replace(page.dated, sentiment="negative")
    context = {
        **page.context,
        "data": data,
        "tiles": _tiles(page.dated, data["metrics"]),
        "topics": topics,
        "charts": _charts(page, data["series"]),
        "negative": feedback_newest(workspace=workspace, filters=negative, limit=5),
        "negative_href": _inbox(negative),
        "spikes": _spikes(workspace),
        "emerging": list(
            EmergingIssue.objects.filter(workspace=workspace, status="proposed").order_by("-size")[
                :5
            ]
        ),
        "live": _live(membership),
        "anything": feedback_records(workspace=workspace, filters=FeedbackFilter()).exists(),
    }
    return render(request, "insights/dashboard.html", context)


def _spikes(workspace: Workspace, topic: str = "") -> list[dict[str, Any]]:
    """Today's and this week's spikes, named and linked to their records."""
    names = topic_names(workspace_id=workspace.pk)
    index = 0 if (get_language() or "ko").startswith("ko") else 1
    return [
        {
            "spike": spike,
            "name": names.get(spike.topic, (spike.topic, spike.topic))[index],
            "href": _inbox(spike.filter),
            "count": spike.now if spike.kind == "volume" else None,
        }
        for spike in detect(workspace, workspace.today(), topic=topic)
    ]


@member_required
def topics(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Topic explorer: a topic's trend, keywords, co-occurring topics, channels, segments and
    examples, for the filter of the page."""
    workspace = membership.workspace
    page = _page(request, membership)
    base = replace(page.dated, topic="")
    listed = _named(
        breakdown(workspace, base, "topic", limit=50),
        lambda key: reverse("insights:topics") + "?" + base.to_query(topic=key),
    )
    context: dict[str, Any] = {**page.context, "topics": listed, "chosen": None}
    key = page.f.topic or (listed[0]["key"] if listed else "")
    if key:
        chosen = replace(page.dated, topic=key)
        data = overview(workspace, chosen, page.grain)
        hints = topic_hints(workspace, chosen, key)
        names = dict((t["key"], t["name"]) for t in listed)

        def explore(k: str) -> str:
            return reverse("insights:topics") + "?" + base.to_query(topic=k)

        context.update(
            chosen={"key": key, "name": names.get(key, key), "href": _inbox(chosen)},
            data=data,
            tiles=_tiles(chosen, data["metrics"]),
            charts=_charts(replace(page, dated=chosen), data["series"]),
            hints=hints,
            keywords=[(w, n, _inbox(chosen, q=w)) for w, n in hints["keywords"]],
            together=[(names.get(k, k), n, explore(k)) for k, n in hints["together"]],
            channels=_named(
                breakdown(workspace, chosen, "channel"),
                lambda c: _inbox(chosen, channel=(c,)),
                dict(Channel.choices),
            ),
            segments=_named(
                breakdown(workspace, chosen, "segment"), lambda s: _inbox(chosen, segment=s)
            ),
            examples=feedback_newest(workspace=workspace, filters=chosen, limit=8),
            spikes=_spikes(workspace, topic=key),
        )
    return render(request, "insights/topics.html", context)


COMPARE_DIMENSIONS = ("channel", "segment", "touchpoint", "language", "period")


@member_required
def compare(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Two cuts side by side on every metric: channels, segments, touchpoints, languages or
    periods (``a`` and ``b`` as ``2026-01-01..2026-01-31``)."""
    workspace = membership.workspace
    page = _page(request, membership)
    dimension = request.GET.get("dim", "channel")
    if dimension not in COMPARE_DIMENSIONS:
        dimension = "channel"
    sides: list[dict[str, Any]] = []
    problems: list[str] = []
    for name in ("a", "b"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        try:
            side = _side(page.dated, dimension, raw)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        period = period_of(workspace, side)
        totals_ = totals(workspace, side, period)
        sides.append(
            {"name": name, "raw": raw, "filter": side, "totals": totals_, "period": period}
        )
    rows = []
    if len(sides) == 2:
        # B measured against A: each of B's metrics carries its change from A
        left, right = summary(sides[0]["totals"]), summary(sides[1]["totals"], sides[0]["totals"])
        for key, label, score_kind in METRIC_ROWS:
            rows.append({
                "key": key, "label": label, "a": left[key], "b": right[key],
                "change": right[key]["change"],
                "a_href": _inbox(sides[0]["filter"], score_kind=score_kind),
                "b_href": _inbox(sides[1]["filter"], score_kind=score_kind),
            })  # fmt: skip
    context = {
        **page.context,
        "dimension": dimension,
        "dimensions": [
            ("channel", _("Channel")),
            ("segment", _("Segment")),
            ("touchpoint", _("Touchpoint")),
            ("language", _("Language")),
            ("period", _("Period")),
        ],
        "a": request.GET.get("a", ""),
        "b": request.GET.get("b", ""),
        "keep": [(k, request.GET[k]) for k in ("dim", "a", "b") if request.GET.get(k)],
        # From the view, not request.GET.items in the template: a parameter named "items"
        # would shadow the method there.
        "hidden": [(k, v) for k, v in request.GET.items() if k not in {"dim", "a", "b"}],
        "sides": sides,
        "rows": rows,
        "problems": problems,
        "pickers": _compare_pickers(workspace),
    }
    return render(request, "insights/compare.html", context)


def _compare_pickers(workspace: Workspace) -> dict[str, list[tuple[str, str]]]:
    """What each dimension's A and B can be: (value typed, name shown)."""
    return {
        "channel": [(str(v), str(label)) for v, label in Channel.choices],
        "language": [("ko", _("Korean")), ("en", _("English")), ("other", _("Other"))],
        "touchpoint": [(v, v) for v in compare_values(workspace=workspace, name="touchpoint")],
        "segment": [(v, v) for v in compare_values(workspace=workspace, name="segment")],
    }


METRIC_ROWS = [
    ("volume", _lazy("Volume"), ""),
    ("nps", _lazy("NPS"), "nps"),
    ("csat", _lazy("CSAT"), "csat"),
    ("ces", _lazy("CES"), "ces"),
    ("net_sentiment", _lazy("Net sentiment"), ""),
    ("stars", _lazy("Stars"), "stars"),
]


def _side(base: FeedbackFilter, dimension: str, raw: str) -> FeedbackFilter:
    if dimension == "period":
        start, _sep, end = raw.partition("..")
        first, last = parse_day(start), parse_day(end or start)
        if first is None or last is None:
            raise ValueError(_("a period is written 2026-01-01..2026-01-31"))
        if first > last:
            raise ValueError(_("the period ends before it starts"))
        return replace(base, date_from=first, date_to=last)
    if dimension == "channel":
        if raw not in Channel.values:
            raise ValueError(_("unknown channel"))
        return replace(base, channel=(raw,))
    if dimension == "segment":
        return replace(base, segment=raw[:60])
    if dimension == "language":
        return replace(base, language=raw[:8])
    return replace(base, touchpoint=raw[:120])


def _live(membership: Membership, after: int = 0) -> list[Any]:
    records = feedback_records(workspace=membership.workspace, filters=FeedbackFilter())
    if after:
        records = records.filter(id__gt=after)
    return list(records.select_related("customer", "enrichment")[:LIVE_ROWS])


def _top_topics(workspace: Workspace, page: _Page) -> list[dict[str, Any]]:
    return _named(
        breakdown(workspace, page.dated, "topic", limit=10),
        lambda key: _inbox(page.dated, topic=key),
    )


@member_required
def top_topics(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The overview's topic card for filters that read records (loaded after the page)."""
    page = _page(request, membership)
    topics = _top_topics(membership.workspace, page)
    return render(
        request,
        "insights/_breakdown.html",
        {"items": topics, "testid": "topics", "title": _("Topic")},
    )


@member_required
def keywords(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The overview's distinctive keywords, loaded after the page (they read records)."""
    page = _page(request, membership)
    found = [
        (word, n, _inbox(page.dated, q=word))
        for word, n, _score in keyword_ranking(membership.workspace, page.dated)
    ]
    return render(request, "insights/_keywords.html", {"keywords": found})


@member_required
def live(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The live feed's rows (polled by the dashboard every 1.5 s)."""
    return render(request, "insights/_live.html", {"live": _live(membership)})


def _report_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    workspace = membership.workspace
    page = _page(request, membership)
    grain = page.grain if "grain" in request.GET else ("week" if page.period.days > 31 else "day")
    data = overview(workspace, page.dated, grain)
    top = max((p["volume"] for p in data["series"]), default=0) or 1
    bars = [
        {"start": p["start"], "volume": p["volume"], "height": round(100 * p["volume"] / top),
         "net": p["net_sentiment"]}
        for p in data["series"]
    ]  # fmt: skip
    quotes = {}
    for label in ("negative", "positive"):
        records = feedback_records(
            workspace=workspace, filters=replace(page.dated, sentiment=label, has_text=True)
        )
        quotes[label] = [
            # personal data stays out of a report that travels, masked by today's rules
            (r, mask_text(r.text))
            for r in records.select_related("enrichment").order_by(
                "-enrichment__sentiment_confidence", "-received_at"
            )[:3]
        ]
    return {
        **page.context,
        "workspace": workspace,
        "data": data,
        "tiles": _tiles(page.dated, data["metrics"]),
        "topics": _named(
            breakdown(workspace, page.dated, "topic", limit=10),
            lambda key: _inbox(page.dated, topic=key),
        ),
        "bars": bars,
        "quotes": quotes,
        "generated": timezone.now(),
        "can_export": can(membership, Action.EXPORT),
        "pdf_href": reverse("insights:report_pdf")
        + (f"?{page.f.to_query()}" if page.f.to_query() else ""),
    }


@member_required
def report(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A printable period report: KPIs, trend, top topics, notable quotes."""
    return render(request, "insights/report.html", _report_context(request, membership))


def _nothing_fetched(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report carries its styles inline; nothing is fetched, from here or elsewhere."""
    raise ValueError(f"a report fetches nothing ({url})")


@member_required
def report_pdf(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The same report as a PDF (WeasyPrint, with the Noto CJK fonts embedded); audited."""
    from weasyprint import HTML

    context = _report_context(request, membership)
    export_audit(actor=membership, what="report.pdf", query=context["query"])
    html = render_to_string("insights/report.html", {**context, "pdf": True}, request=request)
    pdf = HTML(string=html, url_fetcher=_nothing_fetched).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="soriloop-report-{stamp}.pdf"'
    return response
