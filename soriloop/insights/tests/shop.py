"""A week of one shop's feedback, shared by the insights tests (not a test module)."""

import datetime as dt
from zoneinfo import ZoneInfo

from playwright.sync_api import Page

from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import PASSWORD, Member
from soriloop.core.changes import changes_drain
from soriloop.feedback.services import feedback_ingest
from soriloop.feedback.validation import parse_feedback
from soriloop.insights.rollups import rollups_refresh

SEOUL = ZoneInfo("Asia/Seoul")
DAY = dt.date(2026, 3, 2)
WEEK = "date_from=2026-03-01&date_to=2026-03-07"

SAMPLES = [
    # text, channel, score kind, score, segment, touchpoint, day offset
    ("배송이 너무 늦어요. 일주일째 안 와요", "review", "stars", 1, "vip", "delivery", 0),
    ("상담원이 정말 친절했어요", "email", "csat", 5, "vip", "support", 0),
    ("앱이 결제할 때마다 튕겨요", "api", "nps", 2, "new", "checkout", 1),
    ("The app crashes at checkout every time", "api", "nps", 3, "new", "checkout", 1),
    ("Great service, thank you!", "widget", "nps", 10, "", "", 2),
    ("가격이 너무 비싸요", "survey", "ces", 2, "new", "", 2),
    ("환불은 언제 되나요?", "email", "", None, "vip", "support", 3),
    ("", "survey", "nps", 9, "vip", "", 3),
]


def ingest(member: Member, index: int, sample: tuple) -> None:
    """Ingest ``sample`` for customer ``c{index}`` of ``member``'s workspace."""
    text, channel, kind, score, segment, touchpoint, offset = sample
    data: dict = {
        "text": text,
        "received_at": f"{DAY + dt.timedelta(days=offset)}T12:00:00",
        "touchpoint": touchpoint,
        "customer": {
            "external_id": f"c{index}",
            "attributes": {"segment": segment} if segment else {},
        },
    }
    if kind:
        data.update(score=score, score_kind=kind)
    item = parse_feedback(data, channel=channel, tz=SEOUL, now=dt.datetime.now(dt.UTC))
    feedback_ingest(workspace=member.workspace, items=[item])


def seeded(member: Member) -> Member:
    """``member``'s workspace with every sample ingested, analysed and rolled up."""
    for index, sample in enumerate(SAMPLES):
        ingest(member, index, sample)
    analysis_run_batch(owner="w")
    changes_drain()
    rollups_refresh()
    return member


def sign_in(page: Page, url: str, email: str = "alice@a.example", korean: bool = True) -> None:
    """Sign in through the form of the server at ``url``, landing on the week's dashboard."""
    page.goto(f"{url}/accounts/login/?next=/dashboard/%3F{WEEK.replace('&', '%26')}")
    page.get_by_label("이메일" if korean else "E-mail").fill(email)
    page.get_by_label("비밀번호" if korean else "Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
