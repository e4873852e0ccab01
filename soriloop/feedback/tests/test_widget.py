"""The widget's public endpoint and the hosted page: CORS, rate limits, honeypot, thanks."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from soriloop.conftest import Member
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def widget_key(alice: Member) -> str:
    settings = channel_settings_get(workspace=alice.workspace)
    settings.widget_origins = [SHOP]
    settings.save()
    return settings.widget_key


def post(key: str, body, origin: str | None = SHOP, **extra):
    headers = {"Origin": origin} if origin else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(
        f"/widget/{key}/feedback",
        data=data,
        content_type="application/json",
        headers=headers,
        **extra,
    )


def test_an_allowed_site_sends_feedback_and_gets_thanks_in_the_visitors_language(
    alice: Member, widget_key: str
) -> None:
    response = post(
        widget_key,
        {
            "rating": 2,
            "text": "결제 페이지가 느려요",
            "email": "v@x.example",
            "lang": "ko",
            "page": "https://shop.example.com/cart",
        },
    )
    assert response.status_code == 201, response.content
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "감사" in response.json()["message"]
    record = Feedback.objects.get(id=response.json()["id"])
    assert (record.channel, record.source, record.score, record.score_kind) == (
        "widget",
        "widget",
        2.0,
        "stars",
    )
    assert record.metadata == {"lang": "ko", "page": "https://shop.example.com/cart"}
    assert record.customer.email == "v@x.example"
    english = post(widget_key, {"rating": 5, "lang": "en"})
    assert english.json()["message"].startswith("Thank you")


def test_the_preflight_names_the_allowed_origin(widget_key: str) -> None:
    response = Client().options(
        f"/widget/{widget_key}/feedback",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_other_sites_are_refused(widget_key: str) -> None:
    response = post(widget_key, {"rating": 5}, origin="https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert Feedback.objects.count() == 0


def test_an_unknown_key_is_not_found(db: None) -> None:
    assert post("nope", {"rating": 5}).status_code == 404


def test_bad_input_is_explained(widget_key: str) -> None:
    assert post(widget_key, "not json").status_code == 400
    response = post(widget_key, {"rating": 9})
    assert response.status_code == 422
    assert "score" in response.json()["error"]["fields"]
    response = post(widget_key, {"text": "", "rating": None})
    assert response.status_code == 422
    assert Feedback.objects.count() == 0


def test_the_honeypot_thanks_bots_and_stores_nothing(widget_key: str) -> None:
    response = post(
        widget_key, {"rating": 5, "text": "buy pills", "website": "http://spam.example"}
    )
    assert response.status_code == 200
    assert Feedback.objects.count() == 0


def test_too_many_submissions_from_one_ip_get_429_with_retry_after(
    widget_key: str, settings
) -> None:
    settings.WIDGET_RATE_PER_IP = 3
    statuses = [
        post(widget_key, {"rating": 4}, REMOTE_ADDR="10.0.0.9").status_code for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    blocked = post(widget_key, {"rating": 4}, REMOTE_ADDR="10.0.0.9")
    assert int(blocked.headers["Retry-After"]) >= 1
    assert blocked.headers["Access-Control-Allow-Origin"] == SHOP
    assert post(widget_key, {"rating": 4}, REMOTE_ADDR="10.0.0.10").status_code == 201
    assert Feedback.objects.count() == 4


def test_the_workspace_limit_holds_across_ips(widget_key: str, settings) -> None:
    settings.WIDGET_RATE_PER_KEY = 2
    statuses = [
        post(widget_key, {"rating": 4}, REMOTE_ADDR=f"10.0.1.{i}").status_code for i in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_the_hosted_page_takes_feedback_in_korean_and_english(
    alice: Member, widget_key: str
) -> None:
    page = Client().get(f"/f/{widget_key}/", HTTP_ACCEPT_LANGUAGE="ko")
    assert "이용해 보시니 어떠셨나요?" in page.content.decode()
    assert alice.workspace.name in page.content.decode()
    english = Client().get(f"/f/{widget_key}/?lang=en")
    assert "How was your experience?" in english.content.decode()
    done = Client().post(
        f"/f/{widget_key}/?lang=en", {"rating": "4", "text": "Friendly staff", "email": ""}
    )
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()
    record = Feedback.objects.get()
    assert (record.source, record.score, record.metadata["lang"]) == ("hosted-page", 4.0, "en")
    assert record.channel == "hosted", "not filed under the web widget"
    with translation.override("en"):
        assert record.get_channel_display() == "Hosted page"


def test_the_hosted_page_keeps_what_was_typed_when_something_is_wrong(widget_key: str) -> None:
    response = Client().post(
        f"/f/{widget_key}/?lang=ko", {"rating": "", "text": "", "email": "nope"}
    )
    assert response.status_code == 422
    assert (
        "이메일 주소가 올바르지 않습니다" in response.content.decode()
        or "내용을 적거나" in response.content.decode()
    )
    assert Feedback.objects.count() == 0


def test_the_qr_code_is_an_svg_of_the_page(widget_key: str) -> None:
    response = Client().get(f"/f/{widget_key}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<?xml") or b"<svg" in response.content[:200]
