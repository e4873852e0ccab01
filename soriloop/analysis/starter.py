"""The starter taxonomy a new workspace begins with (Korean and English); editable."""

from __future__ import annotations

from typing import Any

STARTER_TOPICS: list[dict[str, Any]] = [
    {"key": "delivery", "name_ko": "배송", "name_en": "Delivery",
     "keywords": ["배송", "택배", "배달", "도착", "출고", "운송장", "delivery", "shipping", "shipped", "courier", "arrived", "package"],
     "examples": ["배송이 너무 늦어요", "택배가 아직 안 왔어요", "The package arrived two days late", "Shipping was fast"]},
    {"key": "price", "name_ko": "가격", "name_en": "Price",
     "keywords": ["가격", "비싸", "저렴", "할인", "쿠폰", "가성비", "price", "expensive", "cheap", "discount", "coupon", "cost"],
     "examples": ["가격이 너무 올랐어요", "가성비가 좋아요", "Too expensive for what you get", "The coupon did not apply"]},
    {"key": "quality", "name_ko": "제품 품질", "name_en": "Product quality",
     "keywords": ["품질", "불량", "하자", "파손", "재질", "사이즈", "quality", "defect", "broken", "damaged", "size", "material"],
     "examples": ["제품에 흠집이 있어요", "사이즈가 작게 나왔어요", "The product broke after a week", "Great quality material"]},
    {"key": "service", "name_ko": "고객 서비스", "name_en": "Customer service",
     "keywords": ["고객센터", "상담", "상담원", "응대", "문의", "답변", "support", "customer service", "agent", "response", "reply"],
     "examples": ["고객센터 연결이 안 돼요", "상담원이 친절했어요", "Support never answered my email", "The agent was very helpful"]},
    {"key": "refund", "name_ko": "환불·취소", "name_en": "Refund and cancellation",
     "keywords": ["환불", "취소", "반품", "교환", "refund", "cancel", "cancellation", "return", "exchange"],
     "examples": ["환불이 2주째 안 돼요", "주문 취소를 하고 싶어요", "Still waiting for my refund", "How do I return this item?"]},
    {"key": "app", "name_ko": "앱·웹사이트", "name_en": "App and website",
     "keywords": ["앱", "어플", "웹사이트", "홈페이지", "화면", "업데이트", "오류", "버그", "app", "website", "site", "page", "update", "bug", "crash"],
     "examples": ["앱이 자꾸 꺼져요", "업데이트 후 화면이 안 떠요", "The app crashes on startup", "The website is very slow"]},
    {"key": "account", "name_ko": "계정·로그인", "name_en": "Account and login",
     "keywords": ["로그인", "계정", "비밀번호", "인증", "회원가입", "탈퇴", "login", "log in", "account", "password", "sign up", "verification"],
     "examples": ["로그인이 안 돼요", "비밀번호 재설정 메일이 안 와요", "I can't log in to my account", "Verification code never arrives"]},
    {"key": "payment", "name_ko": "결제", "name_en": "Payment",
     "keywords": ["결제", "카드", "계좌이체", "페이", "청구", "영수증", "payment", "pay", "card", "charged", "billing", "invoice"],
     "examples": ["결제가 안 돼요", "카드가 두 번 결제됐어요", "I was charged twice", "Payment keeps failing"]},
    {"key": "staff", "name_ko": "직원", "name_en": "Staff",
     "keywords": ["직원", "점원", "매니저", "기사님", "사장님", "staff", "employee", "cashier", "manager", "waiter"],
     "examples": ["직원분이 불친절했어요", "매장 직원이 친절해요", "The staff were rude", "The cashier was lovely"]},
    {"key": "waiting", "name_ko": "대기 시간", "name_en": "Waiting",
     "keywords": ["대기", "기다", "줄", "웨이팅", "지연", "오래 걸", "wait", "waiting", "queue", "line", "delay", "took forever"],
     "examples": ["대기 시간이 너무 길어요", "한 시간이나 기다렸어요", "We waited 40 minutes", "The queue was very long"]},
]  # fmt: skip
