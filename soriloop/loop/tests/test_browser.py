"""The verification survey answered in a real Chromium from the link of its e-mail (received
over SMTP on loopback): solved and a 9 verifies the case; not solved reopens it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from soriloop.conftest import Member, api
from soriloop.loop.tests.factories import case_of, detractor, settle
from soriloop.surveys.sending import survey_mail_send
from soriloop.surveys.tests.conftest import Sink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SITE_URL = live_server.url
    settings.SURVEY_QUIET_HOURS = None
    return str(live_server.url)


def resolve_and_get_the_link(key: str, sink: Sink, email: str) -> tuple[int, str]:
    case = case_of(key, detractor(key, email=email))
    assert api("patch", f"/cases/{case['id']}", key, {"status": "resolved"}).status_code == 200
    survey_mail_send(owner="w")
    [mail] = sink.to(email)
    found = re.search(r"https?://\S+/s/\S+/", mail.body)
    assert found, mail.body
    return case["id"], found.group(0)


@pytest.mark.parametrize(
    ("solved", "score", "status"),
    [("네, 해결되었어요", "9", "verified"), ("아니요, 아직이에요", "3", "reopened")],
)
def test_the_customer_answers_the_verification_survey_in_a_browser(
    site: str, alice: Member, api_key_of, smtp_sink: Sink, browser: Browser,
    solved: str, score: str, status: str,
) -> None:  # fmt: skip
    key = api_key_of(alice, "write")
    case_id, link = resolve_and_get_the_link(key, smtp_sink, "minji@example.com")
    context = browser.new_context(locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(link)
        expect(page.locator("#q-solved")).to_contain_text("문의하신 문제가 해결되었나요?")
        # each answer is saved as it is given; the next waits for it (one response per link)
        with page.expect_response(lambda r: r.url.endswith("/answers")):
            page.locator("#q-solved").get_by_text(solved).click()
        with page.expect_response(lambda r: r.url.endswith("/answers")):
            page.locator("#q-nps").get_by_text(score, exact=True).click()
        page.get_by_role("button", name="답변 보내기").click()
        expect(page.get_by_test_id("done")).to_be_visible()
    finally:
        context.close()
    settle()
    detail = api("get", f"/cases/{case_id}", key).json()
    assert detail["status"] == status
    assert detail["verification"]["score"] == int(score)
    assert detail["history"][-2]["kind"] == "verification_answered"
