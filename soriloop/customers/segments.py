"""Segments: saved rules over customers, with their members stored and kept current.

A rule is a group, ``{"all": [...]}`` (AND) or ``{"any": [...]}`` (OR), of conditions and
groups (docs/customers.md#segments):

- ``{"attribute": "plan", "op": "eq", "value": "pro"}``; ops ``eq``, ``ne``, ``in``,
  ``contains``, ``gt``, ``gte``, ``lt``, ``lte``, ``exists``, ``missing``;
- ``{"event": "purchase", "op": "gte", "value": 3, "within_days": 60}``: how many such events
  (``"no purchase in 60 days"`` is ``"op": "eq", "value": 0``);
- ``{"feedback": "detractor", "op": "gte", "value": 1, "within_days": 90}``: how many records
  of a kind (``any``, ``detractor``, ``passive``, ``promoter``, ``negative``, ``positive``),
  optionally ``"topic": "delivery"``;
- ``{"churn_risk": ["high"]}``: the risk level is one of these.

Membership is stored (``SegmentMember``) and changed incrementally: the ``segments``
consumer re-evaluates the customers a ``customer.changed``, ``customer.event``,
``feedback.created`` or ``feedback.analyzed`` names, and ``segments_refresh_due`` re-evaluates
every customer of segments with a time window (the clock moves them) every
``SEGMENT_REFRESH_SECONDS``. Each join and leave is a ``SegmentChange`` on the timeline."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.core.models import Change
from soriloop.customers.hooks import TimelineItem, customer_sources
from soriloop.customers.models import (
    Customer,
    CustomerEvent,
    Segment,
    SegmentChange,
    SegmentMember,
)
from soriloop.customers.risk import churn_risks

logger = logging.getLogger(__name__)

ATTRIBUTE_OPS = ("eq", "ne", "in", "contains", "gt", "gte", "lt", "lte", "exists", "missing")
COUNT_OPS = ("eq", "ne", "gt", "gte", "lt", "lte")
FEEDBACK_KINDS = ("any", "detractor", "passive", "promoter", "negative", "positive")
LEVELS = ("low", "medium", "high")
MAX_CONDITIONS = 30
MAX_DEPTH = 4
CHUNK = 5000
SEGMENT_CHANGES = ("customer.changed", "customer.event", "feedback.created", "feedback.analyzed")


class SegmentInvalid(Exception):
    """Raised with ``fields``: the path of the bad part ("rules.all.1.op") -> reasons."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


# -- checking a rule -----------------------------------------------------------------------


def _count_check(cond: dict[str, Any], path: str) -> None:
    if cond.get("op") not in COUNT_OPS:
        raise SegmentInvalid({f"{path}.op": [f"must be one of {', '.join(COUNT_OPS)}"]})
    value = cond.get("value")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        raise SegmentInvalid({f"{path}.value": ["must be a whole number from 0 to 100000"]})
    days = cond.get("within_days")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650
    ):
        raise SegmentInvalid(
            {f"{path}.within_days": ["must be a whole number of days from 1 to 3650"]}
        )


def _leaf_check(cond: dict[str, Any], path: str) -> None:
    kinds = [k for k in ("attribute", "event", "feedback", "churn_risk") if k in cond]
    if len(kinds) != 1:
        raise SegmentInvalid(
            {path: ["needs exactly one of all, any, attribute, event, feedback, churn_risk"]}
        )
    kind = kinds[0]
    if kind == "attribute":
        if not isinstance(cond["attribute"], str) or not 0 < len(cond["attribute"]) <= 60:
            raise SegmentInvalid({f"{path}.attribute": ["must be an attribute name"]})
        if cond.get("op") not in ATTRIBUTE_OPS:
            raise SegmentInvalid({f"{path}.op": [f"must be one of {', '.join(ATTRIBUTE_OPS)}"]})
        if cond["op"] == "in" and not isinstance(cond.get("value"), list):
            raise SegmentInvalid({f"{path}.value": ["must be a list for in"]})
        return
    if kind == "churn_risk":
        levels = cond["churn_risk"]
        if not isinstance(levels, list) or not levels or any(lv not in LEVELS for lv in levels):
            raise SegmentInvalid({f"{path}.churn_risk": ["must be a list of low, medium, high"]})
        return
    if kind == "event" and (not isinstance(cond["event"], str) or not 0 < len(cond["event"]) <= 60):
        raise SegmentInvalid({f"{path}.event": ["must be an event type"]})
    if kind == "feedback":
        if cond["feedback"] not in FEEDBACK_KINDS:
            raise SegmentInvalid(
                {f"{path}.feedback": [f"must be one of {', '.join(FEEDBACK_KINDS)}"]}
            )
        if "topic" in cond and not isinstance(cond["topic"], str):
            raise SegmentInvalid({f"{path}.topic": ["must be a topic key"]})
    _count_check(cond, path)


