"""Under the Content-Security-Policy the pages still work in Chromium: htmx, the charts, the
delete confirmation, the workspace switcher; the browser reports no violation."""

import pytest
from playwright.sync_api import Page, expect

from soriloop.accounts import services
from soriloop.conftest import PASSWORD, Member, add
from soriloop.feedback.models import Feedback

pytestmark = pytest.mark.browser


def sign_in(page: Page, url: str) -> list[str]:
    """Sign alice in; returns the list the browser's CSP complaints are collected into."""
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("이메일").fill("alice@a.example")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    return violations


def test_pages_work_under_the_policy_without_violations(
    live_server, alice: Member, page: Page
) -> None:
    record = add(alice, text="배송이 너무 늦어요", score=1, score_kind="stars")
    violations = sign_in(page, live_server.url)

    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_test_id("trend-chart")).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart('trend-chart') !== undefined")
    assert page.evaluate("() => typeof window.htmx") == "object"

    page.goto(f"{live_server.url}/dashboard/report/")
    expect(page.locator("[data-print]")).to_be_visible()

    page.goto(f"{live_server.url}/inbox/{record.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="삭제").click()
    expect(page.get_by_test_id("text")).to_have_text("배송이 너무 늦어요")
    assert Feedback.objects.get(pk=record.pk).deleted_at is None, "dismissed: kept"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="삭제").click()
    page.wait_for_url(lambda url: f"/inbox/{record.pk}/" not in url)
    assert Feedback.objects.get(pk=record.pk).deleted_at is not None

    assert violations == []


def test_the_workspace_switcher_sends_itself(live_server, alice: Member, page: Page) -> None:
    services.workspace_create(name="Second shop", owner=alice.user)
    violations = sign_in(page, live_server.url)
    page.get_by_label("워크스페이스").select_option(label=alice.workspace.name)
    expect(page.get_by_test_id("workspace-name")).to_have_text(alice.workspace.name)
    page.get_by_label("워크스페이스").select_option(label="Second shop")
    expect(page.get_by_test_id("workspace-name")).to_have_text("Second shop")
    assert violations == []
