"""POST/GET/PATCH/DELETE /api/v1/feedback, bulk, dedup, idempotency, isolation."""

import json

import pytest
from django.core import mail
from django.test import Client

from soriloop.accounts.models import AuditEvent
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member
from soriloop.customers.models import Customer
from soriloop.feedback.models import Feedback


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


def call(method: str, path: str, key: str, body=None, **headers):
    kwargs = {"headers": {"Authorization": f"Bearer {key}", **headers}}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(Client(), method)(f"/api/v1{path}", **kwargs)


def test_posting_feedback_stores_it_and_answers_201(alice: Member, key: str) -> None:
    response = call(
        "post",
        "/feedback",
        key,
        {
            "text": "  배송이   너무 늦어요 ㅠㅠ  ",
            "score": 2,
            "score_kind": "csat",
            "source": "app",
            "external_id": "r-1",
            "touchpoint": "delivery",
            "metadata": {"order": "A-100"},
            "customer": {"external_id": "c-9", "email": "Kim@Example.com", "name": "김민수"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "created"
    record = Feedback.objects.get(id=body["id"])
    assert record.workspace == alice.workspace
    assert record.text == "배송이 너무 늦어요 ㅠㅠ"
    assert record.channel == "api"
    assert record.analysis_state == "pending"
    assert record.customer.email == "kim@example.com"
    assert body["customer"]["name"] == "김민수"
    assert body["metadata"] == {"order": "A-100"}


def test_the_same_source_and_external_id_is_stored_once(alice: Member, key: str) -> None:
    first = call("post", "/feedback", key, {"text": "hello", "source": "app", "external_id": "x1"})
    again = call(
        "post", "/feedback", key, {"text": "hello again", "source": "app", "external_id": "x1"}
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["id"] == first.json()["id"]
    other = call("post", "/feedback", key, {"text": "hello", "source": "web", "external_id": "x1"})
    assert other.status_code == 201
    assert Feedback.objects.count() == 2


def test_an_idempotency_key_makes_a_retry_safe(alice: Member, key: str) -> None:
    first = call("post", "/feedback", key, {"text": "retry me"}, **{"Idempotency-Key": "abc-123"})
    again = call("post", "/feedback", key, {"text": "retry me"}, **{"Idempotency-Key": "abc-123"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert Feedback.objects.count() == 1


def test_received_at_and_day_follow_the_workspace_zone(alice: Member, key: str) -> None:
    response = call(
        "post", "/feedback", key, {"text": "late night", "received_at": "2026-03-01T23:30:00"}
    )
    record = Feedback.objects.get(id=response.json()["id"])
    assert record.received_at.isoformat() == "2026-03-01T14:30:00+00:00"  # Asia/Seoul is +9
    assert record.day.isoformat() == "2026-03-01"
    response = call(
        "post", "/feedback", key, {"text": "utc", "received_at": "2026-03-01T20:00:00Z"}
    )
    assert response.json()["day"] == "2026-03-02"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "", "score": None}, "text"),
        ({}, "text"),
        ({"text": "x", "score": 11, "score_kind": "nps"}, "score"),
        ({"text": "x", "score": 0, "score_kind": "csat"}, "score"),
        ({"text": "x", "score": 3.5, "score_kind": "nps"}, "score"),
        ({"text": "x", "score": 3}, "score_kind"),
        ({"text": "x", "score": 3, "score_kind": "smiles"}, "score_kind"),
        ({"text": "x", "colour": "red"}, "colour"),
        ({"text": 42}, "text"),
        ({"text": "x" * 20_001}, "text"),
        ({"text": "x", "channel": "pigeon"}, "channel"),
        ({"text": "x", "received_at": "yesterday"}, "received_at"),
        ({"text": "x", "received_at": "2999-01-01T00:00:00Z"}, "received_at"),
        ({"text": "x", "customer": {"email": "not-an-email"}}, "customer.email"),
        ({"text": "x", "customer": {"shoe_size": 42}}, "customer.shoe_size"),
        ({"text": "x", "metadata": "nope"}, "metadata"),
    ],
)
def test_bad_feedback_gets_a_4xx_naming_the_field(
    alice: Member, key: str, body, field: str
) -> None:
    response = call("post", "/feedback", key, body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert Feedback.objects.count() == 0


def test_malformed_json_and_oversized_bodies_are_refused(alice: Member, key: str, settings) -> None:
    response = call("post", "/feedback", key, '{"text": "unterminated')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    response = call("post", "/feedback", key, b'{"text": "\xff\xfe"}')
    assert response.status_code == 400
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = call("post", "/feedback", key, {"text": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_score_alone_is_enough(alice: Member, key: str) -> None:
    response = call("post", "/feedback", key, {"score": 9, "score_kind": "nps"})
    assert response.status_code == 201
    assert response.json()["score"] == 9


def test_bulk_keeps_good_items_and_reports_bad_ones(alice: Member, key: str) -> None:
    items = [{"text": f"item {i}", "source": "bulk", "external_id": str(i)} for i in range(10)]
    items[3] = {"text": "x", "score": 99, "score_kind": "nps"}
    items[7] = {"score": None}
    items.append({"text": "item 1 again", "source": "bulk", "external_id": "1"})
    response = call("post", "/feedback/bulk", key, {"items": items})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "created",
        "created",
        "error",
        "created",
        "created",
        "created",
        "error",
        "created",
        "created",
        "duplicate",
    ]
    assert results[3]["error"]["fields"]["score"]
    assert results[7]["error"]["fields"]["text"]
    assert results[10]["id"] == results[1]["id"]
    assert Feedback.objects.count() == 8
    again = call("post", "/feedback/bulk", key, {"items": items[:3]}).json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 3


def test_bulk_refuses_more_than_ten_thousand_items(alice: Member, key: str) -> None:
    response = call("post", "/feedback/bulk", key, {"items": [{"text": "x"}] * 10_001})
    assert response.status_code == 413
    assert Feedback.objects.count() == 0


def test_bulk_links_customers_once(alice: Member, key: str) -> None:
    items = [{"text": f"t{i}", "customer": {"email": "same@x.example"}} for i in range(5)]
    items += [{"text": "by phone", "customer": {"phone": "+82 10-1234-5678"}}]
    call("post", "/feedback/bulk", key, {"items": items})
    assert Customer.objects.filter(workspace=alice.workspace).count() == 2
    assert Customer.objects.with_email("same@x.example").get().feedback.count() == 5
    assert Customer.objects.with_phone("01012345678").exists()


def test_list_filters_and_pages_with_a_cursor(alice: Member, key: str) -> None:
    for i in range(7):
        call(
            "post",
            "/feedback",
            key,
            {
                "text": f"리뷰 {i} {'배송' if i % 2 else '가격'}",
                "score": i % 5 + 1,
                "score_kind": "stars",
                "channel": "review" if i < 4 else "api",
                "received_at": f"2026-02-0{i + 1}T10:00:00",
            },
        )
    page = call("get", "/feedback?limit=3", key).json()
    assert [r["text"][:4] for r in page["items"]] == ["리뷰 6", "리뷰 5", "리뷰 4"]
    seen = [r["id"] for r in page["items"]]
    while page["next_cursor"]:
        page = call("get", f"/feedback?limit=3&cursor={page['next_cursor']}", key).json()
        seen += [r["id"] for r in page["items"]]
    assert len(seen) == len(set(seen)) == 7
    assert len(call("get", "/feedback?channel=review", key).json()["items"]) == 4
    analysis_run_batch(owner="t")  # a key without personal data searches the masked text
    assert len(call("get", "/feedback?q=배송", key).json()["items"]) == 3
    only = call("get", "/feedback?date_from=2026-02-02&date_to=2026-02-03&score_min=2", key).json()
    assert [r["text"][:4] for r in only["items"]] == ["리뷰 2", "리뷰 1"]
    bad = call("get", "/feedback?date_from=someday&channel=pigeon", key)
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"date_from", "channel"}
    assert call("get", "/feedback?cursor=garbage!!", key).status_code == 422


def test_patch_changes_metadata_and_touchpoint_only(alice: Member, key: str) -> None:
    created = call("post", "/feedback", key, {"text": "x", "metadata": {"a": 1, "b": 2}}).json()
    response = call(
        "patch",
        f"/feedback/{created['id']}",
        key,
        {"metadata": {"b": None, "c": 3}, "touchpoint": "checkout"},
    )
    assert response.status_code == 200
    assert response.json()["metadata"] == {"a": 1, "c": 3}
    assert response.json()["touchpoint"] == "checkout"
    refused = call("patch", f"/feedback/{created['id']}", key, {"text": "rewritten"})
    assert refused.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"touchpoint": "x" * 121}, "touchpoint"),
        ({"touchpoint": "\ud800"}, "touchpoint"),
        ({"metadata": {"k": "a\u0000b"}}, "metadata"),
        ({"metadata": {"k": ["\ud800"]}}, "metadata"),
        ({"metadata": {"b": "y" * 9_000}}, "metadata"),  # 16 KB once merged with "a"
    ],
)
def test_a_bad_change_is_a_422_naming_the_field_and_changes_nothing(
    alice: Member, key: str, body, field: str
) -> None:
    created = call("post", "/feedback", key, {"text": "x", "metadata": {"a": "x" * 9_000}}).json()
    response = call("patch", f"/feedback/{created['id']}", key, json.dumps(body))
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    record = Feedback.objects.get(id=created["id"])
    assert (record.touchpoint, record.metadata) == ("", {"a": "x" * 9_000})


