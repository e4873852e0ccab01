"""What an outside probe broke: deleted records as duplicate targets, invalid Unicode,
an idempotency key reused with another body."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from soriloop.conftest import Member
from soriloop.feedback import services
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


def call(method: str, path: str, key: str, body=None, **headers):
    kwargs = {"headers": {"Authorization": f"Bearer {key}", **headers}}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(Client(), method)(f"/api/v1{path}", **kwargs)


PERSONAL = {
    "text": "내 전화번호는 010-1234-5678",
    "source": "app",
    "external_id": "r-1",
    "metadata": {"order": "A-1"},
    "customer": {"email": "kim@x.example"},
}


def test_a_deleted_record_is_no_duplicate_target_and_its_text_is_purged(
    alice: Member, key: str, settings
) -> None:
    settings.DELETED_FEEDBACK_RETENTION_DAYS = 0
    first = call("post", "/feedback", key, PERSONAL, **{"Idempotency-Key": "k-1"}).json()
    assert call("delete", f"/feedback/{first['id']}", key).status_code == 204
    deleted = Feedback.objects.get(id=first["id"])
    assert (deleted.text, deleted.metadata, deleted.customer_id) == ("", {}, None)
    assert (deleted.dedup_key, deleted.idempotency_key) == (None, None)

    again = call(
        "post",
        "/feedback",
        key,
        {**PERSONAL, "text": "다시 보냅니다"},
        **{"Idempotency-Key": "k-1"},
    )
    assert again.status_code == 201, again.content
    body = again.json()
    assert body["status"] == "created"
    assert body["id"] != first["id"]
    assert body["text"] == "다시 보냅니다"
    assert "010-1234-5678" not in again.content.decode()
    assert Feedback.objects.filter(deleted_at__isnull=True).count() == 1


def test_bulk_and_imports_do_not_match_deleted_records_either(alice: Member, key: str) -> None:
    items = [{"text": f"t{i}", "source": "shop", "external_id": str(i)} for i in range(2)]
    first = call("post", "/feedback/bulk", key, {"items": items}).json()["results"]
    call("delete", f"/feedback/{first[0]['id']}", key)
    again = call("post", "/feedback/bulk", key, {"items": items}).json()["results"]
    assert [r["status"] for r in again] == ["created", "duplicate"]
    assert again[1]["id"] == first[1]["id"]


def test_with_a_retention_period_the_text_is_purged_once_it_has_passed(
    alice: Member, key: str, settings, time_machine
) -> None:
    settings.DELETED_FEEDBACK_RETENTION_DAYS = 30
    created = call("post", "/feedback", key, PERSONAL).json()
    call("delete", f"/feedback/{created['id']}", key)
    record = Feedback.objects.get(id=created["id"])
    assert record.text == PERSONAL["text"]
    assert record.dedup_key is None
    assert services.feedback_purge_deleted() == 0
    time_machine.move_to(timezone.now() + timezone.timedelta(days=31))
    assert services.feedback_purge_deleted() == 1
    record.refresh_from_db()
    assert (record.text, record.metadata, record.customer_id) == ("", {}, None)
    assert services.feedback_purge_deleted() == 0


LONE = "\ud800"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": f"bad {LONE}"}, "text"),
        ({"text": "x", "source": LONE}, "source"),
        ({"text": "x", "external_id": LONE}, "external_id"),
        ({"text": "x", "touchpoint": LONE}, "touchpoint"),
        ({"text": "x", "metadata": {"k": LONE}}, "metadata"),
        ({"text": "x", "metadata": {LONE: 1}}, "metadata"),
        ({"text": "x", "metadata": {"k": ["a\u0000b"]}}, "metadata"),
        ({"text": "x", "customer": {"name": LONE}}, "customer.name"),
        ({"text": "x", "customer": {"email": f"a{LONE}@x.example"}}, "customer.email"),
        ({"text": "x", "customer": {"attributes": {"k": "\u0000"}}}, "customer.attributes"),
    ],
)
def test_invalid_unicode_is_a_422_naming_the_field(
    alice: Member, key: str, body, field: str
) -> None:
    response = call("post", "/feedback", key, json.dumps(body))
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert Feedback.objects.count() == 0


def test_a_nul_in_text_is_dropped_the_same_way_on_every_database(alice: Member, key: str) -> None:
    response = call("post", "/feedback", key, json.dumps({"text": "a\u0000b", "source": "s\u0000"}))
    assert response.status_code == 201, response.content
    assert (response.json()["text"], response.json()["source"]) == ("ab", "s")


def test_bulk_keeps_the_good_items_around_one_with_invalid_unicode(alice: Member, key: str) -> None:
    items = [{"text": "good one"}, {"text": LONE}, {"text": "good two", "metadata": {"k": "v"}}]
    response = call("post", "/feedback/bulk", key, json.dumps({"items": items}))
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "created"]
    assert "text" in results[1]["error"]["fields"]
    assert Feedback.objects.count() == 2


def test_the_widget_answers_invalid_unicode_with_a_422(alice: Member) -> None:
    cache.clear()
    settings = channel_settings_get(workspace=alice.workspace)
    response = Client().post(
        f"/widget/{settings.widget_key}/feedback",
        data=json.dumps({"text": f"hi {LONE}", "rating": 3}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "text" in response.json()["error"]["fields"]
    assert Feedback.objects.count() == 0


def test_an_idempotency_key_reused_with_another_body_is_a_422(alice: Member, key: str) -> None:
    first = call("post", "/feedback", key, {"text": "one"}, **{"Idempotency-Key": "same"})
    retry = call("post", "/feedback", key, {"text": "one"}, **{"Idempotency-Key": "same"})
    other = call("post", "/feedback", key, {"text": "two"}, **{"Idempotency-Key": "same"})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert other.status_code == 422, other.content
    assert "Idempotency-Key" in other.json()["error"]["fields"]
    assert list(Feedback.objects.values_list("text", flat=True)) == ["one"]


def test_bulk_reports_an_idempotency_key_reused_with_another_body(alice: Member, key: str) -> None:
    items = [{"text": "one", "idempotency_key": "i-1"}, {"text": "two", "idempotency_key": "i-1"}]
    results = call("post", "/feedback/bulk", key, {"items": items}).json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert "idempotency_key" in results[1]["error"]["fields"]
    later = call("post", "/feedback/bulk", key, {"items": [items[0]]})
    assert later.json()["results"][0]["status"] == "duplicate"
