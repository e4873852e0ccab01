"""Customer events: what a customer did, reported by the workspace's systems.

Each stored event appends ``customer.event`` to the change log in its transaction; readers
(survey triggers now, journeys and churn later) consume it and never ask this writer to call
them."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from soriloop.accounts.models import Workspace
from soriloop.core.changes import change_append
from soriloop.customers.models import CustomerEvent
from soriloop.customers.services import (
    CustomerRef,
    customer_resolve_many,
    normalise_email,
    normalise_phone,
)

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.]{0,59}$")
MAX_PROPERTIES_BYTES = 16_000
MAX_AMOUNT = Decimal("1e12")
# A clock a little ahead is forgiven; an event dated past this is a mistake.
FUTURE_SLACK = dt.timedelta(hours=24)
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class EventInvalid(Exception):
    """Raised with ``fields``: field name -> reasons."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def _customer(raw: Any) -> CustomerRef:
    if not isinstance(raw, Mapping):
        raise EventInvalid({"customer": ["must be an object with external_id, email or phone"]})
    limits = {"external_id": 200, "email": 254, "phone": 32}
    values: dict[str, Any] = {}
    for key, limit in limits.items():
        value = raw.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > limit or "\x00" in value:
            raise EventInvalid({f"customer.{key}": [f"must be a string of at most {limit}"]})
        values[key] = value.strip()
    if "email" in values:
        values["email"] = normalise_email(values["email"])
        if "@" not in values["email"]:
            raise EventInvalid({"customer.email": ["is not an e-mail address"]})
    if "phone" in values:
        values["phone"] = normalise_phone(values["phone"])
    ref = CustomerRef(**values)
    if ref.is_empty:
        raise EventInvalid({"customer": ["needs external_id, email or phone"]})
    return ref


def _occurred_at(raw: Any, tz: ZoneInfo, now: dt.datetime) -> dt.datetime:
    if raw is None:
        return now
    when = raw if isinstance(raw, dt.datetime) else None
    if isinstance(raw, str):
        try:
            when = parse_datetime(raw)
        except ValueError:
            when = None
    if when is None:
        raise EventInvalid({"occurred_at": ["must be an ISO 8601 date and time"]})
    if timezone.is_naive(when):
        when = when.replace(tzinfo=tz)  # naive: the workspace's zone, as for feedback
    if when > now + FUTURE_SLACK:
        raise EventInvalid({"occurred_at": ["is more than a day in the future"]})
    if when < EARLIEST:
        raise EventInvalid({"occurred_at": ["is before 1970"]})
    return when


def _amount(raw: Any) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise EventInvalid({"amount": ["must be a number"]})
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise EventInvalid({"amount": ["must be a number"]}) from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise EventInvalid({"amount": ["must be a finite number below 10^12"]})
    return amount.quantize(Decimal("0.01"))


