"""Metric math against hand-computed examples (docs/metrics.md)."""

import math

import pytest

from soriloop.insights.metrics import Totals, ces, change, csat, net_sentiment, nps, summary, volume
from soriloop.insights.rollups import measures


def totals(kind: str, scores: list[float], sentiments: list[str] = ()) -> Totals:
    t = Totals.zero()
    for score in scores:
        t.add(measures(sentiment="", kind=kind, score=score, with_text=False))
    for label in sentiments:
        t.add(measures(sentiment=label, kind="", score=None, with_text=True))
    return t


def test_nps_counts_promoters_minus_detractors_with_a_confidence_interval() -> None:
    metric = nps(totals("nps", [10, 9, 8, 7, 6, 0]))
    assert metric.value == 0.0
    assert metric.n == 6
    # var per answer = p + d - (p - d)^2 = 2/6 + 2/6 - 0
    assert metric.se == pytest.approx(100 * math.sqrt((4 / 6) / 6))
    assert metric.as_dict()["ci95"] == [-65.33, 65.33]
    assert dict(metric.extra) == pytest.approx(
        {"promoters": 100 / 3, "passives": 100 / 3, "detractors": 100 / 3}
    )


def test_nps_edge_cases_empty_single_and_all_detractors() -> None:
    empty = nps(Totals.zero())
    assert (empty.value, empty.n, empty.as_dict()["ci95"]) == (None, 0, None)
    single = nps(totals("nps", [9]))
    assert (single.value, single.n) == (100.0, 1)
    grim = nps(totals("nps", [0, 3, 6]))
    assert grim.value == -100.0
    assert grim.as_dict()["ci95"] == [-100.0, -100.0]


def test_csat_is_the_share_of_four_and_five_with_the_mean() -> None:
    metric = csat(totals("csat", [5, 4, 3, 1]))
    assert metric.value == 50.0
    assert dict(metric.extra)["mean"] == 3.25
    assert metric.se == pytest.approx(100 * math.sqrt(0.25 / 4))
    assert csat(Totals.zero()).value is None


def test_ces_is_the_mean_with_the_share_of_easy() -> None:
    metric = ces(totals("ces", [7, 5, 3]))
    assert metric.value == 5.0
    assert dict(metric.extra)["easy"] == pytest.approx(200 / 3)
    assert metric.se == pytest.approx(math.sqrt(4 / 3))  # sample variance 4
    one = ces(totals("ces", [2]))
    assert (one.value, one.se) == (2.0, None)


def test_net_sentiment_and_shares_count_only_analysed_records() -> None:
    t = totals("", [], ["positive", "positive", "positive", "neutral", "negative"])
    t.add(measures(sentiment="", kind="", score=None, with_text=True))  # not analysed yet
    metric = net_sentiment(t)
    assert metric.value == 40.0
    assert metric.n == 5
    assert dict(metric.extra) == {"positive": 60.0, "neutral": 20.0, "negative": 20.0}
    assert volume(t).value == 6


def test_a_change_is_significant_only_beyond_the_noise() -> None:
    small_before = nps(totals("nps", [10, 6]))
    small_now = nps(totals("nps", [10, 10, 6]))
    assert change(small_now, small_before).significant is False
    big_before = nps(totals("nps", [0] * 400 + [10] * 100))
    big_now = nps(totals("nps", [10] * 400 + [0] * 100))
    moved = change(big_now, big_before)
    assert (moved.direction, moved.significant) == ("up", True)
    assert moved.delta == pytest.approx(120.0)
    assert change(nps(Totals.zero()), big_before).delta is None


def test_summary_names_every_metric_and_compares_when_asked() -> None:
    result = summary(totals("nps", [10]), totals("nps", [0]))
    assert set(result) == {
        "nps",
        "csat",
        "ces",
        "net_sentiment",
        "volume",
        "stars",
        "response_rate",
    }
    assert result["nps"]["change"] == {"delta": 200.0, "direction": "up", "significant": False}
    assert result["response_rate"]["value"] is None
