"""Keep the rollups equal to a recount of the records, day by day.

The rollups are a consumer of the change log (core.changes): every event that changes what
a record contributes (stored, analysed, corrected, edited, deleted; its customer's segment
changed) reaches ``rollups_consume``, which marks the (workspace, day) it touched; no writer
knows the rollups exist. ``rollups_refresh`` (a worker loop) recounts each marked day from
the records and replaces that day's rows. Marks are an append-only table drained by id, so a
mark committed while a recount runs is never lost: its id was not read, it stays, and the day
is recounted again.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from soriloop.core.models import Change
from soriloop.feedback.filters import NO_TYPE, UNASSIGNED
from soriloop.feedback.models import Feedback
from soriloop.insights.models import (
    COARSE,
    FACETS,
    FINE,
    LEVELS,
    MEASURES,
    SLICES,
    TOTAL,
    DirtyDay,
    HourRollup,
    Rollup,
)

# The dimensions of a rollup row, in key order.
DIMENSIONS = (
    "facet",
    "value",
    "channel",
    "source",
    "touchpoint",
    "language",
    "segment",
    "sentiment",
)

Key = tuple[str, ...]


ROLLUP_CHANGES = (
    "feedback.created",
    "feedback.changed",
    "feedback.deleted",
    "feedback.anonymised",
    "feedback.analyzed",
    "feedback.corrected",
    "customer.changed",
)


def rollups_mark(*, workspace_id: int, days: Iterable[dt.date]) -> None:
    """Mark days of a workspace for recounting."""
    DirtyDay.objects.bulk_create(
        [DirtyDay(workspace_id=workspace_id, day=day) for day in sorted(set(days))]
    )


def rollups_consume(events: Sequence[Change]) -> None:
    """The rollups' handler of the change log: mark every day the events touched (a
    customer's change touches the days of all their feedback). Idempotent: a day marked twice
    is recounted once more, to the same rows."""
    days: dict[int, set[dt.date]] = {}
    customers: dict[int, set[int]] = {}
    for event in events:
        if event.type == "customer.changed":
            if "segment" not in event.payload.get("fields", ["segment"]):
                continue  # dashboards cut by the segment attribute only
            customers.setdefault(event.workspace_id, set()).add(event.subject_id)
        elif "day" in event.payload:
            day = dt.date.fromisoformat(event.payload["day"])
            days.setdefault(event.workspace_id, set()).add(day)
    for workspace_id, ids in customers.items():
        theirs = Feedback.objects.filter(workspace_id=workspace_id, customer_id__in=ids)
        days.setdefault(workspace_id, set()).update(theirs.values_list("day", flat=True).distinct())
    for workspace_id, marked in days.items():
        rollups_mark(workspace_id=workspace_id, days=marked)


_recounted: dict[tuple[int, dt.date], float] = {}  # (workspace, day) -> when, in this process


def rollups_refresh(*, owner: str = "", limit: int = 2000) -> int:
    """Recount the days marked dirty; returns how many marks it drained (a worker loop).

    A day is recounted at most every ``ROLLUP_REFRESH_SECONDS``: under a steady stream of
    records today is marked all the time, and recounting it on every pass would hold the
    database's writer lock most of the time. Its marks wait for the next pass that is due."""
    marks = list(DirtyDay.objects.order_by("id").values_list("id", "workspace_id", "day")[:limit])
    if not marks:
        return 0
    now = time.monotonic()
    due = {
        (ws, day)
        for _id, ws, day in marks
        if now - _recounted.get((ws, day), -math.inf) >= settings.ROLLUP_REFRESH_SECONDS
    }
    for workspace_id, day in sorted(due):
        recount_day(workspace_id=workspace_id, day=day)
        _recounted[(workspace_id, day)] = time.monotonic()
    if len(_recounted) > 10_000:  # forget days not recounted lately
        for key in [k for k, at in _recounted.items() if now - at > 60]:
            del _recounted[key]
    drained = [pk for pk, ws, day in marks if (ws, day) in due]
    DirtyDay.objects.filter(id__in=drained).delete()
    return len(drained)


