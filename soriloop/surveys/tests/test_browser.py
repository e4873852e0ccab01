"""Surveys in a real Chromium: build one from the NPS template, publish it, answer it in
Korean and in English (branching, a partial answer resumed after a reload), see it counted
and in the inbox; the respondent's page by keyboard alone and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from soriloop.conftest import PASSWORD, Member
from soriloop.feedback.models import Feedback
from soriloop.surveys import services
from soriloop.surveys.models import Response, Survey
from soriloop.surveys.sending import survey_mail_send
from soriloop.surveys.starters import STARTERS

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """The live server's address, which the survey links then carry."""
    settings.SITE_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def respondents(browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    """A browser of a Korean customer and one of an English-speaking customer."""
    contexts = {
        "ko": browser.new_context(locale="ko-KR", extra_http_headers={"Accept-Language": "ko"}),
        "en": browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "en"}),
    }
    yield contexts
    for context in contexts.values():
        context.close()


def watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return violations


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("이메일").fill("alice@a.example")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("workspace-name")).to_be_visible()


def live_nps_survey(member: Member) -> Survey:
    starter = STARTERS["nps"]
    survey = services.survey_create(
        workspace=member.workspace,
        actor=member.membership,
        data={**starter, "name": starter["name"]["ko"]},
    )
    return services.survey_publish(survey=survey, actor=member.membership)


def build_from_the_nps_template(page: Page) -> str:
    """In the builder: the NPS template, renamed, a choice question added, saved and
    published; returns the public link."""
    page.get_by_role("navigation", name="메인").get_by_role("link", name="설문").click()
    page.get_by_label("NPS 관계 설문").check()
    page.get_by_test_id("create").click()
    expect(page.get_by_test_id("state")).to_have_text("초안")
    page.locator("#id_name").fill("구매 후 NPS")
    page.get_by_label("접점").fill("checkout")
    page.get_by_label("새 질문의 종류").select_option("single")
    page.get_by_test_id("add-question").click()
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    added = page.get_by_test_id("question-4")
    expect(added.get_by_label("선택지")).to_be_visible()
    expect(page.get_by_test_id("question-0").get_by_label("선택지")).to_be_hidden()
    added.get_by_label("키").fill("plan")
    added.get_by_label("질문 (한국어)").fill("어떤 요금제를 쓰시나요?")
    added.get_by_label("질문 (영어)").fill("Which plan are you on?")
    added.get_by_label("선택지").fill("basic | 베이직 | Basic\npro | 프로 | Pro")
    page.get_by_test_id("save").click()
    expect(page.get_by_role("status")).to_contain_text("저장했습니다")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("state")).to_have_text("진행 중")
    expect(page.get_by_test_id("version-note")).to_contain_text("버전 2")
    assert page.get_by_test_id("qr").evaluate("img => img.naturalWidth") > 0
    return page.get_by_test_id("public-link").inner_text()


def answer_in_korean_as_a_detractor_who_comes_back(context: BrowserContext, link: str) -> None:
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations = watch_csp(page)
    page.goto(link)
    expect(page.get_by_role("heading", name="구매 후 NPS")).to_be_visible()
    wrong, loved = page.locator("#q-wrong"), page.locator("#q-loved")
    expect(wrong).to_be_hidden()
    expect(loved).to_be_hidden()
    with page.expect_response(lambda r: r.url.endswith("/answers")):
        page.locator("#q-nps").get_by_text("3", exact=True).click()
    expect(wrong).to_be_visible()
    expect(wrong).to_contain_text("어떤 점이 아쉬우셨나요?")
    expect(loved).to_be_hidden()
    wrong.get_by_role("textbox").fill("배송이 너무 늦었어요")
    with page.expect_response(lambda r: r.url.endswith("/answers")):
        page.keyboard.press("Tab")  # the text is saved when it is left
    expect(page.locator("[data-saved]")).to_be_visible()
    assert Response.objects.get(language="ko").answers == {
        "nps": 3,
        "wrong": "배송이 너무 늦었어요",
    }

    page.reload()
    expect(page.locator("#q-nps input[value='3']")).to_be_checked()
    expect(wrong.get_by_role("textbox")).to_have_value("배송이 너무 늦었어요")
    expect(wrong).to_be_visible()
    page.locator("#q-plan").get_by_text("프로").click()
    page.get_by_role("button", name="답변 보내기").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    assert violations == []


def answer_in_english_as_a_promoter(context: BrowserContext, link: str) -> None:
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(link)
    question = "How likely are you to recommend us to a friend or colleague?"
    expect(page.locator("#q-nps legend")).to_contain_text(question)
    page.locator("#q-nps").get_by_text("10", exact=True).click()
    expect(page.locator("#q-loved")).to_be_visible()
    expect(page.locator("#q-loved")).to_contain_text("What did you love?")
    expect(page.locator("#q-wrong")).to_be_hidden()
    page.locator("#q-loved textarea").fill("Fast delivery")
    page.locator("#q-plan").get_by_text("Basic").click()
    page.get_by_role("button", name="Send answers").click()
    expect(page.get_by_test_id("done")).to_be_visible()


