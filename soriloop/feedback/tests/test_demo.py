"""The demo workspace reads like a real one: varied texts in two languages over months."""

import datetime as dt
import re

from soriloop.feedback.demo import demo_records

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def test_demo_feedback_is_hundreds_of_distinct_texts_in_korean_and_english() -> None:
    records = demo_records(now=NOW)
    texts = [str(r["text"]) for r in records]
    assert len(set(texts)) == len(texts) >= 300
    korean = [t for t in texts if re.search(r"[가-힣]", t)]
    assert 0.4 * len(texts) < len(korean) < 0.9 * len(texts)
    # no leftover slot or particle marker
    assert not [t for t in texts if "{" in t or "}" in t]
    # the first 40 characters differ too, so "similar feedback" is not a list of copies
    assert len({t[:40] for t in texts}) > 0.8 * len(texts)


def test_demo_feedback_spans_months_with_customers_touchpoints_and_scores() -> None:
    records = demo_records(now=NOW)
    oldest = min(r["received_at"] for r in records)
    assert NOW - oldest > dt.timedelta(days=120)
    assert len({r["customer"]["external_id"] for r in records}) >= 40
    assert len({r["touchpoint"] for r in records}) >= 6
    kinds = {r.get("score_kind") for r in records}
    assert {"stars", "nps", "csat", None} <= kinds
    unhappy = [r for r in records if r.get("score_kind") == "stars" and r["score"] <= 2]
    happy = [r for r in records if r.get("score_kind") == "stars" and r["score"] >= 4]
    assert unhappy and happy


def test_demo_feedback_is_the_same_every_run() -> None:
    assert demo_records(now=NOW) == demo_records(now=NOW)


def test_korean_particles_follow_the_syllable_before_them() -> None:
    texts = " ".join(str(r["text"]) for r in demo_records(now=NOW))
    assert "택배가" in texts or "택배는" in texts
    assert "배송이" in texts or "배송은" in texts
    assert "택배이" not in texts and "배송가" not in texts
