"""Routing to a team, assignment inside it (round robin or least open cases, skipping
members away and at their cap), churn risk in the priority, the loop metrics, and the
reply's first attempt once its request commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from soriloop.accounts.models import Role, Team
from soriloop.accounts.services import team_create, team_member_set
from soriloop.conftest import Member, api, make_member
from soriloop.customers.models import Customer, CustomerEvent
from soriloop.customers.risk import customer_churn_risk
from soriloop.loop.models import CaseReply, RoutingRule
from soriloop.loop.priority import _churn_risk
from soriloop.loop.tests.factories import case_of, detractor
from soriloop.surveys.tests.conftest import Sink

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return str(api_key_of(alice, "write"))


def agents(alice: Member, n: int) -> list[Member]:
    return [make_member(f"agent{i}@a.example", alice.workspace, Role.AGENT) for i in range(n)]


def routed_team(alice: Member, people: list[Member], **options: Any) -> Team:
    team = team_create(
        workspace=alice.workspace, actor=alice.membership, name="Delivery",
        members=[{"user": m.user.pk} for m in people], **options,
    )  # fmt: skip
    RoutingRule.objects.create(
        workspace=alice.workspace, conditions={"channels": ["api"]}, team=team
    )
    return team


def test_round_robin_skips_members_away_and_at_their_cap(key: str, alice: Member) -> None:
    one, away, three = agents(alice, 3)
    team = routed_team(alice, [one, away, three])
    team_member_set(team=team, user_id=away.user.pk, away=True)
    team_member_set(team=team, user_id=one.user.pk, cap=1)
    assignees = [
        case_of(key, detractor(key, email=f"c{i}@example.com"))["assignee"] for i in range(3)
    ]
    assert assignees == [one.user.pk, three.user.pk, three.user.pk]
    assert case_of(key, detractor(key, email="c9@example.com"))["team"] == team.pk


def test_least_open_cases_gives_the_next_case_to_the_least_busy(key: str, alice: Member) -> None:
    busy, free = agents(alice, 2)
    routed_team(alice, [busy, free], assignment="least_open")
    first = case_of(key, detractor(key, email="a@example.com"))
    assert first["assignee"] == busy.user.pk  # both at 0: the first member
    assert case_of(key, detractor(key, email="b@example.com"))["assignee"] == free.user.pk
    api("patch", f"/cases/{first['id']}", key, {"status": "resolved", "no_survey_reason": "x"})
    assert case_of(key, detractor(key, email="c@example.com"))["assignee"] == busy.user.pk


def test_nobody_free_leaves_the_case_in_the_team_queue(key: str, alice: Member) -> None:
    [only] = agents(alice, 1)
    team = routed_team(alice, [only])
    team_member_set(team=team, user_id=only.user.pk, away=True)
    case = case_of(key, detractor(key))
    assert (case["team"], case["assignee"]) == (team.pk, None)
    queue = api("get", "/cases?queue=unassigned", key).json()["items"]
    assert [c["id"] for c in queue] == [case["id"]]


def test_the_customers_churn_risk_is_a_priority_reason(key: str, alice: Member) -> None:
    customer = Customer.objects.create(workspace=alice.workspace, email="old@example.com")
    CustomerEvent.objects.create(
        workspace=alice.workspace, customer=customer, type="subscription_cancelled",
        occurred_at=timezone.now() - dt.timedelta(days=3),
    )  # fmt: skip
    risk = _churn_risk(customer)
    assert (risk.level, risk.model) == ("high", "heuristic"), "it is the customers app's risk"
    assert risk == _churn_risk(customer) and risk.model == customer_churn_risk(customer).model
    case = case_of(key, detractor(key, email="old@example.com"))
    assert f"churn risk {risk.level}: {', '.join(risk.reasons)}" in case["priority_reasons"]


@pytest.mark.parametrize(
    "moment",
    ["2026-03-02T01:30:00+09:00", "2026-03-02T23:30:00+09:00"],
    ids=["seoul-early-morning", "seoul-late-evening"],
)
def test_loop_metrics_count_the_closed_loop_and_the_recovery(
    key: str, alice: Member, moment: str
) -> None:
    """Cases count on the workspace's days: 01:30 in Seoul is the day before in UTC."""
    with time_machine.travel(dt.datetime.fromisoformat(moment), tick=False):
        case = case_of(key, detractor(key))
        api("post", f"/cases/{case['id']}/replies", key, {"body": "죄송합니다"})
    today = "2026-03-02"
    for other in ("2026-03-01", "2026-03-03"):
        elsewhere = api("get", f"/loop/metrics?start={other}&end={other}", key).json()
        assert elsewhere["cases"] == 0 and elsewhere["unhappy_records"] == 0, other
    metrics = api("get", f"/loop/metrics?start={today}&end={today}", key)
    assert metrics.status_code == 200, metrics.content
    body = metrics.json()
    assert body["cases"] == 1 and body["closed_loop"] == 1 and body["closed_loop_rate"] == 1.0
    assert body["time_to_first_response"]["count"] == 1
    backwards = api("get", f"/loop/metrics?start={today}&end=2000-01-01", key)
    assert backwards.status_code == 422 and "end" in backwards.json()["error"]["fields"]


