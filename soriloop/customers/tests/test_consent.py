"""Consent per customer and purpose, recorded with its source and time (the survey outbox
honouring it: surveys/tests/test_consent.py)."""

from __future__ import annotations

import datetime as dt

from soriloop.accounts import services as accounts
from soriloop.conftest import Member, api, assert_envelope
from soriloop.customers.models import Customer


def test_consent_is_recorded_per_purpose_with_its_source(alice: Member, bob: Member) -> None:
    key = accounts.api_key_create(actor=alice.membership, name="k", scope="write")[1]
    customer = api("put", "/customers/by-external-id/c-1", key, {"name": "김"}).json()
    body = {"purpose": "marketing", "granted": False, "source": "call centre"}
    done = api("put", f"/customers/{customer['id']}/consent", key, body)
    assert done.status_code == 200, done.content
    consent = done.json()["consent"]["marketing"]
    assert (consent["granted"], consent["source"]) == (False, "call centre")
    assert dt.datetime.fromisoformat(consent["at"]).tzinfo is not None
    error = assert_envelope(
        api("put", f"/customers/{customer['id']}/consent", key, {**body, "purpose": "x"}),
        422,
        "validation_error",
    )
    assert "purpose" in error["fields"]
    bobs = accounts.api_key_create(actor=bob.membership, name="k", scope="write")[1]
    assert_envelope(
        api("put", f"/customers/{customer['id']}/consent", bobs, body), 404, "not_found"
    )
    assert Customer.objects.get(pk=customer["id"]).consent["marketing"]["granted"] is False
