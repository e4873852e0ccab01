"""Rollups stay equal to a recount of the records through every kind of change, and every
reader (inbox list, metrics, API) agrees on what a filter matches."""

import datetime as dt

import pytest
from django.test import Client

from soriloop.analysis.corrections import analysis_correct
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member
from soriloop.core.changes import changes_drain
from soriloop.feedback.filters import FeedbackFilter
from soriloop.feedback.selectors import feedback_records
from soriloop.feedback.services import feedback_delete, feedback_update
from soriloop.insights.models import DirtyDay, HourRollup, Rollup
from soriloop.insights.rollups import hour_rollups_prune, rollups_rebuild, rollups_refresh
from soriloop.insights.selectors import Period, metrics_grouped, period_get, rollups_answer
from soriloop.insights.tests.shop import DAY, SAMPLES, ingest

PERIOD = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 7))


def snapshot(workspace_id: int) -> list[tuple]:
    fields = [f.name for f in Rollup._meta.fields if f.name not in ("id",)]
    return sorted(
        tuple(row) for row in Rollup.objects.filter(workspace_id=workspace_id).values_list(*fields)
    )


def assert_equal_to_recount(workspace_id: int) -> None:
    changes_drain()
    rollups_refresh()
    assert not DirtyDay.objects.exists()
    incremental = snapshot(workspace_id)
    rollups_rebuild(workspace_id=workspace_id)
    assert incremental == snapshot(workspace_id)


@pytest.fixture
def shop(alice: Member) -> Member:
    for index, sample in enumerate(SAMPLES):
        ingest(alice, index, sample)
    return alice


def volume(member: Member, f: FeedbackFilter) -> float:
    """The records matching ``f`` in ``PERIOD``, as the rollups count them."""
    ((_key, totals),) = metrics_grouped(workspace=member.workspace, filters=f, period=PERIOD)
    return totals["n"]


def test_rollups_equal_a_recount_after_ingest_analysis_corrections_edits_and_deletion(
    shop: Member,
) -> None:
    ws = shop.workspace.pk
    assert_equal_to_recount(ws)
    assert volume(shop, FeedbackFilter()) == 8
    # before analysis, every record waits under sentiment "" and topic ""
    by_topic = metrics_grouped(
        workspace=shop.workspace, filters=FeedbackFilter(), period=PERIOD, group="topic"
    )
    assert [key for key, _t in by_topic] == [""]
    analysis_run_batch(owner="w")
    assert_equal_to_recount(ws)
    record = feedback_records(workspace=shop.workspace, filters=FeedbackFilter(q="친절")).get()
    analysis_correct(feedback=record, changes={"sentiment": "negative", "topics": ["staff"]})
    assert_equal_to_recount(ws)
    feedback_update(actor=None, feedback=record, touchpoint="phone")
    assert_equal_to_recount(ws)
    feedback_delete(workspace=shop.workspace, feedback=record, actor=None)
    assert_equal_to_recount(ws)
    ingest(shop, 0, (*SAMPLES[0][:4], "enterprise", *SAMPLES[0][5:]))  # c0 changes segment
    assert_equal_to_recount(ws)
    assert volume(shop, FeedbackFilter(segment="enterprise")) == 2


FILTERS = [
    {},
    {"channel": "api"},
    {"channel": "email", "sentiment": "negative"},
    {"topic": "delivery"},
    {"topic": "unassigned"},
    {"type": "complaint"},
    {"type": "none", "language": "ko"},
    {"segment": "vip"},
    {"touchpoint": "checkout", "segment": "new"},
    {"channel": "api", "segment": "new"},
    {"topic": "delivery", "segment": "vip"},
    # not answerable from rollups: counted from the records
    {"source": "nowhere"},
    {"date_from": "2026-03-03", "date_to": "2026-03-04"},
    # not answerable from rollups: counted from the records
    {"q": "앱"},
    {"score_kind": "nps", "score_min": "9"},
    {"topic": "app", "type": "bug"},
    {"topic": "delivery", "segment": "vip", "channel": "review"},
]