def _properties(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise EventInvalid({"properties": ["must be an object"]})
    try:
        size = len(json.dumps(raw, ensure_ascii=False).encode())
    except (TypeError, ValueError):
        raise EventInvalid({"properties": ["must be JSON"]}) from None
    if size > MAX_PROPERTIES_BYTES:
        raise EventInvalid({"properties": [f"must be at most {MAX_PROPERTIES_BYTES} bytes"]})
    if "\\u0000" in json.dumps(raw):  # PostgreSQL's JSON cannot hold one
        raise EventInvalid({"properties": ["must not contain a NUL character"]})
    return dict(raw)


def _event_type(raw: Any) -> str:
    if not isinstance(raw, str) or not EVENT_TYPE.match(raw):
        raise EventInvalid(
            {
                "type": [
                    "must be lowercase letters, digits, _ and . (60 at most), e.g. purchase_completed"
                ]
            }
        )
    return raw


def _external_id(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 200 or "\x00" in raw:
        raise EventInvalid({"id": ["must be a string of at most 200"]})
    return raw


def customer_event_record(
    *, workspace: Workspace, data: Mapping[str, Any]
) -> tuple[CustomerEvent, bool]:
    """Store one event of a customer (found or created by external id, e-mail, then phone) and
    append ``customer.event``; returns the event and whether it is new.

    An event with the ``id`` of one stored before is not stored again (the stored one is
    returned). Raises ``EventInvalid`` naming every bad field it finds first."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Any] = {}
    tz = ZoneInfo(workspace.timezone)
    steps: dict[str, Callable[[], Any]] = {
        "customer": lambda: _customer(data.get("customer")),
        "type": lambda: _event_type(data.get("type")),
        "occurred_at": lambda: _occurred_at(data.get("occurred_at"), tz, now),
        "amount": lambda: _amount(data.get("amount")),
        "properties": lambda: _properties(data.get("properties")),
        "external_id": lambda: _external_id(data.get("id")),
    }
    for name, parse in steps.items():
        try:
            parsed[name] = parse()
        except EventInvalid as exc:
            errors.update(exc.fields)
    if errors:
        raise EventInvalid(errors)
    known = _known(workspace, parsed["external_id"])
    if known is not None:
        return known, False
    try:
        with transaction.atomic():
            return _store(workspace, parsed), True
    except IntegrityError:  # the same id stored by a concurrent request
        found = _known(workspace, parsed["external_id"])
        if found is None:
            raise
        return found, False


def _known(workspace: Workspace, external_id: str | None) -> CustomerEvent | None:
    if external_id is None:
        return None
    return CustomerEvent.objects.filter(workspace=workspace, external_id=external_id).first()


def _store(workspace: Workspace, parsed: dict[str, Any]) -> CustomerEvent:
    (customer,) = customer_resolve_many(workspace=workspace, refs=[parsed["customer"]])
    assert customer is not None, "a non-empty ref always resolves"
    event = CustomerEvent.objects.create(
        workspace=workspace,
        customer=customer,
        type=parsed["type"],
        occurred_at=parsed["occurred_at"],
        amount=parsed["amount"],
        properties=parsed["properties"],
        external_id=parsed["external_id"],
    )
    change_append(
        workspace_id=workspace.pk,
        type="customer.event",
        subject_id=event.pk,
        payload={"type": event.type, "customer_id": customer.pk},
    )
    return event


@dataclass
class EventImport:
    """What an import did: ``errors`` holds (line, field -> reasons) for each bad row."""

    stored: int = 0
    duplicates: int = 0
    errors: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)


MAX_REPORTED_ERRORS = 1000
CUSTOMER_COLUMNS = {"customer_external_id": "external_id", "customer_email": "email",
                    "customer_phone": "phone"}  # fmt: skip


def _csv_row(row: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row as an event body: ``customer_*`` columns, ``type``, ``occurred_at``,
    ``amount``, ``id``, ``properties`` (JSON) and any ``prop_<name>`` column."""
    data: dict[str, Any] = {"customer": {}}
    properties: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value in (None, ""):
            continue
        if column in CUSTOMER_COLUMNS:
            data["customer"][CUSTOMER_COLUMNS[column]] = value
        elif column.startswith("prop_"):
            properties[column[5:]] = value
        elif column == "properties":
            try:
                data["properties"] = json.loads(value)
            except ValueError:
                data["properties"] = value  # refused by the parser, naming the field
        elif column in ("type", "occurred_at", "amount", "id"):
            data[column] = value
    if properties:
        data["properties"] = {**properties, **(data.get("properties") or {})}
    return data


def events_read(lines: Iterable[str], *, kind: str) -> Iterator[tuple[int, Any]]:
    """(line number, event body) from a CSV (a header line first) or JSONL stream, one row
    at a time; a JSONL line that is not JSON yields a string, refused by the import."""
    if kind == "csv":
        reader = csv.DictReader(lines)
        for row in reader:
            yield reader.line_num, _csv_row(row)
        return
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except ValueError:
                yield number, line


def customer_events_import(*, workspace: Workspace, rows: Iterable[tuple[int, Any]]) -> EventImport:
    """Store each row's event (``customer_event_record``, one transaction each, so a bad row
    loses nothing good); report every bad row with its line number (the first
    ``MAX_REPORTED_ERRORS`` in detail)."""
    report = EventImport()
    for line, data in rows:
        if not isinstance(data, Mapping):
            fields = {"line": ["is not a JSON object"]}
        else:
            try:
                _event, new = customer_event_record(workspace=workspace, data=data)
            except EventInvalid as exc:
                fields = exc.fields
            else:
                report.stored += new
                report.duplicates += not new
                continue
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append((line, fields))
    return report
