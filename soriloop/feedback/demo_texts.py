"""Parts the demo feedback is composed of: topic x kind frames, objects and styles, ko and en.

Written for the demo; a seeded generator combines them (see ``demo.py``). A frame names its
slots in braces: ``{obj}`` (one of the topic's objects), ``{item}``, ``{n}`` (days), ``{m}``
(minutes), ``{won}`` / ``{usd}`` (amounts), ``{time}``. Korean particles after a slot are written
``{이/가}``, ``{은/는}``, ``{을/를}``, ``{과/와}`` and chosen by the syllable before them.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("praise", "complaint", "question", "suggestion")


@dataclass(frozen=True)
class Parts:
    objects: tuple[str, ...]
    praise: tuple[str, ...]
    complaint: tuple[str, ...]
    question: tuple[str, ...]
    suggestion: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    touchpoint: str
    ko: Parts
    en: Parts


TOPICS: dict[str, Topic] = {
    "delivery": Topic(
        "delivery",
        ko=Parts(
            objects=("택배", "배송", "새벽배송", "당일 배송", "주문한 {item}"),
            praise=(
                "{obj}{이/가} 예정보다 하루 빨리 왔어요",
                "{obj}{이/가} 약속한 날짜에 정확히 도착했어요",
                "{obj} 포장이 꼼꼼해서 {item}{이/가} 하나도 안 상했어요",
                "기사님이 {obj} 도착 전에 미리 연락 주셔서 편했어요",
            ),
            complaint=(
                "{obj}{이/가} {n}일째 배송 준비중이에요",
                "{obj}{이/가} 다른 집으로 잘못 배달됐어요",
                "{obj} 상자가 찌그러져서 {item}{이/가} 파손돼 왔어요",
                "운송장 조회가 {n}일째 그대로라 {obj}{이/가} 어디 있는지 모르겠어요",
                "{obj}{이/가} 문 앞에 방치돼서 비를 다 맞았어요",
            ),
            question=(
                "{obj}{은/는} 보통 며칠 걸리나요?",
                "{obj} 받는 주소를 출고 전에 바꿀 수 있나요?",
                "제주도도 {obj}{이/가} 되나요? 추가 비용이 있나요?",
            ),
            suggestion=(
                "{obj} 도착 예정 시간을 알림으로 받을 수 있으면 좋겠어요",
                "{obj} 받을 때 경비실 보관 옵션이 있으면 좋겠어요",
                "{obj} 포장에 비닐을 좀 줄여 주세요",
            ),
        ),
        en=Parts(
            objects=("the package", "my parcel", "the next-day delivery", "my {item}"),
            praise=(
                "{obj} arrived a day earlier than promised",
                "{obj} came right on the promised date, well packed",
                "the courier texted before dropping off {obj}, very considerate",
            ),
            complaint=(
                "{obj} has been stuck in 'preparing' for {n} days",
                "{obj} was delivered to the wrong address",
                "{obj} showed up crushed and the {item} inside was damaged",
                "tracking for {obj} has not moved in {n} days",
            ),
            question=(
                "how long does {obj} usually take to reach Busan?",
                "can I change the address for {obj} before it ships?",
            ),
            suggestion=(
                "please send a notification an hour before {obj} arrives",
                "let me pick a delivery window for {obj}",
            ),
        ),
    ),
    "price": Topic(
        "product",
        ko=Parts(
            objects=("가격", "할인 쿠폰", "멤버십 할인", "{item} 가격", "배송비"),
            praise=(
                "{obj}{이/가} 다른 쇼핑몰보다 {won}원 정도 싸요",
                "이 {obj}{이/가}면 가성비 최고예요",
                "{obj}{이/가} 합리적이라 {item}{을/를} 부담 없이 샀어요",
            ),
            complaint=(
                "{obj}{이/가} 한 달 만에 {won}원이나 올랐어요",
                "{obj}{이/가} 결제할 때 적용이 안 됐어요",
                "{obj}{이/가} 너무 비싸서 장바구니에만 담아 뒀어요",
                "행사 끝나자마자 {obj}{이/가} 다시 올라서 허탈해요",
            ),
            question=(
                "{obj}{은/는} 다음 달에도 그대로인가요?",
                "이미 산 {item}에도 {obj}{을/를} 적용받을 수 있나요?",
            ),
            suggestion=(
                "{obj} 변동 알림 기능이 있으면 좋겠어요",
                "정기 구매 고객에게 {obj} 혜택을 더 주세요",
            ),
        ),
        en=Parts(
            objects=("the price", "the discount code", "the member discount", "shipping fee"),
            praise=(
                "{obj} is about ${usd} lower than anywhere else",
                "great value, {obj} made the {item} a no-brainer",
            ),
            complaint=(
                "{obj} went up by ${usd} in a month",
                "{obj} did not apply at checkout",
                "{obj} is too high for what you get",
            ),
            question=(
                "will {obj} stay the same next month?",
                "can {obj} be applied to an order I already placed?",
            ),
            suggestion=(
                "please add price-drop alerts so I notice changes to {obj}",
                "give subscribers a better deal on {obj}",
            ),
        ),
    ),
    "quality": Topic(
        "product",
        ko=Parts(
            objects=("{item}", "제품", "이번에 산 {item}", "선물용 {item}"),
            praise=(
                "{obj}{이/가} 사진보다 훨씬 고급스러워요",
                "{n}주째 쓰는데 {obj}{이/가} 아직 새것 같아요",
                "{obj}{이/가} 탄탄하고 바느질도 깔끔해요",
            ),
            complaint=(
                "{obj}{이/가} 받은 지 {n}일 만에 고장 났어요",
                "{obj}에 흠집이 있었어요",
                "{obj}{이/가} 표기보다 한 치수 작게 나왔어요",
                "{obj}{이/가} 설명이랑 색이 달라요",
                "{obj}에서 냄새가 너무 심해요",
            ),
            question=(
                "{obj} 세탁은 어떻게 해야 하나요?",
                "{obj} 보증 기간이 얼마나 되나요?",
            ),
            suggestion=(
                "{obj} 상세 사진을 더 올려 주세요",
                "{obj} 실측 정보를 표로 정리해 주시면 좋겠어요",
            ),
        ),
        en=Parts(
            objects=("the {item}", "my new {item}", "the product"),
            praise=(
                "{obj} feels much nicer than the photos",
                "{n} weeks in and {obj} still looks brand new",
            ),
            complaint=(
                "{obj} broke after {n} days",
                "{obj} arrived scratched",
                "{obj} runs a size small",
                "{obj} is a different colour from the listing",
            ),
            question=(
                "how should I wash {obj}?",
                "what is the warranty on {obj}?",
            ),
            suggestion=(
                "please add close-up photos of {obj}",
                "a measurement chart for {obj} would help a lot",
            ),
        ),
    ),
    "service": Topic(
        "support",
        ko=Parts(
            objects=("고객센터", "상담원", "채팅 상담", "이메일 문의", "전화 상담"),
            praise=(
                "{obj}{이/가} 친절하게 끝까지 안내해 주셨어요",
                "{obj} 답변이 {m}분 만에 와서 놀랐어요",
                "{obj} 덕분에 문제를 바로 해결했어요",
            ),
            complaint=(
                "{obj} 연결이 {m}분 넘게 안 돼요",
                "{obj} 답변이 {n}일째 없어요",
                "{obj}{이/가} 같은 말만 반복하고 해결을 안 해 줘요",
                "{obj}에서 들은 안내랑 실제 처리가 달랐어요",
            ),
            question=(
                "{obj} 운영 시간이 어떻게 되나요?",
                "주말에도 {obj}{이/가} 가능한가요?",
            ),
            suggestion=(
                "{obj} 대기 순번을 알려 주면 좋겠어요",
                "{obj} 내용을 메일로도 보내 주세요",
            ),
        ),
        en=Parts(
            objects=("customer support", "the agent", "live chat", "the support team"),
            praise=(
                "{obj} sorted out my problem in {m} minutes",
                "{obj} was patient and genuinely helpful",
            ),
            complaint=(
                "{obj} kept me on hold for {m} minutes",
                "{obj} has not replied to my email in {n} days",
                "{obj} just repeated the same script",
            ),
            question=(
                "what are the opening hours of {obj}?",
                "is {obj} available on weekends?",
            ),
            suggestion=(
                "show my place in the queue for {obj}",
                "email me a transcript after talking to {obj}",
            ),
        ),
    ),
    "refund": Topic(
        "refund",
        ko=Parts(
            objects=("환불", "반품", "교환", "주문 취소", "{item} 반품"),
            praise=(
                "{obj}{이/가} 신청한 다음 날 바로 처리됐어요",
                "{obj} 절차가 간단해서 좋았어요",
            ),
            complaint=(
                "{obj} 신청한 지 {n}일째인데 아직 입금이 안 됐어요",
                "{obj}{이/가} 거절됐는데 이유를 알려 주지 않아요",
                "{obj} 택배를 {n}일째 안 가져가요",
                "{obj} 비용을 {won}원이나 내라고 해서 황당했어요",
            ),
            question=(
                "{obj}{은/는} 며칠 안에 신청해야 하나요?",
                "포장을 뜯었는데 {obj}{이/가} 되나요?",
            ),
            suggestion=(
                "{obj} 진행 상황을 단계별로 보여 주세요",
                "{obj} 사유 선택지에 '기타'도 넣어 주세요",
            ),
        ),
        en=Parts(
            objects=("my refund", "the return", "the exchange", "my cancellation"),
            praise=(
                "{obj} went through the day after I asked",
                "{obj} was quick and painless",
            ),
            complaint=(
                "still waiting for {obj} after {n} days",
                "{obj} was refused without any reason",
                "nobody came to collect the parcel for {obj} in {n} days",
            ),
            question=(
                "how many days do I have to request {obj}?",
                "can I still get {obj} if the box is opened?",
            ),
            suggestion=("show the status of {obj} step by step",),
        ),
    ),
    "app": Topic(
        "app",
        ko=Parts(
            objects=("앱", "홈페이지", "검색 기능", "장바구니 화면", "최신 업데이트"),
            praise=(
                "{obj}{이/가} 깔끔하고 빨라서 쓰기 편해요",
                "이번 {obj} 개편 후로 찾기가 훨씬 쉬워졌어요",
            ),
            complaint=(
                "{obj}{이/가} 실행하자마자 자꾸 꺼져요",
                "{obj}에서 로딩이 {m}초씩 걸려요",
                "{obj} 실행 후 화면이 하얗게만 나와요",
                "{obj}에서 {item}{을/를} 검색해도 결과가 안 나와요",
            ),
            question=(
                "{obj}에서 주문 내역은 어디서 보나요?",
                "태블릿에서도 {obj}{을/를} 쓸 수 있나요?",
            ),
            suggestion=(
                "{obj}에 다크 모드가 생기면 좋겠어요",
                "{obj}에 찜 목록 공유 기능을 넣어 주세요",
                "{obj} 글씨를 조금 더 크게 해 주세요",
            ),
        ),
        en=Parts(
            objects=("the app", "the website", "search", "the checkout page", "the latest update"),
            praise=(
                "{obj} is fast and easy to use",
                "{obj} is much clearer since the redesign",
            ),
            complaint=(
                "{obj} crashes as soon as I open it",
                "{obj} takes {m} seconds to load",
                "{obj} shows a blank white screen",
                "{obj} finds nothing when I look for a {item}",
            ),
            question=(
                "where do I find my order history in {obj}?",
                "does {obj} work on tablets?",
            ),
            suggestion=(
                "please add a dark mode to {obj}",
                "let me share my wishlist from {obj}",
            ),
        ),
    ),
    "account": Topic(
        "account",
        ko=Parts(
            objects=("로그인", "비밀번호 재설정", "본인 인증", "회원가입", "계정 연동"),
            praise=(
                "{obj}{이/가} 간편해져서 좋아요",
                "{obj}{이/가} 지문으로 바로 돼서 편해요",
            ),
            complaint=(
                "{obj}{이/가} 계속 실패해요",
                "{obj} 메일이 {m}분째 안 와요",
                "{obj}할 때마다 인증번호를 다시 받아야 해요",
                "{obj} 후에 적립금이 사라졌어요",
            ),
            question=(
                "{obj}{은/는} 휴대폰 번호를 바꿔도 되나요?",
                "{obj} 없이 주문할 수 있나요?",
            ),
            suggestion=(
                "{obj}에 간편 인증도 넣어 주세요",
                "{obj} 상태를 오래 유지해 주면 좋겠어요",
            ),
        ),
        en=Parts(
            objects=("login", "the password reset", "verification", "sign-up"),
            praise=(
                "{obj} is so much simpler now",
                "{obj} on my phone just works now",
            ),
            complaint=(
                "{obj} keeps failing",
                "the email for {obj} has not arrived after {m} minutes",
                "{obj} logs me out every day",
            ),
            question=(
                "can I change my phone number without redoing {obj}?",
                "is {obj} required to place an order?",
            ),
            suggestion=("please support passkeys for {obj}",),
        ),
    ),
    "payment": Topic(
        "checkout",
        ko=Parts(
            objects=("카드 결제", "간편결제", "계좌이체", "결제", "영수증 발급"),
            praise=(
                "{obj}{이/가} 한 번에 끝나서 편했어요",
                "{obj} 단계가 줄어서 좋아요",
            ),
            complaint=(
                "{obj}{이/가} 두 번 청구됐어요",
                "{obj} 단계에서 앱이 멈춰요",
                "{obj}{은/는} 됐는데 주문 내역에 안 떠요",
                "{obj} 오류로 {won}원이 빠져나갔어요",
            ),
            question=(
                "{obj}{은/는} 할부가 되나요?",
                "{obj} 후에 결제 수단을 바꿀 수 있나요?",
            ),
            suggestion=(
                "{obj} 수단을 더 늘려 주세요",
                "{obj} 완료 알림을 문자로도 보내 주세요",
            ),
        ),
        en=Parts(
            objects=("the card payment", "Apple Pay", "the bank transfer", "checkout"),
            praise=(
                "{obj} was done in one tap",
                "{obj} is quick now",
            ),
            complaint=(
                "I was charged twice for {obj}",
                "the app freezes during {obj}",
                "{obj} failed but ${usd} was taken anyway",
            ),
            question=(
                "can I split {obj} into instalments?",
                "can I change the payment method after {obj}?",
            ),
            suggestion=("please add more options for {obj}",),
        ),
    ),
    "staff": Topic(
        "store",
        ko=Parts(
            objects=("매장 직원", "점장님", "계산대 직원", "배달 기사님", "매니저님"),
            praise=(
                "{obj}{이/가} 친절하게 설명해 주셨어요",
                "{obj} 덕분에 딱 맞는 {item}{을/를} 골랐어요",
                "{obj}{이/가} 바쁜데도 웃으면서 응대해 주셨어요",
            ),
            complaint=(
                "{obj}{이/가} 너무 불친절했어요",
                "{obj}{이/가} 질문에 대답도 안 하고 휴대폰만 봤어요",
                "{obj}{이/가} 반말을 해서 기분이 상했어요",
            ),
            question=("{obj}에게 {item} 재고를 미리 물어볼 수 있나요?",),
            suggestion=(
                "{obj} 교육을 조금 더 해 주세요",
                "{obj} 명찰이 잘 보이면 좋겠어요",
            ),
        ),
        en=Parts(
            objects=("the staff", "the store manager", "the cashier", "the courier"),
            praise=(
                "{obj} went out of their way to help",
                "{obj} helped me find the right {item}",
            ),
            complaint=(
                "{obj} was rude and dismissive",
                "{obj} ignored us for ten minutes",
            ),
            question=("can I ask {obj} to hold a {item} for me?",),
            suggestion=("a bit more training for {obj} would go a long way",),
        ),
    ),
    "waiting": Topic(
        "store",
        ko=Parts(
            objects=("매장 대기", "주말 웨이팅", "계산 줄", "픽업 대기", "상담 대기"),
            praise=(
                "{obj}{이/가} 생각보다 짧아서 좋았어요",
                "{obj} 알림 덕분에 근처에서 기다릴 수 있었어요",
            ),
            complaint=(
                "{obj}{이/가} {m}분이나 걸렸어요",
                "{obj} 때문에 {time}에 가도 한참 서 있었어요",
                "{obj} 순서가 뒤죽박죽이었어요",
            ),
            question=(
                "{obj}{이/가} 덜한 시간대가 언제인가요?",
                "{obj}{을/를} 미리 예약할 수 있나요?",
            ),
            suggestion=(
                "{obj} 번호표를 앱으로 받게 해 주세요",
                "{obj} 시간에 계산대를 하나 더 열어 주세요",
            ),
        ),
        en=Parts(
            objects=("the wait", "the queue", "the pickup line", "the weekend wait"),
            praise=(
                "{obj} was much shorter than I expected",
                "the text when {obj} was over was handy",
            ),
            complaint=(
                "{obj} took {m} minutes",
                "even at {time} {obj} was out the door",
            ),
            question=(
                "when is {obj} usually shortest?",
                "can I book ahead to skip {obj}?",
            ),
            suggestion=("let us join {obj} from the app",),
        ),
    ),
}

ITEMS = {
    "ko": (
        "니트",
        "운동화",
        "텀블러",
        "이어폰",
        "백팩",
        "수건 세트",
        "에어프라이어",
        "원피스",
        "우산",
    ),
    "en": ("sweater", "pair of sneakers", "tumbler", "earbuds", "backpack", "kettle", "jacket"),
}
TIMES = {
    "ko": ("평일 오전", "점심시간", "저녁 7시", "토요일 오후"),
    "en": ("10 am", "lunchtime", "7 pm"),
}

# (opener, closer) per language and kind; "" is a plain sentence.
OPENERS: dict[str, dict[str, tuple[str, ...]]] = {
    "ko": {
        "praise": (
            "",
            "",
            "정말 만족해요. ",
            "처음 이용해 봤는데 ",
            "또 주문했어요! ",
            "솔직히 기대 안 했는데 ",
        ),
        "complaint": (
            "",
            "",
            "실망이에요. ",
            "두 번째 연락드려요. ",
            "하... ",
            "이번에도 ",
            "급합니다. ",
        ),
        "question": ("", "안녕하세요, ", "문의드려요. ", "궁금한 게 있는데요, "),
        "suggestion": ("", "건의드려요. ", "잘 쓰고 있는데 ", "작은 바람인데 "),
    },
    "en": {
        "praise": ("", "", "Really happy: ", "First order and ", "Ordered again! "),
        "complaint": ("", "", "Disappointed: ", "Second time writing: ", "Seriously, ", "Again, "),
        "question": ("", "Hi, ", "Quick question: ", "Hello, "),
        "suggestion": ("", "Suggestion: ", "Love the service, but ", "Small idea: "),
    },
}
CLOSERS: dict[str, dict[str, tuple[str, ...]]] = {
    "ko": {
        "praise": (
            "",
            ".",
            "!",
            " 감사합니다!",
            " 재구매 의사 있어요.",
            " 주변에도 추천했어요 ㅎㅎ",
        ),
        "complaint": (
            "",
            ".",
            " ㅠㅠ",
            " 빨리 해결해 주세요.",
            " 다음엔 다른 곳 이용할게요.",
            "!!",
            " 너무 불편해요.",
        ),
        "question": ("", " 답변 부탁드려요.", " 알려 주세요.", " 감사합니다."),
        "suggestion": ("", ".", " 검토 부탁드려요.", " 그럼 더 자주 쓸 것 같아요."),
    },
    "en": {
        "praise": ("", ".", "!", " Thanks!", " Will order again.", " Told my friends."),
        "complaint": (
            "",
            ".",
            "!!",
            " Please fix this.",
            " Not ordering again.",
            " Very frustrating.",
        ),
        "question": ("", " Thanks.", " Thanks in advance!", "?"),
        "suggestion": ("", ".", " Would use it more.", " Thanks for listening."),
    },
}
CONNECTORS = {"ko": (". 그리고 ", ". 또 ", ". 그리고 "), "en": (", and ", ". Also, ", ", and ")}

SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신")
GIVEN = (
    "민준",
    "서연",
    "지호",
    "수아",
    "우진",
    "하은",
    "도윤",
    "지민",
    "예준",
    "채원",
    "시우",
    "유나",
)
EN_FIRST = ("Emily", "James", "Olivia", "Daniel", "Sophie", "Ryan", "Grace", "Noah")
EN_LAST = ("Park", "Lee", "Kim", "Smith", "Brown", "Choi", "Wilson")
