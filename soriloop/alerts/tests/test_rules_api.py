"""The alert rules, alerts and notifications API: happy paths, validation, authentication
and isolation (alice sees hers; bob's key gets 404 or nothing)."""

from __future__ import annotations

import pytest
from django.test import Client

from soriloop.alerts.tests.test_webhooks import call, send_feedback
from soriloop.conftest import Member

pytestmark = pytest.mark.django_db

NEGATIVE_REFUND = "환불이 3주째 안 되고 있어요. 정말 화가 납니다"
RULE = {"name": "Negative refunds", "conditions": {"sentiment": "negative", "topics": ["refund"]}}


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


@pytest.fixture
def bob_key(bob: Member, api_key_of) -> str:
    return api_key_of(bob, "write")


def test_a_rule_is_created_listed_changed_and_deleted(key: str, alice: Member) -> None:
    created = call(
        "post", "/alert-rules", key, {**RULE, "quiet_start": "22:00", "quiet_end": "07:00"}
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["owner_id"] == alice.user.pk and rule["quiet_start"] == "22:00"
    assert call("get", "/alert-rules", key).json()["items"][0]["id"] == rule["id"]
    patched = call(
        "patch", f"/alert-rules/{rule['id']}", key,
        {"muted_until": "2030-01-01T00:00:00Z", "quiet_start": None, "quiet_end": None},
    )  # fmt: skip
    assert patched.status_code == 200, patched.content
    assert (
        patched.json()["muted_until"].startswith("2030-01-01") and not patched.json()["quiet_start"]
    )
    assert call("delete", f"/alert-rules/{rule['id']}", key).status_code == 204
    assert call("get", "/alert-rules", key).json()["items"] == []


def test_invalid_rules_get_the_error_envelope(key: str) -> None:
    unknown = call("post", "/alert-rules", key, {**RULE, "colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"]
    out_of_range = call(
        "post", "/alert-rules", key,
        {"name": "x", "conditions": {"score_kind": "csat", "score_max": 9}},
    )  # fmt: skip
    assert out_of_range.status_code == 422
    assert "conditions.score_max" in out_of_range.json()["error"]["fields"]
    half_quiet = call("post", "/alert-rules", key, {**RULE, "quiet_start": "22:00"})
    assert half_quiet.status_code == 422


def test_a_call_without_a_key_is_refused() -> None:
    assert Client().get("/api/v1/alert-rules").status_code == 401
    assert Client().get("/api/v1/notifications").status_code == 401


def test_a_read_key_cannot_create_a_rule(alice: Member, api_key_of) -> None:
    assert call("post", "/alert-rules", api_key_of(alice, "read"), RULE).status_code == 403


def test_alerts_and_notifications_are_alices_alone(key: str, bob_key: str) -> None:
    rule = call("post", "/alert-rules", key, RULE).json()
    record_id = send_feedback(key, NEGATIVE_REFUND)
    alerts = call("get", "/alerts", key).json()["items"]
    assert alerts[0]["rule_name"] == "Negative refunds"
    assert alerts[0]["records"][0]["id"] == record_id
    notes = call("get", "/notifications", key).json()
    assert notes["unread"] == 1 and len(notes["items"]) == 1
    preview = call("post", f"/alert-rules/{rule['id']}/preview", key).json()
    assert preview["matches"] == 1
    # bob: nothing of alice's
    assert call("get", "/alert-rules", bob_key).json()["items"] == []
    assert call("get", "/alerts", bob_key).json()["items"] == []
    assert call("get", "/notifications", bob_key).json() == {"items": [], "unread": 0}
    assert (
        call("patch", f"/alert-rules/{rule['id']}", bob_key, {"enabled": False}).status_code == 404
    )
    assert call("post", f"/alert-rules/{rule['id']}/preview", bob_key).status_code == 404
    assert call("delete", f"/alert-rules/{rule['id']}", bob_key).status_code == 404
    assert call("post", "/notifications/read", bob_key, {"ids": None}).json() == {"read": 0}
    assert call("post", "/notifications/read", key, {"ids": None}).json() == {"read": 1}
    assert call("get", "/notifications", key).json()["unread"] == 0
