"""Aggregate alert rules: a measure over the rollups (a topic's negative share against its
own baseline, an NPS drop beyond noise, a keyword's volume, a spike), checked on a schedule
by a worker loop, never by reading the records (docs/alerts.md).

A rule fires once when its condition starts to hold and then waits for it to clear
(``aggregate_active``); the throttle, mute, quiet hours and destinations are the record
rules' own.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from soriloop.alerts.models import Alert, AlertRule, RuleKind
from soriloop.alerts.notify import alert_fired
from soriloop.feedback.filters import FeedbackFilter
from soriloop.insights.metrics import change, nps
from soriloop.insights.selectors import Period, hour_windows_count, metrics_totals
from soriloop.insights.spikes import MIN_SHARE_RISE, WEEKS, Z_MIN, share_rise, spikes_detect

logger = logging.getLogger(__name__)

MEASURES = ("negative_share", "nps_drop", "keyword_volume", "spike")
SPIKE_KINDS = ("volume", "negative_share")
HOURLY = ("negative_share", "keyword_volume")  # read hourly rollups; the rest daily ones
NPS_DAYS = 7
PREVIEW_DAYS = 7
HOUR = dt.timedelta(hours=1)


class AggregateInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def _bad(name: str, reason: str) -> AggregateInvalid:
    return AggregateInvalid({f"aggregate.{name}": [reason]})


def _int(raw: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = raw.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(name, f"must be a whole number in [{low}, {high}]")
    return int(value)


def _float(raw: Mapping[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = raw.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _bad(name, f"must be a number in [{low}, {high}]")
    return float(value)


def _text(raw: Mapping[str, Any], name: str, *, required: bool) -> str:
    value = raw.get(name) or ""
    if not isinstance(value, str):
        raise _bad(name, "must be a string")
    value = value.strip().lower()[:100]
    if required and not value:
        raise _bad(name, "is required for this measure")
    return value


def aggregate_clean(raw: Any) -> dict[str, Any]:
    """An aggregate rule's measure, checked and with its defaults; raise ``AggregateInvalid``
    naming the field (``aggregate.<name>``)."""
    if not isinstance(raw, Mapping):
        raise AggregateInvalid({"aggregate": ["must be an object with a measure"]})
    measure = raw.get("measure")
    if measure not in MEASURES:
        raise _bad("measure", f"must be one of {list(MEASURES)}")
    spec: dict[str, Any] = {"measure": measure}
    if measure == "negative_share":
        spec["topic"] = _text(raw, "topic", required=True)
        spec["hours"] = _int(raw, "hours", 1, 1, 24)
        spec["factor"] = _float(raw, "factor", 2.0, 1.0, 100.0)
    elif measure == "nps_drop":
        spec["points"] = _float(raw, "points", 10.0, 0.0, 200.0)
    elif measure == "keyword_volume":
        spec["keyword"] = _text(raw, "keyword", required=True)
        spec["hours"] = _int(raw, "hours", 1, 1, 168)
        spec["min_count"] = _int(raw, "min_count", 10, 1, 1_000_000)
    else:
        spec["topic"] = _text(raw, "topic", required=False)
        kind = raw.get("spike_kind") or ""
        if kind and kind not in SPIKE_KINDS:
            raise _bad("spike_kind", f"must be one of {list(SPIKE_KINDS)} or empty")
        spec["spike_kind"] = kind
    return spec


# -- readings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One check of a rule's measure: whether its condition holds, and the figures."""

    holds: bool
    data: dict[str, Any] = field(default_factory=dict)


