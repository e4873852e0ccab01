"""The signed inbound webhook: a CRM upserts customers and reports their events through the
customers services, each call verified per the Standard Webhooks specification (the
``standardwebhooks`` package) and applied once per ``webhook-id`` (docs/alerts.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.alerts.models import InboundMessage, InboundWebhook
from soriloop.customers.events import EventInvalid, customer_event_record
from soriloop.customers.services import (
    CustomerRef,
    customer_resolve_many,
    normalise_email,
    normalise_phone,
)

TYPES = ("customer.upsert", "customer.event")
MAX_INBOUND = 20
REF_FIELDS = {"external_id": 200, "email": 254, "phone": 32, "name": 200}  # longest allowed


class InboundRefused(ValueError):
    """The call is not signed with the endpoint's secret, or too old or new (401)."""


class InboundInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class Received:
    type: str
    duplicate: bool  # the same webhook-id came before: nothing changed
    result: dict[str, Any]


def inbound_create(
    *, workspace: Workspace, actor: Membership, description: str = ""
) -> InboundWebhook:
    """A new inbound endpoint with a fresh ``whsec_`` secret (the caller shows it once)."""
    require(actor, Action.MANAGE_SETTINGS)
    if InboundWebhook.objects.filter(workspace=workspace).count() >= MAX_INBOUND:
        raise InboundInvalid({"description": [f"a workspace has at most {MAX_INBOUND}"]})
    endpoint = InboundWebhook.objects.create(
        workspace=workspace, description=description[:300], created_by=actor.user
    )
    _audit(endpoint, actor, "inbound_webhook.created")
    return endpoint


def inbound_delete(*, endpoint: InboundWebhook, actor: Membership) -> None:
    require(actor, Action.MANAGE_SETTINGS)
    _audit(endpoint, actor, "inbound_webhook.deleted")
    endpoint.delete()


def _audit(endpoint: InboundWebhook, actor: Membership, action: str) -> None:
    audit_record(
        workspace=endpoint.workspace,
        actor=actor.user,
        action=action,
        target=f"inbound webhook {endpoint.pk}",
        data={"description": endpoint.description},
    )


def inbound_verify(*, endpoint: InboundWebhook, body: bytes, headers: Mapping[str, str]) -> str:
    """The call's ``webhook-id`` once its signature and timestamp (within 5 minutes) check
    out against the endpoint's secret; raise ``InboundRefused`` otherwise."""
    wanted = {
        k: headers.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    try:
        Webhook(endpoint.secret).verify(body, wanted, json_parse=False)
    except (WebhookVerificationError, ValueError) as exc:  # a malformed header is a ValueError
        raise InboundRefused(str(exc) or "no valid signature") from exc
    return wanted["webhook-id"][:200]


def inbound_receive(
    *, endpoint: InboundWebhook, body: bytes, headers: Mapping[str, str]
) -> Received:
    """Verify a call and apply it once: ``customer.upsert`` finds or creates the customer
    (external id, e-mail, then phone) and adds what it lacked; ``customer.event`` records an
    event as ``POST /api/v1/events`` does. A ``webhook-id`` seen before answers its first
    result. Raise ``InboundRefused`` (unsigned) or ``InboundInvalid`` (naming the field)."""
    message_id = inbound_verify(endpoint=endpoint, body=body, headers=headers)
    seen = InboundMessage.objects.filter(endpoint=endpoint, message_id=message_id).first()
    if seen is not None:
        return Received(seen.type, True, seen.result)
    kind, data = _parse(body)
    try:
        with transaction.atomic():
            result = _apply(endpoint.workspace, kind, data)
            InboundMessage.objects.create(
                endpoint=endpoint, message_id=message_id, type=kind, result=result
            )
    except IntegrityError:  # the same message applied by a concurrent call
        seen = InboundMessage.objects.get(endpoint=endpoint, message_id=message_id)
        return Received(seen.type, True, seen.result)
    return Received(kind, False, result)


def _parse(body: bytes) -> tuple[str, dict[str, Any]]:
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise InboundInvalid({"body": ["must be JSON"]}) from exc
    if not isinstance(parsed, dict) or parsed.get("type") not in TYPES:
        raise InboundInvalid({"type": [f"must be one of {list(TYPES)}"]})
    if not isinstance(parsed.get("data"), dict):
        raise InboundInvalid({"data": ["must be an object"]})
    return parsed["type"], parsed["data"]


def _apply(workspace: Workspace, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    if kind == "customer.event":
        try:
            event, new = customer_event_record(workspace=workspace, data=data)
        except EventInvalid as exc:
            raise InboundInvalid({f"data.{k}": v for k, v in exc.fields.items()}) from exc
        return {"event_id": event.pk, "customer_id": event.customer_id, "new_event": new}
    (customer,) = customer_resolve_many(workspace=workspace, refs=[_ref(data)])
    assert customer is not None, "a ref with an identifier always resolves"
    return {"customer_id": customer.pk}


def _ref(data: dict[str, Any]) -> CustomerRef:
    unknown = set(data) - {*REF_FIELDS, "attributes"}
    if unknown:
        raise InboundInvalid({f"data.{sorted(unknown)[0]}": ["is not a customer field"]})
    values: dict[str, str] = {}
    for name, longest in REF_FIELDS.items():
        value = data.get(name) or ""
        if not isinstance(value, str) or len(value) > longest or "\x00" in value:
            raise InboundInvalid(
                {f"data.{name}": [f"must be a string of at most {longest} characters"]}
            )
        values[name] = value.strip()
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, dict) or len(json.dumps(attributes)) > 16_000:
        raise InboundInvalid({"data.attributes": ["must be an object of at most 16,000 bytes"]})
    ref = CustomerRef(
        external_id=values["external_id"],
        email=normalise_email(values["email"]) if values["email"] else "",
        phone=normalise_phone(values["phone"]) if values["phone"] else "",
        name=values["name"],
        attributes=attributes,
    )
    if ref.is_empty:
        raise InboundInvalid({"data.external_id": ["external_id, email or phone is required"]})
    return ref
