"""A person in a real Chromium: sign in, the shell in Korean, switch to English, sign out."""

import pytest
from playwright.sync_api import Browser, Page, expect

from soriloop.conftest import PASSWORD, Member

pytestmark = pytest.mark.browser


def test_sign_in_see_korean_switch_to_english_sign_out(
    live_server, alice: Member, page: Page
) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="로그인")).to_be_visible()
    page.get_by_label("이메일").fill("alice@a.example")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()

    expect(page.get_by_test_id("workspace-name")).to_have_text(alice.workspace.name)
    nav = page.get_by_role("navigation", name="메인")
    for label in ("홈", "받은 피드백", "대시보드", "설문", "케이스", "고객", "알림", "설정"):
        expect(nav.get_by_text(label, exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ko")

    page.get_by_test_id("lang-en").click()
    nav = page.get_by_role("navigation", name="Main")
    for label in (
        "Home",
        "Inbox",
        "Dashboard",
        "Surveys",
        "Cases",
        "Customers",
        "Alerts",
        "Settings",
    ):
        expect(nav.get_by_text(label, exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    nav.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()

    page.get_by_test_id("sign-out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/settings/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/settings/")


def test_the_shell_fits_a_phone_screen(live_server, alice: Member, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail").fill("alice@a.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("workspace-name")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    context.close()