def rules_check(
    rules: Any, path: str = "rules", depth: int = 0, seen: list[int] | None = None
) -> None:
    """Raise ``SegmentInvalid`` naming the first bad part of ``rules``."""
    seen = seen if seen is not None else [0]
    if not isinstance(rules, dict):
        raise SegmentInvalid({path: ["must be an object"]})
    groups = [k for k in ("all", "any") if k in rules]
    if not groups:
        seen[0] += 1
        if seen[0] > MAX_CONDITIONS:
            raise SegmentInvalid({path: [f"a rule has at most {MAX_CONDITIONS} conditions"]})
        _leaf_check(rules, path)
        return
    if len(groups) > 1 or len(rules) > 1:
        raise SegmentInvalid({path: ['a group is {"all": [...]} or {"any": [...]}']})
    if depth >= MAX_DEPTH:
        raise SegmentInvalid({path: [f"groups nest {MAX_DEPTH} deep at most"]})
    items = rules[groups[0]]
    if not isinstance(items, list) or not items:
        raise SegmentInvalid({f"{path}.{groups[0]}": ["must be a non-empty list"]})
    for i, item in enumerate(items):
        rules_check(item, f"{path}.{groups[0]}.{i}", depth + 1, seen)


def rules_words(rules: dict[str, Any]) -> str:
    """The rule in short words, for a timeline item ("plan eq pro AND purchase >= 3 in 60 d")."""
    for group, joiner in (("all", " AND "), ("any", " OR ")):
        if group in rules:
            return "(" + joiner.join(rules_words(r) for r in rules[group]) + ")"
    if "attribute" in rules:
        return f"{rules['attribute']} {rules['op']} {rules.get('value', '')}".strip()
    if "churn_risk" in rules:
        return f"churn risk {'/'.join(rules['churn_risk'])}"
    what = rules.get("event") or f"{rules['feedback']} feedback"
    window = f" in {rules['within_days']} d" if rules.get("within_days") else ""
    return f"{what} {rules['op']} {rules['value']}{window}"


def _windowed(rules: dict[str, Any]) -> bool:
    for group in ("all", "any"):
        if group in rules:
            return any(_windowed(r) for r in rules[group])
    return "within_days" in rules or "churn_risk" in rules


