"""Training sentences in customer-service language, composed from parts written by the team.

The shared data has no Korean customer-service messages and no neutral questions or
suggestions in Korean, so `soriloop train` adds sentences composed here (problem x object x
style, in both languages), labelled by the guideline in docs/analysis.md: a reported problem
is negative however calmly it is put, a question or suggestion without a problem is neutral,
praise and thanks are positive, a problem fixed well ends positive. They are kept apart from
the hand-written dev set (testdata/cx/), which no template was written from. Training only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

# -- Korean ------------------------------------------------------------------------------------

_KO_ITEMS = [
    "주문한 물건", "택배", "상품", "옷", "신발", "운동화", "가방", "노트북", "이어폰", "화장품",
    "책", "간식", "커피 원두", "냉장고", "의자", "선물", "케이크", "쌀", "영양제", "장난감",
]  # fmt: skip
_KO_PROBLEMS = [
    "{item}이 아직 안 왔어요", "{item} 배송이 {n}일째 안 와요", "주문한 지 {n}일 됐는데 아직 배송 준비중이에요",
    "택배가 다른 집으로 갔어요", "운송장 조회가 안 돼요", "배송 예정일이 지났는데 아무 연락이 없어요",
    "배송 완료로 나오는데 물건을 못 받았어요", "{item} 박스가 다 찌그러져서 왔어요", "배송이 너무 늦어요",
    "환불이 아직 안 들어왔어요", "환불 요청한 지 {n}주가 지났어요", "반품 접수했는데 처리가 안 됐어요",
    "주문 취소했는데 결제가 그대로예요", "교환 신청했는데 답이 없어요", "반품 택배 기사님이 안 오셨어요",
    "카드가 두 번 결제됐어요", "결제가 계속 실패해요", "결제 오류가 나요", "결제는 됐는데 주문 내역이 없어요",
    "취소한 금액이 아직 카드에 청구돼 있어요", "포인트가 적립이 안 됐어요", "쿠폰이 적용이 안 돼요",
    "앱이 자꾸 꺼져요", "업데이트 후에 앱이 안 열려요", "결제 단계에서 화면이 멈춰요", "버튼을 눌러도 반응이 없어요",
    "앱에서 로그인이 계속 풀려요", "장바구니에 담은 게 다 사라졌어요", "페이지가 로딩만 돼요", "알림이 하나도 안 와요",
    "비밀번호 재설정 메일이 안 와요", "인증번호 문자가 안 와요", "계정이 갑자기 잠겼어요", "로그인이 안 돼요",
    "{item}이 파손돼서 왔어요", "사이즈가 표기랑 달라요", "상품이 설명이랑 완전히 달라요", "불량품이 왔어요",
    "{item}에서 이상한 냄새가 나요", "유통기한이 지난 제품이 왔어요", "구성품이 하나 빠져 있어요", "한 번 쓰고 고장 났어요",
    "가격이 너무 비싸요", "배송비가 상품값보다 비싸요", "할인가로 결제가 안 됐어요", "어제보다 가격이 올랐어요",
    "고객센터 연결이 안 돼요", "문의했는데 {n}일째 답변이 없어요", "상담원이 말을 끊고 전화를 끊었어요",
    "같은 답변만 반복하세요", "채팅 상담이 계속 대기 중이에요", "상담원이 불친절했어요",
    "직원이 불친절했어요", "기사님이 물건을 문 앞에 던지고 가셨어요", "점원이 주문을 잘못 받았어요",
    "매장 직원이 인사도 안 받아요", "배달 기사님이 연락도 없이 늦으셨어요",
    "한 시간이나 기다렸어요", "대기 시간이 너무 길어요", "음식이 {n}0분째 안 나와요", "예약했는데도 {n}0분 기다렸어요",
    "줄이 너무 길어서 그냥 나왔어요", "전화 대기만 {n}0분째예요",
]  # fmt: skip
_KO_PROBLEM_PREFIX = [
    "", "", "", "안녕하세요. ", "저기요 ", "{n}번째 문의드립니다. ", "어제 주문했는데 ", "지난주에 산 건데 ",
    "또 ", "솔직히 ", "확인해 보니 ", "주문번호 알려드릴게요. ",
]  # fmt: skip
_KO_PROBLEM_SUFFIX = [
    "", "", "", " ㅠㅠ", " ㅜㅜ", " ㅡㅡ", ";;", " 확인 부탁드립니다.", " 빨리 처리해 주세요.", " 너무 불편해요.",
    " 진짜 짜증나네요.", " 실망이에요.", " 어떻게 된 건가요?", " 언제 해결되나요?", " 세 번이나 다시 했어요.",
    " 답답하네요.", " ㅋㅋ 어이가 없네요", " 처리 좀 해주세요", " 환불해 주세요.", " 다시는 안 살래요.",
]  # fmt: skip
_KO_QUESTIONS = [
    "배송지 변경 가능한가요?", "{item} 재입고 언제 되나요?", "환불은 보통 며칠 걸리나요?", "영업시간이 어떻게 되나요?",
    "해외 배송도 되나요?", "포인트는 어떻게 사용하나요?", "계좌이체로도 결제할 수 있나요?", "비밀번호 변경은 어디서 하나요?",
    "주말에도 배송하나요?", "예약 변경하려면 어떻게 해야 하나요?", "{item} 사이즈 추천해 주실 수 있나요?",
    "선물 포장 되나요?", "회원 등급은 어떻게 올라가나요?", "매장 주차 가능한가요?", "현금영수증 발급되나요?",
    "교환은 어떤 절차로 하나요?", "쿠폰 여러 장 같이 쓸 수 있나요?", "{item} 색상 다른 것도 있나요?",
    "몇 시까지 주문하면 오늘 출발하나요?", "단체 주문도 가능한가요?", "앱에서 주소는 어디서 바꾸나요?",
    "카드 할부 되나요?", "멤버십 해지는 어떻게 하나요?", "택배사가 어디인가요?", "정기배송 주기를 바꿀 수 있나요?",
    "반려동물 동반 가능한가요?", "세금계산서 발행 가능한가요?", "이 제품 국내산인가요?",
]  # fmt: skip
_KO_FEATURES = [
    "다크 모드", "찜 목록 공유", "배송 알림", "영어 메뉴", "간편 결제", "정기 구독", "리뷰 사진 확대", "주문 내역 검색",
    "새벽 배송", "매장 픽업", "포인트 선물하기", "위젯", "지문 로그인", "장바구니 메모", "재입고 알림",
]  # fmt: skip
_KO_SUGGESTIONS = [
    "{feature} 기능이 있으면 좋겠어요", "{feature} 추가해 주세요", "{feature} 생기면 편할 것 같아요",
    "{feature} 기능 검토 부탁드립니다", "{feature} 지원해 주시면 좋겠습니다", "다음 업데이트에 {feature} 넣어 주세요",
    "{feature} 있으면 더 자주 쓸 것 같아요", "{feature}도 만들어 주시면 감사하겠습니다",
]  # fmt: skip
_KO_STATEMENTS = [
    "오늘 주문했어요.", "내일 방문할 예정입니다.", "주소를 새로 등록했습니다.", "주문번호 남깁니다.",
    "어제 매장에 다녀왔어요.", "첫 주문입니다.", "회원가입 했어요.", "선물용으로 샀어요.",
]  # fmt: skip
_KO_PRAISE = [
    "배송이 빨라서 좋아요", "상담원분이 친절하셨어요", "포장이 꼼꼼해요", "앱이 쓰기 편해요", "가성비 최고예요",
    "{item} 품질이 생각보다 좋아요", "직원분들이 정말 친절해요", "기사님이 친절하게 전달해 주셨어요",
    "주문한 다음 날 바로 왔어요", "사이즈가 딱 맞아요", "문의 답변이 빨라서 좋았어요", "결제가 간편해서 좋아요",
    "매장이 깨끗하고 좋았어요", "기다린 보람이 있어요", "재구매 의사 있어요", "다음에 또 주문할게요",
    "설명대로 잘 작동해요", "환불 처리가 빨랐어요", "업데이트 후에 훨씬 빨라졌어요", "대기 없이 바로 들어갔어요",
]  # fmt: skip
_KO_PRAISE_SUFFIX = [
    "", "", " 감사합니다!", " 감사해요 ㅎㅎ", " ^^", " 😊", " 최고예요", " 만족합니다.", " ㅋㅋ 좋아요", " 추천해요!",
    " 번창하세요", " 정말 감사합니다.",
]  # fmt: skip
_KO_FIXES = [
    "고객센터에서 바로 해결해 주셔서", "상담원분이 빠르게 처리해 주셔서", "새 제품으로 바로 보내 주셔서",
    "환불을 당일에 해 주셔서", "사과 문자와 쿠폰까지 주셔서", "기사님이 다시 가져다 주셔서",
]  # fmt: skip
_KO_FIXED_PROBLEMS = [
    "배송이 좀 늦었지만", "처음에 불량이 왔는데", "결제 오류가 있었는데", "사이즈가 안 맞았는데", "주문이 누락됐었는데",
]  # fmt: skip
_KO_FIXED_END = ["만족합니다", "감사했어요", "기분 좋게 마무리됐어요", "다음에도 이용할게요"]


def _nospace(text: str) -> str:
    return text.replace(" ", "")


def _ko_negative(rng: random.Random) -> str:
    core = rng.choice(_KO_PROBLEMS)
    text = rng.choice(_KO_PROBLEM_PREFIX) + core + rng.choice(_KO_PROBLEM_SUFFIX)
    return _fill(text, rng)


def _ko_neutral(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.55:
        text = rng.choice(["", "", "안녕하세요. ", "문의드립니다. ", "혹시 ", "궁금한 게 있는데 "])
        text += rng.choice(_KO_QUESTIONS)
    elif pick < 0.9:
        text = rng.choice(["", "", "건의드려요. ", "제안 하나 드려요. ", "잘 쓰고 있는데 "])
        text += rng.choice(_KO_SUGGESTIONS) + rng.choice(["", ".", "!", " ㅎㅎ", " 부탁드려요."])
    else:
        text = rng.choice(_KO_STATEMENTS)
    return _fill(text, rng)


def _ko_positive(rng: random.Random) -> str:
    if rng.random() < 0.15:
        text = (
            f"{rng.choice(_KO_FIXED_PROBLEMS)} {rng.choice(_KO_FIXES)} {rng.choice(_KO_FIXED_END)}"
        )
    else:
        text = rng.choice(_KO_PRAISE) + rng.choice(_KO_PRAISE_SUFFIX)
    return _fill(text, rng)


# -- English -----------------------------------------------------------------------------------

_EN_ITEMS = [
    "order", "package", "parcel", "jacket", "shoes", "laptop", "headphones", "phone case", "coffee",
    "book", "sofa", "gift", "cake", "groceries", "vitamins", "toy", "mattress", "printer",
]  # fmt: skip
_EN_PROBLEMS = [
    "my {item} still hasn't arrived", "my {item} has been stuck in transit for {n} days",
    "the tracking page hasn't updated in a week", "the {item} was delivered to the wrong address",
    "it says delivered but I never got it", "the {item} arrived damaged", "delivery is {n} days late",
    "my refund hasn't shown up yet", "I requested a refund {n} weeks ago and nothing", "refund not received",
    "I cancelled the order but was still charged", "my return was never processed", "I was charged twice",
    "my card keeps getting declined at checkout", "payment failed three times", "I was billed for a plan I cancelled",
    "the coupon code doesn't apply", "I didn't get my points for the last order", "the app crashes when I open it",
    "the app freezes on the payment screen", "the checkout button does nothing", "the website won't load",
    "I keep getting logged out", "my cart emptied itself", "the password reset email never comes",
    "the verification code never arrives", "my account got locked for no reason", "I can't log in since the update",
    "the {item} broke after a week", "the size is completely off", "the {item} looks nothing like the photos",
    "a part was missing from the box", "the {item} was expired", "it stopped working after two days",
    "it is way too expensive for what it is", "shipping cost more than the {item}", "the price went up overnight",
    "I was charged the full price instead of the sale price", "support never answered my email",
    "I've been on hold for {n}0 minutes", "the agent hung up on me", "the chat bot keeps sending me in circles",
    "nobody replied to my ticket in {n} days", "the support agent was rude", "the cashier was rude",
    "the driver threw the {item} over the fence", "the waiter got our order wrong", "staff ignored us",
    "we waited over an hour", "the queue was ridiculous", "our food took {n}0 minutes", "the wait time is way too long",
]  # fmt: skip
_EN_PROBLEM_PREFIX = [
    "", "", "", "Hi, ", "Hello, ", "Hi team, ", "Just so you know, ", "Again, ", "Order #{n}4{n}2: ",
    "Third time writing: ", "FYI ", "@support ",
]  # fmt: skip
_EN_PROBLEM_SUFFIX = [
    "", "", "", ".", ". Please fix this.", ". Can someone look into it?", ". Not happy.", "!!", " :(",
    " 😞", ". What is going on?", ". This is the second time.", ". Please refund me.", " smh", ". Very disappointed.",
    ". When will this be sorted?", ". Thanks.", ". Please advise.",
]  # fmt: skip
_EN_QUESTIONS = [
    "How do I change my delivery address?", "Do you ship to Canada?", "How long does a refund usually take?",
    "What are your opening hours?", "Can I pay by bank transfer?", "Where do I change my password?",
    "Is the {item} back in stock soon?", "Do you deliver on weekends?", "How do I reschedule my booking?",
    "Can I use two coupons on one order?", "Is gift wrapping available?", "What sizes does the {item} come in?",
    "How do loyalty points work?", "Is there parking near the store?", "Can I get an invoice for my company?",
    "Which courier do you use?", "How do I cancel my subscription?", "Can I pick up the {item} in store?",
    "Do you have a student discount?", "What time is the cut-off for same-day shipping?", "Are pets allowed?",
    "Can I change the delivery date?", "Is the {item} dishwasher safe?", "How do I update my card details?",
]  # fmt: skip
_EN_FEATURES = [
    "dark mode", "Apple Pay", "a wishlist", "order tracking notifications", "a Korean language option",
    "saved addresses", "PayPal", "scheduled deliveries", "in-store pickup", "a widget", "fingerprint login",
    "gift cards", "back-in-stock alerts", "an order history search",
]  # fmt: skip
_EN_SUGGESTIONS = [
    "It would be great to have {feature}", "Please add {feature}", "Would love to see {feature}",
    "Have you considered adding {feature}?", "Suggestion: {feature}", "It would be nice if you offered {feature}",
    "Could you add {feature} in a future update?", "I'd use the app more with {feature}",
]  # fmt: skip
_EN_STATEMENTS = [
    "I placed an order today.", "I'll visit the store tomorrow.", "I updated my address.", "Order number below.",
    "First order here.", "Bought this as a gift.", "I just signed up.",
]  # fmt: skip
_EN_PRAISE = [
    "delivery was super fast", "the support agent was so helpful", "great packaging", "the app is really easy to use",
    "great value for money", "the {item} is even better than expected", "the staff were lovely",
    "the driver was very kind", "it arrived the next day", "fits perfectly", "quick answer from support",
    "checkout was quick and easy", "the store was spotless", "worth the wait", "will definitely order again",
    "works exactly as described", "refund was processed within a day", "the new update made the app much faster",
    "no wait at all", "love the {item}",
]  # fmt: skip
_EN_PRAISE_SUFFIX = [
    "", "", "!", ". Thank you!", ", thanks so much", " 😊", " 👍", ". Highly recommend.", " lol love it",
    ". Five stars.", ". Keep it up!", ". Thanks team.",
]  # fmt: skip
_EN_FIXED = [
    "The {item} arrived late but support sorted it out right away, thank you",
    "First one was faulty, the replacement came the next day. Great service",
    "Had a payment issue but the agent fixed it in minutes. Really happy",
    "Wrong size at first, the exchange was painless. Thanks",
    "My order went missing but you resent it quickly. Much appreciated",
]  # fmt: skip


def _en_negative(rng: random.Random) -> str:
    core = rng.choice(_EN_PROBLEMS)
    prefix = rng.choice(_EN_PROBLEM_PREFIX)
    text = (
        prefix + (core if prefix else core[0].upper() + core[1:]) + rng.choice(_EN_PROBLEM_SUFFIX)
    )
    return _fill(text, rng)


def _en_neutral(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.55:
        text = rng.choice(["", "", "Hi, ", "Quick question: ", "Hello, "]) + rng.choice(
            _EN_QUESTIONS
        )
    elif pick < 0.9:
        text = rng.choice(["", "", "Suggestion: ", "Idea: "]) + rng.choice(_EN_SUGGESTIONS)
        text += rng.choice(["", ".", "!", " :)", ", thanks."])
    else:
        text = rng.choice(_EN_STATEMENTS)
    return _fill(text, rng)


def _en_positive(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return _fill(rng.choice(_EN_FIXED), rng)
    core = rng.choice(_EN_PRAISE)
    return _fill(core[0].upper() + core[1:] + rng.choice(_EN_PRAISE_SUFFIX), rng)


def _fill(text: str, rng: random.Random) -> str:
    items = _KO_ITEMS if any("가" <= ch <= "힣" for ch in text) else _EN_ITEMS
    features = _KO_FEATURES if items is _KO_ITEMS else _EN_FEATURES
    text = text.replace("{item}", rng.choice(items)).replace("{feature}", rng.choice(features))
    return text.replace("{n}", str(rng.randint(2, 9)))


def _styled(text: str, lang: str, rng: random.Random) -> str:
    """Spacing and case as people type: no spaces (Korean), lower case without full stops."""
    roll = rng.random()
    if lang == "ko" and roll < 0.15:
        return _nospace(text)
    if lang == "en" and roll < 0.2:
        return text.lower().rstrip(".")
    return text


_MAKERS: dict[tuple[str, str], Callable[[random.Random], str]] = {
    ("ko", "negative"): _ko_negative,
    ("ko", "neutral"): _ko_neutral,
    ("ko", "positive"): _ko_positive,
    ("en", "negative"): _en_negative,
    ("en", "neutral"): _en_neutral,
    ("en", "positive"): _en_positive,
}


def cx_sentences(per_class: int, *, seed: int = 11) -> Iterator[tuple[str, str, str]]:
    """(text, label, lang): up to ``per_class`` distinct sentences per language and label."""
    rng = random.Random(seed)  # noqa: S311 - reproducible training text, not a secret
    for (lang, label), make in _MAKERS.items():
        seen: set[str] = set()
        for _attempt in range(per_class * 6):
            if len(seen) >= per_class:
                break
            text = _styled(make(rng), lang, rng)
            if text not in seen:
                seen.add(text)
                yield text, label, lang
