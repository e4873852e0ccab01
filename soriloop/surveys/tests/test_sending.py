"""Sending surveys: e-mail campaigns through a real SMTP receiver on loopback, throttled,
outside quiet hours, with one reminder each; unsubscribes and bounces on the suppression
list of every path; a crash half-way resumed without double sends."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from soriloop.conftest import Member, api, assert_envelope, free_port, subprocess_env
from soriloop.surveys.models import Contact, Message, Suppression
from soriloop.surveys.sending import survey_mail_release_orphans, survey_mail_send
from soriloop.surveys.services import responses_record_partial

pytestmark = pytest.mark.django_db

SEOUL_11AM = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # a Tuesday, 11:00 in Seoul
DAY = dt.timedelta(days=1)

SURVEY = {
    "name": "배송 만족도",
    "languages": ["ko", "en"],
    "questions": [
        {
            "key": "csat",
            "kind": "csat",
            "required": True,
            "text": {"ko": "만족하셨나요?", "en": "Happy?"},
        },
        {"key": "why", "kind": "text", "text": {"ko": "이유", "en": "Why?"}},
        {"key": "order_id", "kind": "hidden"},
    ],
}


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


def live_survey(key: str, name: str = "배송 만족도") -> int:
    created = api("post", "/surveys", key, {**SURVEY, "name": name})
    assert created.status_code == 201, created.content
    survey_id = created.json()["id"]
    assert api("post", f"/surveys/{survey_id}/publish", key).status_code == 200
    return int(survey_id)


def campaign(key: str, survey_id: int, **body: Any) -> dict[str, Any]:
    response = api("post", f"/surveys/{survey_id}/campaigns", key, body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def progress(key: str, survey_id: int, campaign_id: int) -> dict[str, Any]:
    response = api("get", f"/surveys/{survey_id}/campaigns/{campaign_id}", key)
    assert response.status_code == 200, response.content
    return dict(response.json())


def link_in(body: str) -> str:
    return next(word for word in body.split() if "/s/" in word and "/s/u/" not in word)


def answer(link: str, answers: dict[str, Any], final: bool) -> Any:
    path = urlsplit(link).path.rstrip("/") + "/answers"
    body = json.dumps({"answers": answers, "final": final})
    return Client().post(path, body, content_type="application/json")


def send_all() -> int:
    total = 0
    while sent := survey_mail_send(owner="test"):
        total += sent
    return total


def test_a_campaign_is_throttled_and_reminds_each_non_responder_once(
    key: str, smtp_sink, settings, time_machine
) -> None:
    settings.SURVEY_MAIL_PER_MINUTE = 2
    time_machine.move_to(SEOUL_11AM, tick=False)
    survey_id = live_survey(key)
    people = ["never@x.example", "opened@x.example", "started@x.example", "done@x.example"]
    recipients = [{"email": a, "language": "ko"} for a in people]
    recipients[0]["language"] = "en"
    made = campaign(key, survey_id, name="3월", recipients=recipients, reminder_days=3)
    assert (made["recipients"], made["queued"], made["state"]) == (4, 4, "sending")

    assert send_all() == 2, "two a minute"
    assert progress(key, survey_id, made["id"])["sent"] == 2
    time_machine.move_to(SEOUL_11AM + dt.timedelta(minutes=1), tick=False)
    assert send_all() == 2
    assert len(smtp_sink.received) == 4
    first = smtp_sink.to("never@x.example")[0]
    assert first.message["Subject"] == "배송 만족도: a minute for your view?"
    assert first.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(first.message["List-Unsubscribe"]).strip().startswith("<http")
    assert "/s/u/" in first.body, "the body has the link as well"
    assert "잠시 의견을 들려주세요" in smtp_sink.to("done@x.example")[0].message["Subject"]

    links = {a: link_in(smtp_sink.to(a)[0].body) for a in people}
    assert Client().get(urlsplit(links["opened@x.example"]).path).status_code == 200
    assert answer(links["started@x.example"], {"csat": 4}, final=False).status_code == 200
    assert answer(links["done@x.example"], {"csat": 5}, final=True).status_code == 200
    now = progress(key, survey_id, made["id"])
    assert (now["sent"], now["opened"], now["started"], now["finished"]) == (4, 3, 2, 1)

    time_machine.move_to(SEOUL_11AM + 2 * DAY, tick=False)
    assert responses_record_partial() == 0, "a started response waits for its reminder"
    assert send_all() == 0, "not yet three days"
    time_machine.move_to(SEOUL_11AM + 3 * DAY + dt.timedelta(minutes=2), tick=False)
    assert send_all() == 2, "reminders are throttled too"
    time_machine.move_to(SEOUL_11AM + 3 * DAY + dt.timedelta(minutes=3), tick=False)
    assert send_all() == 2, "one sent, one skipped (finished: no reminder)"
    reminders = smtp_sink.received[4:]
    assert sorted(r.to[0] for r in reminders) == people[:3], "the finished get none"
    subjects = {r.to[0]: str(r.message["Subject"]).strip() for r in reminders}
    assert subjects["never@x.example"] == "배송 만족도: we would still love your view"
    assert "마저" in subjects["started@x.example"], "finish where you left off"
    assert "이어서" in smtp_sink.to("started@x.example")[1].body
    assert "아직 의견을" in subjects["opened@x.example"]
    done = progress(key, survey_id, made["id"])["reminders"]
    assert done["sent"] == 3
    assert done["skipped"]["finished"] == 1
    assert done["sent_by_variant"] == {"unopened": 1, "opened": 1, "started": 1}

    time_machine.move_to(SEOUL_11AM + 9 * DAY, tick=False)
    assert send_all() == 0, "one reminder each, at most"
    assert len(smtp_sink.received) == 7


def test_nothing_is_sent_in_quiet_hours(key: str, alice: Member, smtp_sink, time_machine) -> None:
    evening = dt.datetime(2026, 3, 3, 12, 30, tzinfo=dt.UTC)  # 21:30 in Seoul
    time_machine.move_to(evening, tick=False)
    survey_id = live_survey(key)
    made = campaign(key, survey_id, recipients=[{"email": "late@x.example"}])
    assert send_all() == 0
    assert smtp_sink.received == []
    (message,) = Message.objects.all()
    assert message.due_at == dt.datetime(2026, 3, 4, 0, 0, tzinfo=dt.UTC), "09:00 in Seoul"
    time_machine.move_to(dt.datetime(2026, 3, 3, 23, 59, tzinfo=dt.UTC), tick=False)
    assert send_all() == 0
    time_machine.move_to(dt.datetime(2026, 3, 4, 0, 0, tzinfo=dt.UTC), tick=False)
    assert send_all() == 1
    assert progress(key, survey_id, made["id"])["sent"] == 1

    changed = api(
        "put", "/survey-settings", key, {"quiet_hours": {"start": "08:00", "end": "10:00"}}
    )
    assert changed.json()["quiet_hours"] == {"start": "08:00", "end": "10:00"}
    assert api("get", "/survey-settings", key).json()["gap_days"] == 14, "the rest kept"
    bad = api("put", "/survey-settings", key, {"quiet_hours": {"start": "25:00", "end": "x"}})
    assert set(assert_envelope(bad, 422, "validation_error")["fields"]) >= {
        "quiet_hours.start",
        "quiet_hours.end",
    }
    off = api("put", "/survey-settings", key, {"quiet_hours": None})
    assert off.json()["quiet_hours"] is None


def test_an_unsubscribe_is_honoured_by_the_next_campaign(
    key: str, alice: Member, smtp_sink, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    first = live_survey(key, "1분기 NPS")
    campaign(key, first, recipients=[{"email": "Kim@X.example"}, {"email": "lee@x.example"}])
    assert send_all() == 2
    header = smtp_sink.to("kim@x.example")[0].message["List-Unsubscribe"]
    path = urlsplit(str(header).strip().strip("<>")).path

    page = Client().get(path)
    assert page.status_code == 200
    assert "kim@x.example" in page.content.decode()
    assert not Suppression.objects.exists(), "opening the link unsubscribes no one"
    one_click = Client().post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert one_click.status_code == 200
    assert "수신이 해지" in one_click.content.decode(), "in the recipient's language"
    assert Suppression.objects.get().reason == "unsubscribed"
    assert Client().get("/s/u/forged-token/").status_code == 404

    time_machine.move_to(SEOUL_11AM + 20 * DAY, tick=False)
    second = live_survey(key, "2분기 NPS")
    made = campaign(
        key, second, recipients=[{"email": "kim@x.example"}, {"email": "lee@x.example"}]
    )
    invited = api(
        "post",
        f"/surveys/{second}/invitations",
        key,
        {"recipients": [{"email": "KIM@x.example"}], "send": "email"},
    )
    assert invited.status_code == 201
    send_all()
    assert [r.to for r in smtp_sink.received[2:]] == [["lee@x.example"]]
    now = progress(key, second, made["id"])
    assert (now["sent"], now["skipped"]["suppressed"]) == (1, 1)
    assert Message.objects.filter(invitation__campaign=None, reason="suppressed").count() == 1
    listed = api("get", "/suppressions", key).json()
    assert listed["total"] == 1
    assert listed["items"][0]["reason"] == "unsubscribed"
    assert listed["items"][0]["address"] != "kim@x.example", (
        "masked for a key without personal data"
    )


def test_a_5xx_refusal_bounces_and_suppresses_a_4xx_is_tried_again(
    key: str, smtp_sink, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    smtp_sink.refuse["gone@x.example"] = "550 5.1.1 No such user"
    smtp_sink.refuse["busy@x.example"] = "451 4.3.0 Try again later"
    survey_id = live_survey(key)
    people = ["gone@x.example", "busy@x.example", "fine@x.example"]
    made = campaign(key, survey_id, recipients=[{"email": a} for a in people], reminder_days=2)
    send_all()
    assert [r.to for r in smtp_sink.received] == [["fine@x.example"]]
    now = progress(key, survey_id, made["id"])
    assert (now["sent"], now["bounced"], now["queued"]) == (1, 1, 1)
    bounced = Suppression.objects.get()
    assert (bounced.address, bounced.reason) == ("gone@x.example", "bounced")
    assert "550" in bounced.detail
    assert not Contact.objects.filter(address="gone@x.example").exists(), "no survey reached"

    del smtp_sink.refuse["busy@x.example"]
    time_machine.move_to(SEOUL_11AM + dt.timedelta(minutes=6), tick=False)
    assert send_all() == 1
    assert smtp_sink.to("busy@x.example")

    time_machine.move_to(SEOUL_11AM + 20 * DAY, tick=False)
    again = campaign(key, live_survey(key, "다음"), recipients=[{"email": "gone@x.example"}])
    send_all()
    assert progress(key, again["survey_id"], again["id"])["skipped"]["suppressed"] == 1


def test_an_unreachable_server_delays_the_mail_and_loses_none(
    key: str, smtp_sink, settings, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    survey_id = live_survey(key)
    made = campaign(key, survey_id, recipients=[{"email": "a@x.example"}, {"email": "b@x.example"}])
    working = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    assert survey_mail_send(owner="test") == 0
    first = Message.objects.order_by("id").first()
    assert (first.state, first.attempts) == ("queued", 1)
    assert "Connection" in first.error or "refused" in first.error.lower()
    assert progress(key, survey_id, made["id"])["queued"] == 2, "nothing lost"
    settings.EMAIL_PORT = working
    time_machine.move_to(SEOUL_11AM + dt.timedelta(minutes=5), tick=False)
    assert send_all() == 2
    assert sorted(r.to[0] for r in smtp_sink.received) == ["a@x.example", "b@x.example"]


def test_a_campaign_reports_the_recipients_it_left_out(key: str, alice: Member) -> None:
    survey_id = live_survey(key)
    csv = "Email,Name,language,order_id\nkim@x.example,김,ko,A-1\nnot-an-address,x,ko,\nkim@x.example,again,,\nlee@x.example,,fr,\n"
    made = campaign(key, survey_id, csv=csv)
    assert made["recipients"] == 1
    assert made["rejected"] == [
        {"where": "line 3", "reason": "no valid e-mail address"},
        {"where": "line 4", "reason": "the same address is earlier in the list"},
        {"where": "line 5", "reason": "language must be ko or en"},
    ]
    from soriloop.surveys.models import Invitation

    assert Invitation.objects.get().hidden == {"order_id": "A-1"}
    nothing = api("post", f"/surveys/{survey_id}/campaigns", key, {"csv": "name\nx\n"})
    assert "csv" in assert_envelope(nothing, 422, "validation_error")["fields"]
    both = api(
        "post",
        f"/surveys/{survey_id}/campaigns",
        key,
        {"csv": csv, "recipients": [{"email": "a@x.example"}]},
    )
    assert "recipients" in assert_envelope(both, 422, "validation_error")["fields"]
    draft = api("post", "/surveys", key, SURVEY).json()["id"]
    refused = api(
        "post", f"/surveys/{draft}/campaigns", key, {"recipients": [{"email": "a@x.example"}]}
    )
    assert "survey" in assert_envelope(refused, 422, "validation_error")["fields"]
    late = api(
        "post",
        f"/surveys/{survey_id}/campaigns",
        key,
        {"recipients": [{"email": "a@x.example"}], "reminder_days": 30, "expires_days": 7},
    )
    assert "reminder_days" in assert_envelope(late, 422, "validation_error")["fields"]
    assert api("post", f"/surveys/{survey_id}/campaigns", None, {"csv": csv}).status_code == 401


def test_a_segment_campaign_reaches_the_segments_customers(key: str, alice: Member) -> None:
    from soriloop.customers.models import Customer

    Customer.objects.create(
        workspace=alice.workspace, email="vip@x.example", attributes={"segment": "vip"}
    )
    Customer.objects.create(
        workspace=alice.workspace, email="other@x.example", attributes={"segment": "basic"}
    )
    Customer.objects.create(
        workspace=alice.workspace, phone="01012345678", attributes={"segment": "vip"}
    )
    survey_id = live_survey(key)
    made = campaign(key, survey_id, segment="vip")
    assert (made["recipients"], made["source"], made["segment"]) == (1, "segment", "vip")


def test_a_cancelled_campaign_sends_nothing_more(
    key: str, smtp_sink, settings, time_machine
) -> None:
    settings.SURVEY_MAIL_PER_MINUTE = 1
    time_machine.move_to(SEOUL_11AM, tick=False)
    survey_id = live_survey(key)
    made = campaign(key, survey_id, recipients=[{"email": f"p{i}@x.example"} for i in range(3)])
    assert send_all() == 1
    cancelled = api("post", f"/surveys/{survey_id}/campaigns/{made['id']}/cancel", key)
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["skipped"]["cancelled"] == 2
    time_machine.move_to(SEOUL_11AM + dt.timedelta(minutes=5), tick=False)
    assert send_all() == 0
    assert len(smtp_sink.received) == 1


def test_bob_reaches_none_of_alices_campaigns(key: str, bob: Member, api_key_of) -> None:
    survey_id = live_survey(key)
    made = campaign(key, survey_id, recipients=[{"email": "kim@x.example"}])
    path = f"/surveys/{survey_id}/campaigns/{made['id']}"
    assert api("get", path, key).json()["recipients"] == 1, "alice sees her campaign"
    assert [
        c["id"] for c in api("get", f"/surveys/{survey_id}/campaigns", key).json()["items"]
    ] == [made["id"]]
    theirs = api_key_of(bob, "write")
    assert_envelope(api("get", path, theirs), 404, "not_found")
    assert_envelope(api("get", f"/surveys/{survey_id}/campaigns", theirs), 404, "not_found")
    assert_envelope(api("post", f"{path}/cancel", theirs), 404, "not_found")
    body = {"recipients": [{"email": "x@y.example"}]}
    assert_envelope(api("post", f"/surveys/{survey_id}/campaigns", theirs, body), 404, "not_found")
    bobs_survey = live_survey(theirs, "bob's")
    assert_envelope(
        api("get", f"/surveys/{bobs_survey}/campaigns/{made['id']}", theirs), 404, "not_found"
    )
    assert api("get", path, key).json()["state"] == "sending", "alice's campaign goes on"
    read = api_key_of(bob, "read")
    assert api("post", f"/surveys/{bobs_survey}/campaigns", read, body).status_code == 403


CRASHING_WORKER = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soriloop.settings")
django.setup()
from soriloop.surveys.sending import survey_mail_send
while True:
    survey_mail_send(owner="worker-that-dies")
"""


