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
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can
from soriloop.analysis.taxonomy import topic_choices
from soriloop.core.fields import parse_day
from soriloop.feedback.filters import SENTIMENTS, BadFilter, FeedbackFilter
from soriloop.feedback.forms import FilterForm
from soriloop.feedback.models import Channel
from soriloop.feedback.services import export_audit
from soriloop.insights.selectors import (
    GRAINS,
    TOP_TOPICS,
    BreakdownItem,
    Comparison,
    NamedSpike,
    Period,
    SeriesPoint,
    bucket_days,
    comparison_get,
    dashboard_get,
    keywords_rank,
    live_feed_get,
    metrics_breakdown,
    period_get,
    report_get,
    topic_explorer_get,
)


def _inbox(f: FeedbackFilter, **changes: Any) -> str:
    query = f.to_query(**changes)
    return reverse("inbox:inbox") + (f"?{query}" if query else "")


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
    period = period_get(workspace=membership.workspace, filters=f)
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


def _thin_points_left_out(point: SeriesPoint) -> dict[str, Any]:
    drawn: dict[str, Any] = dict(point)
    for metric in ("nps", "net_sentiment"):
        if drawn.get(f"{metric}_n", 0) < TREND_MIN_N:
            drawn[metric] = None
    return drawn


def _charts(page: _Page, series: list[SeriesPoint]) -> dict[str, Any]:
    points = []
    for point in map(_thin_points_left_out, series):
        start, end = bucket_days(
            start=dt.date.fromisoformat(point["start"]), grain=page.grain, period=page.period
        )
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
    items: list[BreakdownItem], link: Callable[[str], str], labels: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Breakdown items with the name to show (in the page's language) and their link."""
    language = (get_language() or "ko")[:2]
    named = []
    for item in items:
        name = item.get(f"name_{language}") or (labels or {}).get(item["key"], item["key"])
        named.append({**item, "name": name, "href": link(item["key"])})
    return named


@member_required
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    page = _page(request, membership)
    board = dashboard_get(workspace=membership.workspace, filters=page.f, grain=page.grain)
    context = {
        **page.context,
        "data": board.overview,
        "tiles": _tiles(board.filters, board.overview["metrics"]),
        # None: the rollups cannot split this filter by topic; the card loads after the page
        "topics": None if board.topics is None else _topics_linked(board.topics, board.filters),
        "charts": _charts(page, board.overview["series"]),
        "negative": board.negative,
        "negative_href": _inbox(board.negative_filter),
        "spikes": _spikes(board.spikes),
        "emerging": board.emerging,
        "live": board.live,
        "anything": board.anything,
    }
    return render(request, "insights/dashboard.html", context)


def _spikes(spikes: list[NamedSpike]) -> list[dict[str, Any]]:
    """Spikes named in the page's language and linked to their records."""
    korean = (get_language() or "ko").startswith("ko")
    return [
        {
            "spike": named.spike,
            "name": named.name_ko if korean else named.name_en,
            "href": _inbox(named.spike.filter),
            "count": named.spike.now if named.spike.kind == "volume" else None,
        }
        for named in spikes
    ]


@member_required
def topics(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Topic explorer: a topic's trend, keywords, co-occurring topics, channels, segments and
    examples, for the filter of the page."""
    page = _page(request, membership)
    explorer = topic_explorer_get(workspace=membership.workspace, filters=page.f, grain=page.grain)
    base = explorer.filters

    def explore(key: str) -> str:
        return reverse("insights:topics") + "?" + base.to_query(topic=key)

    listed = _named(explorer.topics, explore)
    context: dict[str, Any] = {**page.context, "topics": listed, "chosen": None}
    focus = explorer.chosen
    if focus is not None:
        chosen, names = focus.filters, {t["key"]: t["name"] for t in listed}
        context.update(
            chosen={
                "key": focus.key,
                "name": names.get(focus.key, focus.key),
                "href": _inbox(chosen),
            },
            data=focus.overview,
            tiles=_tiles(chosen, focus.overview["metrics"]),
            charts=_charts(replace(page, dated=chosen), focus.overview["series"]),
            hints=focus.hints,
            keywords=[(w, n, _inbox(chosen, q=w)) for w, n in focus.hints.keywords],
            together=[(names.get(k, k), n, explore(k)) for k, n in focus.hints.together],
            channels=_named(
                focus.channels, lambda c: _inbox(chosen, channel=(c,)), dict(Channel.choices)
            ),
            segments=_named(focus.segments, lambda s: _inbox(chosen, segment=s)),
            examples=focus.examples,
            spikes=_spikes(focus.spikes),
        )
    return render(request, "insights/topics.html", context)


COMPARE_DIMENSIONS = ("channel", "segment", "touchpoint", "language", "period")


@member_required
def compare(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Two cuts side by side on every metric: channels, segments, touchpoints, languages or
    periods (``a`` and ``b`` as ``2026-01-01..2026-01-31``)."""
    page = _page(request, membership)
    dimension = request.GET.get("dim", "channel")
    if dimension not in COMPARE_DIMENSIONS:
        dimension = "channel"
    raws, sides, problems = _compare_sides(request, page, dimension)
    comparison = comparison_get(workspace=membership.workspace, sides=sides)
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
        "sides": [{"name": side.name, "raw": raws[side.name]} for side in comparison.sides],
        "rows": _compare_rows(comparison),
        "problems": problems,
        "pickers": _compare_pickers(comparison),
    }
    return render(request, "insights/compare.html", context)


def _compare_sides(
    request: HttpRequest, page: _Page, dimension: str
) -> tuple[dict[str, str], list[tuple[str, FeedbackFilter]], list[str]]:
    """The sides given (``a``, ``b``) as typed and as filters, and why the others are not."""
    raws: dict[str, str] = {}
    sides: list[tuple[str, FeedbackFilter]] = []
    problems: list[str] = []
    for name in ("a", "b"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        try:
            sides.append((name, _side(page.dated, dimension, raw)))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        raws[name] = raw
    return raws, sides, problems


def _compare_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """One row per metric: A, B, B's change from A, and links to each side's records."""
    if comparison.metrics is None:
        return []
    left, right = comparison.metrics
    a, b = comparison.sides
    return [
        {
            "key": key, "label": label, "a": left[key], "b": right[key],
            "change": right[key]["change"],
            "a_href": _inbox(a.filters, score_kind=score_kind),
            "b_href": _inbox(b.filters, score_kind=score_kind),
        }
        for key, label, score_kind in METRIC_ROWS
    ]  # fmt: skip


def _compare_pickers(comparison: Comparison) -> dict[str, list[tuple[str, str]]]:
    """What each dimension's A and B can be: (value typed, name shown)."""
    return {
        "channel": [(str(v), str(label)) for v, label in Channel.choices],
        "language": [("ko", _("Korean")), ("en", _("English")), ("other", _("Other"))],
        "touchpoint": [(v, v) for v in comparison.touchpoints],
        "segment": [(v, v) for v in comparison.segments],
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


def _topics_linked(items: list[BreakdownItem], dated: FeedbackFilter) -> list[dict[str, Any]]:
    return _named(items, lambda key: _inbox(dated, topic=key))


@member_required
def top_topics(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The overview's topic card for filters that read records (loaded after the page)."""
    page = _page(request, membership)
    found = metrics_breakdown(
        workspace=membership.workspace, filters=page.dated, group="topic", limit=TOP_TOPICS
    )
    return render(
        request,
        "insights/_breakdown.html",
        {"items": _topics_linked(found, page.dated), "testid": "topics", "title": _("Topic")},
    )


@member_required
def keywords(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The overview's distinctive keywords, loaded after the page (they read records)."""
    page = _page(request, membership)
    found = [
        (word, n, _inbox(page.dated, q=word))
        for word, n, _score in keywords_rank(workspace=membership.workspace, filters=page.dated)
    ]
    return render(request, "insights/_keywords.html", {"keywords": found})


@member_required
def live(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The live feed's rows (polled by the dashboard every 1.5 s)."""
    return render(
        request, "insights/_live.html", {"live": live_feed_get(workspace=membership.workspace)}
    )


def _report_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    page = _page(request, membership)
    grain = page.grain if "grain" in request.GET else None  # None: the report chooses
    report = report_get(workspace=membership.workspace, filters=page.f, grain=grain)
    series = report.overview["series"]
    top = max((p["volume"] for p in series), default=0) or 1
    bars = [
        {"start": p["start"], "volume": p["volume"], "height": round(100 * p["volume"] / top),
         "net": p["net_sentiment"]}
        for p in series
    ]  # fmt: skip
    return {
        **page.context,
        "workspace": membership.workspace,
        "data": report.overview,
        "tiles": _tiles(report.filters, report.overview["metrics"]),
        "topics": _topics_linked(report.topics, report.filters),
        "bars": bars,
        "quotes": report.quotes,
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
