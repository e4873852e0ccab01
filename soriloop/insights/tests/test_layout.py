"""The dashboard in a real Chromium: on a phone and on a laptop, in Korean and English."""

import re

import pytest
from playwright.sync_api import Browser, expect

from soriloop.conftest import Member
from soriloop.core.changes import changes_drain
from soriloop.insights.tests.shop import WEEK, seeded, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("korean", [True, False])
def test_the_dashboard_fits_a_phone_and_every_menu_item_is_on_screen(
    live_server, alice: Member, browser: Browser, korean: bool
) -> None:
    seeded(alice)
    language = "ko" if korean else "en"
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, extra_http_headers={"Accept-Language": language}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, korean=korean)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_test_id("tile-volume")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard scrolls sideways ({width}px)"
    settings = page.get_by_role("navigation").get_by_role(
        "link", name="설정" if korean else "Settings"
    )
    expect(settings).to_be_in_viewport()
    box = settings.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    context.close()


def test_a_filter_with_several_choices_names_them_in_the_pages_language(
    live_server, alice: Member, browser: Browser
) -> None:
    """A native multiple select shows the browser's own "0 selected"; ours says 전체."""
    seeded(alice)
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url)
    for path in ("/dashboard/", "/inbox/"):
        page.goto(f"{live_server.url}{path}")
        filters = page.get_by_test_id("filters")
        assert filters.locator("select[multiple]").count() == 0
        menu = filters.get_by_test_id("menu-channel")
        expect(menu).to_have_text("전체")
        menu.click()
        filters.get_by_label("API", exact=True).check()
        filters.get_by_label("이메일", exact=True).check()
        menu.click()  # closes the menu
        filters.get_by_role("button").first.click()
        expect(page).to_have_url(re.compile(r"channel=api&channel=email"))
        expect(page.get_by_test_id("filters").get_by_test_id("menu-channel")).to_have_text(
            "API, 이메일"
        )
    context.close()


def test_table_headers_break_between_words_not_inside_them(
    live_server, alice: Member, browser: Browser
) -> None:
    seeded(alice)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, extra_http_headers={"Accept-Language": "en"}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, korean=False)
    page.goto(f"{live_server.url}/dashboard/?{WEEK}")
    header = page.get_by_role("columnheader", name="Volume")
    expect(header).to_be_visible()
    lines = header.evaluate(
        "h => { const r = document.createRange(); r.selectNodeContents(h);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }"
    )
    assert lines == 1, "the header 'Volume' is split over lines"
    context.close()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_no_page_scrolls_sideways_on_a_phone(
    live_server, alice: Member, browser: Browser, language: str
) -> None:
    korean = language == "ko"
    from soriloop.accounts import services
    from soriloop.analysis.services import analysis_run_batch
    from soriloop.feedback.demo import demo_feedback_load
    from soriloop.insights.rollups import rollups_refresh

    demo_feedback_load(workspace=alice.workspace)
    while analysis_run_batch(owner="w"):
        pass
    changes_drain()
    rollups_refresh()
    record = alice.workspace.feedback.order_by("id").first()
    services.api_key_create(actor=alice.membership, name="주문 시스템 연동 키", scope="write")
    services.login_success_record(user=alice.user, ip="2001:db8:85a3::8a2e:370:7334")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, extra_http_headers={"Accept-Language": language}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, korean=korean)
    wide = {}
    for path in (
        "/", "/inbox/", f"/inbox/{record.pk}/", "/inbox/imports/", "/dashboard/topics/",
        "/dashboard/", "/dashboard/compare/", "/dashboard/report/", "/settings/", "/settings/members/",
        "/settings/api-keys/", "/settings/audit/", "/settings/channels/", "/settings/topics/",
        "/settings/analysis/",
    ):  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert wide == {}
    context.close()
