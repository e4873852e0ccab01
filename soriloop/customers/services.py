"""Find or create customer profiles by external id, e-mail or phone, within one workspace."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.timezone import now

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.core.changes import change_append
from soriloop.core.crypto import cipher
from soriloop.customers.models import EMAIL, PHONE, Customer

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
# the column each identifier is looked up by: the blind index for the sealed ones
_COLUMNS = {"external_id": "external_id", "email": "email_hash", "phone": "phone_hash"}
_PURPOSES = {"email": EMAIL, "phone": PHONE}


_LOADED = (
    "id", "workspace_id", "external_id", "email_hash", "phone_hash", "email_sealed",
    "phone_sealed", "name_sealed", "name_terms", "attributes",
)  # fmt: skip


def lookup_value(key: str, value: str) -> str:
    """What the column of identifier ``key`` holds for ``value`` (its digest if sealed)."""
    return cipher().digest(_PURPOSES[key], value) if key in _PURPOSES else value


def _lookups(ref: CustomerRef) -> list[tuple[str, str]]:
    return [(key, lookup_value(key, getattr(ref, key))) for key in _KEYS if getattr(ref, key)]


def _stored_lookups(customer: Customer) -> list[tuple[str, str]]:
    found = [(key, getattr(customer, _COLUMNS[key])) for key in _KEYS]
    return [(key, value) for key, value in found if value]


def _candidates(
    workspace: Workspace, refs: Iterable[CustomerRef]
) -> dict[tuple[str, str], Customer]:
    """Known customers of ``workspace`` indexed by each identifier that ``refs`` mention, as
    (identifier, column value) pairs.

    Raw SQL and ``from_db``: this runs on every ingest with a customer, and through the ORM
    building the query and the instances cost more than the query itself.
    """
    values: dict[str, set[str]] = {key: set() for key in _KEYS}
    for ref in refs:
        for key, value in _lookups(ref):
            values[key].add(value)
    clauses: list[str] = []
    params: list[int | str] = [workspace.pk]
    for key, found_values in values.items():
        if found_values:
            clauses.append(f"{_COLUMNS[key]} IN ({', '.join(['%s'] * len(found_values))})")
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
        attributes = json.loads(row[-1]) if isinstance(row[-1], str) else row[-1]
        customer = Customer.from_db(connection.alias, list(_LOADED), (*row[:-1], attributes or {}))
        for pair in _stored_lookups(customer):
            index[pair] = customer
    return index


def _insert_new(workspace: Workspace, refs: Iterable[CustomerRef]) -> None:
    """Create customers; one that a concurrent writer created first is left as it is."""
    moment = connection.ops.adapt_datetimefield_value(now())
    rows = []
    for r in refs:
        fresh = Customer()
        fresh.email, fresh.phone, fresh.name = r.email or None, r.phone or None, r.name
        rows.append((
            workspace.pk, r.external_id or None, fresh.email_hash, fresh.phone_hash,
            fresh.email_sealed, fresh.phone_sealed, fresh.name_sealed, fresh.name_terms,
            _ATTRIBUTES.get_db_prep_save(dict(r.attributes), connection),
            _ATTRIBUTES.get_db_prep_save({}, connection), moment, moment,
        ))  # fmt: skip
    table = Customer._meta.db_table
    one = f"({', '.join(['%s'] * 12)})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            sql = (
                f"INSERT INTO {table} (workspace_id, external_id, email_hash, phone_hash, "  # noqa: S608
                "email_sealed, phone_sealed, name_sealed, name_terms, attributes, consent, created_at, "
                f"updated_at) VALUES {', '.join([one] * len(chunk))} ON CONFLICT DO NOTHING"
            )
            cursor.execute(sql, [value for row in chunk for value in row])


_ATTRIBUTES = Customer._meta.get_field("attributes")


def _match(index: dict[tuple[str, str], Any], ref: CustomerRef) -> Any:
    """The first entry of ``index`` that ``ref`` names, by external id, e-mail, then phone."""
    for pair in _lookups(ref):
        if pair in index:
            return index[pair]
    return None


def _enrich(customer: Customer, ref: CustomerRef) -> bool:
    """Fill blank identifiers and merge attributes; True when something changed."""
    changed = False
    held = {
        "external_id": customer.external_id,
        "email": customer.email_hash,
        "phone": customer.phone_hash,
        "name": customer.name_sealed,
    }
    for attr, stored in held.items():
        value = getattr(ref, attr)
        if value and not stored:
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
            for pair in _lookups(ref):
                unknown[pair] = ref
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
            setattr(customer, key, None)  # enrichment only fills blanks: it was unset
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
        for key, value in _stored_lookups(customer)
        if others.filter(**{_COLUMNS[key]: value}).exists()
    ]


class CustomerInvalid(Exception):
    """Raised with ``fields``: field name -> reasons; ``conflict`` when an identifier belongs
    to another customer (409) rather than being malformed (422)."""

    def __init__(self, fields: dict[str, list[str]], *, conflict: bool = False) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields
        self.conflict = conflict


@dataclass(frozen=True)
class Upsert:
    """What a CRM sends for one customer; None leaves a field as it is, "" clears it."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    # merged into the stored ones; a key set to None is removed
    attributes: dict[str, Any] = field(default_factory=dict)


def _identifiers(data: Upsert) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    if data.email is not None:
        email = normalise_email(data.email)
        if email and "@" not in email:
            raise CustomerInvalid({"email": ["is not an e-mail address"]})
        found["email"] = email or None
    if data.phone is not None:
        found["phone"] = normalise_phone(data.phone) or None
    if data.name is not None:
        found["name"] = data.name.strip()
    return found


