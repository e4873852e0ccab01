"""The signed inbound webhook: a CRM's calls signed with the standardwebhooks signer upsert
customers and record events once per webhook-id; unsigned, stale or foreign-signed calls are
refused; closed and listed per workspace."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook

from soriloop.conftest import Member, api, assert_envelope
from soriloop.customers.models import Customer, CustomerEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(alice: Member, api_key_of) -> dict[str, Any]:
    created = api("post", "/inbound-webhooks", api_key_of(alice, "write"), {"description": "CRM"})
    assert created.status_code == 201, created.content
    return created.json()


def send(door: dict[str, Any], body: dict[str, Any], *, msg_id: str = "msg_1", secret=None,
         at: dt.datetime | None = None) -> Any:  # fmt: skip
    raw = json.dumps(body)
    at = at or dt.datetime.now(dt.UTC)
    signature = Webhook(secret or door["secret"]).sign(msg_id, at, raw)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
    return Client().post(
        f"/api/v1/inbound/{door['id']}", raw, content_type="application/json", headers=headers
    )


UPSERT = {
    "type": "customer.upsert",
    "data": {"external_id": "crm-7", "email": "Mina@Example.com", "name": "민아",
             "attributes": {"segment": "vip"}},
}  # fmt: skip


def test_a_signed_upsert_creates_the_customer_once_per_webhook_id(
    alice: Member, door: dict[str, Any]
) -> None:
    first = send(door, UPSERT)
    assert first.status_code == 200, first.content
    customer = Customer.objects.get(workspace=alice.workspace, external_id="crm-7")
    assert first.json() == {
        "type": "customer.upsert",
        "duplicate": False,
        "customer_id": customer.pk,
    }
    assert customer.email == "mina@example.com" and customer.attributes["segment"] == "vip"
    again = send(door, UPSERT)
    assert again.json()["duplicate"] is True and again.json()["customer_id"] == customer.pk
    other = send(door, {**UPSERT, "data": {"email": "mina@example.com", "phone": "010-1234-5678"}},
                 msg_id="msg_2")  # fmt: skip
    assert other.json()["customer_id"] == customer.pk  # found by e-mail
    assert Customer.objects.filter(workspace=alice.workspace).count() == 1


def test_a_signed_event_is_recorded_for_its_customer(alice: Member, door: dict[str, Any]) -> None:
    body = {"type": "customer.event",
            "data": {"customer": {"external_id": "crm-7"}, "type": "purchase_completed",
                     "amount": 39000, "id": "order-1"}}  # fmt: skip
    answer = send(door, body)
    assert answer.status_code == 200, answer.content
    event = CustomerEvent.objects.get(workspace=alice.workspace)
    assert answer.json()["event_id"] == event.pk and event.type == "purchase_completed"
    bad = send(door, {**body, "data": {"type": "purchase_completed"}}, msg_id="msg_3")
    assert "data.customer" in assert_envelope(bad, 422, "validation_error")["fields"]


def test_unsigned_stale_or_foreign_calls_are_refused_and_change_nothing(
    alice: Member, bob: Member, door: dict[str, Any], api_key_of
) -> None:
    theirs = api("post", "/inbound-webhooks", api_key_of(bob, "write"), {}).json()
    assert send(door, UPSERT, secret=theirs["secret"]).status_code == 401
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    assert send(door, UPSERT, at=stale).status_code == 401
    unsigned = Client().post(
        f"/api/v1/inbound/{door['id']}", json.dumps(UPSERT), content_type="application/json",
        headers={"webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "garbage"},
    )  # fmt: skip
    assert_envelope(unsigned, 401, "unauthorized")
    assert not Customer.objects.exists()
    # bob's door, signed with his secret, lands in his workspace only
    assert send(theirs, UPSERT).status_code == 200
    assert Customer.objects.get().workspace_id == bob.workspace.pk


def test_inbound_webhooks_are_listed_and_closed_per_workspace(
    alice: Member, bob: Member, door: dict[str, Any], api_key_of
) -> None:
    mine, theirs = api_key_of(alice, "write"), api_key_of(bob, "write")
    listed = api("get", "/inbound-webhooks", mine).json()["items"]
    assert [d["id"] for d in listed] == [door["id"]] and listed[0]["secret"] is None
    assert api("get", "/inbound-webhooks", theirs).json()["items"] == []
    assert api("delete", f"/inbound-webhooks/{door['id']}", theirs).status_code == 404
    assert api("delete", f"/inbound-webhooks/{door['id']}", mine).status_code == 204
    assert send(door, UPSERT).status_code == 404


def test_an_admin_opens_an_inbound_webhook_after_a_demotion_the_key_may_not(
    member_of_a, api_key_of
) -> None:
    admin = member_of_a("admin")
    key = api_key_of(admin, "write")
    assert api("post", "/inbound-webhooks", key, {"description": 5}).status_code == 422
    admin.membership.role = "agent"
    admin.membership.save()
    assert_envelope(api("post", "/inbound-webhooks", key, {}), 403, "forbidden")
    assert Client().get("/api/v1/inbound-webhooks").status_code == 401
