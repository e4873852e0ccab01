"""Sample feedback for the demo workspace: Korean and English, every channel, 90 days."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.feedback.services import channel_settings_get, feedback_ingest
from soriloop.feedback.validation import FeedbackInput, parse_feedback

# (text, stars 1-5, touchpoint)
SAMPLES = [
    ("배송이 생각보다 하루 빨리 왔어요. 포장도 꼼꼼했습니다.", 5, "delivery"),
    ("주문한 지 일주일이 넘었는데 아직도 배송 준비중이에요.", 1, "delivery"),
    ("택배 기사님이 문 앞에 두고 가셨는데 비를 맞아서 상자가 젖었어요", 2, "delivery"),
    ("앱이 결제 단계에서 자꾸 꺼져요 ㅠㅠ 세 번이나 다시 했어요", 1, "checkout"),
    ("카드 결제 후 주문 내역에 안 떠서 당황했어요", 2, "checkout"),
    ("상담원분이 친절하게 환불 절차를 안내해 주셨어요. 감사합니다!", 5, "support"),
    ("고객센터 연결이 30분 넘게 안 돼요", 1, "support"),
    ("환불 요청한 지 2주째인데 아직 입금이 안 됐어요", 1, "refund"),
    ("가격 대비 품질이 정말 좋아요. 재구매 의사 있습니다", 5, "product"),
    ("사이즈가 표기보다 한 치수 작게 나온 것 같아요", 3, "product"),
    ("쿠폰 적용이 안 돼서 정가로 샀어요. 개선 부탁드려요", 2, "checkout"),
    ("매장 직원분들이 친절하고 설명을 잘 해주셨어요", 5, "store"),
    ("주말에 매장 대기 시간이 너무 길어요", 2, "store"),
    ("로그인할 때마다 인증번호를 다시 받아야 해서 불편해요", 2, "account"),
    ("다크 모드가 생기면 좋겠어요", 4, "app"),
    ("The delivery was fast and the packaging was great.", 5, "delivery"),
    ("My order has been stuck in 'preparing' for a week.", 1, "delivery"),
    ("The app crashes every time I try to pay with Apple Pay.", 1, "checkout"),
    ("Support resolved my issue in five minutes. Impressive!", 5, "support"),
    ("Still waiting for my refund after 14 days.", 1, "refund"),
    ("Good value for money, but the size runs small.", 3, "product"),
    ("Please add an option to save items for later.", 4, "app"),
    ("배송은 빠른데 앱 UI가 좀 헷갈려요. search 기능이 잘 안 돼요", 3, "app"),
]
CHANNELS = ["api", "widget", "email", "review", "phone", "chat", "import"]
NAMES = [
    "김민준",
    "이서연",
    "박지호",
    "최수아",
    "정우진",
    "Emily Park",
    "James Lee",
    "한지민",
    "오세훈",
    "윤하은",
]
COUNT = 240


def _items(workspace: Workspace) -> list[FeedbackInput]:
    rng = random.Random(20261122)  # noqa: S311 - the same demo every time, not a secret
    tz = ZoneInfo(workspace.timezone)
    now = timezone.now()
    items = []
    for n in range(COUNT):
        text, stars, touchpoint = rng.choice(SAMPLES)
        channel = rng.choice(CHANNELS)
        received = now - dt.timedelta(days=rng.triangular(0, 90, 0), minutes=rng.randint(0, 600))
        name = rng.choice(NAMES)
        data: dict[str, object] = {
            "text": text,
            "channel": channel,
            "source": "demo",
            "external_id": f"demo-{n}",
            "touchpoint": touchpoint,
            "received_at": received,
            "customer": {"external_id": f"demo-customer-{NAMES.index(name)}", "name": name},
        }
        kind = rng.choice(["stars", "nps", "csat", None])
        if kind == "stars":
            data |= {"score": stars, "score_kind": "stars"}
        elif kind == "nps":
            data |= {"score": min(10, max(0, stars * 2 + rng.choice([-1, 0]))), "score_kind": "nps"}
        elif kind == "csat":
            data |= {"score": stars, "score_kind": "csat"}
        items.append(parse_feedback(data, channel=channel, tz=tz, now=now))
    return items


def demo_feedback_load(*, workspace: Workspace) -> int:
    """Load the sample feedback once (later runs find it as duplicates); returns how many new."""
    channel_settings_get(workspace=workspace)
    results = feedback_ingest(workspace=workspace, items=_items(workspace))
    return sum(1 for r in results if r.status == "created")
