"""Schemathesis over the whole API, in the suite: the server and its description agree.

Every check runs, on a bounded number of examples with a fixed seed, so the run is the same
each time: no 5xx, the documented status codes and response schemas, every request the
description calls valid accepted and every one it calls invalid refused.

JSON Schema cannot state three rules, so no description can: a `received_at` more than a
day ahead of the server's clock (the schema is static; the clock is not), a `date_to` before
`date_from` and a metrics period with more buckets than `METRICS_MAX_POINTS` at its grain
(both compare two parameters, and a parameter's schema sees only itself). A case that
breaks one of them is not held to *positive data acceptance*; instead it must be the 422
naming that field, and every other check still runs on it. The operation descriptions say
each rule in words. So do the limits measured on what the server stores rather than on what
was sent (metadata's bytes as JSON, lengths once Unicode is normalised), which the examples
never come near. Refusing more than 10,000 bulk items is a 413, which counts as a rejection.

Some bodies have rules across their fields or beyond the request (``CROSS_FIELD``): a survey's
questions (a text in every language of the survey, choices for a choice question, ``show_if``
naming an earlier question, keys used once), a webhook's URL (it must resolve to a public
address: DNS, not a schema), an event's customer (at least one identifier), a contact rule (quiet hours that start and end
at different times, a limit that fits its window), an alert rule (a score range within its kind's
scale, quiet hours with both ends, recipients who are members, a Slack URL that resolves to a
public address; an aggregate rule with its measure and no record conditions), an inbound
webhook's call (signed with its secret, which no generated case knows). Their schemas
state every rule of each field; a case they call valid may still be refused, and then it
must be a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from soriloop.api import api
from soriloop.conftest import Member, make_member
from soriloop.core.fields import parse_day
from soriloop.feedback.filters import FeedbackFilter
from soriloop.feedback.validation import parse_datetime
from soriloop.insights.selectors import period_get, series_length

REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
)
# The description as the app serves it, read without a request; the cases go to a live
# server over loopback, as a client's would (the app and its database connections as served).
schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(path_prefix="/api/v1"), config=CONFIG
)


# Schemathesis adds the key to every case but those that test a request without one; some
# cases are made before the test's key exists, so they carry this stand-in, swapped below.
STAND_IN = "sl_the-key-of-the-running-test"


class _Key:
    def get(self, case: Any, context: Any) -> str:
        return STAND_IN

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


schema.auth(refresh_interval=None, retry_on=[])(_Key)


@pytest.fixture
def workspace_key(live_server: Any) -> tuple[Member, str]:
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
    return alice, plaintext


CROSS_FIELD = {
    ("POST", "/api/v1/surveys"),
    ("PATCH", "/api/v1/surveys/{survey_id}"),
    ("POST", "/api/v1/webhooks"),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"),
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/surveys/{survey_id}/campaigns"),
    ("POST", "/api/v1/surveys/{survey_id}/triggers"),
    ("POST", "/api/v1/surveys/{survey_id}/invitations"),
    ("PUT", "/api/v1/survey-settings"),
    ("PUT", "/api/v1/surveys/{survey_id}/fatigue"),
    ("POST", "/api/v1/alert-rules"),
    ("PATCH", "/api/v1/alert-rules/{rule_id}"),
    ("POST", "/api/v1/inbound/{inbound_id}"),
    ("POST", "/api/v1/cases"),  # records of this workspace, in no case yet
    ("PATCH", "/api/v1/cases/{case_id}"),  # status moves; an override needs its reason
    ("POST", "/api/v1/cases/{case_id}/replies"),  # the customer needs an address
    ("POST", "/api/v1/case-rules"),  # at least one condition; score bounds of its kind
    ("POST", "/api/v1/teams"),  # members of the workspace, a name not taken
    ("GET", "/api/v1/loop/metrics"),  # end not before start
    ("POST", "/api/v1/routing-rules"),  # at least one condition; a team of this workspace
    ("PUT", "/api/v1/loop/settings"),  # each working period ends after it starts
    ("GET", "/api/v1/metrics/retention"),
    ("POST", "/api/v1/segments"),
}


def _cross_field(case: Any) -> bool:
    return (case.method.upper(), case.operation.path) in CROSS_FIELD


def _beyond_a_schema(case: Any, alice: Member) -> str:
    """The field a valid-looking case breaks a rule no JSON Schema can state in, or ""."""
    body = case.body if isinstance(case.body, dict) else {}
    moment = body.get("received_at") if case.path == "/api/v1/feedback" else None
    if isinstance(moment, str):
        parsed = parse_datetime(moment, ZoneInfo(alice.workspace.timezone))
        if parsed and parsed > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            return "received_at"
    if case.method != "GET" or case.path not in ("/api/v1/feedback", "/api/v1/metrics"):
        return ""
    query = case.query or {}
    first, last = (parse_day(str(query.get(name, ""))) for name in ("date_from", "date_to"))
    if first and last and first > last:
        return "date_to"
    if case.path != "/api/v1/metrics":
        return ""
    period = period_get(
        workspace=alice.workspace, filters=FeedbackFilter(date_from=first, date_to=last)
    )
    points = series_length(period=period, grain=str(query.get("grain", "day")))
    return "grain" if points > django_settings.METRICS_MAX_POINTS else ""


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_description(
    case: Any, workspace_key: tuple[Member, str], live_server: Any
) -> None:
    alice, plaintext = workspace_key
    if (case.headers or {}).get("Authorization") == f"Bearer {STAND_IN}":
        case.headers["Authorization"] = f"Bearer {plaintext}"
    beyond = _beyond_a_schema(case, alice)
    across = _cross_field(case)
    response = case.call_and_validate(
        base_url=live_server.url,
        excluded_checks=[positive_data_acceptance] if beyond or across else [],
    )
    positive = case.meta.generation.mode.is_positive
    if across and positive and response.status_code == 422:
        assert response.json()["error"]["fields"], response.text
    if beyond and positive:
        assert response.status_code == 422, response.text
        assert beyond in response.json()["error"]["fields"], response.text
