"""Workspace keyword ranking: what is new this period rises, what is always said sinks."""

from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add
from soriloop.feedback.filters import FeedbackFilter
from soriloop.insights.selectors import keywords_rank


def test_a_new_word_outranks_one_that_is_always_there(alice: Member) -> None:
    for day in range(1, 11):
        add(alice, text="배송이 빨라요 배송 최고", received_at=f"2026-02-{day:02d}T12:00:00")
    for day in range(1, 6):
        add(
            alice,
            text="배송은 빠른데 포인트 적립이 안 돼요",
            received_at=f"2026-03-{day:02d}T12:00:00",
        )
    analysis_run_batch(owner="w")
    ranking = keywords_rank(
        workspace=alice.workspace,
        filters=FeedbackFilter.from_query({"date_from": "2026-03-01", "date_to": "2026-03-07"}),
    )
    words = [w for w, _n, _s in ranking]
    assert "포인트" in words
    assert "배송" not in words[: words.index("포인트") + 1], ranking
    counts = {w: n for w, n, _s in ranking}
    assert counts["포인트"] == 5

    html = alice.client.get(
        "/dashboard/keywords/?date_from=2026-03-01&date_to=2026-03-07"
    ).content.decode()
    assert "포인트" in html and "q=%ED%8F%AC%EC%9D%B8%ED%8A%B8" in html
