"""Dashboard benchmark: a synthetic workspace of N analysed records over two years, then the
latency of each dashboard page and API call (p50 / p95 over repeated requests).

    .venv/bin/python bench/dashboard.py --records 1000000 [--database URL] [--runs 30]

Without --database it uses SQLite at var/bench/dashboard-<N>.sqlite3 (kept, so a second run
only measures). Records are written straight into the tables (the ingest path has its own
benchmark), with varied channels, sources, touchpoints, segments, languages, scores, topics
and types, and a weekly rhythm and a slow trend; the rollups are then rebuilt with
`rollups_rebuild` and timed. Prints one JSON object; docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHANNELS = [("review", 30, ["app-store", "play-store", "naver"]), ("survey", 25, ["nps-q", "csat-q"]),
            ("widget", 15, ["web"]), ("email", 12, ["support"]), ("api", 8, ["crm"]),
            ("chat", 5, ["kakao"]), ("phone", 3, ["callcenter"]), ("social", 2, ["instagram"])]  # fmt: skip
TOUCHPOINTS = ["", "signup", "browse", "checkout", "delivery", "support", "return"]
SEGMENTS = ["", "new", "regular", "vip", "enterprise"]
TOPICS = ["delivery", "price", "quality", "service", "refund", "app", "account", "payment",
          "staff", "waiting"]  # fmt: skip
TYPES = ["praise", "complaint", "suggestion", "question", "bug"]
TEXTS = {
    "ko": ["배송이 너무 늦어요", "상담원이 친절했어요", "앱이 자꾸 꺼져요", "가격이 비싸요",
           "환불은 언제 되나요?", "포장이 꼼꼼해요", "결제가 안 돼요", "대기 시간이 길어요"],
    "en": ["Delivery was late", "Great support, thanks", "The app keeps crashing",
           "Too expensive", "When is my refund?", "Checkout fails on mobile"],
}  # fmt: skip


def setup(database: str, records: int) -> None:
    if not database:
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        database = f"sqlite:///{folder / f'dashboard-{records}.sqlite3'}"
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soriloop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(records: int, rebuild: bool, seed: int = 7) -> tuple[Any, float, float]:
    """The bench workspace (created and filled unless it already holds ``records``), with
    its rollups rebuilt when it was filled or ``rebuild`` asks."""
    from django.db import connection, transaction

    from soriloop.accounts.models import User, Workspace
    from soriloop.accounts.services import user_create, workspace_create
    from soriloop.feedback.models import Feedback
    from soriloop.insights.rollups import rollups_rebuild

    name = f"bench-{records}"
    workspace = Workspace.objects.filter(name=name).first()
    if workspace is not None and Feedback.objects.filter(workspace=workspace).count() == records:
        if not rebuild:
            return workspace, 0.0, 0.0
        started = time.perf_counter()
        rollups_rebuild(workspace_id=workspace.pk)
        return workspace, 0.0, time.perf_counter() - started
    user = User.objects.filter(email="bench@soriloop.local").first() or user_create(
        email="bench@soriloop.local", password="bench-password-1", name="Bench"
    )
    if workspace is not None:
        workspace.delete()
    workspace = workspace_create(name=name, owner=user)  # with the starter topics
    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        customers = _customers(workspace.pk, rng)
    today = dt.date.today()
    first = today - dt.timedelta(days=729)
    weights = [w for _c, w, _s in CHANNELS]
    next_id = (Feedback.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    chunk = 50_000
    for start in range(0, records, chunk):
        feedback_rows, enrichment_rows = [], []
        for offset in range(start, min(start + chunk, records)):
            pk = next_id + offset
            # weekly rhythm and a slow rise in volume: later days are more likely
            day = first + dt.timedelta(days=min(729, int(730 * rng.random() ** 0.8)))
            if day.weekday() >= 5 and rng.random() < 0.3:
                day -= dt.timedelta(days=2)
            channel, _w, sources = rng.choices(CHANNELS, weights)[0]
            language = "ko" if rng.random() < 0.7 else "en"
            text = rng.choice(TEXTS[language]) if rng.random() < 0.85 else ""
            kind, score = _score(rng, channel)
            mood = rng.random() - (0.35 if day.month in (11, 12) else 0.25)  # seasonal complaints
            sentiment = "positive" if mood > 0.25 else "negative" if mood < -0.05 else "neutral"
            topics = rng.sample(TOPICS, rng.choice((0, 1, 1, 1, 2)))
            types = rng.sample(TYPES, rng.choice((0, 1, 1, 2)))
            moment = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)), dt.UTC)
            feedback_rows.append((
                pk, workspace.pk, channel, rng.choice(sources), rng.choice(customers),
                rng.choice(TOUCHPOINTS), text, score, kind, language, "{}", moment, day, moment,
                "done", "", None,
            ))  # fmt: skip
            enrichment_rows.append((
                pk, workspace.pk, language, False, sentiment, 0.5 if sentiment == "positive" else -0.5,
                0.8, "[]", json.dumps([{"key": t, "name_ko": t, "name_en": t, "confidence": 0.7, "evidence": []} for t in topics]),
                json.dumps([{"name": t, "confidence": 0.7, "evidence": []} for t in types]), "[]",
                False, 0.0, "[]", "", "bench", moment, "{}", b"",
                f"|{'|'.join(sorted(topics))}|" if topics else "", f"|{'|'.join(sorted(types))}|" if types else "",
            ))  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO feedback_feedback (id, workspace_id, channel, source, customer_id, "
                "touchpoint, text, score, score_kind, language, metadata, received_at, day, "
                "created_at, analysis_state, analysis_owner, acknowledged_at, external_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '')",
                feedback_rows,
            )
            cursor.executemany(
                "INSERT INTO analysis_enrichment (feedback_id, workspace_id, language, mixed, "
                "sentiment_label, sentiment_score, sentiment_confidence, evidence, topics, types, "
                "keywords, abusive, abuse_confidence, pii, redacted_text, model_version, "
                "analyzed_at, corrections, signature, topic_keys, type_names) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                enrichment_rows,
            )
        print(f"  {min(start + chunk, records):,} records", file=sys.stderr, flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('feedback_feedback', 'id'), %s)",
                [next_id + records],
            )
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    generated = time.perf_counter() - started
    started = time.perf_counter()
    rollups_rebuild(workspace_id=workspace.pk)
    return workspace, generated, time.perf_counter() - started


def _customers(workspace_id: int, rng: random.Random) -> list[int | None]:
    from soriloop.customers.models import Customer

    made = Customer.objects.bulk_create(
        [
            Customer(workspace_id=workspace_id, external_id=f"u{i}",
                     attributes={"segment": s} if (s := rng.choice(SEGMENTS)) else {})
            for i in range(20_000)
        ],
        batch_size=2000,
    )  # fmt: skip
    return [c.pk for c in made] + [None] * 5000


def _score(rng: random.Random, channel: str) -> tuple[str, float | None]:
    roll = rng.random()
    if channel == "survey" or roll < 0.25:
        kind = rng.choice(("nps", "nps", "csat", "ces"))
    elif channel == "review":
        kind = "stars"
    else:
        return "", None
    top = {"nps": 10, "csat": 5, "ces": 7, "stars": 5}[kind]
    low = 0 if kind == "nps" else 1
    return kind, float(min(top, max(low, round(rng.triangular(low, top, top * 0.8)))))


def measure(workspace: Any, runs: int) -> dict[str, dict[str, float]]:
    from django.test import Client

    from soriloop.accounts.models import ApiKey, Membership
    from soriloop.accounts.services import api_key_create

    membership = Membership.objects.filter(workspace=workspace).select_related("user").first()
    assert membership is not None
    client = Client()
    client.force_login(membership.user)
    ApiKey.objects.filter(workspace=workspace).delete()
    _key, secret = api_key_create(actor=membership, name="bench", scope="read")
    api = {"Authorization": f"Bearer {secret}"}
    today = dt.date.today()
    year = f"date_from={today - dt.timedelta(days=364)}&date_to={today}"
    calls = {
        "overview (last 30 days)": ("/dashboard/", {}),
        "overview, channel + topic filter": ("/dashboard/?channel=review&topic=delivery", {}),
        "overview, segment + touchpoint filter": ("/dashboard/?segment=vip&touchpoint=checkout", {}),
        "overview, a year by week": (f"/dashboard/?{year}&grain=week", {}),
        "overview's keyword card (loaded after the page)": ("/dashboard/keywords/", {}),
        "overview's topic card, segment + touchpoint (loaded after the page)": (
            "/dashboard/top-topics/?segment=vip&touchpoint=checkout", {}),
        "overview's keyword card, channel + topic filter": ("/dashboard/keywords/?channel=review&topic=delivery", {}),
        "topic explorer (30 days)": ("/dashboard/topics/?topic=delivery", {}),
        "compare two channels (30 days)": ("/dashboard/compare/?dim=channel&a=review&b=email", {}),
        "GET /api/v1/metrics (30 days)": ("/api/v1/metrics", api),
        "GET /api/v1/metrics, a year, group_by=topic": (f"/api/v1/metrics?{year}&group_by=topic", api),
        "GET /api/v1/metrics, 2 years by month, group_by=channel": (
            f"/api/v1/metrics?date_from={today - dt.timedelta(days=729)}&date_to={today}&grain=month&group_by=channel", api),
        "drill-down: inbox, topic + sentiment (30 days)": (
            f"/inbox/?topic=delivery&sentiment=negative&date_from={today - dt.timedelta(days=29)}&date_to={today}", {}),
        "fallback: metrics with text search (30 days)": ("/api/v1/metrics?q=%EB%B0%B0%EC%86%A1", api),
    }  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    for name, (url, headers) in calls.items():
        timings = []
        for _ in range(runs + 2):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings = sorted(timings[2:])  # the first two warm caches
        results[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        }
        print(f"  {name}: {results[name]}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--database", default="", help="a DATABASE_URL; default: SQLite under var/bench"
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the rollups of a kept workspace"
    )
    args = parser.parse_args()
    setup(args.database, args.records)
    from django.db import connection

    from soriloop.insights.models import Rollup

    workspace, generated, rebuilt = generate(args.records, args.rebuild)
    rollup_rows = Rollup.objects.filter(workspace=workspace).count()
    print(json.dumps({
        "records": args.records, "database": connection.vendor,
        "generate_seconds": round(generated, 1), "rollups_rebuild_seconds": round(rebuilt, 1),
        "rollup_rows": rollup_rows, "runs": args.runs, "calls": measure(workspace, args.runs),
    }, indent=2, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