@pytest.mark.django_db(transaction=True)
def test_a_half_sent_campaign_resumes_after_a_crash_without_double_sends(
    alice: Member, api_key_of, smtp_sink, settings
) -> None:
    settings.SURVEY_QUIET_HOURS = None  # the worker runs on the real clock
    settings.SURVEY_MAIL_PER_MINUTE = 1000
    key = api_key_of(alice, "write")
    survey_id = live_survey(key)
    people = [f"p{i}@x.example" for i in range(10)]
    made = campaign(key, survey_id, recipients=[{"email": a} for a in people])
    worker = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER],
        env=subprocess_env(
            EMAIL_BACKEND=settings.EMAIL_BACKEND,
            EMAIL_HOST=settings.EMAIL_HOST,
            EMAIL_PORT=str(settings.EMAIL_PORT),
            SURVEY_QUIET_HOURS="",
            SURVEY_MAIL_PER_MINUTE="1000",
        ),
    )

    def die_on_the_fourth(envelope: Any) -> str | None:
        # killed before the 250 of its fourth message: that one was never accepted
        if len(smtp_sink.received) == 3:
            os.kill(worker.pid, signal.SIGKILL)
            return "421 4.3.0 going away"
        return None

    smtp_sink.on_data = die_on_the_fourth
    try:
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == -signal.SIGKILL
    assert len(smtp_sink.received) == 3
    half = progress(key, survey_id, made["id"])
    assert (half["sent"], half["queued"]) == (3, 7)

    smtp_sink.on_data = None
    assert survey_mail_release_orphans() == 7, "the dead worker's claims go back"
    deadline = time.monotonic() + 30
    while len(smtp_sink.received) < 10 and time.monotonic() < deadline:
        survey_mail_send(owner="a-new-worker")
    addressed = sorted(r.to[0] for r in smtp_sink.received)
    assert addressed == sorted(people), "each exactly once"
    assert progress(key, survey_id, made["id"])["sent"] == 10
    assert Contact.objects.count() == 10
