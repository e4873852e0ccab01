"""SLAs in business time under a controlled clock: across a weekend and a Korean public
holiday (Christmas, Friday 25 December 2026), paused while waiting on the customer, a
warning before the breach and an escalation on it, one message per person."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from soriloop.accounts.models import Role
from soriloop.accounts.services import team_create
from soriloop.alerts.models import Notification
from soriloop.conftest import Member, api, make_member
from soriloop.loop.calendar import BusinessCalendar, CalendarInvalid, parse_hours
from soriloop.loop.models import Case, LoopSettings
from soriloop.loop.sla import DEFAULT_SLA, sla_scan
from soriloop.loop.tests.factories import case_of, detractor
from soriloop.surveys.tests.conftest import Sink

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SEOUL)


def test_business_minutes_skip_the_evening_a_korean_holiday_and_the_weekend() -> None:
    calendar = BusinessCalendar.of(timezone="Asia/Seoul")
    # Thursday 17:00: one hour left that day; Friday is Christmas; then the weekend
    due = calendar.add(seoul(24, 17), 8 * 60)
    assert due == seoul(28, 17)
    assert calendar.minutes_between(seoul(24, 17), due) == 8 * 60
    assert calendar.add(seoul(24, 11, 30), 60) == seoul(24, 13, 30)  # lunch is not counted
    with_day_off = BusinessCalendar.of(timezone="Asia/Seoul", days_off=["2026-12-28"])
    assert with_day_off.add(seoul(24, 17), 8 * 60) == seoul(29, 17)
    no_holidays = BusinessCalendar.of(timezone="Asia/Seoul", public_holidays=False)
    assert no_holidays.add(seoul(24, 17), 8 * 60) == seoul(25, 17)


def test_working_hours_are_checked() -> None:
    assert parse_hours({"sat": [["10:00", "14:00"]]}) == {5: [(dt.time(10), dt.time(14))]}
    for bad in ({"someday": []}, {"mon": [["18:00", "09:00"]]}, {"mon": [["9"]]}):
        with pytest.raises(CalendarInvalid):
            parse_hours(bad)


@pytest.fixture
def desk(alice: Member) -> dict[str, Any]:
    """Alice leads a team the default rules' cases go to; the agent takes them."""
    agent = make_member("agent@a.example", alice.workspace, Role.AGENT)
    team = team_create(
        workspace=alice.workspace, actor=alice.membership, name="Support",
        lead_id=alice.user.pk, members=[{"user": agent.user.pk}],
    )  # fmt: skip
    from soriloop.loop.models import CaseRule

    CaseRule.objects.filter(workspace=alice.workspace).update(team=team, join_related=False)
    LoopSettings.objects.create(
        workspace=alice.workspace,
        sla={level: {"first_response": 8 * 60, "resolution": 16 * 60} for level in DEFAULT_SLA},
    )
    return {"agent": agent, "team": team}


@pytest.mark.django_db
def test_a_breach_across_a_weekend_and_a_holiday_is_warned_then_escalated_once_per_person(
    alice: Member, desk: dict[str, Any], api_key_of, smtp_sink: Sink
) -> None:
    key = api_key_of(alice, "write")
    agent = desk["agent"]
    with time_machine.travel(seoul(24, 17), tick=False):
        first = case_of(key, detractor(key, email="one@example.com"))
        second = case_of(key, detractor(key, email="two@example.com"))
    assert first["assignee"] == agent.user.pk and first["team"] == desk["team"].pk
    assert dt.datetime.fromisoformat(first["sla"]["first_response_due"]) == seoul(28, 17)

    with time_machine.travel(seoul(28, 9), tick=False):  # Monday morning: nothing yet
        assert sla_scan(force=True) == 0
    with time_machine.travel(seoul(28, 16, 15), tick=False):
        assert sla_scan(force=True) == 2
        assert sla_scan(force=True) == 0  # warned once
    [warning] = Notification.objects.filter(user=agent.user)
    assert f"케이스 {first['id']}" in warning.body and f"케이스 {second['id']}" in warning.body
    assert not Notification.objects.filter(user=alice.user).exists()

    with time_machine.travel(seoul(28, 17, 1), tick=False):
        assert sla_scan(force=True) == 2
        assert sla_scan(force=True) == 0  # escalated once
    assert Notification.objects.filter(user=agent.user).count() == 2
    [escalation] = Notification.objects.filter(user=alice.user)  # the lead: one message
    assert "기한 초과 2건" in escalation.title and f"케이스 {second['id']}" in escalation.body
    assert len(smtp_sink.to(alice.user.email)) == 1
    assert len(smtp_sink.to(agent.user.email)) == 2
    detail = api("get", f"/cases/{first['id']}", key).json()
    assert detail["sla"]["breached"] == ["first_response"]
    assert detail["history"][-1]["kind"] == "sla_breached"


@pytest.mark.django_db
def test_waiting_on_the_customer_pauses_the_clock(
    alice: Member, desk: dict[str, Any], api_key_of
) -> None:
    key = api_key_of(alice, "write")
    with time_machine.travel(seoul(24, 10), tick=False):
        case = case_of(key, detractor(key))
        api("patch", f"/cases/{case['id']}", key, {"status": "waiting_on_customer"})
    due = dt.datetime.fromisoformat(case["sla"]["resolution_due"])
    with time_machine.travel(seoul(29, 10), tick=False):  # a business day and a half later
        assert sla_scan(force=True) == 0  # paused: no warning, no breach
        moved = api("patch", f"/cases/{case['id']}", key, {"status": "in_progress"}).json()
    later = dt.datetime.fromisoformat(moved["sla"]["resolution_due"])
    paused = BusinessCalendar.of(timezone="Asia/Seoul").minutes_between(
        seoul(24, 10), seoul(29, 10)
    )
    assert paused == 7 * 60 + 8 * 60 + 60  # Thursday 10-18, Monday, Tuesday 9-10: no holiday
    assert later == BusinessCalendar.of(timezone="Asia/Seoul").add(due, paused)
    assert Case.objects.get(pk=case["id"]).paused_at is None
