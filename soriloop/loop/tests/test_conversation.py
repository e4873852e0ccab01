"""Talking to the customer, over real SMTP on loopback: the reply leaves through the outbox
with the case's reply address and threading headers; the customer's answer comes back
through `soriloop smtpd` into the same case (re-opening it when resolved); an out-of-office
is recorded and never answered; resolving sends the verification survey once, and its
answer verifies or reopens the case."""

from __future__ import annotations

import json
import re
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client

from soriloop.conftest import Member, api, free_port, subprocess_env
from soriloop.loop.models import Case, CaseReply
from soriloop.loop.replies import case_replies_send
from soriloop.loop.tests.factories import case_of, detractor, settle
from soriloop.surveys.sending import survey_mail_send
from soriloop.surveys.tests.conftest import Sink

CUSTOMER = "minji@example.com"
DOMAIN = "feedback.example"


@pytest.fixture
def key(alice: Member, api_key_of, settings: Any) -> str:
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    settings.SURVEY_QUIET_HOURS = None
    return str(api_key_of(alice, "write"))


def reply(key: str, case_id: int, body: str, **extra: Any) -> dict[str, Any]:
    sent = api("post", f"/cases/{case_id}/replies", key, {"body": body, **extra})
    assert sent.status_code == 201, sent.content
    return dict(sent.json())


