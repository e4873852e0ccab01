"""The survey pages: the list, the builder (publish, close, invite, link and QR code), the
results and their exports; who may do what, and what bob never reaches."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from soriloop.accounts.models import AuditEvent
from soriloop.conftest import Member
from soriloop.feedback.models import Feedback
from soriloop.surveys import services
from soriloop.surveys.forms import reason
from soriloop.surveys.models import Invitation, Survey, SurveyState
from soriloop.surveys.questions import SurveyInvalid, parse_definition
from soriloop.surveys.starters import STARTERS
from soriloop.surveys.tests.test_surveys import NPS

pytestmark = pytest.mark.django_db


def make_survey(member: Member, definition: dict[str, Any] = NPS, live: bool = True) -> Survey:
    survey = services.survey_create(
        workspace=member.workspace, actor=member.membership, data=definition
    )
    if live:
        services.survey_publish(survey=survey, actor=member.membership)
    return survey


def answer(survey: Survey, answers: dict[str, Any], final: bool = True, client=None) -> Any:
    path = urlsplit(services.public_link(survey)).path + "answers"
    body = json.dumps({"answers": answers, "final": final})
    response = (client or Client()).post(path, body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response


def builder_data(survey: Survey, **changes: Any) -> dict[str, Any]:
    """The builder's form as the page posts it for ``survey``, with ``changes`` applied."""
    data: dict[str, Any] = {
        "name": survey.name,
        "touchpoint": survey.touchpoint,
        "languages": survey.languages,
        "thank_you_ko": survey.thank_you.get("ko", ""),
        "thank_you_en": survey.thank_you.get("en", ""),
    }
    questions = survey.current.questions
    data["count"] = str(len(questions))
    for i, q in enumerate(questions):
        texts = q.get("text", {})
        data.update(
            {
                f"q{i}-kind": q["kind"],
                f"q{i}-key": q["key"],
                f"q{i}-text_ko": texts.get("ko", ""),
                f"q{i}-text_en": texts.get("en", ""),
            }
        )
        if q.get("required"):
            data[f"q{i}-required"] = "on"
        if q.get("choices"):
            data[f"q{i}-choices"] = "\n".join(
                f"{c['key']} | {c['text']['ko']} | {c['text']['en']}" for c in q["choices"]
            )
        if q.get("other"):
            data[f"q{i}-other"] = "on"
        if q.get("show_if"):
            value = q["show_if"]["value"]
            data[f"q{i}-show_if_key"] = q["show_if"]["key"]
            data[f"q{i}-show_if_op"] = q["show_if"]["op"]
            data[f"q{i}-show_if_value"] = (
                ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            )
    data.update(changes)
    return data


def keys_of(html: str) -> list[str]:
    """The question keys in the builder's form, in order."""
    return re.findall(r'name="q\d+-key" value="([^"]*)"', html)


# The list


