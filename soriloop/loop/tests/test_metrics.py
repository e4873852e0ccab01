"""The loop metrics on hand-built cases under a fixed clock: the numbers, each breakdown,
re-contact inside and outside 30 days, and drill-down links that list exactly the counted
cases (docs/metrics.md#loop-metrics)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine

from soriloop.accounts.models import Role
from soriloop.accounts.services import team_create
from soriloop.analysis.models import Enrichment
from soriloop.conftest import Member, api, make_member
from soriloop.customers.models import Customer
from soriloop.feedback.models import Feedback
from soriloop.loop.models import Case, CaseFeedback, Verification

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
MARCH = "start=2026-03-01&end=2026-03-31"


def at(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SEOUL)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(at(1, 12, month=5), tick=False):  # every 30-day window is over
        yield


def record(
    member: Member, when: dt.datetime, *, customer: Customer | None = None,
    nps: int | None = None, negative: bool = False, topics: tuple[str, ...] = (),
) -> Feedback:  # fmt: skip
    row = Feedback.objects.create(
        workspace=member.workspace, channel="api", text="배송이 늦어요", customer=customer,
        score=nps, score_kind="nps" if nps is not None else "", received_at=when,
        day=when.astimezone(SEOUL).date(),
    )  # fmt: skip
    if negative or topics:
        enrichment = Enrichment(
            feedback=row, workspace=member.workspace, model_version="test",
            sentiment_label="negative" if negative else "neutral", sentiment_score=-0.9,
            sentiment_confidence=0.9, topics=[{"key": k, "name_ko": k, "name_en": k} for k in topics],
        )  # fmt: skip
        enrichment.index_labels()
        enrichment.save()
    return row


def case(member: Member, opened_by: Feedback, created: dt.datetime, **fields: Any) -> Case:
    made = Case.objects.create(
        workspace=member.workspace, customer=opened_by.customer, created_at=created, **fields
    )
    CaseFeedback.objects.create(workspace=member.workspace, case=made, feedback=opened_by)
    return made


@dataclass
class Shop:
    key: str
    c1: Case
    c2: Case
    c3: Case
    teams: dict[str, int]
    agents: dict[str, int]


@pytest.fixture
def shop(alice: Member, api_key_of: Any) -> Shop:
    x = make_member("xena@a.example", alice.workspace, Role.AGENT)
    y = make_member("yuna@a.example", alice.workspace, Role.AGENT)
    delivery = team_create(workspace=alice.workspace, actor=None, name="Delivery")
    refunds = team_create(workspace=alice.workspace, actor=None, name="Refunds")
    k1, k2, k3 = (
        Customer.objects.create(workspace=alice.workspace, email=f"k{i}@example.com")
        for i in (1, 2, 3)
    )
    t1, t2, t3 = at(2), at(10), at(20)
    c1 = case(
        alice, record(alice, t1, customer=k1, nps=2, topics=("delivery",)), t1,
        team=delivery, assignee=x.user, acknowledged_at=t1 + minutes(10),
        first_response_at=t1 + minutes(30), first_response_due=t1 + minutes(60),
        resolved_at=t1 + minutes(120), resolution_due=t1 + minutes(100), status="verified",
        verified_at=t1 + dt.timedelta(days=1),
    )  # fmt: skip
    Verification.objects.create(workspace=alice.workspace, case=c1, score=8, solved=True)
    c2 = case(
        alice, record(alice, t2, customer=k2, negative=True, topics=("refund",)), t2,
        team=refunds, assignee=y.user, first_response_at=t2 + minutes(60),
        resolved_at=t2 + minutes(600), status="resolved",
    )  # fmt: skip
    c3 = case(alice, record(alice, t3, customer=k3, nps=5), t3)
    record(alice, at(25), negative=True, topics=("delivery",))  # unhappy, no case
    record(alice, t1 + dt.timedelta(days=10), customer=k1, nps=9)  # k1 writes again: 10 days
    record(alice, t2 + dt.timedelta(days=40), customer=k2, nps=9)  # k2 too, but after 40
    reply = record(alice, t2 + dt.timedelta(days=2), customer=k2)  # a reply into its own case
    CaseFeedback.objects.create(workspace=alice.workspace, case=c2, feedback=reply, role="reply")
    outside = record(alice, at(2, month=4), nps=1)
    case(alice, outside, at(2, month=4), team=delivery)  # April: outside the period
    teams = {"Delivery": delivery.pk, "Refunds": refunds.pk}
    agents = {"Xena": x.user.pk, "Yuna": y.user.pk}
    return Shop(str(api_key_of(alice, "read")), c1, c2, c3, teams, agents)


def metrics(key: str, extra: str = "") -> dict[str, Any]:
    found = api("get", f"/loop/metrics?{MARCH}{extra}", key)
    assert found.status_code == 200, found.content
    return dict(found.json())


def listed(key: str, query: str | None) -> list[int]:
    assert query is not None
    found = api("get", f"/cases?{query}&limit=500", key)
    assert found.status_code == 200, found.content
    return sorted(c["id"] for c in found.json()["items"])


def test_the_numbers_of_the_period(shop: Shop) -> None:
    body = metrics(shop.key)
    c1, c2 = shop.c1.pk, shop.c2.pk
    assert (body["unhappy_records"], body["closed_loop"], body["closed_loop_rate"]) == (4, 2, 0.5)
    assert body["cases"] == 3
    assert body["time_to_acknowledge"] == {"median_minutes": 10.0, "p90_minutes": 10.0, "count": 1}
    assert body["time_to_first_response"] == {
        "median_minutes": 45.0, "p90_minutes": 60.0, "count": 2,
    }  # fmt: skip
    assert body["time_to_resolution"]["median_minutes"] == 360.0
    assert (body["sla_met"], body["sla_measured"], body["sla_attainment"]) == (1, 2, 0.5)
    assert (body["verified"], body["recovered"], body["recovery_rate"]) == (1, 1, 1.0)
    assert body["score_change"] == 6.0
    assert (body["resolved"], body["recontacted"], body["recontact_rate"]) == (2, 1, 0.5)
    assert body["recontact_pending"] == 0 and body["groups"] is None
    drill = body["drill"]
    assert listed(shop.key, drill["cases"]) == sorted([c1, c2, shop.c3.pk])
    assert listed(shop.key, drill["replied"]) == [c1, c2]
    assert listed(shop.key, drill["sla_missed"]) == [c1]
    assert listed(shop.key, drill["recovered"]) == [c1]
    assert listed(shop.key, drill["recontacted"]) == [c1], "k2 wrote again only after 40 days"


def test_a_new_case_within_30_days_is_a_re_contact_and_an_open_window_is_pending(
    alice: Member, shop: Shop
) -> None:
    later = shop.c2.resolved_at + dt.timedelta(days=29)  # type: ignore[operator]
    Case.objects.create(workspace=alice.workspace, customer=shop.c2.customer, created_at=later)
    assert metrics(shop.key)["recontacted"] == 2
    Case.objects.filter(pk=shop.c3.pk).update(resolved_at=dt.datetime.now(tz=SEOUL))
    body = metrics(shop.key)
    assert (body["resolved"], body["recontacted"], body["recontact_pending"]) == (3, 2, 1)


def groups(key: str, by: str) -> dict[str, dict[str, Any]]:
    body = metrics(key, f"&by={by}")
    assert body["by"] == by
    return {g["key"] if by == "topic" else g["name"] or g["key"]: g for g in body["groups"]}


def test_by_team_each_group_drills_down_to_its_cases(shop: Shop) -> None:
    found = groups(shop.key, "team")
    assert list(found) == ["Delivery", "Refunds", "none"]
    assert found["Delivery"]["key"] == str(shop.teams["Delivery"])
    for name, expected in (("Delivery", shop.c1), ("Refunds", shop.c2), ("none", shop.c3)):
        assert listed(shop.key, found[name]["drill"]["cases"]) == [expected.pk], name
        assert found[name]["cases"] == found[name]["unhappy_records"] == 1
    assert found["Delivery"]["closed_loop_rate"] == 1.0 and found["none"]["closed_loop"] == 0
    assert found["Delivery"]["sla_attainment"] == 0.5 and found["Refunds"]["sla_measured"] == 0


def test_by_agent(shop: Shop) -> None:
    found = groups(shop.key, "agent")
    assert list(found) == ["Xena", "Yuna", "none"]
    assert found["Yuna"]["time_to_resolution"]["median_minutes"] == 600.0
    assert listed(shop.key, found["Xena"]["drill"]["cases"]) == [shop.c1.pk]
    assert listed(shop.key, found["none"]["drill"]["cases"]) == [shop.c3.pk]


def test_by_topic_counts_a_record_without_a_case_too(shop: Shop) -> None:
    found = groups(shop.key, "topic")
    assert list(found) == ["delivery", "refund", "unassigned"]
    assert (found["delivery"]["unhappy_records"], found["delivery"]["closed_loop"]) == (2, 1)
    for name, expected in (("delivery", shop.c1), ("refund", shop.c2), ("unassigned", shop.c3)):
        assert listed(shop.key, found[name]["drill"]["cases"]) == [expected.pk], name


def test_by_period_buckets_weeks_from_monday_on_the_workspace_days(shop: Shop) -> None:
    body = metrics(shop.key, "&by=period&grain=week")
    starts = [(g["start"], g["end"]) for g in body["groups"]]
    assert starts[0] == ("2026-03-01", "2026-03-01") and starts[-1] == ("2026-03-30", "2026-03-31")
    assert len(starts) == 6
    cases = {g["start"]: listed(shop.key, g["drill"]["cases"]) for g in body["groups"]}
    assert cases["2026-03-02"] == [shop.c1.pk] and cases["2026-03-09"] == [shop.c2.pk]
    assert cases["2026-03-01"] == [] and cases["2026-03-23"] == []
    assert [g["unhappy_records"] for g in body["groups"]] == [0, 1, 1, 1, 1, 0]
    by_month = metrics(shop.key, "&by=period&grain=month")["groups"]
    assert [(g["start"], g["cases"]) for g in by_month] == [("2026-03-01", 3)]


def test_bad_breakdowns_are_refused(shop: Shop) -> None:
    assert api("get", f"/loop/metrics?{MARCH}&by=weekday", shop.key).status_code == 422
    long = api("get", "/loop/metrics?start=2000-01-01&end=2026-03-31&by=period&grain=day", shop.key)
    assert long.status_code == 422 and "grain" in long.json()["error"]["fields"]
    bad = api("get", "/cases?ids=1,x", shop.key)
    assert bad.status_code == 422 and "ids" in str(bad.json()["error"]["fields"])


def test_another_workspace_sees_none_of_it(shop: Shop, bob: Member, api_key_of: Any) -> None:
    theirs = record(bob, at(5), nps=0)
    own = case(bob, theirs, at(5))
    bob_key = str(api_key_of(bob, "read"))
    assert metrics(shop.key)["cases"] == 3, "alice sees her cases"
    body = metrics(bob_key, "&by=team")
    assert (body["cases"], body["unhappy_records"]) == (1, 1)
    assert [g["key"] for g in body["groups"]] == ["none"]
    drill = metrics(shop.key)["drill"]
    assert listed(bob_key, drill["cases"]) == [own.pk]
    assert listed(bob_key, drill["replied"]) == [], "alice's case ids name nothing for bob"


@pytest.mark.parametrize(
    ("language", "title", "none"),
    [("ko", "루프 닫기", "팀 없음"), ("en", "Closing the loop", "No team")],
)
def test_the_page_shows_the_card_and_links_to_the_counted_cases(
    alice: Member, shop: Shop, language: str, title: str, none: str
) -> None:
    alice.user.language = language
    alice.user.save(update_fields=["language"])
    page = alice.client.get(f"/cases/metrics/?{MARCH}&by=team", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    text = page.content.decode()
    assert title in text and none in text and "Delivery" in text
    assert f'href="/cases/?ids={shop.c1.pk}"' in text  # recovered, re-contacted
    team_link = f'href="/cases/?created_from=2026-03-01&amp;created_to=2026-03-31&amp;team={shop.teams["Refunds"]}"'
    assert team_link in text
    drill = alice.client.get(
        f"/cases/?created_from=2026-03-01&created_to=2026-03-31&team={shop.teams['Refunds']}",
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()
    assert drill.count('data-testid="case-row"') == 1 and f"/cases/{shop.c2.pk}/" in drill


def test_the_dashboard_links_to_the_loop_metrics_of_its_period(alice: Member, shop: Shop) -> None:
    text = alice.client.get("/dashboard/?date_from=2026-03-01&date_to=2026-03-31").content.decode()
    assert 'href="/cases/metrics/?start=2026-03-01&amp;end=2026-03-31"' in text


def test_the_page_needs_a_sign_in(client: Any) -> None:
    assert client.get("/cases/metrics/").status_code == 302
