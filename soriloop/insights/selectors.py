"""Dashboard reads: metrics, trends and breakdowns for a filter, from the rollups.

A filter the rollups can answer (time, channel, source, touchpoint, language, sentiment,
segment, and one of topic or type) never touches the records. Anything else (text search, a
score range, one customer, topic and type together) is counted from the matching records with
the same per-record definitions (``rollups.contributions``), so both paths agree.

Every function is keyword-only and named ``<entity>_<verb>``. The metrics API calls the
``metrics_*`` ones; each page calls one ``<page>_get`` that gathers what it shows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NotRequired, TypedDict

from django.db.models import Q, Sum

from soriloop.accounts.models import Workspace
from soriloop.analysis.engine.pii import mask_text
from soriloop.analysis.models import EmergingIssue
from soriloop.analysis.selectors import emerging_proposed, topic_names
from soriloop.core.changes import changes_pending
from soriloop.feedback.filters import FeedbackFilter
from soriloop.feedback.models import Feedback
from soriloop.feedback.selectors import feedback_newest, feedback_newest_first, feedback_records
from soriloop.insights.metrics import Totals, summary
from soriloop.insights.models import (
    COARSE,
    FINE,
    MEASURES,
    SLICES,
    TOTAL,
    WIDE,
    DirtyDay,
    HourRollup,
    Rollup,
)
from soriloop.insights.rollups import DIMENSIONS, contributions, record_rows
from soriloop.insights.spikes import Spike, spikes_detect

GROUPS = ("day", *DIMENSIONS[2:], "topic", "type")  # the row dimensions, as filters name them
GRAINS = ("day", "week", "month")
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


class SeriesPoint(TypedDict):
    """One bucket of a series: volume, sentiment counts and the main metric values."""

    start: str
    volume: int
    positive: int
    neutral: int
    negative: int
    nps: float | None
    nps_n: int
    net_sentiment_n: int
    csat: float | None
    ces: float | None
    net_sentiment: float | None


class Overview(TypedDict):
    """The metrics of a filter's period against the previous one, and its series."""

    period: dict[str, str]
    previous_period: dict[str, str]
    source: str  # "rollups" or "records"
    metrics: dict[str, dict[str, Any]]
    series: list[SeriesPoint]


class BreakdownItem(TypedDict):
    key: Any
    name_ko: NotRequired[str]  # topics only
    name_en: NotRequired[str]
    metrics: dict[str, dict[str, Any]]


class BreakdownPage(TypedDict):
    items: list[BreakdownItem]
    total: int
    next_offset: int | None


def period_get(*, workspace: Workspace, filters: FeedbackFilter) -> Period:
    """The filter's dates; by default the last 30 days up to today in the workspace's zone."""
    end = filters.date_to or workspace.today()
    start = filters.date_from or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    return Period(start, end)


def _dated(workspace: Workspace, filters: FeedbackFilter) -> tuple[FeedbackFilter, Period]:
    """The filter with its period's dates (so a link lists exactly the counted records)."""
    period = period_get(workspace=workspace, filters=filters)
    return replace(filters, date_from=period.start, date_to=period.end), period


def rollup_level(*, filters: FeedbackFilter, group: str = "") -> int | None:
    """The rollup level that answers this filter grouped by ``group``; None: count records."""
    f = filters
    if f.q or f.customer is not None or f.score_kind or f.has_text is not None:
        return None
    if f.score_min is not None or f.score_max is not None:
        return None
    facets = {name for name in ("topic", "type") if getattr(f, name) or group == name}
    if len(facets) > 1:
        return None
    wide = {name for name in WIDE if getattr(f, name) or group == name}
    with_channel = bool(f.channel) or group == "channel"
    if not wide:
        return COARSE if with_channel else TOTAL
    if len(wide) == 1 and not with_channel:
        return SLICES[wide.pop()]
    return FINE if not facets else None


def rollups_answer(*, filters: FeedbackFilter, group: str = "") -> bool:
    """True when the rollups can answer this filter (grouped by ``group``)."""
    return rollup_level(filters=filters, group=group) is not None


