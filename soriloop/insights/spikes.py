"""Spikes: a topic's volume or negative share rising well above its own baseline.

The baseline is seasonality-aware: a window is compared with the same window (same weekdays)
of each of the previous ``WEEKS`` weeks, so a Monday is measured against Mondays and a week
against whole weeks. Counts come from the rollups (facet "topic", level TOTAL): a few thousand
rows, whatever the number of records.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from soriloop.accounts.models import Workspace
from soriloop.feedback.filters import UNASSIGNED, FeedbackFilter
from soriloop.insights.models import TOTAL, Rollup

WEEKS = 8  # baseline windows
Z_MIN = 3.0  # how far above the baseline, in standard deviations
MIN_VOLUME = 5  # fewer records than this in the window is never a spike
MIN_SHARE_RECORDS = 10  # analysed records in the window before a share can spike
MIN_SHARE_RISE = 0.10  # and it must rise by at least 10 percentage points


@dataclass(frozen=True)
class Spike:
    topic: str
    kind: str  # "volume" | "negative_share"
    start: dt.date
    end: dt.date
    now: float  # records, or the negative share (0-1)
    baseline: float  # mean records per window, or the baseline share
    z: float

    @property
    def filter(self) -> FeedbackFilter:
        """The records behind the spike."""
        return FeedbackFilter(
            topic=self.topic,
            date_from=self.start,
            date_to=self.end,
            sentiment="negative" if self.kind == "negative_share" else "",
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic, "kind": self.kind, "from": self.start.isoformat(),
            "to": self.end.isoformat(), "now": round(self.now, 3),
            "baseline": round(self.baseline, 3), "z": round(self.z, 2),
            "records": self.filter.to_query(),
        }  # fmt: skip


def _counts(
    workspace: Workspace, first: dt.date, last: dt.date
) -> dict[str, dict[dt.date, tuple[int, int, int]]]:
    """topic -> day -> (records, analysed, negative)."""
    rows = (
        Rollup.objects.filter(workspace=workspace, level=TOTAL, facet="topic", day__gte=first, day__lte=last)
        .exclude(value__in=("", UNASSIGNED))
        .values("value", "day")
        .annotate(n=Sum("n"), pos=Sum("positive"), neu=Sum("neutral"), neg=Sum("negative"))
    )  # fmt: skip
    found: dict[str, dict[dt.date, tuple[int, int, int]]] = {}
    for row in rows:
        analysed = row["pos"] + row["neu"] + row["neg"]
        found.setdefault(row["value"], {})[row["day"]] = (row["n"], analysed, row["neg"])
    return found


def _window(
    days: dict[dt.date, tuple[int, int, int]], end: dt.date, length: int
) -> tuple[int, int, int]:
    total = [0, 0, 0]
    for offset in range(length):
        for i, value in enumerate(days.get(end - dt.timedelta(days=offset), (0, 0, 0))):
            total[i] += value
    return total[0], total[1], total[2]


def spikes_detect(*, workspace: Workspace, today: dt.date, topic: str = "") -> list[Spike]:
    """Spikes of the last day and of the last 7 days up to ``today`` (of one topic when
    given), largest first; a topic rising by the day and by the week is named once."""
    first = today - dt.timedelta(days=7 * (WEEKS + 1))
    counts = _counts(workspace, first, today)
    found: list[Spike] = []
    for key, days in counts.items():
        if topic and key != topic:
            continue
        for length in (1, 7):
            now = _window(days, today, length)
            past = [
                _window(days, today - dt.timedelta(weeks=w), length) for w in range(1, WEEKS + 1)
            ]
            start = today - dt.timedelta(days=length - 1)
            found += _volume(key, start, today, now[0], [p[0] for p in past])
            found += _share(key, start, today, now, past)
    found.sort(key=lambda s: -s.z)
    # the same rise seen by the day and by the week: keep the stronger
    seen: set[tuple[str, str]] = set()
    unique = []
    for spike in found:
        if (spike.topic, spike.kind) not in seen:
            seen.add((spike.topic, spike.kind))
            unique.append(spike)
    return unique


def _volume(topic: str, start: dt.date, end: dt.date, now: int, past: list[int]) -> list[Spike]:
    mean = sum(past) / len(past)
    variance = sum((p - mean) ** 2 for p in past) / (len(past) - 1)
    # at least Poisson spread, and never less than one record
    z = (now - mean) / math.sqrt(max(variance, mean, 1.0))
    if now >= MIN_VOLUME and now >= 1.5 * mean and z >= Z_MIN:
        return [Spike(topic, "volume", start, end, now, mean, z)]
    return []


def share_rise(
    *, analysed: int, negative: int, base_analysed: int, base_negative: int
) -> tuple[float, float, float] | None:
    """A negative share against its baseline: (share, baseline share, z), where z counts
    binomial standard errors of the window; None when either side has fewer than
    ``MIN_SHARE_RECORDS`` analysed records (too few to say anything)."""
    if analysed < MIN_SHARE_RECORDS or base_analysed < MIN_SHARE_RECORDS:
        return None
    share, base = negative / analysed, base_negative / base_analysed
    spread = math.sqrt(max(base * (1 - base), 0.01) / analysed)
    return share, base, (share - base) / spread


def _share(
    topic: str,
    start: dt.date,
    end: dt.date,
    now: tuple[int, int, int],
    past: list[tuple[int, int, int]],
) -> list[Spike]:
    found = share_rise(
        analysed=now[1],
        negative=now[2],
        base_analysed=sum(p[1] for p in past),
        base_negative=sum(p[2] for p in past),
    )
    if found is None:
        return []
    share, base, z = found
    if share - base >= MIN_SHARE_RISE and z >= Z_MIN:
        return [Spike(topic, "negative_share", start, end, share, base, z)]
    return []