@pytest.mark.parametrize(
    "query", FILTERS, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "all"
)
def test_metrics_count_exactly_the_records_the_inbox_lists(
    shop: Member, api_key_of, query: dict
) -> None:
    analysis_run_batch(owner="w")
    changes_drain()
    rollups_refresh()
    base = {"date_from": "2026-03-01", "date_to": "2026-03-07"}
    f = FeedbackFilter.from_query({**base, **query})
    listed = feedback_records(workspace=shop.workspace, filters=f)
    period = period_get(workspace=shop.workspace, filters=f)
    ((_key, totals),) = metrics_grouped(workspace=shop.workspace, filters=f, period=period)
    assert totals["n"] == listed.count()
    assert totals["nps_n"] == listed.filter(score_kind="nps").count()
    key = api_key_of(shop, "read")
    response = Client().get(
        "/api/v1/metrics", {**base, **query}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["metrics"]["volume"]["value"] == listed.count()
    assert body["source"] == ("rollups" if rollups_answer(filters=f) else "records")
    inbox = shop.client.get("/inbox/", {**base, **query}).content.decode()
    assert f'data-count="{listed.count()}"' in inbox
    export = shop.client.get("/inbox/export.csv", {**base, **query})
    assert (
        len(b"".join(export.streaming_content).decode("utf-8-sig").splitlines())
        == 1 + listed.count()
    )


def test_breakdowns_agree_with_the_total_and_name_topics(shop: Member, api_key_of) -> None:
    analysis_run_batch(owner="w")
    changes_drain()
    rollups_refresh()
    f = FeedbackFilter.from_query({"date_from": "2026-03-01", "date_to": "2026-03-07"})
    by_channel = metrics_grouped(
        workspace=shop.workspace, filters=f, period=PERIOD, group="channel"
    )
    assert sum(t["n"] for _k, t in by_channel) == 8
    assert dict((k, t["n"]) for k, t in by_channel) == {
        "api": 2, "email": 2, "review": 1, "survey": 2, "widget": 1
    }  # fmt: skip
    by_day = metrics_grouped(workspace=shop.workspace, filters=f, period=PERIOD, group="day")
    assert [(d.day, int(t["n"])) for d, t in by_day] == [(2, 2), (3, 2), (4, 2), (5, 2)]
    key = api_key_of(shop, "read")
    body = (
        Client()
        .get(
            "/api/v1/metrics",
            {
                "date_from": "2026-03-01",
                "date_to": "2026-03-07",
                "group_by": "topic",
                "grain": "week",
            },
            headers={"Authorization": f"Bearer {key}"},
        )
        .json()
    )
    topics = {item["key"]: item for item in body["breakdown"]["items"]}
    assert topics["delivery"]["name_en"] == "Delivery"
    assert topics["delivery"]["metrics"]["volume"]["value"] >= 1
    assert [p["start"] for p in body["series"]] == ["2026-02-23", "2026-03-02"]
    assert sum(p["volume"] for p in body["series"]) == 8


def test_the_metrics_api_rejects_bad_parameters_by_name(shop: Member, api_key_of) -> None:
    key = api_key_of(shop, "read")
    response = Client().get(
        "/api/v1/metrics",
        {"grain": "year", "group_by": "colour", "date_from": "yesterday", "topic": "a b"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"grain", "group_by", "date_from", "topic"}


def test_a_workspace_sees_only_its_own_numbers(shop: Member, bob: Member, api_key_of) -> None:
    analysis_run_batch(owner="w")
    changes_drain()
    rollups_refresh()
    ingest(bob, 0, SAMPLES[1])
    changes_drain()
    rollups_refresh()
    f = FeedbackFilter.from_query({"date_from": "2026-03-01", "date_to": "2026-03-07"})
    assert volume(shop, f) == 8
    assert volume(bob, f) == 1
    for member, expected in ((shop, 8), (bob, 1)):
        body = (
            Client()
            .get(
                "/api/v1/metrics",
                {"date_from": "2026-03-01", "date_to": "2026-03-07"},
                headers={"Authorization": f"Bearer {api_key_of(member, 'read')}"},
            )
            .json()
        )
        assert body["metrics"]["volume"]["value"] == expected, member.user.email


def test_rollups_rebuild_restores_lost_rows_from_the_command_line(shop: Member) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    analysis_run_batch(owner="w")
    changes_drain()
    rollups_refresh()
    before = snapshot(shop.workspace.pk)
    Rollup.objects.filter(workspace=shop.workspace, day=DAY).delete()
    Rollup.objects.create(workspace=shop.workspace, day=dt.date(2020, 1, 1), channel="api", n=5)
    out = StringIO()
    call_command("rollups", "rebuild", "--workspace", str(shop.workspace.pk), stdout=out)
    assert json.loads(out.getvalue())["days_recounted"] == 5
    assert snapshot(shop.workspace.pk) == before


@pytest.mark.parametrize(
    "group",
    ["channel", "source", "touchpoint", "language", "segment", "sentiment", "topic", "type", "day"],
)
@pytest.mark.parametrize(
    "query",
    [{}, {"channel": "api"}, {"segment": "vip"}, {"topic": "delivery"}, {"type": "complaint"}],
    ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "all",
)
def test_every_rollup_level_groups_like_a_count_of_the_records(
    shop: Member, query: dict, group: str
) -> None:
    from soriloop.insights.selectors import _facet, _grouped_raw, rollup_level

    analysis_run_batch(owner="w")
    changes_drain()
    rollups_refresh()
    f = FeedbackFilter.from_query(query)
    facet, value = _facet(f, group)
    expected = _grouped_raw(shop.workspace, f, PERIOD, group, facet, value)
    found = metrics_grouped(workspace=shop.workspace, filters=f, period=PERIOD, group=group)
    if rollup_level(filters=f, group=group) is None:
        return  # counted from the records already
    as_dict = lambda rows: {k: {m: v for m, v in t.items() if v} for k, t in rows}  # noqa: E731
    assert as_dict(found) == as_dict(expected)


def test_a_day_marked_again_and_again_is_recounted_at_most_every_few_seconds(
    shop: Member, settings, monkeypatch
) -> None:
    """Under a steady stream today is always marked: recounting it on every pass would hold
    the writer lock most of the time (bench/latency.py: 160 -> 199 records/s)."""
    from soriloop.insights import rollups

    settings.ROLLUP_REFRESH_SECONDS = 2
    clock = [1000.0]
    monkeypatch.setattr(rollups.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(rollups, "_recounted", {})
    changes_drain()
    rollups_refresh()
    assert not DirtyDay.objects.exists()
    ingest(shop, 99, ("또 늦었어요", "email", "", None, "", "", 0))
    changes_drain()
    assert rollups_refresh() == 0, "recounted a moment ago: the mark waits"
    assert DirtyDay.objects.exists()
    clock[0] += 2
    changes_drain()
    assert rollups_refresh() == 1
    assert not DirtyDay.objects.exists()
    assert_equal_to_recount(shop.workspace.pk)


def hours_snapshot(workspace_id: int) -> list[tuple]:
    return sorted(
        HourRollup.objects.filter(workspace_id=workspace_id).values_list(
            "day", "hour", "facet", "value", "n", "analysed", "negative"
        )
    )


def test_hourly_rows_count_each_records_hour_topics_and_keywords(shop: Member) -> None:
    while analysis_run_batch(owner="test"):
        pass
    changes_drain()
    rollups_refresh()
    # two records at 12:00 Seoul on 2026-03-03 (03:00 UTC), both about the app crashing
    hour = dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)
    rows = HourRollup.objects.filter(workspace=shop.workspace, hour=hour)
    every = rows.get(facet="")
    assert (every.n, every.analysed) == (2, 2)
    assert every.negative == sum(
        1
        for r in feedback_records(workspace=shop.workspace, filters=FeedbackFilter())
        if r.received_at == hour and r.enrichment.sentiment_label == "negative"
    )
    records = feedback_records(workspace=shop.workspace, filters=FeedbackFilter())
    words = {
        str(w).lower() for r in records if r.received_at == hour for w in r.enrichment.keywords
    }
    assert {k.value for k in rows.filter(facet="keyword")} == words
    total = sum(
        HourRollup.objects.filter(workspace=shop.workspace, facet="").values_list("n", flat=True)
    )
    assert total == len(SAMPLES)
    incremental = hours_snapshot(shop.workspace.pk)
    HourRollup.objects.all().delete()
    rollups_rebuild(workspace_id=shop.workspace.pk)
    assert hours_snapshot(shop.workspace.pk) == incremental


def test_hourly_rows_older_than_ten_weeks_are_pruned(alice: Member, time_machine) -> None:
    time_machine.move_to(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
    for weeks in (9, 11):
        hour = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC) - dt.timedelta(weeks=weeks)
        HourRollup.objects.create(workspace=alice.workspace, day=hour.date(), hour=hour, n=1)
    assert hour_rollups_prune() == 1
    assert HourRollup.objects.get().hour.date() == dt.date(2026, 3, 30)