def test_delete_is_soft_audited_and_hides_the_record(alice: Member, key: str) -> None:
    created = call("post", "/feedback", key, {"text": "remove me"}).json()
    assert call("delete", f"/feedback/{created['id']}", key).status_code == 204
    assert call("get", f"/feedback/{created['id']}", key).status_code == 404
    assert call("get", "/feedback", key).json()["items"] == []
    assert Feedback.objects.get(id=created["id"]).deleted_at is not None
    assert AuditEvent.objects.filter(action="feedback.deleted").exists()


def test_a_read_key_cannot_post(alice: Member, api_key_of) -> None:
    response = call("post", "/feedback", api_key_of(alice, "read"), {"text": "x"})
    assert response.status_code == 403
    assert Feedback.objects.count() == 0


def test_unauthenticated_calls_are_refused(db: None) -> None:
    assert (
        Client().post("/api/v1/feedback", data="{}", content_type="application/json").status_code
        == 401
    )
    assert Client().get("/api/v1/feedback").status_code == 401


def test_bob_cannot_read_change_or_delete_alices_feedback(
    alice: Member, bob: Member, key: str, api_key_of, assert_only_alice_sees, assert_hidden_from_bob
) -> None:
    created = call(
        "post", "/feedback", key, {"text": "alice's secret", "source": "s", "external_id": "e"}
    ).json()
    url = f"/api/v1/feedback/{created['id']}"
    assert_only_alice_sees(url, "alice's secret", api=True, bob_status=404)
    listed = assert_only_alice_sees("/api/v1/feedback", "alice's secret", api=True)
    assert json.loads(listed)["items"] == []
    assert_hidden_from_bob("patch", url, {"touchpoint": "x"}, api=True)
    assert_hidden_from_bob("delete", url, api=True)
    assert Feedback.objects.get(id=created["id"]).touchpoint == ""
    assert Feedback.objects.get(id=created["id"]).deleted_at is None
    # the same source + external id in bob's workspace is bob's own record, not a duplicate
    bob_key = api_key_of(bob, "write")
    mine = call("post", "/feedback", bob_key, {"text": "bob's", "source": "s", "external_id": "e"})
    assert mine.status_code == 201
    assert Feedback.objects.get(id=created["id"]).text == "alice's secret"
    # the same changes from alice's key do what bob's could not
    assert call("patch", url[len("/api/v1") :], key, {"touchpoint": "x"}).status_code == 200
    assert Feedback.objects.get(id=created["id"]).touchpoint == "x"
    assert call("delete", url[len("/api/v1") :], key).status_code in (200, 204)
    assert Feedback.objects.get(id=created["id"]).deleted_at is not None


def test_widget_and_email_senders_with_an_address_get_a_reply(
    alice: Member, key: str, run_tasks
) -> None:
    call(
        "post",
        "/feedback",
        key,
        {"text": "앱이 자꾸 꺼져요", "channel": "widget", "customer": {"email": "user@x.example"}},
    )
    call("post", "/feedback", key, {"text": "no address", "channel": "widget"})
    call(
        "post",
        "/feedback",
        key,
        {"text": "api is not acknowledged by mail", "customer": {"email": "api@x.example"}},
    )
    assert run_tasks() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["user@x.example"]
    assert "의견" in message.subject
    assert "> 앱이 자꾸 꺼져요" in message.body
    assert run_tasks() == 0
