"""Spikes against a seasonality-aware baseline, from the rollups."""

import datetime as dt

from django.test import Client

from soriloop.conftest import Member
from soriloop.insights.models import TOTAL, Rollup
from soriloop.insights.spikes import spikes_detect

TODAY = dt.date(2026, 11, 23)  # a Monday


def day_rows(member: Member, topic: str, day: dt.date, n: int, negative: int = 0) -> None:
    Rollup.objects.create(
        workspace=member.workspace, day=day, level=TOTAL, facet="topic", value=topic,
        channel="", sentiment="", n=n, positive=n - negative, negative=negative,
    )  # fmt: skip


def history(
    member: Member, topic: str, weekday_n: int, monday_n: int, negative: float = 0.2
) -> None:
    for back in range(1, 7 * 9 + 1):
        day = TODAY - dt.timedelta(days=back)
        n = monday_n if day.weekday() == 0 else weekday_n
        day_rows(member, topic, day, n, round(n * negative))


def test_a_busy_monday_is_not_a_spike_when_mondays_are_always_busy(alice: Member) -> None:
    history(alice, "delivery", weekday_n=3, monday_n=12)
    day_rows(alice, "delivery", TODAY, 12, 2)
    assert spikes_detect(workspace=alice.workspace, today=TODAY) == []


def test_a_jump_over_the_same_weekdays_is_a_volume_spike_with_its_records(alice: Member) -> None:
    history(alice, "delivery", weekday_n=3, monday_n=12)
    day_rows(alice, "delivery", TODAY, 40, 8)
    (spike,) = spikes_detect(workspace=alice.workspace, today=TODAY)
    assert (spike.topic, spike.kind, spike.start, spike.end) == ("delivery", "volume", TODAY, TODAY)
    assert spike.baseline == 12 and spike.now == 40 and spike.z >= 3
    assert spike.filter.to_query() == "date_from=2026-11-23&date_to=2026-11-23&topic=delivery"


def test_a_rising_negative_share_is_a_spike_even_at_normal_volume(alice: Member) -> None:
    history(alice, "refund", weekday_n=6, monday_n=6, negative=0.2)
    Rollup.objects.filter(workspace=alice.workspace, day__gte=TODAY - dt.timedelta(days=6)).update(
        negative=5, positive=1
    )
    day_rows(alice, "refund", TODAY, 6, 5)
    spikes = spikes_detect(workspace=alice.workspace, today=TODAY)
    assert [(s.topic, s.kind) for s in spikes] == [("refund", "negative_share")]
    assert spikes[0].filter.sentiment == "negative"


def test_the_api_lists_spikes_of_its_own_workspace_only(
    alice: Member, bob: Member, api_key_of
) -> None:
    history(alice, "delivery", weekday_n=3, monday_n=3)
    today = dt.date.today()
    day_rows(alice, "delivery", today, 40)
    for member, expected in ((alice, 1), (bob, 0)):
        body = Client().get(
            "/api/v1/spikes", {"date": today.isoformat()},
            headers={"Authorization": f"Bearer {api_key_of(member, 'read')}"},
        ).json()  # fmt: skip
        assert len(body["items"]) == expected