def _facet(f: FeedbackFilter, group: str) -> tuple[str, str]:
    if group in ("topic", "type"):
        return group, getattr(f, group)
    if f.topic:
        return "topic", f.topic
    if f.type:
        return "type", f.type
    return "", ""


_COLUMN = {"topic": "value", "type": "value"}


def metrics_grouped(
    *, workspace: Workspace, filters: FeedbackFilter, period: Period, group: str = ""
) -> list[tuple[Any, Totals]]:
    """Summed measures of the records matching ``filters`` in ``period``, per value of
    ``group`` (one entry with key None when ``group`` is empty), largest volume first; by day
    in date order. Raises ValueError on an unknown group."""
    if group and group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    f = filters
    facet, value = _facet(f, group)
    level = rollup_level(filters=f, group=group)
    if level is None:
        return _grouped_raw(workspace, f, period, group, facet, value)
    rows = Rollup.objects.filter(
        workspace=workspace,
        level=level,
        facet=facet,
        day__gte=period.start,
        day__lte=period.end,
    )
    if value:
        rows = rows.filter(value=value)
    if f.channel:
        rows = rows.filter(channel__in=f.channel)
    for name in ("source", "touchpoint", "language", "sentiment", "segment"):
        if getattr(f, name):
            rows = rows.filter(**{name: getattr(f, name)})
    sums = {m: Sum(m) for m in MEASURES}
    if not group:
        return [(None, Totals.of([rows.aggregate(**sums)]))]
    column = _COLUMN.get(group, group)
    found = [
        (row[column], Totals.of([row]))
        for row in rows.values(column).annotate(**sums).order_by(column)
    ]
    return _ordered(found, group)


def _grouped_raw(
    workspace: Workspace, f: FeedbackFilter, period: Period, group: str, facet: str, value: str
) -> list[tuple[Any, Totals]]:
    records = feedback_records(
        workspace=workspace, filters=replace(f, date_from=period.start, date_to=period.end)
    )
    position = DIMENSIONS.index(_COLUMN.get(group, group)) if group and group != "day" else -1
    found: dict[Any, Totals] = {}
    for row in record_rows(records):
        keys, measures = contributions(row)
        for key in keys:
            if key[0] != facet or (value and key[1] != value):
                continue
            bucket = row[0] if group == "day" else key[position] if group else None
            totals = found.get(bucket)
            if totals is None:
                found[bucket] = totals = Totals.zero()
            totals.add(measures)
    if not group:
        return [(None, found.get(None, Totals.zero()))]
    return _ordered(sorted(found.items(), key=lambda item: str(item[0])), group)


def _ordered(found: list[tuple[Any, Totals]], group: str) -> list[tuple[Any, Totals]]:
    if group == "day":
        return sorted(found, key=lambda item: item[0])
    return sorted(found, key=lambda item: (-item[1]["n"], str(item[0])))


def metrics_totals(*, workspace: Workspace, filters: FeedbackFilter, period: Period) -> Totals:
    """Summed measures of the records matching ``filters`` in ``period``."""
    return metrics_grouped(workspace=workspace, filters=filters, period=period)[0][1]


