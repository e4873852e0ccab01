"""Feedback types by rule: what the text contains, with the sentiment handed in."""

from __future__ import annotations

import re

import pytest

from soriloop.analysis.engine.kinds import feedback_types, guarded, scan_types, type_cues
from soriloop.analysis.engine.sentiment import Sentiment

_PROBABILITIES = {
    "negative": (0.9, 0.05, 0.05),
    "neutral": (0.05, 0.9, 0.05),
    "positive": (0.05, 0.05, 0.9),
}


def _sentiment(label: str) -> Sentiment:
    p = _PROBABILITIES[label]
    return Sentiment(label, round(p[2] - p[0], 4), 0.9, p, ())


def _types(text: str, label: str) -> set[str]:
    return {t.name for t in feedback_types(text, [], _sentiment(label))}


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        # fixed problems ending in thanks: complaint and praise (bug when it was a fault)
        (
            "주문한 빵이 빠져서 왔는데 전화드리니 바로 보내 주셨어요. 감사합니다",
            "positive",
            {"complaint", "praise"},
        ),
        (
            "결제 오류로 돈이 두 번 나갔는데 금방 취소해 주셔서 다행이에요. 감사해요",
            "positive",
            {"bug", "complaint", "praise"},
        ),
        (
            "The parcel was a week late, but the courier apologised and refunded the fee. Thanks!",
            "positive",
            {"complaint", "praise"},
        ),
        (
            "The app kept crashing on login, but your update fixed it. Works great now.",
            "positive",
            {"bug", "complaint", "praise"},
        ),
        # mixed negatives that also praise something
        ("빵은 맛있는데 포장이 다 찌그러져서 왔어요", "negative", {"complaint", "praise"}),
        (
            "The waiter was friendly but our pasta arrived cold.",
            "negative",
            {"complaint", "praise"},
        ),
        # sarcasm is no praise
        (
            "Love how the app logs me out every single time I open it.",
            "negative",
            {"bug", "complaint"},
        ),
        # calm complaints whatever the tone
        ("주문한 지 열흘이 지났는데 상품이 아직 안 왔어요.", "negative", {"complaint"}),
        ("My refund still hasn't shown up in my account.", "negative", {"complaint"}),
        # a calm complaint read as neutral by the model is still a complaint
        ("My order has been stuck at the depot for a week.", "neutral", {"complaint"}),
        ("국물이 미지근하게 나와서 조금 아쉬웠어요", "neutral", {"complaint"}),
        # requests for an action are questions; Korean question endings without "?"
        (
            "잘못 온 상품 교환 요청드립니다. 확인 부탁드립니다",
            "negative",
            {"complaint", "question"},
        ),
        ("적립금 유효기간이 어떻게 되는지 궁금합니다", "neutral", {"question"}),
        ("Please cancel my order and refund the deposit.", "neutral", {"question"}),
        ("Hi there, can you tell me when the store opens on Sundays", "neutral", {"question"}),
        # rhetorical questions are not questions
        ("지금 장난하냐? 세 번째 주문인데 또 누락이네", "negative", {"complaint"}),
        # suggestions, with and without a problem
        ("장바구니에 메모를 남길 수 있게 해 주세요", "neutral", {"suggestion"}),
        ("It would be nice to choose a delivery time slot.", "neutral", {"suggestion"}),
        ("A night mode would be really handy.", "neutral", {"suggestion"}),
        # a polite close is no praise
        ("Could you gift-wrap my order? thx", "neutral", {"question"}),
        ("배송지 변경 가능한가요? 감사합니다", "neutral", {"question"}),
        ("Great coffee, would love an oat milk option too.", "positive", {"praise", "suggestion"}),
        # bugs: double charges, codes that never arrive, buttons that do nothing
        ("카드 결제가 중복 결제됐어요", "negative", {"bug", "complaint"}),
        ("인증번호가 계속 안 와요", "negative", {"bug", "complaint"}),
        ("주문하기 버튼을 눌러도 아무 반응이 없어요", "negative", {"bug", "complaint"}),
        ("I was charged twice for one ticket.", "negative", {"bug", "complaint"}),
        ("The login code never arrives by text.", "negative", {"bug", "complaint"}),
        ("The save button does nothing on my phone.", "negative", {"bug", "complaint"}),
        ("Face unlock hasn't worked since the last update.", "negative", {"bug", "complaint"}),
        ("Still waiting for a reset email that never arrives.", "negative", {"bug", "complaint"}),
        # praise on its own, and a plain statement with no type
        ("기사님이 친절하시고 설치도 깔끔하게 해 주셨어요", "positive", {"praise"}),
        ("Quick delivery and lovely packaging, thank you!", "positive", {"praise"}),
        ("오늘 오전에 반품 신청서를 보냈습니다.", "neutral", set()),
    ],
)
def test_types_record_what_the_text_contains(text: str, label: str, expected: set[str]) -> None:
    assert _types(text, label) == expected