def test_the_list_shows_each_survey_with_its_state_version_counts_and_nps(alice: Member) -> None:
    survey = make_survey(alice)
    make_survey(alice, {**NPS, "name": "초안 설문", "touchpoint": "onboarding"}, live=False)
    answer(survey, {"nps": 10})
    answer(survey, {"nps": 3})
    answer(survey, {"nps": 8}, final=False)
    page = alice.client.get("/surveys/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "결제 NPS" in html and "초안 설문" in html
    assert html.index("초안 설문") < html.index("결제 NPS"), "newest first"
    row = html[html.index(f'data-testid="survey-{survey.pk}"') :].split("</tr>")[0]
    assert "Live" in row and "checkout" in row
    assert f'data-testid="counts-{survey.pk}">2 / 3<' in row
    assert ">0</span>" in row, "one promoter and one detractor: NPS 0"
    assert "New survey" in html


def test_the_side_navigation_opens_the_surveys(alice: Member) -> None:
    html = alice.client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a href="/surveys/"' in html
    assert 'aria-disabled="true" title="Not available yet">Surveys' not in html


@pytest.mark.parametrize("starter", [*sorted(STARTERS), "blank"])
def test_an_admin_starts_a_survey_from_a_template_or_blank(alice: Member, starter: str) -> None:
    response = alice.client.post("/surveys/new", {"starter": starter, "name": ""})
    survey = Survey.objects.get(workspace=alice.workspace)
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/{survey.pk}/"
    assert survey.state == SurveyState.DRAFT
    assert survey.languages == ["ko", "en"]
    if starter != "blank":
        assert survey.name == STARTERS[starter]["name"]["ko"], "named in the page's language"
        assert [q["key"] for q in survey.current.questions] == [
            q["key"] for q in STARTERS[starter]["questions"]
        ]
    else:
        assert len(survey.current.questions) == 1


def test_a_new_survey_needs_a_known_template(alice: Member) -> None:
    response = alice.client.post("/surveys/new", {"starter": "quiz"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Survey.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(alice: Member) -> None:
    survey = make_survey(alice)
    for url in (
        "/surveys/",
        f"/surveys/{survey.pk}/",
        f"/surveys/{survey.pk}/results/",
        f"/surveys/{survey.pk}/qr.svg",
        f"/surveys/{survey.pk}/results/export.csv",
    ):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    assert Client().post("/surveys/new", {"starter": "nps"}).status_code == 302
    assert Survey.objects.count() == 1


# The builder


def test_the_builder_shows_the_definition_link_and_qr_code(alice: Member) -> None:
    survey = make_survey(alice)
    page = alice.client.get(f"/surveys/{survey.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert services.public_link(survey) in html
    assert f'src="/surveys/{survey.pk}/qr.svg"' in html
    assert 'value="추천하시겠어요?"' in html and 'value="Would you recommend us?"' in html
    assert "basic | basic | basic" in html or "basic | basic" in html
    assert 'name="q1-show_if_key"' in html and '<option value="nps" selected>' in html
    assert "?order_id=…" in html, "hidden fields come from the link"
    assert "Saving changed questions makes version 2" in html
    qr = alice.client.get(f"/surveys/{survey.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<?xml") and b"<svg" in qr.content


def test_the_builder_saves_the_whole_definition(alice: Member) -> None:
    survey = make_survey(alice, live=False)
    data = builder_data(
        survey,
        name="배송 후 NPS",
        touchpoint="delivery",
        thank_you_ko="고맙습니다!",
        **{
            "q3-choices": "basic | 베이직 | Basic\npro | 프로 | Pro\nteam",
            "q2-show_if_op": "in",
            "q2-show_if_value": "9, 10",
        },
    )
    response = alice.client.post(f"/surveys/{survey.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    survey.refresh_from_db()
    assert (survey.name, survey.touchpoint) == ("배송 후 NPS", "delivery")
    assert survey.thank_you == {"ko": "고맙습니다!"}
    questions = {q["key"]: q for q in survey.current.questions}
    assert survey.current.number == 1, "a draft keeps its one version"
    assert questions["loved"]["show_if"] == {"key": "nps", "op": "in", "value": [9, 10]}
    assert questions["wrong"]["show_if"] == {"key": "nps", "op": "lte", "value": 6}
    assert questions["plan"]["choices"] == [
        {"key": "basic", "text": {"ko": "베이직", "en": "Basic"}},
        {"key": "pro", "text": {"ko": "프로", "en": "Pro"}},
        {"key": "team", "text": {"ko": "team", "en": "team"}},
    ]
    assert questions["plan"]["other"] is True
    assert questions["order_id"] == {"key": "order_id", "kind": "hidden", "required": False}
    assert questions["nps"]["required"] is True


def test_moving_adding_and_removing_questions_changes_the_page_not_the_survey(
    alice: Member,
) -> None:
    survey = make_survey(alice, live=False)
    stored = survey.current.questions
    url = f"/surveys/{survey.pk}/"
    data = builder_data(survey, name="바뀐 이름")
    moved = alice.client.post(url, {**data, "op": "down-0"}, HTTP_ACCEPT_LANGUAGE="en")
    html = moved.content.decode()
    assert moved.status_code == 200
    assert 'data-testid="unsaved"' in html
    assert keys_of(html) == ["wrong", "nps", "loved", "plan", "order_id"], "nps moved down"
    assert '<option value="nps" selected>' in html.split('name="q0-show_if_key"')[1][:300]
    assert 'value="바뀐 이름"' in html, "what was typed stays"
    added = alice.client.post(url, {**data, "op": "add", "new_kind": "csat"})
    html = added.content.decode()
    assert keys_of(html) == ["nps", "wrong", "loved", "plan", "order_id", "q6"]
    assert '<option value="csat" selected>' in html.split('name="q5-kind"')[1].split("</select>")[0]
    removed = alice.client.post(url, {**data, "op": "remove-3"})
    html = removed.content.decode()
    assert keys_of(html) == ["nps", "wrong", "loved", "order_id"]
    survey.refresh_from_db()
    assert survey.current.questions == stored and survey.name == "결제 NPS", "nothing saved"
    saved = alice.client.post(url, {**builder_data(survey), "count": "2"})
    assert saved.status_code == 302
    assert [q["key"] for q in survey.current.questions] == ["nps", "wrong"]


def test_the_builder_shows_what_is_wrong_on_its_field_in_korean(alice: Member) -> None:
    survey = make_survey(alice, live=False)
    data = builder_data(
        survey,
        **{
            "q0-text_en": "",  # the survey is in Korean and English
            "q1-key": "nps",  # used twice
            "q2-show_if_key": "plan",  # a later question
            "q3-choices": "",
            "q4-key": "Order ID",
        },
    )
    data["languages"] = []
    response = alice.client.post(f"/surveys/{survey.pk}/", data, HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert response.status_code == 422
    assert "저장하지 않았습니다" in html
    assert "언어를 하나 이상 고르세요" in html
    assert "소문자" in html, "the key's pattern, in Korean"
    assert 'value="Order ID"' in html
    survey.refresh_from_db()
    assert survey.current.questions[4]["key"] == "order_id"
    data = builder_data(
        survey, **{"q0-text_en": "", "q1-key": "nps", "q2-show_if_key": "plan", "q3-choices": ""}
    )
    response = alice.client.post(f"/surveys/{survey.pk}/", data, HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert response.status_code == 422
    for korean in (
        "영어 문구를 적어 주세요",
        "키 nps가 두 번 쓰였습니다",
        "이 질문보다 앞에 있는 질문",
        "필수 항목입니다",
    ):
        assert korean in html, korean
    fields = [f'id="id_q{i}-' for i in range(4)]
    errors = html.count('class="errorlist"')
    assert errors >= 4, "each reason on its question"
    assert all(f in html for f in fields)
    assert "must be" not in html and "needs a" not in html, "no English reason leaks"
    survey.refresh_from_db()
    assert survey.current.questions == parse_definition(NPS["questions"], survey.languages)


BAD_DEFINITIONS = [
    [{"key": "A", "kind": "text", "text": "x"}],
    [{"key": "a", "kind": "text", "text": "x"}, {"key": "a", "kind": "text", "text": "y"}],
    [{"key": "a", "kind": "quiz", "text": "x"}],
    [{"key": "a", "kind": "text", "text": 5}],
    [{"key": "a", "kind": "text", "text": {"fr": "x"}}],
    [{"key": "a", "kind": "text", "text": {"ko": " ", "en": "x"}}],
    [{"key": "a", "kind": "text", "text": {"ko": "x" * 501, "en": "x"}}],
    [{"key": "a", "kind": "text", "text": {"ko": "x"}}],
    [{"key": "a", "kind": "single", "text": "x", "choices": []}],
    [{"key": "a", "kind": "single", "text": "x", "choices": [f"c{i}" for i in range(31)]}],
    [{"key": "a", "kind": "single", "text": "x", "choices": [5]}],
    [{"key": "a", "kind": "single", "text": "x", "choices": ["b", "b"]}],
    [{"key": "a", "kind": "text", "text": "x", "show_if": {"key": "z"}}],
    [{"key": "a", "kind": "nps", "text": "x"}, {"key": "b", "kind": "text", "text": "y", "show_if": {"key": "a", "op": "near"}}],
    [{"key": "a", "kind": "nps", "text": "x"}, {"key": "b", "kind": "text", "text": "y", "show_if": {"key": "a", "op": "lte", "value": "six"}}],
    [{"key": "a", "kind": "nps", "text": "x"}, {"key": "b", "kind": "text", "text": "y", "show_if": {"key": "a", "op": "in", "value": 9}}],
    [],
    [{"key": f"q{i}", "kind": "text", "text": "x"} for i in range(51)],
]  # fmt: skip


@pytest.mark.parametrize("questions", BAD_DEFINITIONS)
def test_every_reason_of_a_bad_definition_is_said_in_korean(questions: list[Any]) -> None:
    with pytest.raises(SurveyInvalid) as found:
        parse_definition(questions, ["ko", "en"])
    with translation.override("ko"):
        said = [reason(m) for ms in found.value.fields.values() for m in ms]
    assert said and all(s != "올바른 값이 아닙니다." for s in said), (found.value.fields, said)
    assert not any(re.search(r"[A-Za-z]{3,}", s) for s in said), said


def test_every_reason_of_the_services_is_said_in_korean(alice: Member) -> None:
    survey = make_survey(alice)
    messages = []
    for data in ({"name": " "}, {"name": "x" * 201}, {"languages": ["fr"]},
                 {"thank_you": {"ko": "x" * 501}}):  # fmt: skip
        with pytest.raises(SurveyInvalid) as found:
            services.survey_update(survey=survey, actor=alice.membership, data=data)
        messages += [m for ms in found.value.fields.values() for m in ms]
    for recipients in ([{"email": "nope"}], [{"language": "fr"}], [{"name": "x" * 300}]):
        with pytest.raises(SurveyInvalid) as found:
            services.parse_recipients(recipients)
        messages += [m for ms in found.value.fields.values() for m in ms]
    services.survey_close(survey=survey, actor=alice.membership)
    for change in (
        lambda: services.survey_update(survey=survey, actor=alice.membership, data={}),
        lambda: services.survey_publish(survey=survey, actor=alice.membership),
        lambda: services.invitations_create(
            survey=survey, actor=alice.membership, recipients=[services.Recipient()]
        ),
    ):
        with pytest.raises(SurveyInvalid) as found:
            change()
        messages += [m for ms in found.value.fields.values() for m in ms]
    with translation.override("ko"):
        said = {m: reason(m) for m in messages}
    assert len(said) >= 10
    assert all(s != "올바른 값이 아닙니다." for s in said.values()), said


def test_editing_a_live_survey_makes_a_new_version_and_says_so(alice: Member) -> None:
    survey = make_survey(alice)
    answer(survey, {"nps": 7}, final=False)
    url = f"/surveys/{survey.pk}/"
    unchanged = alice.client.post(url, builder_data(survey, name="새 이름"), follow=True)
    assert survey.versions.count() == 1, "the same questions make no version"
    assert "저장했습니다." in unchanged.content.decode()
    changed = builder_data(survey, **{"q0-text_en": "Would you recommend us to a friend?"})
    page = alice.client.post(url, changed, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert survey.versions.count() == 2
    assert "The questions are now version 2." in html
    assert "Saving changed questions makes version 3" in html


def test_publish_and_close_move_the_survey_along(alice: Member) -> None:
    survey = make_survey(alice, live=False)
    url = f"/surveys/{survey.pk}/"
    draft = alice.client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="publish"' in draft and "takes no answers until you publish" in draft
    published = alice.client.post(f"{url}publish", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    survey.refresh_from_db()
    assert survey.state == SurveyState.LIVE
    assert 'data-testid="publish"' not in published.content.decode()
    closed = alice.client.post(f"{url}close", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    survey.refresh_from_db()
    html = closed.content.decode()
    assert survey.state == SurveyState.CLOSED
    assert "can no longer be changed" in html and "<fieldset disabled>" in html
    again = alice.client.post(f"{url}publish", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "cannot be published again" in again.content.decode()
    survey.refresh_from_db()
    assert survey.state == SurveyState.CLOSED
    assert alice.client.get(f"{url}publish").status_code == 405


def test_invite_lists_single_use_links(alice: Member) -> None:
    survey = make_survey(alice)
    lines = "kim@x.example, 김하늘, ko\nlee@x.example; en\n\npark@x.example"
    response = alice.client.post(
        f"/surveys/{survey.pk}/invite",
        {"recipients": lines, "language": "en", "send": "none"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 200
    invitations = list(Invitation.objects.filter(survey=survey).order_by("id"))
    assert [(i.email, i.name, i.language) for i in invitations] == [
        ("kim@x.example", "김하늘", "ko"),
        ("lee@x.example", "", "en"),
        ("park@x.example", "", "en"),
    ]
    for invitation in invitations:
        assert services.invitation_link(invitation) in html
    assert invitations[0].customer is not None, "linked to a customer profile"
    assert mail.outbox == []


def test_invite_by_email_sends_each_one(alice: Member, time_machine) -> None:
    from soriloop.surveys.sending import survey_mail_send

    time_machine.move_to(dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC))  # 11:00 in Seoul
    survey = make_survey(alice)
    response = alice.client.post(
        f"/surveys/{survey.pk}/invite",
        {"recipients": "kim@x.example, 김하늘\nlee@x.example", "send": "email"},
        follow=True,
    )
    assert "초대 2건을 이메일로 보내고 있습니다" in response.content.decode()
    assert survey_mail_send() == 2, "through the survey e-mail outbox"
    assert sorted(m.to[0] for m in mail.outbox) == ["kim@x.example", "lee@x.example"]
    links = {services.invitation_link(i) for i in Invitation.objects.filter(survey=survey)}
    assert all(any(link in m.body for link in links) for m in mail.outbox)


def test_invite_names_the_bad_lines(alice: Member) -> None:
    survey = make_survey(alice)
    response = alice.client.post(
        f"/surveys/{survey.pk}/invite",
        {"recipients": "kim@x.example\n김하늘\nlee@x.example", "send": "email"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "2번째 줄" in html and "이메일 주소가 아닙니다" in html
    assert not Invitation.objects.exists(), "nothing half done"
    empty = alice.client.post(
        f"/surveys/{survey.pk}/invite", {"recipients": " \n", "send": "email"}
    )
    assert empty.status_code == 422
    services.survey_close(survey=survey, actor=alice.membership)
    closed = alice.client.post(
        f"/surveys/{survey.pk}/invite", {"recipients": "kim@x.example", "send": "none"}
    )
    assert closed.status_code == 422
    assert "마감된 설문입니다." in closed.content.decode()
    assert not Invitation.objects.exists()


# Results and exports


def test_the_results_page_counts_summarises_and_links_to_the_inbox(alice: Member) -> None:
    survey = make_survey(alice)
    services.invitations_create(
        survey=survey,
        actor=alice.membership,
        recipients=[services.Recipient(email=f"c{i}@x.example") for i in range(4)],
    )
    answer(survey, {"nps": 10, "loved": "빨라요", "plan": "pro"})
    answer(survey, {"nps": 2, "wrong": "느려요", "plan": {"other": "팀"}})
    answer(survey, {"nps": 9}, final=False)
    page = alice.client.get(f"/surveys/{survey.pk}/results/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    for testid, value in (
        ("invited", "4"),
        ("started", "3"),
        ("finished", "2"),
        ("response-rate", "50%"),
        ("completion", "67%"),
        ("score-nps", "0"),
        ("count-nps-10", "1"),
        ("count-nps-2", "1"),
        ("count-nps-5", "0"),
        ("count-plan-pro", "1"),
        ("count-plan-other", "1"),
        ("count-plan-basic", "0"),
    ):
        assert f'data-testid="{testid}">{value}<' in html, testid
    assert "Answered by 1 of the 1 asked" in html, "only the detractor was asked what went wrong"
    assert "Would you recommend us?" in html
    assert 'style="width: 100%"' in html and 'style="width: 0%"' in html
    assert f'href="/inbox/?source=survey-{survey.pk}"' in html
    assert 'data-testid="trend"' in html
    inbox = alice.client.get(f"/inbox/?source=survey-{survey.pk}").content.decode()
    assert "느려요" in inbox and "빨라요" in inbox


def _rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_export_has_one_row_per_response_and_runs_no_formula(
    alice: Member, member_of_a
) -> None:
    survey = make_survey(alice)
    invitation = services.invitations_create(
        survey=survey,
        actor=alice.membership,
        recipients=[
            services.Recipient(
                email="kim@x.example", name="김하늘", external_id="c-7", hidden={"order_id": "A-1"}
            )
        ],
    )[0]
    token_path = urlsplit(services.invitation_link(invitation)).path
    Client().post(
        token_path + "answers",
        json.dumps({"answers": {"nps": 3, "wrong": "=HYPERLINK(1) 010-1234-5678"}, "final": True}),
        content_type="application/json",
    )
    answer(survey, {"nps": 9, "plan": {"other": "팀"}}, final=False)
    response = alice.client.get(f"/surveys/{survey.pk}/results/export.csv")
    assert response["Content-Disposition"].startswith("attachment;")
    header, first, second = _rows(response)
    assert header == [
        "id", "version", "started_at", "finished_at", "language", "customer_external_id",
        "customer_email", "customer_name", "nps", "wrong", "loved", "plan", "hidden_order_id",
    ]  # fmt: skip
    row = dict(zip(header, first, strict=True))
    assert (row["nps"], row["customer_external_id"], row["customer_name"]) == ("3", "c-7", "김하늘")
    assert row["wrong"] == "'=HYPERLINK(1) 010-1234-5678", "text, never a formula"
    assert row["customer_email"] == "kim@x.example"
    assert row["hidden_order_id"] == "A-1" and row["finished_at"]
    partial = dict(zip(header, second, strict=True))
    assert (partial["nps"], partial["plan"], partial["finished_at"]) == ("9", "other: 팀", "")
    assert AuditEvent.objects.filter(action="export", target=f"survey {survey.pk}").exists()

    agent = member_of_a("agent")
    masked = dict(
        zip(
            header,
            _rows(agent.client.get(f"/surveys/{survey.pk}/results/export.csv"))[1],
            strict=True,
        )
    )
    assert "010-1234-5678" not in masked["wrong"] and masked["customer_email"] != "kim@x.example"

    book = alice.client.get(f"/surveys/{survey.pk}/results/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(book.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == header and len(rows) == 3
    assert rows[1][8] == 3, "a score is a number"
    assert rows[1][9] == "=HYPERLINK(1) 010-1234-5678"
    assert sheet.cell(row=2, column=10).data_type == "s", "typed as text"


# Roles


def test_viewers_read_the_list_and_results_admins_build(alice: Member, member_of_a) -> None:
    survey = make_survey(alice, live=False)
    viewer = member_of_a("viewer")
    listing = viewer.client.get("/surveys/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "결제 NPS" in listing
    assert f'href="/surveys/{survey.pk}/results/"' in listing
    assert 'action="/surveys/new"' not in listing
    assert viewer.client.get(f"/surveys/{survey.pk}/results/").status_code == 200
    assert viewer.client.get(f"/surveys/{survey.pk}/qr.svg").status_code == 200
    base = f"/surveys/{survey.pk}/"
    for method, url, data in (
        ("get", base, None),
        ("post", base, builder_data(survey, name="뷰어가 바꾼 이름")),
        ("post", f"{base}publish", {}),
        ("post", f"{base}close", {}),
        ("post", f"{base}invite", {"recipients": "a@x.example", "send": "none"}),
        ("post", "/surveys/new", {"starter": "nps"}),
        ("get", f"{base}results/export.csv", None),
    ):
        response = getattr(viewer.client, method)(url, data or {})
        assert response.status_code == 403, (method, url, response.status_code)
    survey.refresh_from_db()
    assert (survey.state, survey.name) == (SurveyState.DRAFT, "결제 NPS")
    assert Survey.objects.count() == 1 and not Invitation.objects.exists()
    agent = member_of_a("agent")
    assert agent.client.get(f"{base}results/export.csv").status_code == 200, "agents export"
    admin = member_of_a("admin")
    assert admin.client.get(base).status_code == 200
    assert admin.client.post(f"{base}publish").status_code == 302


# Isolation


def test_bob_sees_none_of_alices_survey_pages(
    alice: Member, bob: Member, assert_only_alice_sees
) -> None:
    survey = make_survey(alice)
    answer(survey, {"nps": 4, "wrong": "포장이 찢어졌어요"})
    make_survey(bob, {**NPS, "name": "밥의 설문"})
    mine = assert_only_alice_sees("/surveys/", "결제 NPS")
    assert "밥의 설문" in mine, "bob's list shows his own"
    base = f"/surveys/{survey.pk}"
    assert_only_alice_sees(f"{base}/", "결제 NPS", survey.public_key, bob_status=404)
    assert_only_alice_sees(f"{base}/results/", "결제 NPS", "추천하시겠어요?", bob_status=404)
    assert_only_alice_sees(f"{base}/results/export.csv", "포장이 찢어졌어요", bob_status=404)
    assert_only_alice_sees(f"{base}/qr.svg", "<svg", bob_status=404)
    assert alice.client.get(f"{base}/results/export.xlsx").status_code == 200
    assert bob.client.get(f"{base}/results/export.xlsx").status_code == 404


def test_bob_changes_nothing_of_alices_survey(
    alice: Member, bob: Member, assert_hidden_from_bob
) -> None:
    survey = make_survey(alice, live=False)
    base = f"/surveys/{survey.pk}"
    changes = [
        (f"{base}/", builder_data(survey, name="밥이 바꿈"), lambda s: s.name == "밥이 바꿈"),
        (f"{base}/publish", {}, lambda s: s.state == SurveyState.LIVE),
        (
            f"{base}/invite",
            {"recipients": "x@y.example", "send": "none"},
            lambda s: s.invitations.exists(),
        ),
        (f"{base}/close", {}, lambda s: s.state == SurveyState.CLOSED),
    ]
    for url, data, done in changes:
        assert_hidden_from_bob("post", url, data)
        survey.refresh_from_db()
        assert not done(survey), url
        assert alice.client.post(url, data).status_code in (200, 302), url
        survey.refresh_from_db()
        assert done(survey), f"the same request from alice changes it: {url}"
    assert not Feedback.objects.exists()
