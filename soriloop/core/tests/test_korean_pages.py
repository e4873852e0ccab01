"""Every page, rendered for a Korean user over demo-like data, shows no untranslated words.

The catalogue test proves each msgid has a Korean msgstr; this one proves nothing reaches the
page without passing through the catalogue: raw codes, English labels, machine times.
"""

from __future__ import annotations

import csv
import json
import re
import zoneinfo
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from soriloop.accounts import services as accounts
from soriloop.accounts.models import Role
from soriloop.alerts.models import AlertRule
from soriloop.alerts.rules import alert_rule_create
from soriloop.analysis.corrections import analysis_correct
from soriloop.analysis.models import Topic
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, make_member
from soriloop.core.changes import changes_drain
from soriloop.feedback.demo import demo_records
from soriloop.feedback.imports import import_create, import_run
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get, feedback_ingest
from soriloop.feedback.validation import parse_feedback
from soriloop.surveys.models import Survey
from soriloop.surveys.services import (
    Recipient,
    invitations_create,
    public_link,
    survey_create,
    survey_publish,
)
from soriloop.surveys.starters import BLANK, STARTERS

# Words that are the same in a Korean interface: product and standard names, file formats.
ALLOWED = {
    "Soriloop", "NPS", "CSAT", "CES", "API", "CSV", "XLSX", "JSONL", "JSON", "PDF", "QR",
    "URL", "ID", "UTC", "Asia", "Seoul", "HTML", "SMTP", "IP", "Bearer", "OpenAPI", "htmx",
    "English", "Korean", "ko", "en", "sl", "iframe", "script", "src", "http", "https",
    "localhost", "testserver", "Enter", "Esc", "Ctrl", "TF-IDF", "Authorization", "origin",
    "soriloop", "smtpd", "n", "A", "B", "UTF", "CP",
    "loop",  # the logo: 소리<span>loop</span>
}  # fmt: skip
PII_TEXT = "환불은 010-1234-5678로 연락 주세요. 카드 4111-1111-1111-1111 로 결제했어요"
ZONES = zoneinfo.available_timezones() | {"localtime"}
_SKIP_TAGS = {"script", "style", "code", "pre", "textarea", "svg"}
_ATTRS = {"placeholder", "title", "aria-label", "alt"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'_.\-]*[A-Za-z]|[A-Za-z]")
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


class _Visible(HTMLParser):
    """Text a person sees: text nodes and a few attributes, outside code and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif not self._skip:
            values = dict(attrs)
            self.texts += [v for k, v in attrs if k in _ATTRS and v]
            if tag == "input" and values.get("type") in {"submit", "button"}:
                self.texts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.texts


def untranslated(texts: list[str], user_data: set[str]) -> list[str]:
    """Visible strings holding a Latin word that is neither allowed nor the workspace's data."""
    found = []
    for text in texts:
        if text in ZONES:  # time zone names are identifiers, the same in every language
            continue
        rest = text
        for value in sorted(user_data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        rest = re.sub(r"\S+@\S+|https?://\S+|/\S*|sl_\w+|#\w+", " ", rest)
        words = [w for w in _WORD.findall(rest) if w not in ALLOWED]
        if words or _ISO_TIME.search(rest):
            found.append(text)
    return found


def _load(member: Member) -> None:
    """Korean demo feedback, analysed; an import with bad rows; a correction; audit entries."""
    workspace = member.workspace
    channel_settings_get(workspace=workspace)
    now = timezone.now()
    korean = [r for r in demo_records(now=now) if re.search(r"[가-힣]", str(r["text"]))][:150]
    korean.append({"text": PII_TEXT, "external_id": "pii"})
    items = [
        parse_feedback(r, channel="api", tz=ZoneInfo(workspace.timezone), now=now) for r in korean
    ]
    feedback_ingest(workspace=workspace, items=items)
    while analysis_run_batch(owner="t"):
        pass
    record = Feedback.objects.filter(workspace=workspace).order_by("id").first()
    analysis_correct(
        feedback=record, changes={"sentiment": "negative", "types": ["complaint"]},
        actor=member.membership,
    )  # fmt: skip
    accounts.login_success_record(user=member.user, ip="127.0.0.1")
    accounts.api_key_create(actor=member.membership, name="키", scope="read")
    accounts.invitation_create(actor=member.membership, email="new@a.example", role=Role.AGENT)
    alert_rule_create(
        workspace=workspace, actor=member.membership,
        data={"name": "부정 의견", "conditions": {"sentiment": "negative"}},
    )  # fmt: skip
    analysis_correct(
        feedback=Feedback.objects.filter(workspace=workspace).order_by("id")[1],
        changes={"sentiment": "negative"}, actor=member.membership,
    )  # fmt: skip
    changes_drain()


def _import_with_bad_rows(member: Member, tmp_path: Path) -> int:
    path = tmp_path / "고객의견.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [["내용", "별점", "날짜"], ["좋아요", "5", "2026-11-01"], ["", "", "2026-11-02"],
             ["별로예요", "9", "어제"], ["보통", "3", "2026-13-45"]]
        )  # fmt: skip
    with open(path, "rb") as stream:
        job = import_create(
            workspace=member.workspace, file_name=path.name, stream=stream,
            created_by=member.user,
        )  # fmt: skip
    job.state = "queued"
    job.save()
    return import_run(job_id=job.pk).pk


