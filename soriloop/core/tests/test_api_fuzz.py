"""Schemathesis over the whole API, in the suite: zero 5xx and zero schema violations.

Every check runs but two, on a bounded number of examples with a fixed seed, so the run is
the same each time and takes under a minute per database. Left out: *positive data
acceptance* and *negative data rejection*, which fail where the API's rules are stricter or
looser than an OpenAPI schema can say (text or a score required; a real time zone; a page
limit of 1-500; unknown query parameters ignored): each such request is answered with a
documented 422 and the error envelope, which the status-code and schema checks do hold.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from soriloop.api import api
from soriloop.conftest import Member, make_member

# The description as the app serves it, read without a request; the cases go to a live
# server over loopback, as a client's would (the app and its database connections as served).
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))


@pytest.fixture
def bearer(live_server: Any) -> str:
    from soriloop.accounts import services

    alice: Member = make_member("fuzz@a.example", None)
    _key, plaintext = services.api_key_create(actor=alice.membership, name="fuzz", scope="write")
    body = {"text": "배송이 늦어요", "score": 2, "score_kind": "csat"}
    Client().post(
        "/api/v1/feedback",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    return plaintext


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_description(case: Any, bearer: str, live_server: Any) -> None:
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {bearer}"},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