# -- evaluating a rule ---------------------------------------------------------------------


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "exists":
        return left is not None
    if op == "missing":
        return left is None
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if op == "in":
        return left in right
    if op == "contains":
        return isinstance(left, str | list) and right in left
    try:
        return bool(
            {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
        )
    except TypeError:
        return False  # a text against a number, or a missing attribute: not a match


def _event_counts(
    workspace_id: int, ids: Sequence[int], cond: dict[str, Any], now: dt.datetime
) -> dict[int, int]:
    events = CustomerEvent.objects.filter(
        workspace_id=workspace_id, customer_id__in=ids, type=cond["event"], occurred_at__lte=now
    )
    if cond.get("within_days"):
        events = events.filter(occurred_at__gt=now - dt.timedelta(days=cond["within_days"]))
    return dict(
        events.values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n")
    )


def _feedback_counts(
    workspace_id: int, ids: Sequence[int], cond: dict[str, Any], now: dt.datetime
) -> dict[int, int]:
    for source in customer_sources():
        if source.count is not None:
            found = source.count(workspace_id, ids, cond, now)
            if found is not None:
                return found
    raise SegmentInvalid({"rules": [f"no source counts {cond['feedback']} feedback"]})


def _matching(
    rules: dict[str, Any], customers: dict[int, Customer], workspace_id: int, now: dt.datetime,
    risks: dict[int, str],
) -> set[int]:  # fmt: skip
    """The ids among ``customers`` that ``rules`` holds for (``risks``: levels, filled lazily)."""
    if "all" in rules:
        found = set(customers)
        for part in rules["all"]:
            found &= _matching(part, {k: customers[k] for k in found}, workspace_id, now, risks)
        return found
    if "any" in rules:
        found = set()
        for part in rules["any"]:
            rest = {k: v for k, v in customers.items() if k not in found}
            found |= _matching(part, rest, workspace_id, now, risks)
        return found
    ids = list(customers)
    if not ids:
        return set()
    if "attribute" in rules:
        name, op, value = rules["attribute"], rules["op"], rules.get("value")
        return {pk for pk, c in customers.items() if _compare(c.attributes.get(name), op, value)}
    if "churn_risk" in rules:
        missing = [customers[pk] for pk in ids if pk not in risks]
        risks.update({pk: r.level for pk, r in churn_risks(missing, now=now).items()})
        return {pk for pk in ids if risks[pk] in rules["churn_risk"]}
    counter = _event_counts if "event" in rules else _feedback_counts
    counts = counter(workspace_id, ids, rules, now)
    return {pk for pk in ids if _compare(counts.get(pk, 0), rules["op"], rules["value"])}


def segment_evaluate(
    *, segment: Segment, customers: Sequence[Customer], now: dt.datetime | None = None
) -> set[int]:
    """The ids of ``customers`` (of the segment's workspace) its rule holds for now."""
    now = now or timezone.now()
    found: set[int] = set()
    for start in range(0, len(customers), CHUNK):
        chunk = {c.pk: c for c in customers[start : start + CHUNK]}
        found |= _matching(segment.rules, chunk, segment.workspace_id, now, {})
    return found


# -- keeping membership current ------------------------------------------------------------


def segment_refresh(
    *, segment: Segment, customer_ids: Sequence[int] | None = None, now: dt.datetime | None = None
) -> tuple[int, int]:
    """Re-evaluate the segment for ``customer_ids`` (every customer of its workspace when
    None): store who joins and who leaves, each with a ``SegmentChange``; returns (joined,
    left). Idempotent: a second run finds nothing to change."""
    now = now or timezone.now()
    customers = Customer.objects.filter(workspace_id=segment.workspace_id)
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    candidates = list(customers.only("id", "workspace_id", "attributes", "created_at"))
    matched = segment_evaluate(segment=segment, customers=candidates, now=now)
    members = SegmentMember.objects.filter(segment=segment)
    if customer_ids is not None:
        members = members.filter(customer_id__in=[c.pk for c in candidates])
    current = set(members.values_list("customer_id", flat=True))
    joins, leaves = matched - current, current - matched
    cause = rules_words(segment.rules)[:300]
    with transaction.atomic():
        SegmentMember.objects.bulk_create(
            [SegmentMember(segment=segment, customer_id=pk, joined_at=now) for pk in joins],
            ignore_conflicts=True,
        )
        SegmentMember.objects.filter(segment=segment, customer_id__in=leaves).delete()
        SegmentChange.objects.bulk_create(
            [SegmentChange(workspace_id=segment.workspace_id, segment=segment, customer_id=pk,
                           joined=pk in joins, at=now, cause=cause) for pk in joins | leaves]
        )  # fmt: skip
        count = SegmentMember.objects.filter(segment=segment).count()
        fields = {"member_count": count}
        if customer_ids is None:
            fields["refreshed_at"] = now  # type: ignore[assignment]
        Segment.objects.filter(pk=segment.pk).update(**fields)
    return len(joins), len(leaves)


def segment_create(*, workspace: Workspace, name: str, rules: Any) -> Segment:
    """Store a segment and find its members now; raises ``SegmentInvalid``."""
    name = name.strip()
    if not name:
        raise SegmentInvalid({"name": ["must not be blank"]})
    rules_check(rules)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(workspace=workspace, name=name, rules=rules)
    except IntegrityError:
        raise SegmentInvalid({"name": ["another segment has this name"]}) from None
    segment_refresh(segment=segment)
    segment.refresh_from_db()
    return segment


def segments_consume(events: Sequence[Change]) -> None:
    """The ``segments`` consumer: re-evaluate every segment of a workspace for the customers
    its events name (a record's event through the sources' ``owners``). Idempotent."""
    named: dict[int, set[int]] = {}
    records: dict[int, list[int]] = {}
    for event in events:
        if event.type == "customer.changed":
            named.setdefault(event.workspace_id, set()).add(event.subject_id)
        elif event.payload.get("customer_id"):
            named.setdefault(event.workspace_id, set()).add(int(event.payload["customer_id"]))
        elif event.type == "feedback.analyzed":
            records.setdefault(event.workspace_id, []).append(event.subject_id)
    for workspace_id, ids in records.items():
        for source in customer_sources():
            if source.owners is not None:
                named.setdefault(workspace_id, set()).update(source.owners(workspace_id, ids))
    for workspace_id, customer_ids in named.items():
        for segment in Segment.objects.filter(workspace_id=workspace_id):
            segment_refresh(segment=segment, customer_ids=sorted(customer_ids))


_refresh_checked = -math.inf


def segments_refresh_due(*, owner: str = "", limit: int = 20) -> int:
    """Refresh whole segments whose rule has a time window or a churn risk (the clock moves
    customers in and out without any event) once ``SEGMENT_REFRESH_SECONDS`` have passed; a
    worker loop looking at most once a minute. Returns how many it refreshed."""
    global _refresh_checked
    if owner and time.monotonic() - _refresh_checked < 60:
        return 0
    _refresh_checked = time.monotonic()
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SEGMENT_REFRESH_SECONDS)
    due = Segment.objects.filter(Q(refreshed_at__isnull=True) | Q(refreshed_at__lt=cutoff))
    refreshed = 0
    for segment in due.order_by("refreshed_at", "pk")[: limit * 5]:
        if refreshed >= limit:
            break
        if _windowed(segment.rules):
            segment_refresh(segment=segment)
            refreshed += 1
    return refreshed


