"""Personal data: hostile spellings that must be caught, and false friends that must not fire.

The table is the measure quoted in docs/analysis.md: every hostile spelling caught, no false
friend fired, in Korean and English contexts.
"""

import pytest

from soriloop.analysis.engine.pii import find_pii, redact

HOSTILE: list[tuple[str, str, str]] = [
    # (text, kind, the personal data exactly as written)
    ("주민번호 900101–1234567 입니다", "rrn", "900101–1234567"),  # en dash
    ("주민번호 900101—1234567", "rrn", "900101—1234567"),  # em dash
    ("주민번호는 900101.1234567 이에요", "rrn", "900101.1234567"),
    ("주민번호 ９００１０１－１２３４５６７ 입니다", "rrn", "９００１０１－１２３４５６７"),
    ("주민등록번호 90 01 01-1234567", "rrn", "90 01 01-1234567"),
    ("resident number 900101 - 2234567, please delete it", "rrn", "900101 - 2234567"),
    ("주민번호9001011234567이요", "rrn", "9001011234567"),
    ("연락처 (010) 1234-5678 입니다", "phone", "(010) 1234-5678"),
    ("010 - 1234 - 5678 로 전화 주세요", "phone", "010 - 1234 - 5678"),
    ("call 82-10-1234-5678 after six", "phone", "82-10-1234-5678"),
    ("+82 (0)10-1234-5678 으로 연락", "phone", "+82 (0)10-1234-5678"),
    ("전화 ０１０－１２３４－５６７８ 주세요", "phone", "０１０－１２３４－５６７８"),
    ("Call me at (415) 555-2671 anytime", "phone", "(415) 555-2671"),
    ("my cell is 415-555-2671.", "phone", "415-555-2671"),
    ("reach me on +1 415 555 2671", "phone", "+1 415 555 2671"),
    ("번호 010.1234.5678 입니다", "phone", "010.1234.5678"),
    ("010 1234 5678로 문자 주세요", "phone", "010 1234 5678"),
    ("010–1234–5678 (en dash)", "phone", "010–1234–5678"),
    ("+82 10 1234 5678 is my number", "phone", "+82 10 1234 5678"),
    ("+82-010-1234-5678 로 주세요", "phone", "+82-010-1234-5678"),
    ("매장 02)123-4567 로 전화했어요", "phone", "02)123-4567"),
    ("번호 010-1234-\u200b5678 입니다", "phone", "010-1234-\u200b5678"),
    ("Amex 3782 822463 10005 was charged twice", "card", "3782 822463 10005"),
    ("카드 3782-822463-10005 로 결제", "card", "3782-822463-10005"),
    ("카드번호 4111.1111.1111.1111 입니다", "card", "4111.1111.1111.1111"),
    (
        "카드 ４１１１ １１１１ １１１１ １１１１ 결제",
        "card",
        "４１１１ １１１１ １１１１ １１１１",
    ),
    ("card 5555–5555–5555–4444 declined", "card", "5555–5555–5555–4444"),
    ("Diners 3056 930902 5904 charged", "card", "3056 930902 5904"),
    ("국민은행 123456-01-123456 으로 환불해 주세요", "account", "123456-01-123456"),
    ("신한 110-123-456789로 보내주세요", "account", "110-123-456789"),
    ("환불은 카카오뱅크 3333-01-1234567 로 부탁해요", "account", "3333-01-1234567"),
    ("예금주 김민수 1002-123-456789", "account", "1002-123-456789"),
    ("110-123-456789 (우리은행) 으로 입금 부탁", "account", "110-123-456789"),
    ("please wire it to bank 123-456-789012", "account", "123-456-789012"),
    ("메일 kim＠example．com 으로", "email", "kim＠example．com"),
    ("메일kim.minsu@example.co.kr으로 보내주세요", "email", "kim.minsu@example.co.kr"),
    ("Email Kim.Minsu+shop@Example.COM please", "email", "Kim.Minsu+shop@Example.COM"),
]

FALSE_FRIENDS: list[str] = [
    "주문번호 2024120112345 확인 부탁드려요",
    "order #2024120112345 never arrived",
    "2024-12-01에 주문했어요",
    "ordered on 2024.12.01, still waiting",
    "2024/12/01 배송 예정이래요",
    "2024 12 01 주문 건입니다",
    "가격이 12,000원이에요",
    "It cost $1,234.56 and broke in a week",
    "1,200,000원 환불 요청합니다",
    "배송비 3,000원 + 상품 29,800원 = 32,800원",
    "Price went from 19,900 to 24,900 won",
    "운송장 6123-4567-8901 조회가 안 돼요",
    "송장 5123 4567 8901 로 조회해 보세요",
    "CJ대한통운 송장번호 512345678901",
    "tracking 1Z999AA10123456784 shows nothing",
    "USPS 9400 1000 0000 0000 0000 00 stuck",
    "version 10.2.3 crashes on start",
    "버전 3.14.159에서 오류가 나요",
    "14:30에 방문했어요",
    "meeting at 10:30-11:45 was cancelled",
    "at 9:00 am on 12/01/2024 it failed",
    "12/25 ~ 12/31 기간 이벤트",
    "수량 2개, 3박스 주문",
    "qty 1000 units, 250 each",
    "sizes 250 300 1000 in stock",
    "prices 199 299 3990 were shown",
    "주문번호 20241201-0012345 입니다",
    "Amazon order 112-1234567-1234567 arrived broken",
    "고객센터 1588-1234 연결이 안 돼요",
    "1544-7788로 전화했는데 안 받아요",
    "쿠폰 코드 ABCD-1234-EFGH 가 안 먹혀요",
    "IP 192.168.0.1 에서 접속했어요",
    "사업자등록번호 123-45-67890",
    "ISBN 978-89-12345-67-8 책이 파손",
    "우편번호 06236 으로 배송",
    "invoice INV-2024-000123 is wrong",
    "1.5kg, 30x40cm 사이즈",
    "score 9/10, would recommend",
    "timestamp 20241201143000 in the log",
    "입금했는데 주문 2024120112345 아직이에요",
    "국민카드로 결제한 주문 2024120112345 환불해 주세요",
    "은행 점검 시간 2024-12-01 00:00-06:00",
    "환불 금액 110,000원 입금 부탁드립니다",
    "우리 회사 사업자번호 123-45-67890 입니다",
    "model SM-S918N, build 2024.11.05",
    "주문 3건 총 45,000원 (2024. 12. 01.)",
    # long ids inside links, which the Luhn check alone let through one time in ten
    "공지 store.example/news/announcements/detail/1644245439922496178 보셨나요",
    "jQuery22406922587296062628_1517386117008 콜백 오류",
]


@pytest.mark.parametrize(("text", "kind", "value"), HOSTILE)
def test_every_hostile_spelling_is_caught_exactly(text: str, kind: str, value: str) -> None:
    spans = find_pii(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [(kind, value)]


@pytest.mark.parametrize("text", FALSE_FRIENDS)
def test_no_false_friend_fires(text: str) -> None:
    assert find_pii(text) == []


def test_the_tables_are_big_enough() -> None:
    assert len(HOSTILE) >= 31
    assert len(FALSE_FRIENDS) >= 30


def test_redaction_keeps_the_text_around_a_full_width_number() -> None:
    text = "전화 ０１０－１２３４－５６７８ 주세요"
    assert redact(text, find_pii(text)) == "전화 [전화번호] 주세요"
