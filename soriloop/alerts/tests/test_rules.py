"""Alert rules: fired by the change-log consumer within the drain that follows analysis,
deduplicated, throttled, held in quiet hours, muted; sent in-app, by e-mail, to a real local
Slack-style receiver and to subscribed webhooks; isolated per workspace."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from django.core import mail

from soriloop.alerts.models import Alert, AlertRule, Notification
from soriloop.alerts.notify import alerts_release_held
from soriloop.alerts.rules import alert_rule_create, alert_rule_preview
from soriloop.alerts.tests.test_webhooks import Receiver, call, send_feedback
from soriloop.alerts.webhooks import webhooks_deliver
from soriloop.conftest import Member

pytestmark = pytest.mark.django_db

NEGATIVE_REFUND = "환불이 3주째 안 되고 있어요. 정말 화가 납니다"
POSITIVE = "배송이 빨라서 정말 좋았어요. 감사합니다"


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


@pytest.fixture
def local(settings) -> Iterator[Receiver]:
    """A real local HTTP receiver the SSRF checks are told to allow."""
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    found = Receiver()
    yield found
    found.close()


def rule_of(member: Member, **data) -> AlertRule:
    data.setdefault("name", "Negative refunds")
    data.setdefault("conditions", {"sentiment": "negative", "topics": ["refund"]})
    return alert_rule_create(workspace=member.workspace, actor=member.membership, data=data)


def test_a_negative_refund_record_fires_in_the_same_drain_and_a_positive_one_does_not(
    alice: Member, key: str
) -> None:
    rule = rule_of(alice)
    send_feedback(key, POSITIVE)
    assert not Alert.objects.filter(rule=rule).exists()
    record_id = send_feedback(key, NEGATIVE_REFUND)
    alert = Alert.objects.get(rule=rule)
    assert alert.record_ids == [record_id]
    note = Notification.objects.get(user=alice.user)
    assert "Negative refunds" in note.title and note.read_at is None


def test_a_second_match_in_the_dedup_window_joins_the_open_alert(alice: Member, key: str) -> None:
    rule = rule_of(alice, dedup_minutes=30)
    first = send_feedback(key, NEGATIVE_REFUND)
    second = send_feedback(key, "환불 요청했는데 아직도 처리가 안 됐어요. 최악이에요")
    alert = Alert.objects.get(rule=rule)
    assert (alert.count, alert.record_ids) == (2, [first, second])
    assert Notification.objects.filter(user=alice.user).count() == 1


def test_the_throttle_caps_alerts_per_hour(alice: Member, key: str) -> None:
    rule = rule_of(alice, dedup_minutes=0, max_per_hour=1)
    send_feedback(key, NEGATIVE_REFUND)
    send_feedback(key, "환불 요청했는데 아직도 처리가 안 됐어요. 최악이에요")
    assert Alert.objects.filter(rule=rule).count() == 1


def test_a_muted_rule_fires_until_its_snooze_ends(alice: Member, key: str, time_machine) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC), tick=False)
    rule = rule_of(alice, dedup_minutes=0, muted_until=dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC))
    send_feedback(key, NEGATIVE_REFUND)
    assert not Alert.objects.filter(rule=rule).exists()
    time_machine.move_to(dt.datetime(2026, 3, 2, 4, 1, tzinfo=dt.UTC), tick=False)
    send_feedback(key, "환불 요청했는데 아직도 처리가 안 됐어요. 최악이에요")
    assert Alert.objects.filter(rule=rule).count() == 1


def test_quiet_hours_hold_alerts_then_send_one_digest_per_recipient(
    alice: Member, key: str, time_machine, run_tasks
) -> None:
    # 23:30 in Seoul (UTC+9): inside 22:00-07:00
    time_machine.move_to(dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC), tick=False)
    rule_of(
        alice,
        dedup_minutes=0,
        email=True,
        quiet_start=dt.time(22, 0),
        quiet_end=dt.time(7, 0),
    )
    send_feedback(key, NEGATIVE_REFUND)
    send_feedback(key, "환불 요청했는데 아직도 처리가 안 됐어요. 최악이에요")
    run_tasks()
    assert Alert.objects.filter(held=True).count() == 2
    assert alerts_release_held() == 0
    assert not Notification.objects.exists() and not mail.outbox
    time_machine.move_to(dt.datetime(2026, 3, 2, 22, 1, tzinfo=dt.UTC), tick=False)  # 07:01
    assert alerts_release_held() == 2
    run_tasks()
    note = Notification.objects.get(user=alice.user)
    assert "2" in note.title
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@a.example"]
    assert not Alert.objects.filter(held=True).exists()


def test_the_e_mail_is_in_the_recipients_language(
    alice: Member, key: str, run_tasks, member_of_a
) -> None:
    english = member_of_a("viewer")
    english.user.language = "en"
    english.user.save()
    rule_of(alice, email=True, notify_user_ids=[english.user.pk])
    send_feedback(key, NEGATIVE_REFUND)
    run_tasks()
    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to[english.user.email].subject == "[Soriloop] Alert: Negative refunds"
    assert by_to["alice@a.example"].subject.startswith("[Soriloop] 알림")


def test_slack_gets_blocks_with_the_masked_text_and_a_link(
    alice: Member,
    key: str,
    local: Receiver,
    run_tasks,
) -> None:
    slack = local
    rule_of(alice, slack_url=slack.url)
    record_id = send_feedback(key, NEGATIVE_REFUND + " 010-1234-5678로 연락 주세요")
    run_tasks()
    assert len(slack.requests) == 1
    message = json.loads(slack.requests[0]["body"])
    assert "Negative refunds" in message["text"]
    section = message["blocks"][1]["text"]["text"]
    assert "010-1234-5678" not in section and "negative" in section
    assert f"/inbox/{record_id}/" in section


def test_a_private_slack_url_is_refused(alice: Member) -> None:
    from soriloop.alerts.rules import AlertRuleInvalid

    with pytest.raises(AlertRuleInvalid):
        rule_of(alice, slack_url="http://127.0.0.1:9/hook")


def test_alert_fired_reaches_a_subscribed_webhook_with_names_and_links(
    alice: Member,
    key: str,
    local: Receiver,
) -> None:
    hook = local
    created = call("post", "/webhooks", key, {"url": hook.url, "events": ["alert.fired"]})
    assert created.status_code == 201
    rule_of(alice)
    record_id = send_feedback(key, NEGATIVE_REFUND)
    webhooks_deliver(wait=True)
    assert len(hook.requests) == 1
    body = json.loads(hook.requests[0]["body"])
    assert body["type"] == "alert.fired"
    assert body["data"]["rule"]["name"] == "Negative refunds"
    assert body["data"]["records"][0]["url"].endswith(f"/inbox/{record_id}/")


def test_the_preview_counts_the_last_seven_days_with_dedup(alice: Member, key: str) -> None:
    rule = rule_of(alice, dedup_minutes=0, enabled=False)
    send_feedback(key, NEGATIVE_REFUND)
    send_feedback(key, POSITIVE)
    send_feedback(key, "환불 요청했는데 아직도 처리가 안 됐어요. 최악이에요")
    preview = alert_rule_preview(rule=rule)
    assert (preview.matches, preview.alerts, preview.records_checked) == (2, 2, 3)
    assert not Alert.objects.exists()
    rule.dedup_minutes = 60
    assert alert_rule_preview(rule=rule).alerts == 1


def test_a_correction_to_negative_fires_once_however_often_it_is_corrected(
    alice: Member, key: str
) -> None:
    from soriloop.analysis.corrections import analysis_correct
    from soriloop.core.changes import changes_drain
    from soriloop.feedback.models import Feedback

    rule = rule_of(alice, conditions={"sentiment": "negative"}, dedup_minutes=0)
    record_id = send_feedback(key, POSITIVE)
    assert not Alert.objects.filter(rule=rule).exists()
    record = Feedback.objects.get(pk=record_id)
    for label in ("negative", "neutral", "negative"):
        analysis_correct(feedback=record, changes={"sentiment": label}, actor=alice.membership)
        changes_drain()
    assert list(Alert.objects.filter(rule=rule).values_list("record_ids", flat=True)) == [
        [record_id]
    ]