def test_build_publish_answer_in_both_languages_and_see_it_counted(
    site: str, alice: Member, page: Page, respondents: dict[str, BrowserContext]
) -> None:
    violations = watch_csp(page)
    sign_in(page, site)
    link = build_from_the_nps_template(page)
    survey = Survey.objects.get()
    assert link == f"{site}/s/p/{survey.public_key}/"
    assert survey.current.number == 1, "a draft's edits keep its one version"

    answer_in_korean_as_a_detractor_who_comes_back(respondents["ko"], link)
    answer_in_english_as_a_promoter(respondents["en"], link)
    records = {r.metadata["lang"]: r for r in Feedback.objects.filter(source=f"survey-{survey.pk}")}
    assert (records["ko"].score, records["ko"].text) == (3, "배송이 너무 늦었어요")
    assert (records["en"].score, records["en"].text) == (10, "Fast delivery")
    assert records["ko"].touchpoint == "checkout"
    assert records["ko"].metadata["choices"] == {"plan": "pro"}

    page.reload()
    page.get_by_test_id("results-link").click()
    expect(page.get_by_test_id("started")).to_have_text("2")
    expect(page.get_by_test_id("finished")).to_have_text("2")
    expect(page.get_by_test_id("completion")).to_have_text("100%")
    expect(page.get_by_test_id("score-nps")).to_have_text("0")
    expect(page.get_by_test_id("count-nps-3")).to_have_text("1")
    expect(page.get_by_test_id("count-plan-pro")).to_have_text("1")
    expect(page.get_by_test_id("reach-wrong")).to_contain_text("1명 중 1명")
    page.get_by_test_id("inbox-link").click()
    expect(page.get_by_test_id("total")).to_contain_text("2")
    expect(page.get_by_text("배송이 너무 늦었어요")).to_be_visible()
    expect(page.get_by_text("Fast delivery")).to_be_visible()
    assert violations == []


def test_the_respondent_page_answers_by_keyboard_alone(
    site: str, alice: Member, respondents: dict[str, BrowserContext]
) -> None:
    survey = live_nps_survey(alice)
    page = respondents["ko"].new_page()
    page.set_default_timeout(10_000)
    page.goto(services.public_link(survey))
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "nps":
            break
    assert page.evaluate("document.activeElement.name") == "nps", "the scale is reached by Tab"
    outline = "getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
    page.keyboard.press("Space")
    assert page.evaluate(outline) != "none", "the focused point shows it has the focus"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#q-nps input[value='3']")).to_be_checked()
    expect(page.locator("#q-wrong")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "wrong"
    page.keyboard.type("포장이 찢어져서 왔어요")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "submit", (
        "questions not asked are skipped"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("done")).to_be_visible()
    record = Feedback.objects.get(source=f"survey-{survey.pk}")
    assert (record.score, record.text) == (3, "포장이 찢어져서 왔어요")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_survey_pages_fit_a_phone(
    site: str, alice: Member, browser: Browser, language: str
) -> None:
    survey = live_nps_survey(alice)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, extra_http_headers={"Accept-Language": language}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(services.public_link(survey))
    points = page.locator("#q-nps .scale-point span")
    expect(points).to_have_count(11)
    for i in range(11):
        box = points.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, i
        assert box["height"] >= 40, "a point is large enough to tap"
    wide = {}
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 390:
        wide["respondent"] = width
    if language == "ko":
        sign_in(page, site)
    else:
        page.goto(f"{site}/accounts/login/")
        page.get_by_label("E-mail").fill("alice@a.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_test_id("sign-in").click()
    base = f"/surveys/{survey.pk}/"
    for path in ("/surveys/", base, f"{base}results/", f"{base}sending/"):
        page.goto(f"{site}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert wide == {}
    context.close()


def test_a_campaign_started_in_the_browser_shows_its_progress_live(
    site: str, alice: Member, page: Page, smtp_sink: Any, settings: Any
) -> None:
    """The sending page in Korean: a campaign from two pasted addresses, its progress
    refreshing by itself while the outbox sends, and a stopped-for-good count of zero."""
    # The live server cannot run under a frozen clock; without quiet hours the outbox sends
    # whatever the hour in Seoul (quiet hours have their own test in test_sending.py).
    settings.SURVEY_QUIET_HOURS = None
    survey = live_nps_survey(alice)
    page.set_default_timeout(15_000)
    sign_in(page, site)
    page.goto(f"{site}/surveys/{survey.pk}/")
    page.get_by_test_id("sending-link").click()
    expect(page.get_by_test_id("no-campaigns")).to_be_visible()
    page.get_by_label("받는 사람").fill("kim@x.example, 김하늘\nlee@x.example")
    page.get_by_role("button", name="캠페인 보내기").click()
    expect(page.get_by_text("캠페인이 초대 2건을 보냅니다.")).to_be_visible()
    campaign = page.locator("article[data-testid^=campaign-]")
    expect(campaign.get_by_test_id("queued")).to_have_text("2")
    assert survey_mail_send(owner="browser-test") == 2
    # no reload: the section refreshes itself every 5 s while something is queued
    expect(campaign.get_by_test_id("sent")).to_have_text("2", timeout=12_000)
    expect(page.locator("#campaigns")).to_have_attribute("data-busy", "0")
    assert sorted(r.to[0] for r in smtp_sink.received) == ["kim@x.example", "lee@x.example"]
