"""Reads of customer profiles: search, one profile, its timeline and its export."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from soriloop.accounts.models import Workspace
from soriloop.analysis.engine.pii import mask_email, mask_phone
from soriloop.customers.hooks import TimelineItem, customer_sources
from soriloop.customers.models import Customer, CustomerEvent, name_query_terms
from soriloop.customers.risk import ChurnRisk, churn_risks, customer_churn_risk
from soriloop.customers.segments import segments_export
from soriloop.customers.services import (
    lookup_value,
    normalise_email,
    normalise_phone,
)

_PHONE_LIKE = re.compile(r"^\+?[0-9][0-9\s\-().]{5,}$")
TIMELINE_MAX = 200


def customer_get(*, workspace: Workspace, customer_id: int) -> Customer | None:
    return Customer.objects.filter(workspace=workspace, pk=customer_id).first()


def customer_by_external_id(*, workspace: Workspace, external_id: str) -> Customer | None:
    return Customer.objects.filter(workspace=workspace, external_id=external_id).first()


def _matching(query: str) -> Q:
    """Customers whose e-mail or phone is ``query`` exactly (through their blind indexes),
    whose external id contains it, or whose name has every letter pair of it."""
    query = query.strip()
    found = Q(external_id__icontains=query)
    if "@" in query:
        found |= Q(email_hash=lookup_value("email", normalise_email(query)))
    if _PHONE_LIKE.match(query):
        found |= Q(phone_hash=lookup_value("phone", normalise_phone(query)))
    terms = name_query_terms(query)
    if terms:
        by_name = Q()
        for term in terms:
            by_name &= Q(name_terms__contains=f" {term} ")
        found |= by_name
    return found


def customers_search(
    *,
    workspace: Workspace,
    q: str = "",
    member_ids: QuerySet[Any] | list[int] | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Customer]:
    """The workspace's customers, newest first, ``limit`` at most: those ``q`` names (see
    ``_matching``), among ``member_ids`` (a segment's members) when given, older than id
    ``before``."""
    found = Customer.objects.filter(workspace=workspace)
    if q.strip():
        found = found.filter(_matching(q))
    if member_ids is not None:
        found = found.filter(pk__in=member_ids)
    if before is not None:
        found = found.filter(pk__lt=before)
    return list(found.order_by("-pk")[:limit])


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_before: dt.datetime | None  # pass as ``before`` for the next page; None: no more


def customer_timeline(
    *, customer: Customer, before: dt.datetime | None = None, limit: int = 50
) -> TimelinePage:
    """Everything the sources know of ``customer``, newest first: at most ``limit`` items
    older than ``before``. Each source is asked for ``limit + 1`` at most, so a customer with
    thousands of items costs one indexed query per source."""
    limit = max(1, min(limit, TIMELINE_MAX))
    items: list[TimelineItem] = []
    for source in customer_sources():
        if source.timeline is not None:
            items += source.timeline(customer.workspace_id, customer.pk, before, limit + 1)
    items.sort(key=lambda item: (item.at, item.kind, item.ref), reverse=True)
    more = len(items) > limit
    items = items[:limit]
    return TimelinePage(items=items, next_before=items[-1].at if more and items else None)


def events_timeline(
    workspace_id: int, customer_id: int, before: dt.datetime | None, limit: int
) -> list[TimelineItem]:
    """The customers app's own part of the timeline: the customer's events."""
    events = CustomerEvent.objects.filter(workspace_id=workspace_id, customer_id=customer_id)
    if before is not None:
        events = events.filter(occurred_at__lt=before)
    return [
        TimelineItem(
            at=e.occurred_at,
            kind="event",
            ref=e.pk,
            summary=e.type,
            data={
                "type": e.type,
                "amount": float(e.amount) if e.amount is not None else None,
                "properties": e.properties,
            },
        )
        for e in events.order_by("-occurred_at", "-pk")[:limit]
    ]


def events_export(workspace_id: int, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    events = CustomerEvent.objects.filter(workspace_id=workspace_id, customer_id=customer_id)
    return {
        "events": [
            {
                "id": e.pk,
                "type": e.type,
                "occurred_at": e.occurred_at.isoformat(),
                "amount": float(e.amount) if e.amount is not None else None,
                "properties": e.properties,
                "external_id": e.external_id,
            }
            for e in events.order_by("occurred_at", "pk")
        ]
    }


def customer_export(*, customer: Customer) -> dict[str, Any]:
    """Everything stored about ``customer``, unmasked (a subject access request): the
    profile, its consent and every source's sections (feedback texts, survey answers,
    events, ...), plus the whole timeline."""
    sections: dict[str, Any] = {}
    for source in customer_sources():
        if source.export is not None:
            sections.update(source.export(customer.workspace_id, customer.pk))
    timeline = customer_timeline(customer=customer, limit=TIMELINE_MAX)
    return {
        "profile": profile_json(customer, reveal=True),
        "consent": customer.consent,
        **sections,
        "timeline": [timeline_item_json(item) for item in timeline.items],
    }


def profile_json(customer: Customer, *, reveal: bool) -> dict[str, Any]:
    """The profile as the API shows it; without ``reveal`` e-mail and phone are masked."""
    email, phone = customer.email, customer.phone_display
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "email": email if reveal or not email else mask_email(email),
        "phone": phone if reveal or not phone else mask_phone(phone),
        "name": customer.name,
        "attributes": customer.attributes,
        "consent": customer.consent,
        "created_at": customer.created_at.isoformat(),
        "updated_at": customer.updated_at.isoformat(),
    }


def timeline_item_json(item: TimelineItem) -> dict[str, Any]:
    return {
        "at": item.at.isoformat(),
        "kind": item.kind,
        "id": item.ref,
        "summary": item.summary,
        "data": item.data,
    }


PURCHASES = ("purchase", "purchase_completed", "order", "order_completed")
CHURNS = ("churned", "subscription_cancelled")
CHUNK = 5000


def _days(now: dt.datetime, then: dt.datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds() / 86400)


def events_signals(
    workspace_id: int, customer_ids: Sequence[int], now: dt.datetime
) -> dict[int, dict[str, float]]:
    """Signals from events before ``now``: days since the last one, purchases and events in
    90 days, spend in 365 days, and ``churned_at_days`` when the last event was a churn or a
    cancellation (a purchase after it means the customer came back)."""
    found: dict[int, dict[str, float]] = {}
    d90, d365 = now - dt.timedelta(days=90), now - dt.timedelta(days=365)
    for start in range(0, len(customer_ids), CHUNK):
        rows = (
            CustomerEvent.objects.filter(
                workspace_id=workspace_id,
                customer_id__in=customer_ids[start : start + CHUNK],
                occurred_at__lt=now,
            )
            .values("customer_id")
            .annotate(
                last=Max("occurred_at"),
                last_churn=Max("occurred_at", filter=Q(type__in=CHURNS)),
                last_other=Max("occurred_at", filter=~Q(type__in=CHURNS)),
                purchases=Count("id", filter=Q(type__in=PURCHASES, occurred_at__gte=d90)),
                recent=Count("id", filter=Q(occurred_at__gte=d90)),
                spend=Sum("amount", filter=Q(occurred_at__gte=d365)),
            )
        )
        for row in rows:
            values = {
                "last_event_days": _days(now, row["last"]) or 0.0,
                "purchases_90d": float(row["purchases"]),
                "events_90d": float(row["recent"]),
                "spend_365d": float(row["spend"] or 0),
            }
            churn, other = row["last_churn"], row["last_other"]
            if churn is not None and (other is None or churn >= other):
                values["churned_at_days"] = _days(now, churn) or 0.0
            found[row["customer_id"]] = values
    return found


@dataclass(frozen=True)
class CustomerRow:
    profile: dict[str, Any]  # profile_json, masked
    risk_level: str


@dataclass(frozen=True)
class CustomersPage:
    rows: list[CustomerRow]
    q: str
    next_before: int | None


def customers_page_get(
    *, workspace: Workspace, q: str = "", before: int | None = None, limit: int = 50
) -> CustomersPage:
    """The customers list page: masked profiles with their churn risk level."""
    found = customers_search(workspace=workspace, q=q, before=before, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    risks = churn_risks(found)
    rows = [CustomerRow(profile_json(c, reveal=False), risks[c.pk].level) for c in found]
    return CustomersPage(rows=rows, q=q, next_before=found[-1].pk if more and found else None)


@dataclass(frozen=True)
class CustomerPage:
    customer: Customer
    profile: dict[str, Any]
    timeline: TimelinePage
    risk: ChurnRisk
    segments: list[dict[str, Any]]
    revealed: bool


def customer_page_get(
    *, workspace: Workspace, customer_id: int, reveal: bool, before: dt.datetime | None = None
) -> CustomerPage | None:
    """One customer's page: the profile (masked unless ``reveal``), a page of the timeline,
    the churn risk and the segments they are in; None when not the workspace's."""
    customer = customer_get(workspace=workspace, customer_id=customer_id)
    if customer is None:
        return None
    return CustomerPage(
        customer=customer,
        profile=profile_json(customer, reveal=reveal),
        timeline=customer_timeline(customer=customer, before=before),
        risk=customer_churn_risk(customer),
        segments=segments_export(workspace.pk, customer.pk)["segments"],
        revealed=reveal,
    )
