"""Aggregate alert rules over hand-made rollups under a controlled clock: a topic's negative
share against its weekday baseline, an NPS drop beyond noise, a keyword's volume, a spike;
fire once until clear, throttle, mute, quiet hours, the 7-day preview, the API and the page;
isolated per workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from soriloop.alerts.aggregates import aggregate_check, aggregate_preview, alert_aggregates_run
from soriloop.alerts.models import Alert, AlertRule, Notification
from soriloop.alerts.notify import alerts_release_held, slack_message
from soriloop.alerts.rules import AlertRuleInvalid, alert_rule_create
from soriloop.alerts.tests.test_webhooks import send_feedback
from soriloop.conftest import Member, api, assert_envelope
from soriloop.insights.models import TOTAL, HourRollup, Rollup
from soriloop.insights.rollups import rollups_refresh

pytestmark = pytest.mark.django_db

# a Monday, 14:20 UTC (23:20 in Seoul)
NOW = dt.datetime(2026, 3, 2, 14, 20, tzinfo=dt.UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def hour_rows(member: Member, at: dt.datetime, facet: str, value: str, n: int, negative: int = 0):
    hour = at.replace(minute=0, second=0, microsecond=0)
    HourRollup.objects.create(
        workspace=member.workspace, day=hour.date(), hour=hour, facet=facet, value=value,
        n=n, analysed=n, negative=negative,
    )  # fmt: skip


def baseline(member: Member, topic: str = "refund", negative: int = 2, weeks: int = 8) -> None:
    """20 analysed refund records an hour, ``negative`` of them negative, in the same hour of
    the same weekday of past weeks."""
    for w in range(1, weeks + 1):
        hour_rows(member, NOW - dt.timedelta(weeks=w), "topic", topic, 20, negative)


def share_rule(member: Member, **data) -> AlertRule:
    data.setdefault("name", "Refund anger")
    data.setdefault("aggregate", {"measure": "negative_share", "topic": "refund", "factor": 2})
    return alert_rule_create(
        workspace=member.workspace, actor=member.membership, data={"kind": "aggregate", **data}
    )


def test_a_negative_share_above_twice_its_weekday_baseline_fires_and_notifies(
    alice: Member, clock
) -> None:
    baseline(alice)  # 10% negative on past Mondays at 14:00
    hour_rows(alice, NOW, "topic", "refund", 20, 9)  # 45% now
    rule = share_rule(alice)
    alert = aggregate_check(rule=rule, at=NOW)
    assert alert is not None
    assert alert.measure["value"] == 0.45 and alert.measure["baseline"] == 0.1
    note = Notification.objects.get(user=alice.user)
    assert "Refund anger" in note.title and "45%" in note.body


def test_a_share_under_k_times_the_baseline_does_not_fire(alice: Member, clock) -> None:
    baseline(alice, negative=4)  # 20% before
    hour_rows(alice, NOW, "topic", "refund", 20, 7)  # 35%: higher, not twice
    assert aggregate_check(rule=share_rule(alice), at=NOW) is None
    assert not Alert.objects.exists()


def test_a_share_with_too_few_records_to_tell_does_not_fire(alice: Member, clock) -> None:
    baseline(alice)
    hour_rows(alice, NOW, "topic", "refund", 4, 4)  # 100%, of four records
    assert aggregate_check(rule=share_rule(alice), at=NOW) is None


def test_a_share_over_a_spotless_baseline_needs_a_rise_beyond_noise(alice: Member, clock):
    baseline(alice, negative=0)  # never a negative refund record on past Mondays
    hour_rows(alice, NOW, "topic", "refund", 20, 1)  # one of 20: "infinitely" above 0%
    rule = share_rule(alice)
    assert aggregate_check(rule=rule, at=NOW) is None
    HourRollup.objects.filter(
        workspace=alice.workspace, hour__gte=NOW - dt.timedelta(hours=1)
    ).update(negative=6)
    assert aggregate_check(rule=rule, at=NOW) is not None


def test_it_fires_once_until_the_condition_clears_then_again(alice: Member, clock) -> None:
    baseline(alice)
    hour_rows(alice, NOW, "topic", "refund", 20, 9)
    rule = share_rule(alice)
    assert aggregate_check(rule=rule, at=NOW) is not None
    later = NOW + dt.timedelta(minutes=30)
    clock.move_to(later, tick=False)
    assert aggregate_check(rule=rule, at=later) is None  # still holds: no second alert
    rule.refresh_from_db()
    assert rule.aggregate_active
    # two hours on, the angry hour is out of the window: the condition clears
    calm = NOW + dt.timedelta(hours=2)
    hour_rows(alice, calm, "topic", "refund", 20, 2)
    clock.move_to(calm, tick=False)
    assert aggregate_check(rule=rule, at=calm) is None
    rule.refresh_from_db()
    assert not rule.aggregate_active
    angry = NOW + dt.timedelta(hours=3)
    hour_rows(alice, angry, "topic", "refund", 20, 10)
    hour_rows(alice, angry - dt.timedelta(weeks=1), "topic", "refund", 20, 2)
    clock.move_to(angry, tick=False)
    assert aggregate_check(rule=rule, at=angry) is not None
    assert Alert.objects.filter(rule=rule).count() == 2


def test_the_throttle_spends_an_episode_without_firing(alice: Member, clock) -> None:
    baseline(alice)
    hour_rows(alice, NOW, "topic", "refund", 20, 9)
    rule = share_rule(alice, max_per_hour=1)
    Alert.objects.create(workspace=alice.workspace, rule=rule, fired_at=NOW, last_at=NOW)
    assert aggregate_check(rule=rule, at=NOW) is None
    rule.refresh_from_db()
    assert rule.aggregate_active and Alert.objects.filter(rule=rule).count() == 1


def test_a_muted_rule_is_not_checked(alice: Member, clock) -> None:
    baseline(alice)
    hour_rows(alice, NOW, "topic", "refund", 20, 9)
    rule = share_rule(alice, muted_until=NOW + dt.timedelta(hours=1))
    assert aggregate_check(rule=rule, at=NOW) is None
    rule.refresh_from_db()
    assert not rule.aggregate_active


def test_quiet_hours_hold_it_until_they_end(alice: Member, clock) -> None:
    baseline(alice)
    hour_rows(alice, NOW, "topic", "refund", 20, 9)
    # 23:20 in Seoul: inside 22:00-07:00
    rule = share_rule(alice, quiet_start="22:00", quiet_end="07:00")
    alert = aggregate_check(rule=rule, at=NOW)
    assert alert is not None and alert.held
    assert not Notification.objects.exists()
    assert alerts_release_held() == 0
    clock.move_to(dt.datetime(2026, 3, 2, 22, 5, tzinfo=dt.UTC), tick=False)  # 07:05 Seoul
    assert alerts_release_held() == 1
    assert "Refund anger" in Notification.objects.get(user=alice.user).body


def nps_days(member: Member, start: dt.date, days: int, n: int, promoters: int, detractors: int):
    for i in range(days):
        Rollup.objects.create(
            workspace=member.workspace, day=start + dt.timedelta(days=i), level=TOTAL,
            channel="", n=n, nps_n=n, nps_promoters=promoters, nps_detractors=detractors,
        )  # fmt: skip


def nps_rule(member: Member, points: float = 10) -> AlertRule:
    return share_rule(member, name="NPS down", aggregate={"measure": "nps_drop", "points": points})


def test_an_nps_drop_beyond_noise_fires(alice: Member, clock) -> None:
    today = dt.date(2026, 3, 2)  # the workspace's day (Seoul) at NOW
    nps_days(alice, today - dt.timedelta(days=13), 7, 40, 24, 4)  # NPS 50
    nps_days(alice, today - dt.timedelta(days=6), 7, 40, 12, 12)  # NPS 0
    alert = aggregate_check(rule=nps_rule(alice), at=NOW)
    assert alert is not None
    assert alert.measure["delta"] == -50.0 and alert.measure["significant"]


def test_an_nps_drop_within_noise_does_not_fire(alice: Member, clock) -> None:
    today = dt.date(2026, 3, 2)
    # 20 points down (30 to 10), but over ten answers a week: well inside the noise
    nps_days(alice, today - dt.timedelta(days=10), 1, 10, 5, 2)
    nps_days(alice, today - dt.timedelta(days=2), 1, 10, 4, 3)
    rule = nps_rule(alice)
    assert aggregate_check(rule=rule, at=NOW) is None
    rule.refresh_from_db()
    assert not rule.aggregate_active


def test_an_nps_drop_smaller_than_the_points_does_not_fire(alice: Member, clock) -> None:
    today = dt.date(2026, 3, 2)
    nps_days(alice, today - dt.timedelta(days=13), 7, 400, 240, 40)  # 50
    nps_days(alice, today - dt.timedelta(days=6), 7, 400, 220, 60)  # 40: significant, 10 points
    assert aggregate_check(rule=nps_rule(alice, points=15), at=NOW) is None
    assert aggregate_check(rule=nps_rule(alice, points=5), at=NOW) is not None


def test_a_keyword_volume_fires_at_its_count(alice: Member, clock) -> None:
    rule = share_rule(
        alice,
        name="Outage",
        aggregate={"measure": "keyword_volume", "keyword": "먹통", "hours": 2, "min_count": 10},
    )
    hour_rows(alice, NOW - dt.timedelta(hours=1), "keyword", "먹통", 4)
    hour_rows(alice, NOW - dt.timedelta(hours=5), "keyword", "먹통", 30)  # out of the window
    assert aggregate_check(rule=rule, at=NOW) is None
    hour_rows(alice, NOW, "keyword", "먹통", 6)
    alert = aggregate_check(rule=rule, at=NOW)
    assert alert is not None and alert.measure["value"] == 10


def test_a_spike_rule_fires_on_a_daily_volume_spike(alice: Member, clock) -> None:
    today = dt.date(2026, 3, 2)
    for w in range(1, 9):
        Rollup.objects.create(
            workspace=alice.workspace, day=today - dt.timedelta(weeks=w), level=TOTAL,
            facet="topic", value="delivery", channel="", n=2 + w % 2,
        )  # fmt: skip
    rule = share_rule(alice, name="Spikes", aggregate={"measure": "spike", "topic": "delivery"})
    assert aggregate_check(rule=rule, at=NOW) is None
    Rollup.objects.create(
        workspace=alice.workspace, day=today, level=TOTAL, facet="topic", value="delivery",
        channel="", n=40,
    )  # fmt: skip
    alert = aggregate_check(rule=rule, at=NOW)
    assert alert is not None and alert.measure["spikes"][0]["topic"] == "delivery"


def test_the_preview_counts_episodes_over_the_last_7_days(alice: Member, clock) -> None:
    rule = share_rule(
        alice,
        name="Outage",
        aggregate={"measure": "keyword_volume", "keyword": "먹통", "hours": 1, "min_count": 10},
    )
    # two episodes: three hours in a row two days ago, one hour yesterday
    for h in (48, 47, 46, 20):
        hour_rows(alice, NOW - dt.timedelta(hours=h), "keyword", "먹통", 12)
    found = aggregate_preview(rule=rule)
    assert found.checks == 168 and found.alerts == 2
    assert not Alert.objects.exists()  # a read


def test_the_worker_loop_checks_due_rules_once_per_interval(alice: Member, bob: Member, clock):
    baseline(alice)
    hour_rows(alice, NOW, "topic", "refund", 20, 9)
    rule = share_rule(alice)
    theirs = share_rule(bob)  # bob's workspace has no such rows
    assert alert_aggregates_run() == 2
    assert alert_aggregates_run() == 0  # not due again yet
    assert Alert.objects.filter(rule=rule).count() == 1
    assert not Alert.objects.filter(rule=theirs).exists()
    assert not Notification.objects.filter(user=bob.user).exists()


def test_the_service_names_bad_aggregate_fields(alice: Member) -> None:
    with pytest.raises(AlertRuleInvalid) as bad:
        share_rule(alice, aggregate={"measure": "negative_share", "topic": " "})
    assert "aggregate.topic" in bad.value.fields
    with pytest.raises(AlertRuleInvalid) as bad:
        share_rule(alice, aggregate=None)
    assert "aggregate" in bad.value.fields
    with pytest.raises(AlertRuleInvalid) as bad:
        share_rule(alice, conditions={"sentiment": "negative"})
    assert "conditions" in bad.value.fields


def test_the_api_creates_patches_lists_and_previews_an_aggregate_rule(
    alice: Member, bob: Member, api_key_of, clock
) -> None:
    key = api_key_of(alice, "write")
    body = {
        "name": "Refund anger",
        "kind": "aggregate",
        "aggregate": {"measure": "negative_share", "topic": "refund", "hours": 2, "factor": 3},
    }
    created = api("post", "/alert-rules", key, body)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["kind"] == "aggregate" and rule["active"] is False
    assert rule["aggregate"]["factor"] == 3 and rule["aggregate"]["hours"] == 2
    patched = api(
        "patch",
        f"/alert-rules/{rule['id']}",
        key,
        {"aggregate": {"measure": "nps_drop", "points": 5}},
    )
    assert patched.status_code == 200 and patched.json()["aggregate"]["measure"] == "nps_drop"
    preview = api("post", f"/alert-rules/{rule['id']}/preview", key)
    assert preview.status_code == 200 and preview.json()["checks"] == 7
    listed = api("get", "/alert-rules", key).json()["items"]
    assert [r["kind"] for r in listed] == ["aggregate"]
    assert api("get", "/alert-rules", api_key_of(bob, "write")).json()["items"] == []
    missing = api("post", "/alert-rules", key, {"name": "x", "kind": "aggregate"})
    assert "aggregate" in assert_envelope(missing, 422, "validation_error")["fields"]
    unknown = api("post", "/alert-rules", key, {**body, "aggregate": {"measure": "negative_share"}})
    assert unknown.status_code == 422
    record = api("post", "/alert-rules", key, {"name": "plain", "conditions": {"topics": ["a"]}})
    assert record.status_code == 201 and record.json()["kind"] == "record"
    assert record.json()["aggregate"] is None


def test_the_rules_page_creates_an_aggregate_rule(alice: Member) -> None:
    response = alice.client.post(
        "/alerts/rules/",
        {
            "name": "Outage", "enabled": "on", "kind": "aggregate", "measure": "keyword_volume",
            "agg_keyword": "먹통", "hours": "1", "min_count": "5", "in_app": "on",
            "dedup_minutes": "60", "max_per_hour": "10", "action": "save",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content
    rule = AlertRule.objects.get(workspace=alice.workspace)
    assert rule.kind == "aggregate"
    assert rule.aggregate == {
        "measure": "keyword_volume", "keyword": "먹통", "hours": 1, "min_count": 5,
    }  # fmt: skip
    page = alice.client.get(f"/alerts/rules/{rule.pk}/")
    assert "먹통" in page.content.decode()


def test_the_slack_message_of_an_aggregate_alert_says_what_it_measured(
    alice: Member, clock
) -> None:
    baseline(alice)
    hour_rows(alice, NOW, "topic", "refund", 20, 9)
    alert = aggregate_check(rule=share_rule(alice), at=NOW)
    assert alert is not None
    blocks = slack_message([alert])["blocks"]
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert any("Refund anger" in t and "45%" in t and "refund" in t for t in texts)


def test_from_records_to_an_aggregate_alert_through_the_rollups(alice: Member, api_key_of):
    """No hand-made rows: records analysed, counted into the hourly rollups by the worker's
    loops, then the aggregate loop fires on a keyword they name."""
    key = api_key_of(alice, "write")
    ids = [send_feedback(key, f"앱 로그인이 계속 안 돼요 {i}번째 시도") for i in range(3)]
    rollups_refresh()
    counted = HourRollup.objects.filter(workspace=alice.workspace, facet="keyword")
    word, n = max(((r.value, r.n) for r in counted), key=lambda pair: pair[1])
    assert n == len(ids)
    rule = share_rule(
        alice,
        name="Login trouble",
        aggregate={"measure": "keyword_volume", "keyword": word, "min_count": 3},
    )
    assert alert_aggregates_run() == 1
    alert = Alert.objects.get(rule=rule)
    assert alert.measure["value"] == 3 and alert.record_ids == []
    assert word in Notification.objects.get(user=alice.user).body