def bucket_start(*, day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def bucket_days(*, start: dt.date, grain: str, period: Period) -> tuple[dt.date, dt.date]:
    """The first and last day of the bucket starting at ``start``, clipped to the period."""
    if grain == "week":
        end = start + dt.timedelta(days=6)
    elif grain == "month":
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    else:
        end = start
    return max(start, period.start), min(end, period.end)


def series_length(*, period: Period, grain: str) -> int:
    """How many buckets ``metrics_series`` would answer for the period at this grain."""
    first = bucket_start(day=period.start, grain=grain)
    last = bucket_start(day=period.end, grain=grain)
    if grain == "week":
        return (last - first).days // 7 + 1
    if grain == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1


def metrics_series(
    *, workspace: Workspace, filters: FeedbackFilter, period: Period, grain: str = "day"
) -> list[tuple[dt.date, Totals]]:
    """Totals per day, week (from Monday) or month over the period, empty buckets included."""
    by_day = dict(metrics_grouped(workspace=workspace, filters=filters, period=period, group="day"))
    buckets: dict[dt.date, Totals] = {}
    day = period.start
    while day <= period.end:
        totals = buckets.setdefault(bucket_start(day=day, grain=grain), Totals.zero())
        if day in by_day:
            totals.add(by_day[day])
        day += dt.timedelta(days=1)
    return sorted(buckets.items())


def metrics_overview(
    *, workspace: Workspace, filters: FeedbackFilter, grain: str = "day"
) -> Overview:
    """Everything the metrics API and the overview page show, for one filter."""
    period = period_get(workspace=workspace, filters=filters)
    before = period.previous()
    now_totals = metrics_totals(workspace=workspace, filters=filters, period=period)
    before_totals = metrics_totals(workspace=workspace, filters=filters, period=before)
    series = metrics_series(workspace=workspace, filters=filters, period=period, grain=grain)
    return {
        "period": period.as_dict(),
        "previous_period": before.as_dict(),
        "source": "rollups" if rollups_answer(filters=filters) else "records",
        "metrics": summary(now_totals, before_totals),
        "series": [_point(start, t) for start, t in series],
    }


def _point(start: dt.date, t: Totals) -> SeriesPoint:
    data = summary(t)
    return {
        "start": start.isoformat(),
        "volume": int(t["n"]),
        "positive": int(t["positive"]),
        "neutral": int(t["neutral"]),
        "negative": int(t["negative"]),
        "nps": data["nps"]["value"],
        "nps_n": int(data["nps"]["n"]),
        "net_sentiment_n": int(data["net_sentiment"]["n"]),
        "csat": data["csat"]["value"],
        "ces": data["ces"]["value"],
        "net_sentiment": data["net_sentiment"]["value"],
    }


def metrics_breakdown(
    *, workspace: Workspace, filters: FeedbackFilter, group: str, limit: int = 20
) -> list[BreakdownItem]:
    """Per value of ``group``: volume, net sentiment, NPS, with change vs the previous period."""
    page = metrics_breakdown_page(workspace=workspace, filters=filters, group=group, limit=limit)
    return page["items"]


def metrics_breakdown_page(
    *, workspace: Workspace, filters: FeedbackFilter, group: str, limit: int = 20, offset: int = 0
) -> BreakdownPage:
    """One page of ``metrics_breakdown``: ``items`` from ``offset``, the ``total`` number of
    values and the ``next_offset`` (None on the last page)."""
    period = period_get(workspace=workspace, filters=filters)
    now_rows = [
        (key, t)
        for key, t in metrics_grouped(
            workspace=workspace, filters=filters, period=period, group=group
        )
        if key not in (None, "")
    ]
    before = dict(
        metrics_grouped(workspace=workspace, filters=filters, period=period.previous(), group=group)
    )
    names = topic_names(workspace_id=workspace.pk) if group == "topic" else {}
    items: list[BreakdownItem] = []
    for key, t in now_rows[offset : offset + limit]:
        item: BreakdownItem = {"key": key, "metrics": {}}
        if key in names:
            item["name_ko"], item["name_en"] = names[key]
        item["metrics"] = summary(t, before.get(key, Totals.zero()))
        items.append(item)
    more = offset + limit < len(now_rows)
    return {"items": items, "total": len(now_rows), "next_offset": offset + limit if more else None}


SAMPLE = 2000  # newest records read for keyword and co-occurrence hints


@dataclass(frozen=True)
class TopicHints:
    """Root-cause hints for one topic, over the newest ``sampled`` records of the period."""

    sampled: int
    keywords: list[tuple[str, int]]  # (keyword, records), most first
    together: list[tuple[str, int]]  # (topic key, records named with it), most first


def topic_hints_get(*, workspace: Workspace, filters: FeedbackFilter, key: str) -> TopicHints:
    """Root-cause hints for one topic: its keywords and the topics named with it, counted over
    the newest ``SAMPLE`` matching records of the period."""
    period = period_get(workspace=workspace, filters=filters)
    records = feedback_newest_first(
        workspace=workspace,
        filters=replace(filters, topic=key, date_from=period.start, date_to=period.end),
    )
    keywords: Counter[str] = Counter()
    together: Counter[str] = Counter()
    sampled = 0
    for words, keys in records.values_list("enrichment__keywords", "enrichment__topic_keys")[
        :SAMPLE
    ]:
        sampled += 1
        keywords.update(set(words or []))
        together.update(k for k in (keys or "").split("|") if k and k != key)
    return TopicHints(sampled, keywords.most_common(20), together.most_common(10))


def keywords_rank(
    *, workspace: Workspace, filters: FeedbackFilter, limit: int = 15
) -> list[tuple[str, int, float]]:
    """The period's distinctive keywords: (keyword, records, score), best first.

    TF-IDF over records: how many of the newest ``SAMPLE`` records of the period name a
    keyword, weighted by log((1 + background) / (1 + background records naming it)), where
    the background is the newest ``SAMPLE`` records before the period. A word everyone always
    uses ("배송" in a delivery shop) sinks; one that is new this period rises."""
    dated, period = _dated(workspace, filters)
    now, _n = _keyword_counts(workspace, dated)
    before, background = _keyword_counts(
        workspace, replace(filters, date_from=None, date_to=period.start - dt.timedelta(days=1))
    )
    scored = [
        (word, n, n * math.log((1 + background) / (1 + before.get(word, 0))))
        for word, n in now.items()
        if n >= 2
    ]
    scored.sort(key=lambda item: (-item[2], item[0]))
    return [(w, n, round(score, 2)) for w, n, score in scored[:limit]]


def _keyword_counts(workspace: Workspace, f: FeedbackFilter) -> tuple[Counter[str], int]:
    """Records naming each keyword among the newest ``SAMPLE``, and how many were read."""
    counts: Counter[str] = Counter()
    records = feedback_newest_first(workspace=workspace, filters=f)
    read = 0
    for words in records.values_list("enrichment__keywords", flat=True)[:SAMPLE]:
        counts.update(set(words or []))
        read += 1
    return counts, read


def feedback_count(*, workspace: Workspace, filters: FeedbackFilter) -> int:
    """How many live records match ``filters``: from the rollups when they answer the filter
    and hold no pending change for the workspace (so the figure equals a count of the
    records), else counted from the records."""
    if (
        rollup_level(filters=filters) is not None
        and not DirtyDay.objects.filter(workspace=workspace).exists()
        and not changes_pending(consumer="rollups", workspace_id=workspace.pk)
    ):
        period = Period(filters.date_from or dt.date.min, filters.date_to or dt.date.max)
        return int(metrics_totals(workspace=workspace, filters=filters, period=period)["n"])
    return feedback_records(workspace=workspace, filters=filters).count()


def hour_windows_count(
    *,
    workspace_id: int,
    facet: str,
    value: str,
    windows: Sequence[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[int, int, int]]:
    """(records, analysed, negative) of one facet value (facet "": every record) in each
    window of UTC hours ``[start, end)``, from the hourly rollups: one query for them all."""
    if not windows:
        return []
    spans = Q()
    for start, end in windows:
        spans |= Q(hour__gte=start, hour__lt=end)
    rows = HourRollup.objects.filter(
        spans, workspace_id=workspace_id, facet=facet, value=value
    ).values_list("hour", "n", "analysed", "negative")
    found = [[0, 0, 0] for _ in windows]
    for hour, n, analysed, negative in rows:
        for i, (start, end) in enumerate(windows):
            if start <= hour < end:
                found[i][0] += n
                found[i][1] += analysed
                found[i][2] += negative
    return [(a, b, c) for a, b, c in found]


PICK_DAYS = 365
PICK_LIMIT = 200


def dimension_values(*, workspace: Workspace, name: str) -> list[str]:
    """The values of a wide dimension (touchpoint, segment) seen in the last year, for pickers.

    Read from that dimension's rollup slice, so it costs one index range at any size.
    """
    since = workspace.today() - dt.timedelta(days=PICK_DAYS)
    rows = (
        Rollup.objects.filter(workspace=workspace, level=SLICES[name], facet="", day__gte=since)
        .exclude(**{name: ""})
        .values_list(name, flat=True)
        .distinct()
        .order_by(name)
    )
    return list(rows[:PICK_LIMIT])


# What the pages show: one selector each, so a view parses, checks access, calls it, renders.

TOP_TOPICS = 10
TOPIC_LIST = 50
LIVE_ROWS = 8
NEGATIVE_ROWS = 5
EMERGING_ROWS = 5
EXAMPLES = 8
QUOTES = 3


@dataclass(frozen=True)
class NamedSpike:
    spike: Spike
    name_ko: str
    name_en: str


def spikes_named(*, workspace: Workspace, topic: str = "") -> list[NamedSpike]:
    """Today's and this week's spikes (of one topic when given), with their topics' names."""
    names = topic_names(workspace_id=workspace.pk)
    return [
        NamedSpike(spike, *names.get(spike.topic, (spike.topic, spike.topic)))
        for spike in spikes_detect(workspace=workspace, today=workspace.today(), topic=topic)
    ]


def live_feed_get(*, workspace: Workspace) -> list[Feedback]:
    """The workspace's newest ``LIVE_ROWS`` records, whatever the page's filter."""
    return feedback_newest(workspace=workspace, filters=FeedbackFilter(), limit=LIVE_ROWS)


@dataclass(frozen=True)
class Dashboard:
    filters: FeedbackFilter  # the page's filter with its period's dates
    period: Period
    overview: Overview
    topics: list[BreakdownItem] | None  # None: counted from records, loaded after the page
    negative_filter: FeedbackFilter
    negative: list[Feedback]
    spikes: list[NamedSpike]
    emerging: list[EmergingIssue]
    live: list[Feedback]

    @property
    def anything(self) -> bool:
        """Whether the workspace holds any record at all (the live feed lists the newest)."""
        return bool(self.live)


def dashboard_get(*, workspace: Workspace, filters: FeedbackFilter, grain: str) -> Dashboard:
    """The overview page: metrics and series of the filter's period, its top topics when the
    rollups can split it by topic, its newest negative records, today's spikes, the largest
    proposed emerging issues and the live feed."""
    dated, period = _dated(workspace, filters)
    topics = (
        metrics_breakdown(workspace=workspace, filters=dated, group="topic", limit=TOP_TOPICS)
        if rollups_answer(filters=dated, group="topic")
        else None
    )
    negative = replace(dated, sentiment="negative")
    return Dashboard(
        filters=dated,
        period=period,
        overview=metrics_overview(workspace=workspace, filters=dated, grain=grain),
        topics=topics,
        negative_filter=negative,
        negative=feedback_newest(workspace=workspace, filters=negative, limit=NEGATIVE_ROWS),
        spikes=spikes_named(workspace=workspace),
        emerging=emerging_proposed(workspace=workspace, limit=EMERGING_ROWS),
        live=live_feed_get(workspace=workspace),
    )


@dataclass(frozen=True)
class TopicFocus:
    key: str
    filters: FeedbackFilter  # the page's, dated, with this topic
    overview: Overview
    hints: TopicHints
    channels: list[BreakdownItem]
    segments: list[BreakdownItem]
    examples: list[Feedback]
    spikes: list[NamedSpike]


@dataclass(frozen=True)
class TopicExplorer:
    filters: FeedbackFilter  # the page's, dated, without a topic: what the list counts
    period: Period
    topics: list[BreakdownItem]
    chosen: TopicFocus | None  # None: no topic in the period


def topic_explorer_get(
    *, workspace: Workspace, filters: FeedbackFilter, grain: str
) -> TopicExplorer:
    """The period's topics by volume, and one explored: the filter's topic, else the largest."""
    dated, period = _dated(workspace, filters)
    base = replace(dated, topic="")
    listed = metrics_breakdown(workspace=workspace, filters=base, group="topic", limit=TOPIC_LIST)
    key = filters.topic or (listed[0]["key"] if listed else "")
    chosen = _topic_focus(workspace, replace(dated, topic=key), grain) if key else None
    return TopicExplorer(filters=base, period=period, topics=listed, chosen=chosen)


def _topic_focus(workspace: Workspace, chosen: FeedbackFilter, grain: str) -> TopicFocus:
    return TopicFocus(
        key=chosen.topic,
        filters=chosen,
        overview=metrics_overview(workspace=workspace, filters=chosen, grain=grain),
        hints=topic_hints_get(workspace=workspace, filters=chosen, key=chosen.topic),
        channels=metrics_breakdown(workspace=workspace, filters=chosen, group="channel"),
        segments=metrics_breakdown(workspace=workspace, filters=chosen, group="segment"),
        examples=feedback_newest(workspace=workspace, filters=chosen, limit=EXAMPLES),
        spikes=spikes_named(workspace=workspace, topic=chosen.topic),
    )


@dataclass(frozen=True)
class ComparedSide:
    name: str
    filters: FeedbackFilter
    totals: Totals


@dataclass(frozen=True)
class Comparison:
    sides: list[ComparedSide]
    # A's metrics and B's measured against A (each carries its change from A), once both exist
    metrics: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]] | None
    touchpoints: list[str]  # what A and B can be, for the pickers
    segments: list[str]


