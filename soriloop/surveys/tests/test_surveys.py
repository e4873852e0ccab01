"""Surveys through the API and the respondent's link: build, publish, invite, answer once,
results, and the answers as feedback records."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from soriloop.conftest import Member
from soriloop.core.models import Change
from soriloop.feedback.models import Feedback
from soriloop.surveys.models import Response, Survey
from soriloop.surveys.sending import survey_mail_send
from soriloop.surveys.services import responses_record_partial
from soriloop.surveys.starters import STARTERS

pytestmark = pytest.mark.django_db

NPS = {
    "name": "결제 NPS",
    "touchpoint": "checkout",
    "languages": ["ko", "en"],
    "questions": [
        {
            "key": "nps",
            "kind": "nps",
            "required": True,
            "text": {"ko": "추천하시겠어요?", "en": "Would you recommend us?"},
        },
        {
            "key": "wrong",
            "kind": "text",
            "text": {"ko": "무엇이 아쉬웠나요?", "en": "What went wrong?"},
            "show_if": {"key": "nps", "op": "lte", "value": 6},
        },
        {
            "key": "loved",
            "kind": "text",
            "text": {"ko": "무엇이 좋았나요?", "en": "What did you love?"},
            "show_if": {"key": "nps", "op": "gte", "value": 9},
        },
        {
            "key": "plan",
            "kind": "single",
            "text": {"ko": "요금제", "en": "Plan"},
            "choices": ["basic", "pro"],
            "other": True,
        },
        {"key": "order_id", "kind": "hidden"},
    ],
}


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


def call(method: str, path: str, key: str, body=None):
    kwargs: dict = {"headers": {"Authorization": f"Bearer {key}"}}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(Client(), method)(f"/api/v1{path}", **kwargs)


def answer(link: str, answers: dict, final: bool = True, client: Client | None = None):
    path = urlsplit(link).path.rstrip("/") + "/answers"
    body = json.dumps({"answers": answers, "final": final})
    return (client or Client()).post(path, body, content_type="application/json")


def live_survey(key: str, definition: dict = NPS) -> dict:
    created = call("post", "/surveys", key, definition)
    assert created.status_code == 201, created.content
    survey = created.json()
    assert call("post", f"/surveys/{survey['id']}/publish", key).status_code == 200
    return survey


def invite(key: str, survey_id: int, **recipient) -> str:
    recipient = {"email": "kim@x.example", "language": "ko", **recipient}
    response = call("post", f"/surveys/{survey_id}/invitations", key, {"recipients": [recipient]})
    assert response.status_code == 201, response.content
    return response.json()["invitations"][0]["link"]


def test_an_invited_customer_answers_once_and_the_answer_is_feedback(key: str) -> None:
    survey = live_survey(key)
    link = invite(key, survey["id"], external_id="c-7", name="김하늘")
    assert answer(link, {"nps": 11}).status_code == 422
    saved = answer(link, {"nps": 3, "wrong": "배송이 너무 늦었어요", "plan": "pro"})
    assert saved.status_code == 200, saved.content
    assert saved.json()["finished"] is True
    again = answer(link, {"nps": 9})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_answered"

    record = Feedback.objects.get(channel="survey")
    assert (record.score, record.score_kind, record.text) == (3, "nps", "배송이 너무 늦었어요")
    assert record.touchpoint == "checkout"
    assert record.customer is not None and record.customer.external_id == "c-7"
    assert record.metadata["choices"] == {"plan": "pro"}
    assert record.metadata["survey_id"] == survey["id"]
    event = Change.objects.get(type="survey.response.completed")
    assert event.payload["feedback_ids"] == [record.pk]

    results = call("get", f"/surveys/{survey['id']}/results", key).json()
    assert (results["invited"], results["started"], results["finished"]) == (1, 1, 1)
    assert results["response_rate"] == 1.0
    assert results["nps"]["score"] == -100.0
    assert results["nps"]["n"] == 1
    by_key = {q["key"]: q for q in results["questions"]}
    assert by_key["nps"]["summary"]["distribution"]["3"] == 1
    assert by_key["loved"]["reached"] == 0, "a detractor is not asked what they loved"
    assert by_key["plan"]["summary"]["counts"] == {"basic": 0, "pro": 1, "other": 0}


def test_invalid_answers_name_their_question(key: str) -> None:
    survey = live_survey(key)
    link = invite(key, survey["id"])
    for answers, field in (
        ({"nps": "ten"}, "nps"),
        ({"nps": True}, "nps"),
        ({"plan": "gold"}, "plan"),
        ({"nope": 1}, "nope"),
        ({"order_id": "A-1"}, "order_id"),
    ):
        response = answer(link, answers, final=False)
        assert response.status_code == 422, answers
        assert field in response.json()["error"]["fields"]
    missing = answer(link, {"wrong": "..."}, final=True)
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"] == {"nps": ["is required"]}


def test_partial_answers_are_saved_and_resume_on_the_same_link(key: str) -> None:
    survey = live_survey(key)
    link = invite(key, survey["id"])
    assert answer(link, {"nps": 10}, final=False).json()["finished"] is False
    page = Client().get(urlsplit(link).path)
    assert page.status_code == 200
    assert 'value="10" checked' in page.content.decode()
    done = answer(link, {"loved": "친절한 상담"}, final=True).json()
    assert done["answers"] == {"nps": 10, "loved": "친절한 상담"}
    assert Response.objects.get().finished_at is not None


def test_a_changed_branch_drops_the_answers_it_no_longer_asks(key: str) -> None:
    survey = live_survey(key)
    link = invite(key, survey["id"])
    answer(link, {"nps": 2, "wrong": "느려요"}, final=False)
    done = answer(link, {"nps": 10}, final=True).json()
    assert done["answers"] == {"nps": 10}


def test_a_partial_response_left_alone_becomes_feedback(key: str, time_machine) -> None:
    survey = live_survey(key)
    link = invite(key, survey["id"])
    answer(link, {"nps": 8}, final=False)
    assert responses_record_partial() == 0
    time_machine.move_to(timezone.now() + dt.timedelta(hours=25))
    assert responses_record_partial() == 1
    assert Feedback.objects.get(channel="survey").score == 8
    assert answer(link, {"nps": 9}).status_code == 409, "recorded: it no longer changes"
    assert responses_record_partial() == 0


def test_closed_surveys_expired_and_bad_links_say_so(key: str) -> None:
    survey = live_survey(key)
    link = invite(key, survey["id"])
    expired = call(
        "post",
        f"/surveys/{survey['id']}/invitations",
        key,
        {"recipients": [{"email": "a@x.example"}], "expires_days": 1},
    ).json()["invitations"][0]["link"]
    Survey.objects.filter(pk=survey["id"])  # still live
    from soriloop.surveys.models import Invitation

    Invitation.objects.filter(token=urlsplit(expired).path.split("/")[2]).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert answer(expired, {"nps": 5}).json()["error"]["code"] == "expired"
    assert Client().get(urlsplit(expired).path).status_code == 410
    assert call("post", f"/surveys/{survey['id']}/close", key).json()["state"] == "closed"
    gone = answer(link, {"nps": 5})
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "closed")
    page = Client().get(urlsplit(link).path)
    assert page.status_code == 410
    assert "closed" in page.content.decode() or "마감" in page.content.decode()
    assert Client().get("/s/not-a-token/").status_code == 404
    assert answer("http://x/s/not-a-token/", {"nps": 1}).status_code == 404


def test_a_draft_link_takes_no_answers(key: str) -> None:
    draft = call("post", "/surveys", key, NPS).json()
    response = answer(draft["public_link"], {"nps": 5})
    assert (response.status_code, response.json()["error"]["code"]) == (410, "not_open")


def test_the_public_link_keeps_one_response_per_device(key: str) -> None:
    survey = live_survey(key)
    first, second = Client(), Client()
    first.get(urlsplit(survey["public_link"]).path)
    answer(survey["public_link"], {"nps": 9}, final=False, client=first)
    answer(survey["public_link"], {"loved": "빨라요"}, final=True, client=first)
    answer(survey["public_link"], {"nps": 4}, final=True, client=second)
    assert Response.objects.count() == 2
    assert sorted(Feedback.objects.values_list("score", flat=True)) == [4, 9]
    assert answer(survey["public_link"], {"nps": 1}, client=first).status_code == 409


def test_the_respondent_form_works_without_script(key: str) -> None:
    survey = live_survey(key)
    link = urlsplit(invite(key, survey["id"])).path
    client = Client()
    page = client.get(link + "?lang=en")
    assert "Would you recommend us?" in page.content.decode()
    refused = client.post(link + "answers", {"nps": "11"})
    assert refused.status_code == 422
    done = client.post(
        link + "answers?lang=en",
        {"nps": "6", "wrong": "Slow", "plan": "__other__", "plan__other": "Team"},
    )
    assert done.status_code == 200
    assert 'data-testid="done"' in done.content.decode()
    record = Feedback.objects.get()
    assert (record.score, record.text) == (6, "Slow")
    assert record.metadata["choices"] == {"plan": {"other": "Team"}}


def test_editing_a_live_survey_keeps_old_answers_on_their_version(key: str) -> None:
    survey = live_survey(key)
    old = invite(key, survey["id"])
    answer(old, {"nps": 7}, final=False)
    changed = {**NPS, "questions": [*NPS["questions"][:1], NPS["questions"][3]]}
    patched = call("patch", f"/surveys/{survey['id']}", key, {"questions": changed["questions"]})
    assert patched.json()["version"] == 2
    assert answer(old, {"wrong": "still asked on version 1"}, final=True).status_code == 200
    new = invite(key, survey["id"])
    assert answer(new, {"wrong": "x"}).status_code == 422, "version 2 has no such question"


def test_hidden_fields_from_the_link_and_invitation_reach_the_record(key: str) -> None:
    survey = live_survey(key)
    link = invite(key, survey["id"], hidden={"order_id": "A-1001"})
    answer(link, {"nps": 10})
    assert Feedback.objects.get().metadata["hidden_order_id"] == "A-1001"
    public = urlsplit(survey["public_link"]).path
    client = Client()
    client.get(public + "?order_id=B-7")
    client.post(
        public + "answers?order_id=B-7",
        json.dumps({"answers": {"nps": 9}, "final": True}),
        content_type="application/json",
    )
    assert Feedback.objects.filter(metadata__hidden_order_id="B-7").exists()


def test_invitations_by_email_are_sent_once(key: str, time_machine) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC))  # 11:00 in Seoul
    survey = live_survey(key)
    body = {
        "recipients": [{"email": "lee@x.example", "name": "이수진"}, {"name": "no mail"}],
        "send": "email",
    }
    sent = call("post", f"/surveys/{survey['id']}/invitations", key, body)
    assert sent.status_code == 201
    assert survey_mail_send() == 1
    (message,) = mail.outbox
    assert message.to == ["lee@x.example"]
    assert sent.json()["invitations"][0]["link"] in message.body
    assert survey_mail_send() == 0


def test_definitions_are_checked(key: str) -> None:
    bad = {
        "name": "x",
        "questions": [
            {"key": "a", "kind": "single", "text": "Pick", "choices": []},
            {"key": "a", "kind": "nps", "text": "Again"},
            {"key": "b", "kind": "text", "text": "Why", "show_if": {"key": "zz", "op": "eq"}},
        ],
    }
    response = call("post", "/surveys", key, bad)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) >= {"questions[0].choices", "questions[1].key", "questions[2].show_if"}
    no_text = {
        "name": "x",
        "languages": ["ko", "en"],
        "questions": [{"key": "a", "kind": "nps", "text": {"ko": "추천?"}}],
    }
    assert "questions[0].text" in call("post", "/surveys", key, no_text).json()["error"]["fields"]


@pytest.mark.parametrize("starter", sorted(STARTERS))
def test_every_template_is_a_valid_survey(key: str, starter: str) -> None:
    template = STARTERS[starter]
    body = {
        "name": template["name"]["en"],
        "touchpoint": template["touchpoint"],
        "questions": template["questions"],
    }
    assert call("post", "/surveys", key, body).status_code == 201


def test_bob_reaches_nothing_of_alices_surveys(key: str, bob: Member, api_key_of) -> None:
    survey = live_survey(key)
    assert call("get", f"/surveys/{survey['id']}", key).status_code == 200, "alice sees it"
    assert [s["id"] for s in call("get", "/surveys", key).json()["items"]] == [survey["id"]]
    theirs = api_key_of(bob, "write")
    assert call("get", f"/surveys/{survey['id']}", theirs).status_code == 404
    assert call("get", "/surveys", theirs).json()["items"] == []
    for path in ("/results", "/publish", "/close", "/invitations"):
        method = "get" if path == "/results" else "post"
        body = {"recipients": [{"email": "x@y.example"}]} if path == "/invitations" else None
        assert call(method, f"/surveys/{survey['id']}{path}", theirs, body).status_code == 404
    assert call("patch", f"/surveys/{survey['id']}", theirs, {"name": "mine"}).status_code == 404
    assert call("get", f"/surveys/{survey['id']}", key).json()["state"] == "live"


def test_a_read_only_key_cannot_build(alice: Member, api_key_of) -> None:
    read = api_key_of(alice, "read")
    assert call("post", "/surveys", read, NPS).status_code == 403