def _apply(customer: Customer, data: Upsert) -> list[str]:
    """Set what ``data`` says on ``customer``; the names of the fields that changed."""
    changed = []
    for key, value in _identifiers(data).items():
        if (getattr(customer, key) or None) != (value or None):
            setattr(customer, key, value)
            changed.append(key)
    merged = {**customer.attributes, **data.attributes}
    merged = {k: v for k, v in merged.items() if v is not None}
    changed += sorted(k for k in set(merged) | set(customer.attributes)
                      if merged.get(k) != customer.attributes.get(k))  # fmt: skip
    customer.attributes = merged
    return changed


def customer_upsert(
    *, workspace: Workspace, external_id: str, data: Upsert
) -> tuple[Customer, bool]:
    """Create or update the customer with ``external_id`` (a CRM's sync; idempotent: the same
    call twice changes nothing the second time). Returns the customer and whether it is new;
    appends ``customer.changed`` naming the changed fields (never their values). Raises
    ``CustomerInvalid`` for a malformed e-mail, or (``conflict``) an e-mail or phone another
    customer of the workspace has."""
    if not external_id:
        raise CustomerInvalid({"external_id": ["must not be empty"]})
    try:
        with transaction.atomic():
            return _upsert(workspace, external_id, data)
    except IntegrityError:
        with transaction.atomic():  # a concurrent first PUT of the same id: update it now
            if not Customer.objects.filter(workspace=workspace, external_id=external_id).exists():
                probe = Customer(workspace=workspace, external_id=external_id)
                _apply(probe, data)
                taken = _taken(probe) or ["email"]
                raise CustomerInvalid(
                    {key: ["belongs to another customer"] for key in taken}, conflict=True
                ) from None
            return _upsert(workspace, external_id, data)


def _upsert(workspace: Workspace, external_id: str, data: Upsert) -> tuple[Customer, bool]:
    customer = (
        Customer.objects.select_for_update()
        .filter(workspace=workspace, external_id=external_id)
        .first()
    )
    created = customer is None
    if customer is None:
        customer = Customer(workspace=workspace, external_id=external_id)
    changed = _apply(customer, data)
    if not created and not changed:
        return customer, False
    taken = _taken(customer) if customer.email_hash or customer.phone_hash else []
    if taken:
        raise CustomerInvalid(
            {key: ["belongs to another customer"] for key in taken}, conflict=True
        )
    customer.updated_at = now()
    customer.save()
    change_append(
        workspace_id=workspace.pk,
        type="customer.changed",
        subject_id=customer.pk,
        payload={"fields": ["created"] if created else changed},
    )
    return customer, created


def customers_reencrypt(*, batch: int = 1000) -> int:
    """Seal every customer's e-mail, phone and name again under the first key and recompute
    their blind indexes and name terms (after a key rotation, or a new ``BLIND_INDEX_KEY``);
    returns how many rows changed. Rows already current are left alone, so it can be run
    again after an interruption."""
    changed = 0
    last = 0
    fields = [
        "email_sealed",
        "email_hash",
        "phone_sealed",
        "phone_hash",
        "name_sealed",
        "name_terms",
    ]
    while True:
        rows = list(Customer.objects.filter(pk__gt=last).order_by("pk")[:batch])
        if not rows:
            return changed
        last = rows[-1].pk
        stale = []
        for customer in rows:
            before = [getattr(customer, f) for f in fields]
            email, phone, name = customer.email, customer.phone, customer.name
            current = all(
                cipher().is_current(t)
                for t in (customer.email_sealed, customer.phone_sealed, customer.name_sealed)
            )
            customer.email, customer.phone, customer.name = email, phone, name
            hashes = [customer.email_hash, customer.phone_hash, customer.name_terms]
            if not current or hashes != [before[1], before[3], before[5]]:
                stale.append(customer)
            else:
                for f, value in zip(fields, before, strict=True):
                    setattr(customer, f, value)
        with transaction.atomic():
            Customer.objects.bulk_update(stale, fields)
        changed += len(stale)


def customer_reveal(*, actor: Membership, customer: Customer) -> None:
    """Let an admin see one customer's e-mail and phone unmasked, once, audited (without
    the data: the customer's id only). Raises ``PermissionDenied`` for other roles."""
    require(actor, Action.VIEW_PERSONAL_DATA)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="customer.revealed",
        target=f"customer {customer.pk}",
    )


CONSENT_PURPOSES = ("survey_email", "analysis", "marketing")


def customer_consent_set(
    *, customer: Customer, purpose: str, granted: bool, source: str
) -> Customer:
    """Record the customer's consent (or its withdrawal) for ``purpose`` with its source and
    time; appends ``customer.changed`` (``consent``). Survey e-mail is not sent to a customer
    who withdrew ``survey_email``."""
    if purpose not in CONSENT_PURPOSES:
        raise CustomerInvalid({"purpose": [f"must be one of {', '.join(CONSENT_PURPOSES)}"]})
    moment = now()
    customer.consent = {
        **customer.consent,
        purpose: {"granted": granted, "source": source[:200], "at": moment.isoformat()},
    }
    customer.updated_at = moment
    with transaction.atomic():
        customer.save(update_fields=["consent", "updated_at"])
        change_append(
            workspace_id=customer.workspace_id,
            type="customer.changed",
            subject_id=customer.pk,
            payload={"fields": ["consent"]},
        )
    return customer


def consent_withdrawn(customer: Customer | None, purpose: str) -> bool:
    """Whether ``customer`` said no to ``purpose`` (no answer is not a no)."""
    found = (customer.consent or {}).get(purpose) if customer is not None else None
    return isinstance(found, dict) and found.get("granted") is False