def test_a_neutral_tone_still_finds_the_problem_and_the_thanks() -> None:
    assert _types("배송이 이틀 늦었지만 기사님이 친절하셔서 괜찮았어요", "neutral") >= {
        "complaint",
        "praise",
    }


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("How long is the wait for a table right now?", "neutral", {"question"}),
        ("보통 몇 분 정도 걸려요?", "neutral", {"question"}),
        ("Got a table without waiting, lovely staff.", "positive", {"praise"}),
        ("반품 신청이 거절됐어요", "negative", {"complaint"}),
        ("주문 진행 상황이 업데이트가 안 돼요", "negative", {"complaint"}),
    ],
)
def test_words_that_only_sound_like_a_problem_or_a_fault(
    text: str, label: str, expected: set[str]
) -> None:
    assert _types(text, label) == expected


def test_a_negative_tone_alone_does_not_make_a_question_a_complaint() -> None:
    assert _types("배송지를 바꿀 수 있나요?", "negative") == {"question"}


def test_every_type_points_at_the_words_that_made_it() -> None:
    text = (
        "빵은 맛있는데 중복 결제됐어요. 확인 부탁드립니다. 영수증도 문자로 받을 수 있게 해 주세요"
    )
    found = {t.name: t for t in feedback_types(text, [], _sentiment("neutral"))}
    assert set(found) == {"praise", "complaint", "bug", "question", "suggestion"}
    for kind in found.values():
        assert kind.evidence, kind
        for e in kind.evidence:
            assert text[e.start : e.end] == e.text
    assert any("중복 결제" in e.text for e in found["bug"].evidence)
    assert any("맛있" in e.text for e in found["praise"].evidence)
    assert any("확인 부탁" in e.text for e in found["question"].evidence)


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("앱이 결제 단계에서 자꾸 꺼져요", (0.0, 0.0, 1.0, 0.0)),
        ("배송은 보통 며칠 걸리나요?", (1.0, 0.0, 0.0, 0.0)),
        ("다크 모드가 있으면 좋겠어요", (0.0, 1.0, 0.0, 0.0)),
        ("The app crashes when I pay, can you fix it?", (1.0, 0.0, 1.0, 1.0)),
        ("Thanks, the staff were lovely", (0.0, 0.0, 0.0, 0.0)),
    ],
)
def test_the_cues_say_which_rules_fire_in_the_head_s_order(
    text: str, cues: tuple[float, ...]
) -> None:
    assert type_cues(text) == cues  # question, suggestion, bug, problem
    assert type_cues(text, scan=scan_types(text)) == cues


def test_types_read_from_a_scan_are_the_types_of_the_text() -> None:
    text = "결제 오류로 돈이 두 번 나갔는데 금방 취소해 주셔서 다행이에요. 감사해요"
    for label in _PROBABILITIES:
        scan = scan_types(text)
        assert feedback_types(text, [], _sentiment(label), scan=scan) == feedback_types(
            text, [], _sentiment(label)
        )


_TEXTS = [
    "Hi, how long does it take? 배송은 언제 와요?? ok how",
    "3번째 문의합니다 2주째 기다리고 있어요 xy y yyy",
    "BROKEN and LATE. \u212aind of \u017fad. broken-ish, abroken",
    "foo\nwhat now. (what) ,what ;how",
    "",
    "ab ab abab aab",
]


@pytest.mark.parametrize(
    "pattern",
    [
        r"broken|late|kind|sad",  # literals, matched case-insensitively (Kelvin sign, long s)
        r"(?:^|[.!?,:;]\s*|\b(?:hi|ok)\s+|\n)(?:how|what)\b",  # an opener or nothing first
        r"[0-9일이삼]+ ?(?:번|주)째",  # a class with a range
        r"x?y+",  # an optional first character
        r"(?<=a)b|(?!ab)a",  # look-arounds are zero-width
        r"\?",
    ],
)
def test_a_guarded_rule_finds_what_the_plain_rule_finds(pattern: str) -> None:
    plain, fast = re.compile(pattern, re.I), re.compile(guarded(pattern), re.I)
    assert fast.pattern.startswith("(?=[")
    for text in _TEXTS:
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


@pytest.mark.parametrize("pattern", [r"a*", r"[^x]y", r"\w+ly", r".b", r"(?i:a)b", r"(?:x|)y?"])
def test_a_rule_that_may_start_anywhere_or_be_empty_is_left_as_it_is(pattern: str) -> None:
    assert guarded(pattern) == pattern
