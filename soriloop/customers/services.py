"""Find or create customer profiles by external id, e-mail or phone, within one workspace."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.timezone import now

from soriloop.accounts.models import Workspace
from soriloop.core.changes import change_append
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


_LOADED = ("id", "workspace_id", "external_id", "email", "phone", "name", "attributes")


def _candidates(
    workspace: Workspace, refs: Iterable[CustomerRef]
) -> dict[tuple[str, str], Customer]:
    """Known customers of ``workspace`` indexed by each identifier that ``refs`` mention.

    Raw SQL and ``from_db``: this runs on every ingest with a customer, and through the ORM
    building the query and the instances cost more than the query itself.
    """
    values: dict[str, set[str]] = {key: set() for key in _KEYS}
    for ref in refs:
        for key in _KEYS:
            if getattr(ref, key):
                values[key].add(getattr(ref, key))
    clauses: list[str] = []
    params: list[int | str] = [workspace.pk]
    for key, found_values in values.items():
        if found_values:
            clauses.append(f"{key} IN ({', '.join(['%s'] * len(found_values))})")
            params += sorted(found_values)
    if not clauses:
        return {}
    table = Customer._meta.db_table
    columns = ", ".join(_LOADED)
    # Column names are fixed here; every value is bound.
    sql = f"SELECT {columns} FROM {table} WHERE workspace_id = %s AND ({' OR '.join(clauses)})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    index: dict[tuple[str, str], Customer] = {}
    for row in rows:
        attributes = json.loads(row[6]) if isinstance(row[6], str) else row[6]
        customer = Customer.from_db(connection.alias, list(_LOADED), (*row[:6], attributes or {}))
        for key in _KEYS:
            if getattr(customer, key):
                index[(key, getattr(customer, key))] = customer
    return index


def _insert_new(workspace: Workspace, refs: Iterable[CustomerRef]) -> None:
    """Create customers; one that a concurrent writer created first is left as it is."""
    moment = connection.ops.adapt_datetimefield_value(now())
    rows = [
        (workspace.pk, r.external_id or None, r.email or None, r.phone or None, r.name,
         _ATTRIBUTES.get_db_prep_save(dict(r.attributes), connection), moment, moment)
        for r in refs
    ]  # fmt: skip
    table = Customer._meta.db_table
    one = "(%s, %s, %s, %s, %s, %s, %s, %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            sql = (
                f"INSERT INTO {table} (workspace_id, external_id, email, phone, name, attributes, "  # noqa: S608
                f"created_at, updated_at) VALUES {', '.join([one] * len(chunk))} ON CONFLICT DO NOTHING"
            )
            cursor.execute(sql, [value for row in chunk for value in row])


_ATTRIBUTES = Customer._meta.get_field("attributes")


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
        if (
            "segment" in ref.attributes
            and customer.attributes.get("segment") != ref.attributes["segment"]
        ):
            _segment_changed(customer)
        customer.attributes = {**customer.attributes, **ref.attributes}
        changed = True
    return changed


def _segment_changed(customer: Customer) -> None:
    """Dashboards cut by segment, so a segment change is news (``customer.changed``)."""
    change_append(
        workspace_id=customer.workspace_id,
        type="customer.changed",
        subject_id=customer.pk,
        payload={"fields": ["segment"]},
    )


def customer_resolve_many(
    *, workspace: Workspace, refs: Sequence[CustomerRef | None]
) -> list[Customer | None]:
    """The customer for each ref (None for None or empty refs), created when unknown.

    Matches by external id, then e-mail, then phone. A known customer gains identifiers and
    attributes it did not have, except an identifier another profile has (not merged).
    Matching and creating run a bounded number of queries per call, not per ref; each
    customer that gained something is saved on its own.
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
        fresh = list({id(ref): ref for ref in unknown.values()}.values())
        _insert_new(workspace, fresh)
        known.update(_candidates(workspace, fresh))
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


def _save_quietly(customer: Customer) -> None:
    """Save enrichment. An identifier that another profile of the workspace already has is
    left out (profiles are not merged); the rest the customer gained is still saved."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        for key in _taken(customer):
            setattr(customer, key, None)  # enrichment only fills blanks: it was NULL
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError:  # taken meanwhile by a concurrent writer: keep what is stored
            customer.refresh_from_db()


def _taken(customer: Customer) -> list[str]:
    """The identifiers of ``customer`` that another profile of its workspace has."""
    others = Customer.objects.filter(workspace_id=customer.workspace_id).exclude(pk=customer.pk)
    return [
        key
        for key in _KEYS
        if getattr(customer, key) and others.filter(**{key: getattr(customer, key)}).exists()
    ]
