"""Dashboard reads: metrics, trends and breakdowns for a filter, from the rollups.

A filter the rollups can answer (time, channel, source, touchpoint, language, sentiment,
segment, and one of topic or type) never touches the records. Anything else (text search, a
score range, one customer, topic and type together) is counted from the matching records with
the same per-record definitions (``rollups.contributions``), so both paths agree.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Sum

from soriloop.accounts.models import Workspace
from soriloop.analysis.selectors import topic_names
from soriloop.core.changes import changes_pending
from soriloop.feedback.filters import FeedbackFilter
from soriloop.feedback.selectors import feedback_newest_first, feedback_records
from soriloop.insights.metrics import Totals, summary
from soriloop.insights.models import COARSE, FINE, MEASURES, SLICES, TOTAL, WIDE, DirtyDay, Rollup
from soriloop.insights.rollups import DIMENSIONS, contributions, record_rows

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


def period_of(workspace: Workspace, f: FeedbackFilter) -> Period:
    """The filter's dates; by default the last 30 days up to today in the workspace's zone."""
    end = f.date_to or workspace.today()
    start = f.date_from or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    return Period(start, end)


def level_for(f: FeedbackFilter, group: str = "") -> int | None:
    """The rollup level that answers this filter grouped by ``group``; None: count records."""
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


def from_rollups(f: FeedbackFilter, group: str = "") -> bool:
    """True when the rollups can answer this filter (grouped by ``group``)."""
    return level_for(f, group) is not None


def _facet(f: FeedbackFilter, group: str) -> tuple[str, str]:
    if group in ("topic", "type"):
        return group, getattr(f, group)
    if f.topic:
        return "topic", f.topic
    if f.type:
        return "type", f.type
    return "", ""


_COLUMN = {"topic": "value", "type": "value"}


def grouped(
    workspace: Workspace, f: FeedbackFilter, period: Period, group: str = ""
) -> list[tuple[Any, Totals]]:
    """Summed measures of the records matching ``f`` in ``period``, per value of ``group``
    (one entry with key None when ``group`` is empty), largest volume first."""
    if group and group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    facet, value = _facet(f, group)
    level = level_for(f, group)
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


def totals(workspace: Workspace, f: FeedbackFilter, period: Period) -> Totals:
    return grouped(workspace, f, period)[0][1]


def bucket_start(day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def bucket_days(start: dt.date, grain: str, period: Period) -> tuple[dt.date, dt.date]:
    """The first and last day of the bucket starting at ``start``, clipped to the period."""
    if grain == "week":
        end = start + dt.timedelta(days=6)
    elif grain == "month":
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    else:
        end = start
    return max(start, period.start), min(end, period.end)


def series_points(period: Period, grain: str) -> int:
    """How many buckets ``series`` would answer for the period at this grain."""
    first, last = bucket_start(period.start, grain), bucket_start(period.end, grain)
    if grain == "week":
        return (last - first).days // 7 + 1
    if grain == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1


def series(
    workspace: Workspace, f: FeedbackFilter, period: Period, grain: str = "day"
) -> list[tuple[dt.date, Totals]]:
    """Totals per day, week (from Monday) or month over the period, empty buckets included."""
    by_day = dict(grouped(workspace, f, period, "day"))
    buckets: dict[dt.date, Totals] = {}
    day = period.start
    while day <= period.end:
        totals_ = buckets.setdefault(bucket_start(day, grain), Totals.zero())
        if day in by_day:
            totals_.add(by_day[day])
        day += dt.timedelta(days=1)
    return sorted(buckets.items())


def overview(workspace: Workspace, f: FeedbackFilter, grain: str = "day") -> dict[str, Any]:
    """Everything the metrics API and the overview page show, for one filter."""
    period = period_of(workspace, f)
    before = period.previous()
    now_totals = totals(workspace, f, period)
    before_totals = totals(workspace, f, before)
    return {
        "period": period.as_dict(),
        "previous_period": before.as_dict(),
        "source": "rollups" if from_rollups(f) else "records",
        "metrics": summary(now_totals, before_totals),
        "series": [
            {"start": start.isoformat(), **_compact(t)}
            for start, t in series(workspace, f, period, grain)
        ],
    }


def _compact(t: Totals) -> dict[str, Any]:
    """A series point: volume, sentiment counts, and the main metric values."""
    data = summary(t)
    return {
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


def breakdown(
    workspace: Workspace, f: FeedbackFilter, group: str, limit: int = 20
) -> list[dict[str, Any]]:
    """Per value of ``group``: volume, net sentiment, NPS, with change vs the previous period."""
    items: list[dict[str, Any]] = breakdown_page(workspace, f, group, limit=limit)["items"]
    return items


def breakdown_page(
    workspace: Workspace, f: FeedbackFilter, group: str, *, limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    """One page of ``breakdown``: ``items`` from ``offset``, the ``total`` number of values and
    the ``next_offset`` (None on the last page)."""
    period = period_of(workspace, f)
    now_rows = [(k, t) for k, t in grouped(workspace, f, period, group) if k not in (None, "")]
    before = dict(grouped(workspace, f, period.previous(), group))
    names = topic_names(workspace_id=workspace.pk) if group == "topic" else {}
    items = []
    for key, t in now_rows[offset : offset + limit]:
        item: dict[str, Any] = {"key": key}
        if key in names:
            item["name_ko"], item["name_en"] = names[key]
        item["metrics"] = summary(t, before.get(key, Totals.zero()))
        items.append(item)
    more = offset + limit < len(now_rows)
    return {"items": items, "total": len(now_rows), "next_offset": offset + limit if more else None}


SAMPLE = 2000  # newest records read for keyword and co-occurrence hints


def topic_hints(workspace: Workspace, f: FeedbackFilter, key: str) -> dict[str, Any]:
    """Root-cause hints for one topic: its keywords and the topics named with it, counted over
    the newest ``SAMPLE`` matching records of the period (``sampled`` says how many)."""
    period = period_of(workspace, f)
    records = feedback_newest_first(
        workspace=workspace,
        filters=replace(f, topic=key, date_from=period.start, date_to=period.end),
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
    return {
        "sampled": sampled,
        "keywords": keywords.most_common(20),
        "together": together.most_common(10),
    }


def keyword_ranking(
    workspace: Workspace, f: FeedbackFilter, limit: int = 15
) -> list[tuple[str, int, float]]:
    """The period's distinctive keywords: (keyword, records, score), best first.

    TF-IDF over records: how many of the newest ``SAMPLE`` records of the period name a
    keyword, weighted by log((1 + background) / (1 + background records naming it)), where
    the background is the newest ``SAMPLE`` records before the period. A word everyone always
    uses ("배송" in a delivery shop) sinks; one that is new this period rises."""
    period = period_of(workspace, f)
    now, _n = _keyword_counts(workspace, replace(f, date_from=period.start, date_to=period.end))
    before, background = _keyword_counts(
        workspace, replace(f, date_from=None, date_to=period.start - dt.timedelta(days=1))
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


def record_count(workspace: Workspace, f: FeedbackFilter) -> int:
    """How many live records match ``f``: from the rollups when they answer the filter and
    hold no pending change for the workspace (so the figure equals a count of the records),
    else counted from the records."""
    if (
        level_for(f) is not None
        and not DirtyDay.objects.filter(workspace=workspace).exists()
        and not changes_pending(consumer="rollups", workspace_id=workspace.pk)
    ):
        period = Period(f.date_from or dt.date.min, f.date_to or dt.date.max)
        return int(totals(workspace, f, period)["n"])
    return feedback_records(workspace=workspace, filters=f).count()


PICK_DAYS = 365
PICK_LIMIT = 200


def compare_values(*, workspace: Workspace, name: str) -> list[str]:
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
