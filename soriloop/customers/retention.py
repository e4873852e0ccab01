"""Churn and retention per month, and cohort retention by signup month (docs/metrics.md).

A customer has churned at the earlier of: their last event being ``churned`` or
``subscription_cancelled`` (at that event), or their last activity (an event or a feedback
record) lying more than the workspace's inactivity window ago (at the end of that window).
Only the final gap counts: a customer who paused and came back is active throughout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.customers.models import Customer
from soriloop.customers.risk import inactivity_days, signals_of

MAX_MONTHS = 36
CHUNK = 5000


@dataclass(frozen=True)
class Life:
    created: dt.datetime
    churned: dt.datetime | None


def lives_of(*, workspace: Workspace, now: dt.datetime) -> list[Life]:
    """When each customer of ``workspace`` arrived and (if they did) churned, as of ``now``."""
    window = dt.timedelta(days=inactivity_days(workspace.pk))
    lives = []
    customers = list(
        Customer.objects.filter(workspace=workspace).only("id", "workspace_id", "created_at")
    )
    for start in range(0, len(customers), CHUNK):
        chunk = customers[start : start + CHUNK]
        signals = signals_of(workspace.pk, chunk, now)
        for customer in chunk:
            values = signals[customer.pk]
            churned = None
            if values.get("churned_at_days") is not None:
                churned = now - dt.timedelta(days=values["churned_at_days"])
            elif values["recency_days"] >= window.days:
                churned = now - dt.timedelta(days=values["recency_days"]) + window
            lives.append(Life(created=customer.created_at, churned=churned))
    return lives


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        months.append(cursor)
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


def _active(life: Life, moment: dt.datetime) -> bool:
    return life.created < moment and (life.churned is None or life.churned > moment)


def retention_get(
    *, workspace: Workspace, date_from: dt.date, date_to: dt.date, now: dt.datetime | None = None
) -> dict[str, object]:
    """Per month from ``date_from`` to ``date_to`` (the workspace's zone): customers active at
    its start, how many of them churned in it, the churn and retention rates, the new ones;
    and for each signup month in the span, the share of its cohort still active at the end
    of that month and of each month after it in the span (the last one measured ``now``
    when it has not ended)."""
    now = now or timezone.now()
    tz = ZoneInfo(workspace.timezone)
    lives = lives_of(workspace=workspace, now=now)
    months = _month_starts(date_from, date_to)
    edges = [dt.datetime.combine(m, dt.time(), tz) for m in months]
    edges.append(
        dt.datetime.combine((months[-1] + dt.timedelta(days=32)).replace(day=1), dt.time(), tz)
    )
    periods = []
    for start, end in pairwise(edges):
        at_start = [life for life in lives if _active(life, start)]
        churned = sum(1 for life in at_start if life.churned is not None and life.churned <= end)
        new = sum(1 for life in lives if start <= life.created < end)
        rate = churned / len(at_start) if at_start else None
        periods.append(
            {
                "start": start.date().isoformat(),
                "active_at_start": len(at_start),
                "churned": churned,
                "new": new,
                "churn_rate": round(rate, 4) if rate is not None else None,
                "retention_rate": round(1 - rate, 4) if rate is not None else None,
            }
        )
    cohorts = []
    for start, end in pairwise(edges):
        cohort = [life for life in lives if start <= life.created < end]
        retained = []
        for later in edges[edges.index(end) :] if cohort and start < now else []:
            moment = min(later, now)
            retained.append(
                round(sum(1 for life in cohort if _active(life, moment)) / len(cohort), 4)
            )
            if later >= now:
                break
        cohorts.append(
            {"month": start.date().isoformat()[:7], "size": len(cohort), "retained": retained}
        )
    return {
        "inactivity_days": inactivity_days(workspace.pk),
        "periods": periods,
        "cohorts": cohorts,
    }
