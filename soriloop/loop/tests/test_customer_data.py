"""A customer's cases on their profile: on the timeline in order, in the subject-access
export with their conversation, and gone from every loop table when the customer is erased
(deleted, or kept anonymous with ``ERASURE_FEEDBACK=redact``), other customers' and other
workspaces' cases untouched."""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from soriloop.accounts.services import api_key_create
from soriloop.conftest import Member, api
from soriloop.feedback.mail import mail_ingest
from soriloop.feedback.models import Feedback, RawMail
from soriloop.loop.models import Case, CaseReply, Verification
from soriloop.loop.replies import case_replies_send
from soriloop.loop.tests.factories import case_of, send, settle
from soriloop.surveys.sending import survey_mail_send
from soriloop.surveys.tests.conftest import Sink

EMAIL = "seoyeon@example.com"
PHONE = "010-2468-1357"
NAME = "한서연"
COMPLAINT = "환불 요청한 지 열흘째 소식이 없어요 정말 실망입니다"
REPLY = "오늘 환불을 다시 접수해 드렸습니다"
ANSWER = "아직 입금이 안 됐어요 다시 확인해 주세요"
AWAY = "부재중 자동응답 다음 주 월요일에 복귀합니다"
NOTE = "고객 요청으로 전화 회신 필요"
DOMAIN = "feedback.example"
TRACES = (EMAIL, PHONE, PHONE.replace("-", ""), NAME, COMPLAINT, REPLY, ANSWER, AWAY, NOTE)


def key_of(member: Member) -> str:
    """A write key that may see personal data (the export and the erasure need it)."""
    _key, plaintext = api_key_create(
        actor=member.membership, name="personal", scope="write", personal_data=True
    )
    return plaintext


@pytest.fixture
def key(alice: Member, settings: Any) -> str:
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    settings.SURVEY_QUIET_HOURS = None
    return key_of(alice)


def open_case(key: str, *, email: str = EMAIL, text: str = COMPLAINT, **customer: str) -> Case:
    record = send(
        key, text, score=1, score_kind="nps", customer={"email": email, "name": NAME, **customer}
    )
    return Case.objects.get(pk=case_of(key, record)["id"])


def mail(case: Case, text: str, in_reply_to: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{NAME} <{EMAIL}>"
    msg["To"] = f"reply+{case.reply_token}@{DOMAIN}"
    msg["Subject"] = headers.pop("Subject", "Re: 불편을 드려 죄송합니다")
    msg["Message-ID"] = f"<m-{abs(hash(text))}@example.com>"
    msg["In-Reply-To"] = msg["References"] = in_reply_to
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(text)
    return msg.as_bytes()


def verification_answer(sink: Sink, answers: dict[str, Any]) -> None:
    found = re.search(r"https?://\S+/s/\S+/", sink.to(EMAIL)[-1].body)
    assert found, sink.to(EMAIL)[-1].body
    path = re.sub(r"^https?://[^/]+", "", found.group(0)).rstrip("/") + "/answers"
    done = Client().post(
        path,
        data=json.dumps({"answers": answers, "final": True}),
        content_type="application/json",
    )
    assert done.status_code == 200, done.content


def full_conversation(key: str, sink: Sink) -> Case:
    """Opened, replied to (sent), answered by the customer and by their out-of-office, noted,
    resolved, verified solved with 9."""
    case = open_case(key, phone=PHONE)
    sent = api("post", f"/cases/{case.pk}/replies", key, {"body": REPLY, "template": "apology"})
    assert sent.status_code == 201, sent.content
    assert case_replies_send(owner="w") in (0, 1)  # the request may have sent it already
    message_id = sent.json()["message_id"]
    away = {"Subject": "자동 회신", "Auto-Submitted": "auto-replied"}
    mail_ingest(workspace=case.workspace, raw=mail(case, AWAY, message_id, **away), thread=case.reply_token)  # fmt: skip
    mail_ingest(workspace=case.workspace, raw=mail(case, ANSWER, message_id), thread=case.reply_token)  # fmt: skip
    settle()
    noted = api("post", f"/cases/{case.pk}/notes", key, {"body": f"{NOTE} {PHONE}"})
    assert noted.status_code == 201, noted.content
    resolved = api("patch", f"/cases/{case.pk}", key, {"status": "resolved"})
    assert resolved.status_code == 200, resolved.content
    survey_mail_send(owner="w")
    verification_answer(sink, {"solved": "yes", "nps": 9})
    settle()
    case.refresh_from_db()
    assert case.status == "verified" and CaseReply.objects.get(case=case).state == "sent"
    return case


def loop_texts_holding(needle: str) -> list[str]:
    """``model.field`` of every loop row whose text or JSON column holds ``needle``."""
    hits = []
    for model in apps.get_app_config("loop").get_models():
        columns = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model.objects.values(*columns) if columns else []:
            for column, value in row.items():
                if needle in (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)):  # fmt: skip
                    hits.append(f"{model.__name__}.{column}")
    return sorted(set(hits))