def _hour(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _window(at: dt.datetime, hours: int) -> tuple[dt.datetime, dt.datetime]:
    """The last ``hours`` whole UTC hours and the current one so far."""
    end = _hour(at) + HOUR
    return end - HOUR * (hours + 1), end


def _negative_share(rule: AlertRule, at: dt.datetime) -> Reading:
    spec = rule.aggregate
    start, end = _window(at, spec["hours"])
    past = [
        (start - dt.timedelta(weeks=w), end - dt.timedelta(weeks=w)) for w in range(1, WEEKS + 1)
    ]
    counts = hour_windows_count(
        workspace_id=rule.workspace_id, facet="topic", value=spec["topic"], windows=[(start, end), *past]
    )  # fmt: skip
    now, before = counts[0], counts[1:]
    found = share_rise(
        analysed=now[1],
        negative=now[2],
        base_analysed=sum(c[1] for c in before),
        base_negative=sum(c[2] for c in before),
    )
    data = {"measure": "negative_share", "topic": spec["topic"], "analysed": now[1]}
    if found is None:
        return Reading(False, data)
    share, base, z = found
    data |= {"value": round(share, 3), "baseline": round(base, 3), "factor": spec["factor"]}
    # beyond noise as the spikes judge it: a real rise, several standard errors high
    holds = share > spec["factor"] * base and share - base >= MIN_SHARE_RISE and z >= Z_MIN
    return Reading(holds, data)


def _local_day(rule: AlertRule, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(rule.workspace.timezone)).date()


def _nps_drop(rule: AlertRule, at: dt.datetime) -> Reading:
    today = _local_day(rule, at)
    period = Period(today - dt.timedelta(days=NPS_DAYS - 1), today)
    everything = FeedbackFilter()
    now = nps(metrics_totals(workspace=rule.workspace, filters=everything, period=period))
    before = nps(
        metrics_totals(workspace=rule.workspace, filters=everything, period=period.previous())
    )
    moved = change(now, before)
    data: dict[str, Any] = {"measure": "nps_drop", "points": rule.aggregate["points"]}
    data |= {"value": _round(now.value), "baseline": _round(before.value), "n": now.n}
    data |= {"delta": _round(moved.delta), "significant": moved.significant}
    holds = moved.delta is not None and moved.significant and -moved.delta > data["points"]
    return Reading(holds, data)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _keyword_volume(rule: AlertRule, at: dt.datetime) -> Reading:
    spec = rule.aggregate
    [(n, _analysed, _negative)] = hour_windows_count(
        workspace_id=rule.workspace_id,
        facet="keyword",
        value=spec["keyword"],
        windows=[_window(at, spec["hours"])],
    )
    data = {"measure": "keyword_volume", "keyword": spec["keyword"], "hours": spec["hours"]}
    data |= {"value": n, "min_count": spec["min_count"]}
    return Reading(n >= spec["min_count"], data)


def _spike(rule: AlertRule, at: dt.datetime) -> Reading:
    spec = rule.aggregate
    found = [
        s
        for s in spikes_detect(workspace=rule.workspace, today=_local_day(rule, at), topic=spec["topic"])
        if not spec["spike_kind"] or s.kind == spec["spike_kind"]
    ]  # fmt: skip
    data = {"measure": "spike", "spikes": [s.as_dict() for s in found[:5]]}
    return Reading(bool(found), data)


READERS: dict[str, Callable[[AlertRule, dt.datetime], Reading]] = {
    "negative_share": _negative_share,
    "nps_drop": _nps_drop,
    "keyword_volume": _keyword_volume,
    "spike": _spike,
}


def aggregate_read(*, rule: AlertRule, at: dt.datetime) -> Reading:
    """The rule's measure as the rollups stand, evaluated at ``at``."""
    return READERS[rule.aggregate["measure"]](rule, at)


# -- the schedule ------------------------------------------------------------------------


def _due() -> Q:
    now = timezone.now()
    return Q(kind=RuleKind.AGGREGATE, enabled=True) & (
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
    )


def alert_aggregates_run(*, owner: str = "") -> int:
    """The worker loop: check each enabled aggregate rule that is due (every
    ``ALERT_AGGREGATE_SECONDS``), fire or clear it; returns how many rules it checked. A rule
    is claimed by moving its ``next_check_at`` with a conditional UPDATE, so two workers never
    check it at once."""
    checked = 0
    for rule in AlertRule.objects.select_related("workspace", "owner").filter(_due())[:100]:
        later = timezone.now() + dt.timedelta(seconds=settings.ALERT_AGGREGATE_SECONDS)
        claimed = AlertRule.objects.filter(pk=rule.pk, next_check_at=rule.next_check_at).update(
            next_check_at=later
        )
        if claimed:
            aggregate_check(rule=rule, at=timezone.now())
            checked += 1
    return checked


def aggregate_check(*, rule: AlertRule, at: dt.datetime) -> Alert | None:
    """Check one aggregate rule at ``at``: fire when its condition starts to hold (unless
    muted or throttled), clear it when it stops. Returns the fired alert, else None."""
    if rule.muted_until is not None and rule.muted_until > at:
        return None
    reading = aggregate_read(rule=rule, at=at)
    if not reading.holds:
        if rule.aggregate_active:
            AlertRule.objects.filter(pk=rule.pk).update(aggregate_active=False)
            rule.aggregate_active = False
        return None
    if rule.aggregate_active:
        return None  # fired already; waits for the condition to clear
    fired_last_hour = rule.alerts.filter(fired_at__gte=at - HOUR).count()
    with transaction.atomic():
        # set even when throttled: this episode of the condition is spent either way
        AlertRule.objects.filter(pk=rule.pk).update(aggregate_active=True)
        rule.aggregate_active = True
        if fired_last_hour >= rule.max_per_hour:
            return None
        alert = Alert.objects.create(
            workspace_id=rule.workspace_id,
            rule=rule,
            record_ids=[],
            measure=reading.data,
            fired_at=at,
            last_at=at,
        )
    alert_fired(alert=alert, records=[])
    logger.info("aggregate rule %s fired: %s", rule.pk, reading.data)
    return alert


# -- preview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AggregatePreview:
    days: int
    checks: int  # evaluations: hourly for hourly measures, at each day's end for daily ones
    holding: int  # checks in which the condition held
    alerts: int
    throttled: int
    fired_at: list[dt.datetime]


def aggregate_preview(*, rule: AlertRule, now: dt.datetime | None = None) -> AggregatePreview:
    """How often the rule would have fired over the last 7 days: its measure read at each
    hour (hourly measures) or each day's end (daily ones), through the fire-once-until-clear
    state and the throttle. A read: it writes nothing."""
    now = now or timezone.now()
    if rule.aggregate["measure"] in HOURLY:
        steps = [now - HOUR * k for k in range(PREVIEW_DAYS * 24 - 1, -1, -1)]
    else:
        steps = [now - dt.timedelta(days=k) for k in range(PREVIEW_DAYS - 1, -1, -1)]
    active, holding, throttled = False, 0, 0
    fired: list[dt.datetime] = []
    for at in steps:
        if not aggregate_read(rule=rule, at=at).holds:
            active = False
            continue
        holding += 1
        if active:
            continue
        active = True
        if sum(1 for f in fired if f >= at - HOUR) >= rule.max_per_hour:
            throttled += 1
        else:
            fired.append(at)
    return AggregatePreview(PREVIEW_DAYS, len(steps), holding, len(fired), throttled, fired)
