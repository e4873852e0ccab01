"""The survey templates a builder starts from (ko/en), each a ready definition."""

from __future__ import annotations

from typing import Any

WHAT_WENT_WRONG = {"ko": "어떤 점이 아쉬우셨나요?", "en": "What went wrong?"}
WHAT_YOU_LOVED = {"ko": "어떤 점이 좋으셨나요?", "en": "What did you love?"}

STARTERS: dict[str, dict[str, Any]] = {
    "nps": {
        "name": {"ko": "NPS 관계 설문", "en": "NPS relationship survey"},
        "touchpoint": "relationship",
        "questions": [
            {
                "key": "nps",
                "kind": "nps",
                "required": True,
                "text": {
                    "ko": "저희를 친구나 동료에게 추천할 가능성은 얼마나 되나요?",
                    "en": "How likely are you to recommend us to a friend or colleague?",
                },
            },
            {
                "key": "wrong",
                "kind": "text",
                "text": WHAT_WENT_WRONG,
                "show_if": {"key": "nps", "op": "lte", "value": 6},
            },
            {
                "key": "loved",
                "kind": "text",
                "text": WHAT_YOU_LOVED,
                "show_if": {"key": "nps", "op": "gte", "value": 9},
            },
            {
                "key": "better",
                "kind": "text",
                "text": {"ko": "무엇이 더 좋아지면 좋을까요?", "en": "What would make it better?"},
                "show_if": {"key": "nps", "op": "in", "value": [7, 8]},
            },
        ],
    },
    "csat_support": {
        "name": {"ko": "상담 후 만족도(CSAT)", "en": "CSAT after support"},
        "touchpoint": "support",
        "questions": [
            {
                "key": "csat",
                "kind": "csat",
                "required": True,
                "text": {
                    "ko": "오늘 받으신 상담에 얼마나 만족하셨나요?",
                    "en": "How satisfied are you with the support you received today?",
                },
            },
            {
                "key": "resolved",
                "kind": "single",
                "required": True,
                "text": {"ko": "문제가 해결되었나요?", "en": "Was your issue resolved?"},
                "choices": [
                    {"key": "yes", "text": {"ko": "네", "en": "Yes"}},
                    {"key": "partly", "text": {"ko": "일부만", "en": "Partly"}},
                    {"key": "no", "text": {"ko": "아니요", "en": "No"}},
                ],
            },
            {
                "key": "why",
                "kind": "text",
                "text": {"ko": "의견을 자유롭게 남겨 주세요", "en": "Tell us more"},
            },
        ],
    },
    "ces_purchase": {
        "name": {"ko": "구매 후 고객 노력 점수(CES)", "en": "CES after purchase"},
        "touchpoint": "checkout",
        "questions": [
            {
                "key": "ces",
                "kind": "ces",
                "required": True,
                "text": {
                    "ko": "주문하기가 얼마나 쉬웠나요? (1 매우 어려움 - 7 매우 쉬움)",
                    "en": "How easy was it to place your order? (1 very hard - 7 very easy)",
                },
            },
            {
                "key": "hard",
                "kind": "text",
                "text": {"ko": "어떤 부분이 어려웠나요?", "en": "What made it hard?"},
                "show_if": {"key": "ces", "op": "lte", "value": 4},
            },
            {"key": "order_id", "kind": "hidden"},
        ],
    },
    "product": {
        "name": {"ko": "제품 피드백", "en": "Product feedback"},
        "touchpoint": "product",
        "questions": [
            {
                "key": "stars",
                "kind": "stars",
                "required": True,
                "text": {"ko": "제품을 평가해 주세요", "en": "How would you rate the product?"},
            },
            {
                "key": "features",
                "kind": "multiple",
                "other": True,
                "text": {"ko": "주로 쓰시는 기능은?", "en": "Which features do you use most?"},
                "choices": [
                    {"key": "search", "text": {"ko": "검색", "en": "Search"}},
                    {"key": "checkout", "text": {"ko": "결제", "en": "Checkout"}},
                    {"key": "tracking", "text": {"ko": "배송 조회", "en": "Order tracking"}},
                ],
            },
            {
                "key": "idea",
                "kind": "text",
                "text": {"ko": "바라는 점이 있다면 알려 주세요", "en": "Anything you wish it did?"},
            },
        ],
    },
}

# "A blank survey": one open question to start from (a survey has at least one).
BLANK: dict[str, Any] = {
    "name": {"ko": "새 설문", "en": "New survey"},
    "touchpoint": "",
    "questions": [
        {
            "key": "q1",
            "kind": "text",
            "text": {"ko": "의견을 자유롭게 남겨 주세요", "en": "Tell us what you think"},
        }
    ],
}