def rollups_rebuild(*, workspace_id: int | None = None) -> int:
    """Recount every day (of one workspace, or all); returns how many days were recounted."""
    records = Feedback.objects.all()
    if workspace_id is not None:
        records = records.filter(workspace_id=workspace_id)
    days = set(records.values_list("workspace_id", "day").distinct())
    stale = Rollup.objects.all()
    if workspace_id is not None:
        stale = stale.filter(workspace_id=workspace_id)
    days |= set(stale.values_list("workspace_id", "day").distinct())
    for ws, day in sorted(days):
        recount_day(workspace_id=ws, day=day)
    return len(days)


def recount_day(*, workspace_id: int, day: dt.date) -> int:
    """Replace one day's rollup rows with a recount of its records; returns rows written."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # one recount of a day at a time; SQLite's IMMEDIATE transactions already are
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [workspace_id, day.toordinal()]
                )
        # every level and facet named, so the (workspace, level, facet, day) index finds them
        Rollup.objects.filter(
            workspace_id=workspace_id, level__in=LEVELS, facet__in=FACETS, day=day
        ).delete()
        records = Feedback.objects.filter(workspace_id=workspace_id, day=day)
        hours: dict[HourKey, list[int]] = {}
        counted = count_rows(_hours_tapped(record_rows(records, hours=True), hours))
        stored = connection.ops.adapt_datefield_value(day)
        rows = [
            (workspace_id, stored, level, *key, *(sums[m] for m in MEASURES))
            for level, rows_of_level in levels(counted)
            for key, sums in rows_of_level.items()
        ]
        # Plain tuples, not model instances: a busy day has thousands of rows.
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT, rows)
        HourRollup.objects.filter(workspace_id=workspace_id, day=day).delete()
        HourRollup.objects.bulk_create(
            [
                HourRollup(workspace_id=workspace_id, day=day, hour=hour, facet=facet, value=value,
                           n=c[0], analysed=c[1], negative=c[2])
                for (hour, facet, value), c in hours.items()
            ],
            batch_size=2000,
        )  # fmt: skip
    return len(rows)


HourKey = tuple[dt.datetime, str, str]


def _hours_tapped(
    rows: Iterable[tuple[Any, ...]], hours: dict[HourKey, list[int]]
) -> Iterator[tuple[Any, ...]]:
    """The rows as ``contributions`` reads them, counting each into ``hours`` on the way
    (one read of the day's records feeds the daily and the hourly rows)."""
    for row in rows:
        hour_add(hours, *row[len(_FIELDS) :], sentiment=row[6], topic_keys=row[7])
        yield row[: len(_FIELDS)]


def hour_add(
    counted: dict[HourKey, list[int]],
    received_at: dt.datetime,
    keywords: list[Any] | None,
    *,
    sentiment: str | None,
    topic_keys: str | None,
) -> None:
    """Count one record into (hour, facet, value) -> [records, analysed, negative]."""
    hour = received_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    analysed, negative = int(bool(sentiment)), int(sentiment == "negative")
    values = [("", "")]
    values += [("topic", k) for k in (topic_keys or "").split("|") if k]
    words = {str(w).strip().lower()[:100] for w in (keywords or []) if str(w).strip()}
    values += [("keyword", w) for w in sorted(words)]
    for facet, value in values:
        sums = counted.setdefault((hour, facet, value), [0, 0, 0])
        sums[0] += 1
        sums[1] += analysed
        sums[2] += negative


_COLUMNS = ("workspace_id", "day", "level", *DIMENSIONS, *MEASURES)
_INSERT = (
    f"INSERT INTO {Rollup._meta.db_table} ({', '.join(_COLUMNS)}) "  # noqa: S608 (model names)
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
)


# What a record contributes, shared by the recount and by metrics over raw records.
_FIELDS = (
    "day", "channel", "source", "touchpoint", "language", "seg", "enrichment__sentiment_label",
    "enrichment__topic_keys", "enrichment__type_names", "score_kind", "score", "with_text",
)  # fmt: skip


def levels(
    counted: dict[Key, dict[str, float]],
) -> list[tuple[int, dict[Key, dict[str, float]]]]:
    """The rows of every level (see ``models``) from the all-dimension counts of a day."""
    # DIMENSIONS: facet, value, channel, source, touchpoint, language, segment, sentiment
    out: dict[int, dict[Key, dict[str, float]]] = {
        level: {} for level in (FINE, COARSE, TOTAL, *SLICES.values())
    }
    slices = [(level, 3 + i) for i, level in enumerate(SLICES.values())]  # column of each
    for key, sums in counted.items():
        facet, value, channel, sentiment = key[0], key[1], key[2], key[7]
        targets: list[tuple[int, Key]] = [
            (COARSE, (facet, value, channel, "", "", "", "", sentiment)),
            (TOTAL, (facet, value, "", "", "", "", "", sentiment)),
        ]
        for level, column in slices:
            short = ["", "", "", "", "", "", "", sentiment]
            short[0], short[1], short[column] = facet, value, key[column]
            targets.append((level, tuple(short)))
        if facet == "":
            targets.append((FINE, key))
        for level, short_key in targets:
            into = out[level].get(short_key)
            if into is None:
                out[level][short_key] = dict(sums)
            else:
                for name, amount in sums.items():
                    into[name] += amount
    return list(out.items())


def record_rows(records: QuerySet[Feedback], *, hours: bool = False) -> Iterator[tuple[Any, ...]]:
    """The live records' fields that rollups need, streamed; with ``hours``, each row also
    ends with the record's arrival and analysis keywords (for the hourly rows)."""
    return (
        records.filter(deleted_at__isnull=True)
        .annotate(
            seg=KeyTextTransform("segment", "customer__attributes"),
            with_text=ExpressionWrapper(~Q(text=""), output_field=BooleanField()),
        )
        .values_list(*_FIELDS, *(_HOUR_FIELDS if hours else ()))
        .iterator(chunk_size=5000)
    )


_HOUR_FIELDS = ("received_at", "enrichment__keywords")


def contributions(row: tuple[Any, ...]) -> tuple[list[Key], dict[str, float]]:
    """The rollup keys one record counts under (facets "", topic, type) and its measures."""
    (_day, channel, source, touchpoint, language, segment, sentiment, topic_keys, type_names,
     kind, score, with_text) = row  # fmt: skip
    # A record counts as analysed once it has an enrichment (a re-analysis in flight keeps
    # the previous one until it is replaced, so claims and releases change nothing here).
    sentiment = sentiment or ""
    base = (channel, source, touchpoint, language, str(segment or "")[:60], sentiment)
    analysed = sentiment != ""
    topics = [k for k in (topic_keys or "").split("|") if k] or ([UNASSIGNED] if analysed else [""])
    kinds = [k for k in (type_names or "").split("|") if k] or ([NO_TYPE] if analysed else [""])
    keys: list[Key] = [("", "", *base)]
    keys += [("topic", t, *base) for t in topics]
    keys += [("type", t, *base) for t in kinds]
    return keys, measures(sentiment=sentiment, kind=kind, score=score, with_text=bool(with_text))


def measures(
    *, sentiment: str, kind: str, score: float | None, with_text: bool
) -> dict[str, float]:
    """One record's measures; the definitions of docs/metrics.md start here."""
    m: dict[str, float] = {"n": 1, "texts": int(with_text)}
    if sentiment in ("positive", "neutral", "negative"):
        m[sentiment] = 1
    if score is None:
        return m
    if kind == "nps":
        m.update(nps_n=1, nps_promoters=int(score >= 9), nps_detractors=int(score <= 6))
    elif kind == "csat":
        m.update(csat_n=1, csat_sum=score, csat_satisfied=int(score >= 4))
    elif kind == "ces":
        m.update(ces_n=1, ces_sum=score, ces_sq=score * score, ces_easy=int(score >= 5))
    elif kind == "stars":
        m.update(stars_n=1, stars_sum=score)
    return m


def count_rows(rows: Iterable[tuple[Any, ...]]) -> dict[Key, dict[str, float]]:
    counted: dict[Key, dict[str, float]] = {}
    for row in rows:
        keys, m = contributions(row)
        for key in keys:
            sums = counted.get(key)
            if sums is None:
                counted[key] = sums = dict.fromkeys(MEASURES, 0)
            for name, value in m.items():
                sums[name] += value
    return counted


HOUR_ROLLUP_WEEKS = 10  # the aggregate alert rules read 8 weeks back, and a window


def hour_rollups_prune() -> int:
    """Delete hourly rows older than ``HOUR_ROLLUP_WEEKS`` weeks (a ``WORKER_MAINTENANCE``
    hook): only short windows and their weekday baselines read them, and a busy day holds a
    row per keyword and hour. Returns how many went."""
    cutoff = timezone.now() - dt.timedelta(weeks=HOUR_ROLLUP_WEEKS)
    deleted, _ = HourRollup.objects.filter(hour__lt=cutoff).delete()
    return deleted
