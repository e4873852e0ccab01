"""Digest e-mails through a real SMTP receiver on loopback, under a controlled clock: due at
the workspace's local hour, once per period, in each member's language (ko and en), with the
KPIs and their change, top topics, emerging issues and alerts fired; isolated per workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from soriloop.accounts.models import Role
from soriloop.alerts.digests import digest_subscribe, digests_send
from soriloop.alerts.models import Alert, DigestSubscription
from soriloop.alerts.rules import alert_rule_create
from soriloop.analysis.models import EmergingIssue, Topic
from soriloop.conftest import Member, api, make_member
from soriloop.insights.models import TOTAL, Rollup
from soriloop.surveys.tests.conftest import Sink

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 3)  # a Tuesday
# 08:30 in Seoul the next morning, past DIGEST_HOUR (8)
MORNING = dt.datetime(2026, 3, 3, 23, 30, tzinfo=dt.UTC)


def day_rows(member: Member, day: dt.date, n: int, promoters: int, detractors: int) -> None:
    common = {"workspace": member.workspace, "day": day, "level": TOTAL, "channel": ""}
    Rollup.objects.create(
        **common, n=n, nps_n=n, nps_promoters=promoters, nps_detractors=detractors
    )
    Rollup.objects.create(**common, facet="topic", value="late-refund", n=n)


@pytest.fixture
def shop(alice: Member) -> Member:
    Topic.objects.create(
        workspace=alice.workspace, key="late-refund", name_ko="환불 지연", name_en="Late refunds"
    )
    day_rows(alice, DAY - dt.timedelta(days=1), 40, 20, 10)  # NPS 25
    day_rows(alice, DAY, 50, 10, 30)  # NPS -40
    EmergingIssue.objects.create(
        workspace=alice.workspace, label_ko="앱 로그인 오류", label_en="App login errors",
        size=12, first_seen=DAY, last_seen=DAY,
    )  # fmt: skip
    rule = alert_rule_create(
        workspace=alice.workspace, actor=alice.membership, data={"name": "Refund anger"}
    )
    fired = dt.datetime(2026, 3, 3, 5, 0, tzinfo=dt.UTC)  # 14:00 in Seoul on DAY
    Alert.objects.create(workspace=alice.workspace, rule=rule, fired_at=fired, last_at=fired)
    return alice


@pytest.fixture
def english(shop: Member) -> Member:
    member = make_member("erin@a.example", shop.workspace, Role.VIEWER)
    member.user.language = "en"
    member.user.save()
    return member


def test_a_daily_digest_goes_out_once_at_the_local_hour_in_each_language(
    shop: Member, english: Member, smtp_sink: Sink, time_machine
) -> None:
    digest_subscribe(membership=shop.membership, frequency="daily")
    digest_subscribe(membership=english.membership, frequency="daily")
    time_machine.move_to(MORNING - dt.timedelta(hours=1), tick=False)  # 07:30 in Seoul
    assert digests_send() == 0
    time_machine.move_to(MORNING, tick=False)
    assert digests_send() == 2
    assert digests_send() == 0  # the period is sent
    (korean,) = smtp_sink.to("alice@a.example")
    assert "2026-03-03" in korean.message["Subject"] and "일일 요약" in korean.message["Subject"]
    assert "NPS: -40 (-65) *" in korean.body
    assert "환불 지연: 50" in korean.body and "앱 로그인 오류" in korean.body
    assert "Refund anger" in korean.body and "2026-03-03 14:00" in korean.body
    (mail,) = smtp_sink.to("erin@a.example")
    assert mail.message["Subject"] == "[Soriloop] Daily digest of Alice Shop, 2026-03-03"
    assert "Late refunds: 50" in mail.body and "App login errors" in mail.body
    assert "Key figures" in mail.body and "Refund anger" in mail.body
    # the next morning brings the next day's digest
    time_machine.move_to(MORNING + dt.timedelta(days=1), tick=False)
    assert digests_send() == 2
    assert DigestSubscription.objects.get(membership=shop.membership).last_period == "2026-03-04"


def test_a_weekly_digest_covers_monday_to_sunday_and_goes_out_on_monday(
    shop: Member, smtp_sink: Sink, time_machine
) -> None:
    digest_subscribe(membership=shop.membership, frequency="weekly")
    monday = dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.UTC)  # Mon 9 March, 08:30 in Seoul
    time_machine.move_to(monday, tick=False)
    assert digests_send() == 1
    (sent,) = smtp_sink.received
    assert "2026-03-02" in sent.message["Subject"] and "2026-03-08" in sent.message["Subject"]
    assert "환불 지연: 90" in sent.body  # both days of the week
    time_machine.move_to(monday + dt.timedelta(days=2), tick=False)
    assert digests_send() == 0  # the same week


def test_a_refused_send_is_tried_again(shop: Member, smtp_sink: Sink, time_machine) -> None:
    smtp_sink.refuse["alice@a.example"] = "550 5.1.1 no such user"
    digest_subscribe(membership=shop.membership, frequency="daily")
    time_machine.move_to(MORNING, tick=False)
    assert digests_send() == 0
    found = DigestSubscription.objects.get(membership=shop.membership)
    assert found.last_period == "" and "550" in found.last_error
    del smtp_sink.refuse["alice@a.example"]
    assert digests_send() == 1


def test_a_digest_tells_only_its_own_workspace(
    shop: Member, bob: Member, smtp_sink: Sink, time_machine
) -> None:
    digest_subscribe(membership=shop.membership, frequency="daily")
    digest_subscribe(membership=bob.membership, frequency="daily")
    time_machine.move_to(MORNING, tick=False)
    assert digests_send() == 2
    assert "Refund anger" in smtp_sink.to("alice@a.example")[0].body
    theirs = smtp_sink.to("bob@b.example")[0].body
    assert "Refund anger" not in theirs and "환불 지연" not in theirs


def test_the_alerts_page_saves_ones_digest_choice(shop: Member, bob: Member) -> None:
    assert shop.client.post("/alerts/", {"digest": "weekly"}).status_code == 302
    assert DigestSubscription.objects.get(membership=shop.membership).frequency == "weekly"
    page = shop.client.get("/alerts/").content.decode()
    assert '<option value="weekly" selected>' in page
    assert '<option value="weekly" selected>' not in bob.client.get("/alerts/").content.decode()
    assert shop.client.post("/alerts/", {"digest": "hourly"}).status_code == 400


def test_the_api_reads_and_chooses_the_key_creators_digest(
    alice: Member, bob: Member, api_key_of
) -> None:
    key = api_key_of(alice, "write")
    assert api("get", "/digest", key).json() == {
        "frequency": "off", "hour": 8, "timezone": "Asia/Seoul",
    }  # fmt: skip
    chosen = api("put", "/digest", key, {"frequency": "daily"})
    assert chosen.status_code == 200 and chosen.json()["frequency"] == "daily"
    assert api("get", "/digest", api_key_of(bob, "write")).json()["frequency"] == "off"
    assert api("put", "/digest", key, {"frequency": "hourly"}).status_code == 422
    assert api("get", "/digest").status_code == 401