def _surveys(member: Member) -> Survey:
    """A live survey from each template, one answered (so its results have numbers), an
    invitation, a draft."""
    surveys = []
    for starter in STARTERS.values():
        data = {**starter, "name": starter["name"]["ko"]}
        survey = survey_create(workspace=member.workspace, actor=member.membership, data=data)
        survey_publish(survey=survey, actor=member.membership)
        surveys.append(survey)
    survey_create(
        workspace=member.workspace, actor=member.membership,
        data={**BLANK, "name": BLANK["name"]["ko"]},
    )  # fmt: skip
    nps = surveys[0]
    invitations_create(survey=nps, actor=member.membership, recipients=[Recipient(email="a@x.kr")])
    client = Client()
    path = urlsplit(public_link(nps)).path + "answers"
    for answers in ({"nps": 3, "wrong": "배송이 늦었어요"}, {"nps": 10, "loved": "친절해요"}):
        body = json.dumps({"answers": answers, "final": True})
        assert client.post(path, body, content_type="application/json").status_code == 200
        client = Client()
    return nps


def _pages(member: Member, job_id: int) -> list[str]:
    record = Feedback.objects.filter(workspace=member.workspace).order_by("id").first()
    assert record is not None
    names = [
        "inbox:home", "inbox:inbox", "feedback:manual", "feedback:imports", "feedback:channels",
        "insights:dashboard", "insights:topics", "insights:compare", "insights:report",
        "insights:keywords", "insights:top_topics", "insights:live",
        "accounts:settings", "accounts:members", "accounts:api_keys", "accounts:audit",
        "accounts:profile", "accounts:workspace_new", "analysis:settings", "analysis:topics",
        "analysis:emerging", "alerts:alerts", "alerts:rules",
    ]  # fmt: skip
    urls = [reverse(name) for name in names]
    urls += [
        reverse("inbox:record", args=[record.pk]),
        reverse("inbox:record", args=[Feedback.objects.get(external_id="pii").pk]),
        reverse("feedback:import_detail", args=[job_id]),
        reverse("alerts:rule_edit", args=[AlertRule.objects.get(workspace=member.workspace).pk]),
        reverse("inbox:inbox") + "?date_from=garbage&sentiment=negative",
        reverse("insights:compare") + "?a_channel=api&b_channel=email",
    ]
    survey = Survey.objects.filter(workspace=member.workspace, name="NPS 관계 설문").get()
    urls += [
        reverse("surveys:list"),
        reverse("surveys:builder", args=[survey.pk]),
        reverse("surveys:results", args=[survey.pk]),
        *(reverse("surveys:results", args=[s.pk]) for s in Survey.objects.exclude(pk=survey.pk)),
    ]
    return urls


@pytest.mark.django_db(transaction=False)
def test_every_page_shows_a_korean_user_no_untranslated_words(tmp_path: Path, settings) -> None:
    settings.DATA_DIR = str(tmp_path)
    member = make_member("minji@a.example", None)
    member.user.language = "ko"
    member.user.name = "김민지"
    member.user.save()
    _load(member)
    job_id = _import_with_bad_rows(member, tmp_path)
    _surveys(member)
    user_data = set(Feedback.objects.values_list("text", flat=True))
    user_data |= {member.workspace.name, member.user.name, member.user.email, "고객의견.csv"}
    records = demo_records(now=timezone.now())
    user_data |= {str(r["customer"]["name"]) for r in records} | {"demo", "garbage"}
    user_data |= {str(r["touchpoint"]) for r in records}
    for topic in Topic.objects.filter(workspace=member.workspace):
        user_data |= {topic.name_en, *topic.keywords}
    for survey in Survey.objects.filter(workspace=member.workspace):
        # its question keys, touchpoint and the source its records carry are names it was given
        keys = {q["key"] for q in survey.current.questions}
        user_data |= {survey.touchpoint, f"survey-{survey.pk}", *keys}
    user_data.discard("")  # a blank survey's touchpoint: replacing "" would split every word
    problems = {}
    for url in _pages(member, job_id):
        response = member.client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
        assert response.status_code == 200, (url, response.status_code)
        found = untranslated(visible_text(response.content.decode()), user_data)
        if found:
            problems[url] = found
    assert problems == {}, "\n".join(f"{u}: {sorted(set(p))}" for u, p in problems.items())