def comparison_get(*, workspace: Workspace, sides: list[tuple[str, FeedbackFilter]]) -> Comparison:
    """Each side's totals over its own period (named, filter), and the metrics of A and B."""
    compared = [
        ComparedSide(
            name,
            side,
            metrics_totals(
                workspace=workspace,
                filters=side,
                period=period_get(workspace=workspace, filters=side),
            ),
        )
        for name, side in sides
    ]
    metrics = None
    if len(compared) == 2:
        a, b = compared[0].totals, compared[1].totals
        metrics = (summary(a), summary(b, a))
    return Comparison(
        sides=compared,
        metrics=metrics,
        touchpoints=dimension_values(workspace=workspace, name="touchpoint"),
        segments=dimension_values(workspace=workspace, name="segment"),
    )


@dataclass(frozen=True)
class Report:
    filters: FeedbackFilter  # the page's filter with its period's dates
    period: Period
    overview: Overview
    topics: list[BreakdownItem]
    quotes: dict[str, list[tuple[Feedback, str]]]  # sentiment -> (record, its masked text)


def report_get(*, workspace: Workspace, filters: FeedbackFilter, grain: str | None) -> Report:
    """The period report: metrics, series (by ``grain``; None: by day up to 31 days, else by
    week), top topics, and the most confident negative and positive quotes."""
    dated, period = _dated(workspace, filters)
    if grain is None:
        grain = "week" if period.days > 31 else "day"
    return Report(
        filters=dated,
        period=period,
        overview=metrics_overview(workspace=workspace, filters=dated, grain=grain),
        topics=metrics_breakdown(
            workspace=workspace, filters=dated, group="topic", limit=TOP_TOPICS
        ),
        quotes={
            label: _quotes(workspace, replace(dated, sentiment=label, has_text=True))
            for label in ("negative", "positive")
        },
    )


def _quotes(workspace: Workspace, f: FeedbackFilter) -> list[tuple[Feedback, str]]:
    records = feedback_records(workspace=workspace, filters=f).select_related("enrichment")
    newest = records.order_by("-enrichment__sentiment_confidence", "-received_at")[:QUOTES]
    # personal data stays out of a report that travels, masked by today's rules
    return [(record, mask_text(record.text)) for record in newest]