def customer_mail(to: str, text: str, in_reply_to: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"김민지 <{CUSTOMER}>"
    msg["To"] = to
    msg["Subject"] = headers.pop("Subject", "Re: 불편을 드려 죄송합니다")
    msg["Message-ID"] = f"<answer-{abs(hash(text))}@example.com>"
    msg["In-Reply-To"] = in_reply_to
    msg["References"] = in_reply_to
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(f"{text}\n\nOn Tue, Soriloop wrote:\n> earlier")
    return msg


@pytest.mark.django_db
def test_a_reply_leaves_by_the_outbox_with_the_case_address_and_headers(
    key: str, smtp_sink: Sink
) -> None:
    case = case_of(key, detractor(key, email=CUSTOMER))
    queued = reply(key, case["id"], "{name}님, 오늘 다시 보내드리겠습니다.", template="apology")
    assert queued["state"] == "queued" and smtp_sink.received == []  # not inside the request
    assert case_replies_send(owner="w") == 1
    [mail] = smtp_sink.to(CUSTOMER)
    token = Case.objects.get(pk=case["id"]).reply_token
    assert mail.message["Reply-To"] == f"reply+{token}@{DOMAIN}"
    assert f"reply+{token}@{DOMAIN}" in mail.message["From"]
    assert mail.message["Message-ID"] == queued["message_id"]
    assert "김민지님, 오늘 다시 보내드리겠습니다." in mail.body
    assert mail.message["Subject"].endswith("불편을 드려 죄송합니다")
    second = reply(key, case["id"], "배송이 출발했습니다.")
    case_replies_send(owner="w")
    later = smtp_sink.to(CUSTOMER)[1].message
    assert later["In-Reply-To"] == queued["message_id"]
    assert queued["message_id"] in later["References"]
    detail = api("get", f"/cases/{case['id']}", key).json()
    assert [r["state"] for r in detail["replies"]] == ["sent", "sent"]
    assert detail["first_response_at"] and detail["status"] == "acknowledged"
    assert second["id"] != queued["id"]


@pytest.mark.django_db
def test_a_reply_the_server_refuses_waits_and_is_tried_again(key: str, smtp_sink: Sink) -> None:
    case = case_of(key, detractor(key, email=CUSTOMER))
    smtp_sink.refuse[CUSTOMER] = "451 4.3.0 try later"
    reply(key, case["id"], "곧 연락드리겠습니다.")
    assert case_replies_send(owner="w") == 0
    row = CaseReply.objects.get()
    assert (row.state, row.attempts) == ("queued", 1) and "451" in row.error
    CaseReply.objects.update(due_at=row.created_at)
    del smtp_sink.refuse[CUSTOMER]
    assert case_replies_send(owner="w") == 1
    assert len(smtp_sink.to(CUSTOMER)) == 1


@pytest.mark.django_db
def test_a_case_without_a_customer_address_cannot_be_replied_to(key: str) -> None:
    case = case_of(key, detractor(key, email=CUSTOMER))
    Case.objects.filter(pk=case["id"]).update(customer=None)
    refused = api("post", f"/cases/{case['id']}/replies", key, {"body": "hi"})
    assert refused.status_code == 422 and "body" in refused.json()["error"]["fields"]


def answer(link: str, answers: dict[str, Any]) -> None:
    path = re.sub(r"^https?://[^/]+", "", link).rstrip("/") + "/answers"
    done = Client().post(
        path, data=json.dumps({"answers": answers, "final": True}), content_type="application/json"
    )
    assert done.status_code == 200, done.content


def verification_link(sink: Sink) -> str:
    found = re.search(r"https?://\S+/s/\S+/", sink.to(CUSTOMER)[-1].body)
    assert found, sink.to(CUSTOMER)[-1].body
    return found.group(0)


@pytest.mark.django_db
def test_resolving_sends_the_verification_survey_once_and_a_good_answer_verifies(
    key: str, smtp_sink: Sink
) -> None:
    case = case_of(key, detractor(key, email=CUSTOMER))
    path = f"/cases/{case['id']}"
    resolved = api("patch", path, key, {"status": "resolved"})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["verification"]["answered_at"] is None
    survey_mail_send(owner="w")
    link = verification_link(smtp_sink)
    answer(link, {"solved": "yes", "nps": 9})
    settle()
    detail = api("get", path, key).json()
    assert detail["status"] == "verified" and detail["verified_at"]
    assert detail["verification"] == {**detail["verification"], "solved": True, "score": 9}
    # once per case: reopened and resolved again, no second survey
    api("patch", path, key, {"status": "reopened"})
    api("patch", path, key, {"status": "resolved"})
    survey_mail_send(owner="w")
    assert len(smtp_sink.to(CUSTOMER)) == 1
    # the answer joined the case and opened none of its own
    assert api("get", "/cases", key).json()["items"][0]["id"] == case["id"]
    assert len(api("get", "/cases", key).json()["items"]) == 1


@pytest.mark.django_db
def test_a_bad_verification_answer_reopens_the_case(key: str, smtp_sink: Sink) -> None:
    case = case_of(key, detractor(key, email=CUSTOMER))
    api("patch", f"/cases/{case['id']}", key, {"status": "resolved"})
    survey_mail_send(owner="w")
    answer(verification_link(smtp_sink), {"solved": "no", "nps": 2})
    settle()
    detail = api("get", f"/cases/{case['id']}", key).json()
    assert detail["status"] == "reopened" and detail["resolved_at"] is None
    assert detail["verification"]["solved"] is False
    assert len(api("get", "/cases", key).json()["items"]) == 1


@pytest.mark.django_db(transaction=True)
def test_the_customers_answer_threads_back_through_smtpd_and_reopens_the_case(
    key: str, smtp_sink: Sink, run_tasks: Any
) -> None:
    case = case_of(key, detractor(key, email=CUSTOMER))
    sent = reply(key, case["id"], "다시 보내드렸습니다.")
    case_replies_send(owner="w")
    api("patch", f"/cases/{case['id']}", key, {"status": "resolved", "no_survey_reason": "test"})
    address = smtp_sink.to(CUSTOMER)[0].message["Reply-To"]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "smtpd", "--port", str(port)],
        env=subprocess_env(INBOUND_EMAIL_DOMAIN=DOMAIN),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None and "listening" in server.stdout.readline()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            away = customer_mail(
                address, "부재중입니다. 12월 5일에 돌아옵니다.", sent["message_id"],
                Subject="자동 회신: 부재중", **{"Auto-Submitted": "auto-replied"},
            )  # fmt: skip
            assert client.sendmail(CUSTOMER, [address], away.as_bytes()) == {}
            real = customer_mail(address, "아직 못 받았어요. 확인 부탁드려요.", sent["message_id"])
            assert client.sendmail(CUSTOMER, [address], real.as_bytes()) == {}
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail(CUSTOMER, [f"reply+{'0' * 24}@{DOMAIN}"], real.as_bytes())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    settle()
    detail = api("get", f"/cases/{case['id']}", key).json()
    assert detail["status"] == "reopened"
    kinds = [h["kind"] for h in detail["history"]]
    assert "auto_reply" in kinds and "reply" in kinds
    assert len(detail["feedback"]) == 3
    assert detail["sla"]["next_response_due"]
    assert len(api("get", "/cases", key).json()["items"]) == 1  # no case of its own
    # nothing answered the customer: no acknowledgement, no reply to the out-of-office
    run_tasks()
    case_replies_send(owner="w")
    assert len(smtp_sink.to(CUSTOMER)) == 1


@pytest.mark.django_db
def test_the_verification_is_a_follow_up_that_quiet_hours_do_not_hold(
    key: str, smtp_sink: Sink, settings: Any
) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo("Asia/Seoul"))  # quiet from an hour ago to an hour from now
    settings.SURVEY_QUIET_HOURS = tuple(
        (now + dt.timedelta(hours=h)).strftime("%H:%M") for h in (-1, 1)
    )
    case = case_of(key, detractor(key, email=CUSTOMER))
    api("patch", f"/cases/{case['id']}", key, {"status": "resolved"})
    survey_mail_send(owner="w")
    [mail] = smtp_sink.to(CUSTOMER)
    assert mail.message["Subject"].endswith("문의하신 문제는 해결되었나요?")
    assert re.search(r"/s/\S+/", mail.body)
