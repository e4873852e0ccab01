"""Find or create customer profiles by external id, e-mail or phone, within one workspace."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.timezone import now

from soriloop.accounts.models import Workspace
from soriloop.customers.models import Customer

_PHONE_JUNK = re.compile(r"[\s\-().]")


@dataclass(frozen=True)
class CustomerRef:
    """How a channel names a customer; at least one identifier is set (``is_empty`` otherwise)."""

    external_id: str = ""
    email: str = ""
    phone: str = ""
    name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.external_id or self.email or self.phone)


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def normalise_phone(raw: str) -> str:
    """Digits with an optional leading +; Korean +82 10... is kept as 010... ."""
    phone = _PHONE_JUNK.sub("", raw.strip())
    if phone.startswith("+82"):
        phone = "0" + phone[3:].lstrip("0")
    return phone


_KEYS = ("external_id", "email", "phone")


def _candidates(
    workspace: Workspace, refs: Sequence[CustomerRef]
) -> dict[tuple[str, str], Customer]:
    """Known customers of ``workspace`` indexed by each identifier that ``refs`` mention."""
    values = {key: {getattr(r, key) for r in refs if getattr(r, key)} for key in _KEYS}
    wanted = Q()
    for key, found_values in values.items():
        if found_values:
            wanted |= Q(**{f"{key}__in": found_values})
    found = Customer.objects.filter(wanted, workspace=workspace)
    index: dict[tuple[str, str], Customer] = {}
    for customer in found:
        for key in _KEYS:
            if getattr(customer, key):
                index[(key, getattr(customer, key))] = customer
    return index


def _match(index: dict[tuple[str, str], Any], ref: CustomerRef) -> Any:
    """The first entry of ``index`` that ``ref`` names, by external id, e-mail, then phone."""
    for key in _KEYS:
        value = getattr(ref, key)
        if value and (key, value) in index:
            return index[(key, value)]
    return None


def _enrich(customer: Customer, ref: CustomerRef) -> bool:
    """Fill blank identifiers and merge attributes; True when something changed."""
    changed = False
    for attr in ("external_id", "email", "phone", "name"):
        value = getattr(ref, attr)
        if value and not getattr(customer, attr):
            setattr(customer, attr, value)
            changed = True
    if ref.attributes and any(customer.attributes.get(k) != v for k, v in ref.attributes.items()):
        customer.attributes = {**customer.attributes, **ref.attributes}
        changed = True
    return changed


def customer_resolve_many(
    *, workspace: Workspace, refs: Sequence[CustomerRef | None]
) -> list[Customer | None]:
    """The customer for each ref (None for None or empty refs), created when unknown.

    Matches by external id, then e-mail, then phone. A known customer gains identifiers and
    attributes it did not have. Runs a bounded number of queries per call, not per ref.
    """
    wanted = [r for r in refs if r is not None and not r.is_empty]
    if not wanted:
        return [None] * len(refs)
    known = _candidates(workspace, wanted)
    unknown: dict[tuple[str, str], CustomerRef] = {}
    for ref in wanted:
        if _match(known, ref) is None and _match(unknown, ref) is None:
            for key in _KEYS:
                if getattr(ref, key):
                    unknown[(key, getattr(ref, key))] = ref
    if unknown:
        # Concurrent writers may create the same people: conflicts are ignored, then re-read.
        fresh = {id(ref): ref for ref in unknown.values()}.values()
        Customer.objects.bulk_create([_new(workspace, ref) for ref in fresh], ignore_conflicts=True)
        known = _candidates(workspace, wanted)
    results: list[Customer | None] = []
    dirty: dict[int, Customer] = {}
    for maybe in refs:
        customer = None if maybe is None or maybe.is_empty else _match(known, maybe)
        if maybe is not None and customer is not None and _enrich(customer, maybe):
            dirty[customer.pk] = customer
        results.append(customer)
    for customer in dirty.values():
        customer.updated_at = now()
        _save_quietly(customer)
    return results


def _new(workspace: Workspace, ref: CustomerRef) -> Customer:
    return Customer(
        workspace=workspace,
        external_id=ref.external_id or None,
        email=ref.email or None,
        phone=ref.phone or None,
        name=ref.name,
        attributes=dict(ref.attributes),
    )


def _save_quietly(customer: Customer) -> None:
    """Save enrichment unless it would collide with another profile's identifier."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        customer.refresh_from_db()
