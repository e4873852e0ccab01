"""What visitors and staff do in a real Chromium: the widget on another site, the hosted
page in Korean and English, the inbox."""

import http.server
import socketserver
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from soriloop.conftest import PASSWORD, Member, add
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get

pytestmark = pytest.mark.browser


@pytest.fixture
def shop_site(live_server, alice: Member) -> Iterator[str]:
    """Another website, on its own origin, with the widget snippet pasted in."""
    settings = channel_settings_get(workspace=alice.workspace)
    html = (
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>Shop</title></head>"
        "<body><h1>우리 가게</h1>"
        f"<script src='{live_server.url}/static/soriloop/widget.js' data-soriloop-key='{settings.widget_key}' async></script>"
        "</body></html>"
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    settings.widget_origins = [origin]
    settings.save()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin
    server.shutdown()
    server.server_close()


def test_a_visitor_sends_feedback_through_the_widget_on_another_site(
    shop_site: str, page: Page, alice: Member
) -> None:
    page.goto(shop_site + "/")
    widget = page.locator("[data-soriloop=widget]")
    widget.get_by_role("button", name="의견 보내기").click()
    widget.get_by_role("radio", name="2/5").click()
    widget.get_by_placeholder("자세히 알려 주세요 (선택)").fill("결제 버튼이 안 눌려요")
    widget.get_by_placeholder("답변 받을 이메일 (선택)").fill("visitor@example.com")
    widget.get_by_role("button", name="보내기", exact=True).click()
    expect(widget.get_by_text("소중한 의견 감사합니다", exact=False)).to_be_visible()
    record = Feedback.objects.get(workspace=alice.workspace)
    assert (record.text, record.score, record.channel) == ("결제 버튼이 안 눌려요", 2.0, "widget")
    assert record.metadata["page"].startswith(shop_site)
    assert record.customer.email == "visitor@example.com"


@pytest.mark.parametrize(
    ("lang", "title", "button", "thanks"),
    [
        ("ko", "이용해 보시니 어떠셨나요?", "보내기", "소중한 의견 감사합니다"),
        ("en", "How was your experience?", "Send", "Thank you for your feedback"),
    ],
)
def test_the_hosted_page_in_both_languages(
    live_server, alice: Member, browser: Browser, lang: str, title: str, button: str, thanks: str
) -> None:
    key = channel_settings_get(workspace=alice.workspace).widget_key
    context = browser.new_context(locale="ko-KR" if lang == "ko" else "en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{key}/")
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    page.locator("label[for=star5]").click()
    page.get_by_role("textbox").first.fill(
        "직원분이 친절해요" if lang == "ko" else "Staff were kind"
    )
    page.get_by_role("button", name=button).click()
    expect(page.get_by_test_id("thanks")).to_contain_text(thanks)
    record = Feedback.objects.get(workspace=alice.workspace)
    assert (record.score, record.metadata["lang"], record.source) == (5.0, lang, "hosted-page")
    context.close()


def test_staff_search_the_inbox_in_korean_and_open_a_record(
    live_server, alice: Member, page: Page
) -> None:
    add(alice, text="배송이 너무 늦어요", score=1, score_kind="stars")
    add(alice, text="포장이 꼼꼼해요", score=5, score_kind="stars")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("이메일").fill("alice@a.example")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.get_by_role("navigation", name="메인").get_by_role("link", name="받은 피드백").click()
    expect(page.get_by_test_id("total")).to_contain_text("2")
    page.get_by_label("검색").fill("배송")
    page.get_by_role("button", name="필터").click()
    expect(page.get_by_test_id("total")).to_contain_text("1")
    assert "q=%EB%B0%B0%EC%86%A1" in page.url, "the filter lives in the page address"
    page.get_by_role("link", name="배송이 너무 늦어요").click()
    expect(page.get_by_test_id("text")).to_have_text("배송이 너무 늦어요")
