"""Segments: each operator against hand-made customers, AND/OR groups, time windows under a
controlled clock, membership kept current by the change log, the timeline, the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from soriloop.accounts import services as accounts
from soriloop.analysis.models import Enrichment
from soriloop.conftest import Member, add, api, assert_envelope
from soriloop.core.changes import changes_drain
from soriloop.customers.models import Customer, CustomerEvent, Segment, SegmentMember
from soriloop.customers.segments import (
    SegmentInvalid,
    rules_check,
    segment_create,
    segment_evaluate,
    segments_refresh_due,
)
from soriloop.customers.services import CustomerRef, customer_resolve_many


def people(member: Member, **attributes: dict[str, Any]) -> dict[str, Customer]:
    refs = [CustomerRef(external_id=name, attributes=attrs) for name, attrs in attributes.items()]
    found = customer_resolve_many(workspace=member.workspace, refs=refs)
    return {c.external_id: c for c in found if c is not None}  # type: ignore[misc]


def matching(member: Member, rules: dict[str, Any], now: dt.datetime | None = None) -> set[str]:
    segment = Segment(workspace=member.workspace, name="t", rules=rules)
    customers = list(Customer.objects.filter(workspace=member.workspace))
    ids = segment_evaluate(segment=segment, customers=customers, now=now)
    return {c.external_id for c in customers if c.pk in ids}  # type: ignore[misc]


def event(c: Customer, type: str, at: dt.datetime) -> None:
    CustomerEvent.objects.create(workspace_id=c.workspace_id, customer=c, type=type, occurred_at=at)


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "pro", {"a"}),
        ("ne", "pro", {"b", "c", "d"}),
        ("in", ["pro", "basic"], {"a", "b"}),
        ("contains", "as", {"b"}),
        ("exists", None, {"a", "b", "c"}),
        ("missing", None, {"d"}),
    ],
)
def test_each_text_operator_on_an_attribute(
    alice: Member, op: str, value: Any, expected: set[str]
) -> None:
    people(alice, a={"plan": "pro"}, b={"plan": "basic"}, c={"plan": "free"}, d={})
    assert matching(alice, {"attribute": "plan", "op": op, "value": value}) == expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("gt", 30, {"c"}), ("gte", 30, {"b", "c"}), ("lt", 30, {"a"}), ("lte", 30, {"a", "b"})],
)
def test_each_number_operator_and_a_text_is_no_number(
    alice: Member, op: str, value: int, expected: set[str]
) -> None:
    people(alice, a={"age": 20}, b={"age": 30}, c={"age": 40}, d={"age": "forty"}, e={})
    assert matching(alice, {"attribute": "age", "op": op, "value": value}) == expected


def test_all_is_and_any_is_or_and_groups_nest(alice: Member) -> None:
    people(
        alice,
        a={"plan": "pro", "region": "서울"},
        b={"plan": "pro", "region": "부산"},
        c={"plan": "free", "region": "서울"},
        d={"plan": "free", "region": "대구"},
    )
    pro = {"attribute": "plan", "op": "eq", "value": "pro"}
    seoul = {"attribute": "region", "op": "eq", "value": "서울"}
    daegu = {"attribute": "region", "op": "eq", "value": "대구"}
    assert matching(alice, {"all": [pro, seoul]}) == {"a"}
    assert matching(alice, {"any": [pro, seoul]}) == {"a", "b", "c"}
    assert matching(alice, {"any": [{"all": [pro, seoul]}, daegu]}) == {"a", "d"}


def test_event_counts_in_a_window_move_with_the_clock(alice: Member, time_machine) -> None:
    start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    found = people(alice, buyer={}, lapsed={}, never={})
    for days in (5, 10, 20):
        event(found["buyer"], "purchase", start - dt.timedelta(days=days))
    event(found["lapsed"], "purchase", start - dt.timedelta(days=50))
    no_purchase = {"event": "purchase", "op": "eq", "value": 0, "within_days": 60}
    three_orders = {"event": "purchase", "op": "gte", "value": 3}
    assert matching(alice, no_purchase) == {"never"}
    assert matching(alice, three_orders) == {"buyer"}
    later = start + dt.timedelta(days=15)
    assert matching(alice, no_purchase, now=later) == {"never", "lapsed"}, "the window moved"
    assert matching(alice, {**three_orders, "within_days": 12}) == set(), "two in 12 days"


def test_feedback_conditions_count_detractors_and_negative_records_about_a_topic(
    alice: Member,
) -> None:
    people(alice, angry={}, happy={})
    now = timezone.now()
    add(alice, score=3, score_kind="nps", customer={"external_id": "angry"})
    add(alice, score=10, score_kind="nps", customer={"external_id": "happy"})
    old = (now - dt.timedelta(days=120)).isoformat()
    add(alice, score=2, score_kind="nps", customer={"external_id": "happy"}, received_at=old)
    detractor = {"feedback": "detractor", "op": "gte", "value": 1, "within_days": 90}
    assert matching(alice, detractor) == {"angry"}
    assert matching(alice, {**detractor, "within_days": 365}) == {"angry", "happy"}
    for text in ("배송이 늦어요", "배송 최악"):
        record = add(alice, text=text, customer={"external_id": "angry"})
        Enrichment.objects.create(
            feedback=record, workspace=alice.workspace, sentiment_label="negative",
            sentiment_score=-0.8, sentiment_confidence=0.9, model_version="t", topic_keys="|delivery|",
        )  # fmt: skip
    twice = {"feedback": "negative", "topic": "delivery", "op": "gte", "value": 2}
    assert matching(alice, twice) == {"angry"}
    assert matching(alice, {**twice, "topic": "price"}) == set()


def test_churn_risk_levels(alice: Member) -> None:
    found = people(alice, gone={}, fresh={})
    event(found["gone"], "churned", timezone.now() - dt.timedelta(days=1))
    event(found["fresh"], "purchase", timezone.now() - dt.timedelta(days=1))
    assert matching(alice, {"churn_risk": ["high"]}) == {"gone"}
    assert "fresh" in matching(alice, {"churn_risk": ["low", "medium"]})


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([], "rules"),
        ({"all": []}, "rules.all"),
        ({"all": [{"attribute": "plan", "op": "like"}]}, "rules.all.0.op"),
        ({"any": [{"event": "purchase", "op": "gte", "value": -1}]}, "rules.any.0.value"),
        ({"event": "purchase", "op": "gte", "value": 1, "within_days": 0}, "rules.within_days"),
        ({"feedback": "grumpy", "op": "gte", "value": 1}, "rules.feedback"),
        ({"churn_risk": ["huge"]}, "rules.churn_risk"),
        ({"attribute": "plan", "event": "x", "op": "eq"}, "rules"),
        ({"all": [{"attribute": "a", "op": "in", "value": "x"}]}, "rules.all.0.value"),
    ],
)
def test_a_bad_rule_is_refused_naming_its_part(rules: Any, field: str) -> None:
    with pytest.raises(SegmentInvalid) as refused:
        rules_check(rules)
    assert field in refused.value.fields


def test_membership_follows_the_change_log_and_goes_on_the_timeline(alice: Member) -> None:
    key = accounts.api_key_create(
        actor=alice.membership, name="k", scope="write", personal_data=True
    )[1]
    people(alice, kim={"plan": "pro"})
    segment = segment_create(
        workspace=alice.workspace,
        name="Pro buyers",
        rules={"all": [{"attribute": "plan", "op": "eq", "value": "pro"},
                       {"event": "purchase", "op": "gte", "value": 1}]},
    )  # fmt: skip
    assert segment.member_count == 0
    api("post", "/events", key, {"customer": {"external_id": "kim"}, "type": "purchase"})
    changes_drain()
    segment.refresh_from_db()
    assert segment.member_count == 1
    kim = Customer.objects.get(external_id="kim")
    api("put", "/customers/by-external-id/kim", key, {"attributes": {"plan": "free"}})
    changes_drain()
    assert not SegmentMember.objects.filter(segment=segment).exists()
    timeline = api("get", f"/customers/{kim.pk}", key).json()["timeline"]
    kinds = [(i["kind"], i["summary"]) for i in timeline if i["kind"].startswith("segment")]
    assert kinds == [("segment_left", "Pro buyers"), ("segment_joined", "Pro buyers")]
    assert "plan eq pro" in timeline[0]["data"]["rule"]
    again = api("get", f"/customers?segment={segment.pk}", key).json()["items"]
    assert again == []


def test_the_periodic_refresh_moves_customers_out_of_a_time_window(
    alice: Member, time_machine, settings
) -> None:
    start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    found = people(alice, kim={})
    event(found["kim"], "purchase", start - dt.timedelta(days=1))
    segment = segment_create(
        workspace=alice.workspace,
        name="Recent buyers",
        rules={"event": "purchase", "op": "gte", "value": 1, "within_days": 30},
    )
    assert segment.member_count == 1
    settings.SEGMENT_REFRESH_SECONDS = 3600
    assert segments_refresh_due() == 0, "refreshed just now"
    time_machine.move_to(start + dt.timedelta(days=31), tick=False)
    assert segments_refresh_due() == 1
    segment.refresh_from_db()
    assert segment.member_count == 0 and segment.refreshed_at == start + dt.timedelta(days=31)


def test_the_segments_api_creates_lists_and_shows_members_per_workspace(
    alice: Member, bob: Member
) -> None:
    key = accounts.api_key_create(actor=alice.membership, name="k", scope="write")[1]
    bobs = accounts.api_key_create(actor=bob.membership, name="k", scope="write")[1]
    people(alice, kim={"plan": "pro"}, lee={"plan": "free"})
    body = {"name": "Pro", "rules": {"attribute": "plan", "op": "eq", "value": "pro"}}
    created = api("post", "/segments", key, body)
    assert created.status_code == 201, created.content
    segment = created.json()
    assert segment["member_count"] == 1
    assert [s["name"] for s in api("get", "/segments", key).json()["items"]] == ["Pro"]
    members = api("get", f"/segments/{segment['id']}/customers", key).json()["items"]
    assert [m["external_id"] for m in members] == ["kim"]
    listed = api("get", f"/customers?segment={segment['id']}", key).json()["items"]
    assert [m["external_id"] for m in listed] == ["kim"]
    assert api("get", "/segments", bobs).json()["items"] == []
    assert_envelope(api("get", f"/segments/{segment['id']}/customers", bobs), 404, "not_found")
    assert api("get", f"/customers?segment={segment['id']}", bobs).json()["items"] == []
    error = assert_envelope(
        api(
            "post",
            "/segments",
            key,
            {**body, "rules": {"all": [{"attribute": "plan", "op": "like"}]}},
        ),
        422,
        "validation_error",
    )
    assert "rules.all.0.op" in error["fields"]
    assert_envelope(api("post", "/segments", key, body), 422, "validation_error")
    assert_envelope(api("post", "/segments", None, body), 401, "unauthorized")
    read_only = accounts.api_key_create(actor=alice.membership, name="r", scope="read")[1]
    assert_envelope(api("post", "/segments", read_only, body), 403, "forbidden")