# -- reads ---------------------------------------------------------------------------------


def segments_of(*, workspace: Workspace) -> list[Segment]:
    return list(Segment.objects.filter(workspace=workspace).order_by("name", "pk"))


def segment_get(*, workspace: Workspace, segment_id: int) -> Segment | None:
    return Segment.objects.filter(workspace=workspace, pk=segment_id).first()


def segment_member_ids(*, segment: Segment) -> Any:
    """The members' ids as a subquery (for ``customers_search``)."""
    return SegmentMember.objects.filter(segment=segment).values("customer_id")


def segments_timeline(
    workspace_id: int, customer_id: int, before: dt.datetime | None, limit: int
) -> list[TimelineItem]:
    changes = SegmentChange.objects.filter(workspace_id=workspace_id, customer_id=customer_id)
    if before is not None:
        changes = changes.filter(at__lt=before)
    return [
        TimelineItem(
            at=c.at,
            kind="segment_joined" if c.joined else "segment_left",
            ref=c.pk,
            summary=c.segment.name,
            data={"segment_id": c.segment_id, "rule": c.cause},
        )
        for c in changes.select_related("segment").order_by("-at", "-pk")[:limit]
    ]


def segments_export(workspace_id: int, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    members = SegmentMember.objects.filter(
        customer_id=customer_id, segment__workspace_id=workspace_id
    )
    return {
        "segments": [
            {"id": m.segment_id, "name": m.segment.name, "joined_at": m.joined_at.isoformat()}
            for m in members.select_related("segment").order_by("segment_id")
        ]
    }