def test_the_request_makes_the_first_attempt_once_the_reply_is_committed(
    key: str, smtp_sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    case = case_of(key, detractor(key))
    with django_capture_on_commit_callbacks(execute=True):
        sent = api("post", f"/cases/{case['id']}/replies", key, {"body": "바로 보내드립니다"})
    assert sent.status_code == 201 and len(smtp_sink.to("minji@example.com")) == 1
    smtp_sink.refuse["minji@example.com"] = "451 4.3.0 later"
    with django_capture_on_commit_callbacks(execute=True):
        kept = api("post", f"/cases/{case['id']}/replies", key, {"body": "다시 한번"})
    assert kept.status_code == 201  # the server's refusal is the worker's business
    assert CaseReply.objects.get(pk=kept.json()["id"]).state == "queued"


def test_teams_routing_and_the_calendar_are_set_through_the_api(
    key: str, alice: Member, bob: Member, api_key_of
) -> None:
    one, two = agents(alice, 2)
    made = api(
        "post", "/teams", key,
        {"name": "Refunds", "lead": alice.user.pk, "members": [{"user": one.user.pk}, {"user": two.user.pk}]},
    )  # fmt: skip
    assert made.status_code == 201, made.content
    team = made.json()["id"]
    away = api("patch", f"/teams/{team}/members/{one.user.pk}", key, {"away": True})
    assert away.status_code == 200 and away.json()["members"][0]["away"] is True
    rule = api("post", "/routing-rules", key, {"conditions": {"channels": ["api"]}, "team": team})
    assert rule.status_code == 201, rule.content
    assert api("get", "/routing-rules", key).json()["items"][0]["team"] == team
    case = case_of(key, detractor(key))
    assert (case["team"], case["assignee"]) == (team, two.user.pk)
    put = api(
        "put", "/loop/settings", key,
        {"days_off": ["2026-12-31"], "sla": {"urgent": {"first_response": 30}}},
    )  # fmt: skip
    assert put.status_code == 200, put.content
    assert put.json()["sla"]["urgent"]["first_response"] == 30
    assert put.json()["sla"]["urgent"]["resolution"] == 480  # the rest keep their default
    assert put.json()["days_off"] == ["2026-12-31"]
    empty = api("post", "/routing-rules", key, {"conditions": {}, "team": team})
    assert empty.status_code == 422 and "conditions" in empty.json()["error"]["fields"]
    bad_hours = api("put", "/loop/settings", key, {"hours": {"mon": [["18:00", "09:00"]]}})
    assert bad_hours.status_code == 422 and "hours.mon" in bad_hours.json()["error"]["fields"]
    # bob reaches none of it
    bob_key = api_key_of(bob, "write")
    assert api("get", "/teams", bob_key).json()["items"] == []
    assert api("get", "/routing-rules", bob_key).json()["items"] == []
    assert (
        api("patch", f"/teams/{team}/members/{one.user.pk}", bob_key, {"away": False}).status_code
        == 404
    )
    foreign = api(
        "post", "/routing-rules", bob_key, {"conditions": {"channels": ["api"]}, "team": team}
    )
    assert foreign.status_code == 422 and "team" in foreign.json()["error"]["fields"]
    assert api("get", "/loop/settings", bob_key).json()["days_off"] == []


def test_an_agent_marks_themselves_away_but_sets_no_cap(
    key: str, alice: Member, api_key_of
) -> None:
    agent = make_member("self@a.example", alice.workspace, Role.ADMIN)
    agent_key = api_key_of(agent, "write")
    agent.membership.role = Role.AGENT
    agent.membership.save(update_fields=["role"])
    team = team_create(
        workspace=alice.workspace, actor=alice.membership, name="Desk",
        members=[{"user": agent.user.pk}, {"user": alice.user.pk}],
    )  # fmt: skip
    path = f"/teams/{team.pk}/members/{agent.user.pk}"
    assert api("patch", path, agent_key, {"away": True}).status_code == 200
    assert api("patch", path, agent_key, {"cap": 3}).status_code == 403
    other = f"/teams/{team.pk}/members/{alice.user.pk}"
    assert api("patch", other, agent_key, {"away": True}).status_code == 403
    members = api("patch", path, key, {"cap": 3}).json()["members"]
    assert {m["user"]: (m["away"], m["cap"]) for m in members}[agent.user.pk] == (True, 3)