def case_kinds(timeline: list[dict[str, Any]]) -> list[str]:
    return [i["kind"] for i in reversed(timeline) if i["kind"].startswith("case_")]


@pytest.mark.django_db
def test_the_timeline_shows_the_case_in_order_and_links_each_step_to_the_case(
    alice: Member, key: str, smtp_sink: Sink
) -> None:
    case = full_conversation(key, smtp_sink)
    profile = api("get", f"/customers/{case.customer_id}", key).json()
    assert case_kinds(profile["timeline"]) == [
        "case_opened", "case_reply_sent", "case_reply_received", "case_resolved", "case_verified",
    ]  # fmt: skip
    steps = [i for i in profile["timeline"] if i["kind"].startswith("case_")]
    assert {i["data"]["url"] for i in steps} == {f"/cases/{case.pk}/"}
    assert steps[0]["data"] | {"solved": True, "score": 9} == steps[0]["data"]
    kinds = [i["kind"] for i in profile["timeline"]]
    assert kinds[-2:] == ["case_opened", "feedback"], "opened after its record (newest first)"
    page = alice.client.get(f"/customers/{case.customer_id}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and f'href="/cases/{case.pk}/"' in html
    assert 'data-kind="case_reply_received"' in html and "Customer replied on case" in html
    assert "follow-up score 9" in html
    korean = alice.client.get(f"/customers/{case.customer_id}/", HTTP_ACCEPT_LANGUAGE="ko")
    assert "고객이 케이스에 답장함" in korean.content.decode()


@pytest.mark.django_db
def test_the_export_holds_each_case_with_its_replies_and_inbound_messages(
    key: str, smtp_sink: Sink
) -> None:
    case = full_conversation(key, smtp_sink)
    export = api("get", f"/customers/{case.customer_id}/export", key)
    assert export.status_code == 200, export.content
    [exported] = export.json()["cases"]
    assert exported["id"] == case.pk and exported["status"] == "verified"
    assert exported["priority"] in ("urgent", "high", "normal", "low")
    assert exported["created_at"] and exported["resolved_at"] and exported["first_response_at"]
    [reply] = exported["replies"]
    assert reply["to"] == EMAIL and REPLY in reply["body"] and reply["state"] == "sent"
    texts = {m["text"]: m for m in exported["messages"]}
    assert texts[COMPLAINT]["inbound"] is False
    assert any(ANSWER in t and m["inbound"] for t, m in texts.items()), texts
    assert any(AWAY in t for t in texts), "the out-of-office too: it is their mail"
    assert NOTE in exported["notes"][0]["body"]
    assert exported["verification"] | {"solved": True, "score": 9} == exported["verification"]


@pytest.mark.django_db
def test_erasure_leaves_no_trace_of_the_customer_in_any_loop_table(
    key: str, smtp_sink: Sink
) -> None:
    case = full_conversation(key, smtp_sink)
    other = open_case(key, email="other@example.com", text="배송 상자가 찌그러져 왔어요")
    api("post", f"/cases/{other.pk}/replies", key, {"body": "교환해 드리겠습니다"})
    away = Feedback.objects.get(text__contains=AWAY)
    assert away.customer_id is None and RawMail.objects.filter(feedback=away).exists()
    held = (EMAIL, PHONE, NAME, COMPLAINT, REPLY, NOTE)  # the inbound texts are records
    assert all(loop_texts_holding(t) for t in held), "the control: the loop holds them before"

    erased = api("delete", f"/customers/{case.customer_id}", key)
    assert erased.status_code == 200, erased.content

    assert {t: loop_texts_holding(t) for t in TRACES} == {t: [] for t in TRACES}
    assert not Case.objects.filter(pk=case.pk).exists()
    away.refresh_from_db()
    assert away.text == "" and not RawMail.objects.filter(feedback=away).exists()
    other.refresh_from_db()
    assert other.subject.startswith("배송 상자가") and other.customer_id is not None
    assert "교환해 드리겠습니다" in CaseReply.objects.get(case=other).body


@pytest.mark.django_db
def test_erasure_with_redact_keeps_the_case_anonymous_for_the_metrics(
    key: str, smtp_sink: Sink, settings: Any
) -> None:
    settings.ERASURE_FEEDBACK = "redact"
    case = full_conversation(key, smtp_sink)
    token = case.reply_token
    erased = api("delete", f"/customers/{case.customer_id}", key)
    assert erased.status_code == 200, erased.content
    kept = Case.objects.get(pk=case.pk)
    assert (kept.customer_id, kept.subject, kept.status) == (None, "", "verified")
    assert kept.first_response_at and kept.resolved_at and kept.reply_token != token
    assert Verification.objects.get(case=kept).score == 9
    assert CaseReply.objects.get(case=kept).sent_at is not None
    assert {t: loop_texts_holding(t) for t in TRACES} == {t: [] for t in TRACES}


@pytest.mark.django_db
def test_a_case_found_after_the_feedback_source_unlinked_its_records_is_still_erased(
    key: str, smtp_sink: Sink
) -> None:
    from soriloop.feedback.customer_data import feedback_erase

    case = full_conversation(key, smtp_sink)
    customer = case.customer
    assert customer is not None
    feedback_erase(case.workspace_id, customer.pk, customer.email or "", customer.phone or "")
    assert not Feedback.objects.filter(customer=customer).exists()
    assert loop_texts_holding(EMAIL), "the case still holds them"
    erased = api("delete", f"/customers/{customer.pk}", key)
    assert erased.status_code == 200, erased.content
    assert {t: loop_texts_holding(t) for t in TRACES} == {t: [] for t in TRACES}


@pytest.mark.django_db
def test_bob_never_sees_alices_cases_and_erasing_his_customer_leaves_them(
    bob: Member, key: str, smtp_sink: Sink
) -> None:
    case = full_conversation(key, smtp_sink)
    bob_key = key_of(bob)
    send(bob_key, "bob's customer writes too", customer={"email": EMAIL, "name": NAME})
    bobs = api("get", "/customers", bob_key).json()["items"]
    [theirs] = [c for c in bobs if c["id"] != case.customer_id]
    mine = api("get", f"/customers/{case.customer_id}", key).json()
    assert "case_opened" in case_kinds(mine["timeline"]), "the control: alice sees her case"
    assert api("get", f"/customers/{case.customer_id}", bob_key).status_code == 404
    profile = api("get", f"/customers/{theirs['id']}", bob_key).json()
    assert case_kinds(profile["timeline"]) == []
    assert api("get", f"/customers/{theirs['id']}/export", bob_key).json()["cases"] == []
    assert api("delete", f"/customers/{theirs['id']}", bob_key).status_code == 200
    case.refresh_from_db()
    assert case.subject.startswith(COMPLAINT[:10]) and case.customer_id is not None
    assert REPLY in CaseReply.objects.get(case=case).body
