"""The customers API: CRM upsert, search, one profile with its timeline and churn risk, the
subject-access export and erasure, each with its refusals and isolation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from soriloop.accounts import services as accounts
from soriloop.accounts.models import AuditEvent
from soriloop.analysis.models import Enrichment
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add, api, assert_envelope
from soriloop.core.changes import changes_drain
from soriloop.customers.erasure import erasures_run
from soriloop.customers.models import Customer
from soriloop.feedback.models import Feedback
from soriloop.insights.models import Rollup
from soriloop.insights.rollups import rollups_refresh
from soriloop.surveys.suppression import suppression_add, suppression_of

EMAIL = "park.seojun@example.com"


def key_of(member: Member, *, scope: str = "write", personal: bool = True) -> str:
    _key, plaintext = accounts.api_key_create(
        actor=member.membership, name=f"{scope} {personal}", scope=scope, personal_data=personal
    )
    return plaintext


def put(key: str, external_id: str, **body: Any) -> Any:
    return api("put", f"/customers/by-external-id/{external_id}", key, body)


def every_text_holding(needle: str) -> list[str]:
    """The tables where any text or binary value holds ``needle`` (every column of every
    table, the change log, audit log and task results included)."""
    hits = []
    raw = needle.encode()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                texts = [v for v in row if isinstance(v, str)]
                blobs = [bytes(v) for v in row if isinstance(v, bytes | memoryview)]
                if any(needle in v for v in texts) or any(raw in v for v in blobs):
                    hits.append(table)
    return sorted(set(hits))


@pytest.fixture
def key(alice: Member) -> str:
    return key_of(alice)


def test_a_put_creates_the_customer_and_a_second_put_updates_it_merging_attributes(
    key: str,
) -> None:
    first = put(
        key, "crm-1", email=EMAIL, name="박서준", attributes={"plan": "pro", "region": "서울"}
    )
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["external_id"], body["email"], body["name"]) == ("crm-1", EMAIL, "박서준")
    again = put(key, "crm-1", attributes={"plan": "basic", "region": None})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["attributes"] == {"plan": "basic"}, "merged; null removes a key"
    assert again.json()["email"] == EMAIL, "an omitted field is kept"
    same = put(key, "crm-1", attributes={"plan": "basic"})
    assert same.status_code == 200 and same.json()["updated_at"] == again.json()["updated_at"]
    assert Customer.objects.count() == 1


def test_a_put_refuses_a_bad_email_and_one_another_customer_has(key: str) -> None:
    assert_envelope(put(key, "crm-1", email="nope"), 422, "validation_error")
    assert put(key, "crm-1", email=EMAIL).status_code == 201
    error = assert_envelope(put(key, "crm-2", email=EMAIL), 409, "conflict")
    assert "email" in error["fields"]
    assert not Customer.objects.filter(external_id="crm-2").exists()


def test_a_put_needs_a_write_key(alice: Member) -> None:
    assert_envelope(put("", "crm-1", name="x"), 401, "unauthorized")
    read_only = key_of(alice, scope="read")
    assert_envelope(put(read_only, "crm-1", name="x"), 403, "forbidden")


def test_search_finds_korean_names_by_part_emails_and_phones_exactly(key: str) -> None:
    put(key, "crm-1", email=EMAIL, name="박서준", phone="010-1234-5678")
    put(key, "crm-2", email="lee@example.com", name="이민호")
    put(key, "crm-3", name="Kim Minsu")

    def found(q: str) -> list[str]:
        response = api("get", f"/customers?q={q}", key)
        assert response.status_code == 200
        return [c["external_id"] for c in response.json()["items"]]

    assert found("서준") == ["crm-1"]
    assert found("박서준") == ["crm-1"]
    assert found("민") == ["crm-2"], "one letter matches names that have it"
    assert found("minsu") == ["crm-3"]
    assert found(EMAIL.upper()) == ["crm-1"]
    assert found("01012345678") == ["crm-1"]
    assert found("crm-2") == ["crm-2"]
    assert found("park.seo") == [], "an e-mail is found whole (its blind index), not by part"
    assert sorted(found("")) == ["crm-1", "crm-2", "crm-3"]


def test_a_key_without_personal_data_sees_email_and_phone_masked(alice: Member, key: str) -> None:
    put(key, "crm-1", email=EMAIL, phone="010-1234-5678")
    masked = key_of(alice, personal=False)
    item = api("get", "/customers", masked).json()["items"][0]
    assert (item["email"], item["phone"]) == ("p***@example.com", "010-****-5678")
    shown = api("get", "/customers", key).json()["items"][0]
    assert (shown["email"], shown["phone"]) == (EMAIL, "010-1234-5678")
    assert api("get", f"/customers/{item['id']}", masked).json()["email"] == "p***@example.com"
    assert_envelope(api("get", f"/customers/{item['id']}/export", masked), 403, "forbidden")
    record = add(alice, text="전화 주세요", customer={"phone": "+82 10 1234 5678"})
    assert record.customer_id == item["id"]
    on_record = api("get", f"/feedback/{record.pk}", masked).json()["customer"]
    assert on_record["phone"] == "010-****-5678", "the record shows the phone as the profile does"
    assert api("get", f"/feedback/{record.pk}", key).json()["customer"]["phone"] == "010-1234-5678"


def test_the_list_pages_by_id_and_refuses_bad_parameters(key: str) -> None:
    for i in range(3):
        put(key, f"crm-{i}")
    page = api("get", "/customers?limit=2", key).json()
    assert [c["external_id"] for c in page["items"]] == ["crm-2", "crm-1"]
    rest = api("get", f"/customers?limit=2&before={page['next_before']}", key).json()
    assert [c["external_id"] for c in rest["items"]] == ["crm-0"] and rest["next_before"] is None
    assert_envelope(api("get", "/customers?limit=0", key), 422, "validation_error")
    assert_envelope(api("get", "/customers?before=x", key), 422, "validation_error")
    assert_envelope(api("get", "/customers", None), 401, "unauthorized")


def test_the_profile_has_one_timeline_newest_first_and_a_churn_risk_with_reasons(
    alice: Member, key: str
) -> None:
    customer = put(key, "crm-1", email=EMAIL).json()
    event = api(
        "post",
        "/events",
        key,
        {
            "customer": {"external_id": "crm-1"},
            "type": "purchase",
            "occurred_at": "2026-01-05T10:00:00Z",
            "amount": 42000,
        },
    ).json()
    record = add(
        alice, text="환불이 늦어요", customer={"external_id": "crm-1"}, score=3, score_kind="nps"
    )
    profile = api("get", f"/customers/{customer['id']}", key).json()
    kinds = [(item["kind"], item["id"]) for item in profile["timeline"]]
    assert kinds == [("feedback", record.pk), ("event", event["id"])], "newest first"
    assert profile["timeline"][0]["summary"] == "환불이 늦어요"
    risk = profile["churn_risk"]
    assert 0 <= risk["score"] <= 1 and risk["level"] in ("low", "medium", "high")
    assert risk["model"] == "heuristic" and risk["reasons"]
    assert any("NPS" in reason for reason in risk["reasons"]), risk
    older = api("get", f"/customers/{customer['id']}?limit=1", key).json()
    assert [i["kind"] for i in older["timeline"]] == ["feedback"]
    before = older["timeline_next_before"]
    rest = api(
        "get", f"/customers/{customer['id']}?limit=1&before={before.replace('+', '%2B')}", key
    )
    assert [i["kind"] for i in rest.json()["timeline"]] == ["event"]


def test_customer_pages_of_one_workspace_are_not_found_from_another(
    alice: Member, bob: Member, key: str
) -> None:
    customer = put(key, "crm-1", email=EMAIL, name="박서준").json()
    bobs = key_of(bob)
    for path in (f"/customers/{customer['id']}", f"/customers/{customer['id']}/export"):
        assert api("get", path, key).status_code == 200, "alice's control"
        assert_envelope(api("get", path, bobs), 404, "not_found")
    assert [c["id"] for c in api("get", "/customers?q=서준", key).json()["items"]] == [
        customer["id"]
    ]
    assert api("get", "/customers?q=서준", bobs).json()["items"] == []
    assert_envelope(api("delete", f"/customers/{customer['id']}", bobs), 404, "not_found")
    assert Customer.objects.filter(pk=customer["id"]).exists()
    bob_put = put(bobs, "crm-1", email=EMAIL)
    assert bob_put.status_code == 201 and bob_put.json()["id"] != customer["id"], "his own"


def test_the_export_holds_the_profile_consent_feedback_texts_events_and_answers(
    alice: Member, key: str
) -> None:
    customer = put(key, "crm-1", email=EMAIL, name="박서준").json()
    api("post", "/events", key, {"customer": {"external_id": "crm-1"}, "type": "visit"})
    first = add(alice, text="배송이 늦어요", customer={"external_id": "crm-1"})
    second = add(alice, text="thanks for the refund", customer={"external_id": "crm-1"})
    body = api("get", f"/customers/{customer['id']}/export", key).json()
    assert body["profile"]["email"] == EMAIL and body["consent"] == {}
    assert {r["id"]: r["text"] for r in body["feedback"]} == {
        first.pk: "배송이 늦어요",
        second.pk: "thanks for the refund",
    }
    assert [e["type"] for e in body["events"]] == ["visit"]
    assert body["survey_answers"] == [] and len(body["timeline"]) == 3


def test_erasure_leaves_no_trace_of_the_email_and_recounts_the_rollups(
    alice: Member, key: str
) -> None:
    customer = put(key, "crm-1", email=EMAIL, phone="010-9876-5432").json()
    api("post", "/events", key, {"customer": {"external_id": "crm-1"}, "type": "purchase"})
    kept = add(alice, text="someone else's note", customer={"email": "other@example.com"})
    mine = add(alice, text=f"제 이메일은 {EMAIL} 입니다", customer={"email": EMAIL})
    suppression_add(workspace_id=alice.workspace.pk, address=EMAIL, reason="unsubscribed")
    while analysis_run_batch(owner="t"):
        pass
    changes_drain()
    rollups_refresh()
    assert Enrichment.objects.filter(feedback=mine).exists()
    counted = Rollup.objects.filter(workspace=alice.workspace, level=0).aggregate(n=Sum("n"))["n"]
    assert every_text_holding(EMAIL), "the control: the e-mail is stored somewhere before"

    response = api("delete", f"/customers/{customer['id']}", key)
    assert response.status_code == 200, response.content
    assert response.json()["erased"] is True
    changes_drain()
    rollups_refresh()

    assert every_text_holding(EMAIL) == []
    assert every_text_holding("01098765432") == []
    assert_envelope(api("get", f"/customers/{customer['id']}", key), 404, "not_found")
    assert (
        Feedback.objects.get(pk=mine.pk).text == ""
        and not Enrichment.objects.filter(feedback=mine).exists()
    )
    assert Feedback.objects.get(pk=kept.pk).text == "someone else's note"
    after = Rollup.objects.filter(workspace=alice.workspace, level=0).aggregate(n=Sum("n"))["n"]
    assert after < counted, (counted, after)
    assert suppression_of(workspace_id=alice.workspace.pk, address=EMAIL) is not None, (
        "still suppressed"
    )
    audit = AuditEvent.objects.get(action="customer.erased")
    assert audit.target == f"customer {customer['id']}" and EMAIL not in str(audit.data)


def test_a_large_erasure_is_a_job_the_worker_finishes(alice: Member, key: str, settings) -> None:
    settings.ERASURE_SYNC_LIMIT = 1
    customer = put(key, "crm-1", email=EMAIL).json()
    for text in ("one", "two"):
        add(alice, text=text, customer={"external_id": "crm-1"})
    response = api("delete", f"/customers/{customer['id']}", key)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["state"] == "pending"
    assert api("delete", f"/customers/{customer['id']}", key).json()["id"] == job["id"], "one job"
    assert api("get", f"/customers/{customer['id']}", key).status_code == 200, "not yet"
    assert erasures_run(owner="t") == 1
    done = api("get", f"/customer-erasures/{job['id']}", key).json()
    assert done["state"] == "done" and done["rows"] >= 3
    assert_envelope(api("get", f"/customers/{customer['id']}", key), 404, "not_found")
    assert every_text_holding(EMAIL) == []


def test_an_erasure_job_is_not_found_from_another_workspace(
    alice: Member, bob: Member, key: str, settings
) -> None:
    settings.ERASURE_SYNC_LIMIT = 0
    customer = put(key, "crm-1", email=EMAIL).json()
    add(alice, text="one", customer={"external_id": "crm-1"})
    job = api("delete", f"/customers/{customer['id']}", key).json()
    assert api("get", f"/customer-erasures/{job['id']}", key).status_code == 200
    assert_envelope(api("get", f"/customer-erasures/{job['id']}", key_of(bob)), 404, "not_found")


def test_the_timeline_orders_events_by_when_they_happened(key: str) -> None:
    customer = put(key, "crm-1").json()
    for day in (3, 1, 2):
        api(
            "post",
            "/events",
            key,
            {
                "customer": {"external_id": "crm-1"},
                "type": "visit",
                "occurred_at": f"2026-02-0{day}T00:00:00Z",
            },
        )
    timeline = api("get", f"/customers/{customer['id']}", key).json()["timeline"]
    days = [dt.datetime.fromisoformat(i["at"]).day for i in timeline]
    assert days == [3, 2, 1]
