"""The analyser: micro-batches, idempotency, crash recovery, results in the API."""

import json
import signal
import subprocess
import sys
import time

import pytest
from django.test import Client

from soriloop.analysis.models import AnalysisSettings, Enrichment
from soriloop.analysis.queue import queue_claim, queue_release_orphans
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add, subprocess_env
from soriloop.core.changes import changes_drain
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import feedback_delete


def test_pending_records_are_analysed_once(alice: Member) -> None:
    first = add(alice, text="상담원이 친절했어요. 감사합니다!")
    second = add(alice, text="The refund never arrived, very disappointed.")
    assert analysis_run_batch(owner="w1") == 2
    assert analysis_run_batch(owner="w1") == 0
    first.refresh_from_db()
    assert (first.analysis_state, first.language) == ("done", "ko")
    assert first.enrichment.sentiment_label == "positive"
    second.refresh_from_db()
    assert (second.language, second.enrichment.sentiment_label) == ("en", "negative")


def test_a_crashed_claim_is_released_and_analysed_exactly_once(alice: Member) -> None:
    record = add(alice, text="앱이 자꾸 꺼져요")
    assert [r.pk for r in queue_claim(owner="dead-worker", limit=10)] == [record.pk]
    assert analysis_run_batch(owner="w2") == 0, "a claimed record belongs to its claimer"
    assert queue_release_orphans(live_owners={"w2"}) == 1
    assert analysis_run_batch(owner="w2") == 1
    assert Enrichment.objects.filter(feedback=record).count() == 1


def test_a_purged_record_loses_its_analysis_through_the_change_log(
    alice: Member, bob: Member, settings
) -> None:
    settings.DELETED_FEEDBACK_RETENTION_DAYS = 0
    gone = add(alice, text="제 번호는 010-1234-5678 이에요, 환불해 주세요")
    kept = add(alice, text="환불 부탁드려요")
    theirs = add(bob, text="환불 부탁드려요")
    analysis_run_batch(owner="w")
    feedback_delete(workspace=alice.workspace, feedback=gone, actor=None)
    assert Enrichment.objects.filter(feedback=gone).exists(), "analysis hears of it, not called"
    changes_drain()
    assert not Enrichment.objects.filter(feedback=gone).exists()
    assert Enrichment.objects.filter(feedback__in=[kept, theirs]).count() == 2


def test_reanalysis_replaces_rather_than_duplicates(alice: Member) -> None:
    from soriloop.analysis.queue import queue_requeue

    add(alice, text="좋아요")
    analysis_run_batch(owner="w")
    assert queue_requeue(workspace=alice.workspace) == 1
    analysis_run_batch(owner="w")
    assert Enrichment.objects.count() == 1


def test_personal_data_is_redacted_and_optionally_not_kept(alice: Member) -> None:
    AnalysisSettings.objects.create(workspace=alice.workspace, redact_pii=True, keep_original=False)
    record = add(alice, text="환불 부탁드려요 010-9876-5432로 연락 주세요")
    analysis_run_batch(owner="w")
    record.refresh_from_db()
    assert "010" not in record.text
    assert "[전화번호]" in record.text
    assert record.enrichment.pii == [{"kind": "phone", "start": 9, "end": 22}]


def test_metadata_is_redacted_too_when_the_original_is_not_kept(alice: Member) -> None:
    AnalysisSettings.objects.create(workspace=alice.workspace, redact_pii=True, keep_original=False)
    record = add(
        alice,
        text="배송이 늦어요",
        metadata={"phone": "5678", "note": "kim@example.com 로 연락", "order": "2024120112345"},
    )
    analysis_run_batch(owner="w")
    record.refresh_from_db()
    assert record.text == "배송이 늦어요"
    assert record.metadata == {
        "phone": "[전화번호]",
        "note": "[이메일] 로 연락",
        "order": "2024120112345",
    }


def test_the_api_shows_analysis_once_done(alice: Member, api_key_of) -> None:
    key = api_key_of(alice, "read")
    record = add(alice, text="Checkout is broken again, I can't pay.")
    url = f"/api/v1/feedback/{record.pk}"
    headers = {"Authorization": f"Bearer {key}"}
    assert Client().get(url, headers=headers).json()["analysis"] is None
    analysis_run_batch(owner="w")
    analysis = Client().get(url, headers=headers).json()["analysis"]
    assert analysis["language"] == "en"
    assert analysis["sentiment"]["label"] == "negative"
    assert set(analysis) >= {
        "sentiment",
        "types",
        "keywords",
        "abuse",
        "pii_found",
        "model_version",
        "analyzed_at",
    }
    assert {t["name"] for t in analysis["types"]} >= {"complaint"}
    assert "checkout" in analysis["keywords"]
    assert analysis["abuse"]["flagged"] is False
    listed = Client().get("/api/v1/feedback?sentiment=negative", headers=headers).json()["items"]
    assert [r["id"] for r in listed] == [record.pk]


def test_the_record_page_shows_the_label_and_its_evidence(alice: Member) -> None:
    record = add(alice, text="배송이 너무 늦어서 실망했어요")
    analysis_run_batch(owner="w")
    page = alice.client.get(f"/inbox/{record.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Negative" in page
    assert "<mark>" in page


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_analyses_nothing_twice(alice: Member) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from soriloop.feedback.services import feedback_ingest
    from soriloop.feedback.validation import parse_feedback

    now = dt.datetime.now(dt.UTC)
    texts = ["배송이 늦어요", "좋아요 최고", "The app crashes", "Great support"]
    items = [
        parse_feedback({"text": f"{texts[i % 4]} {i}"}, channel="api", tz=ZoneInfo("UTC"), now=now)
        for i in range(3000)
    ]
    feedback_ingest(workspace=alice.workspace, items=items)
    worker = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "worker"],
        env=subprocess_env(WORKER_HEARTBEAT_SECONDS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not Enrichment.objects.exists():
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    assert 0 < Enrichment.objects.count() < 3000, "killed mid-way"
    second = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "worker"],
        env=subprocess_env(WORKER_HEARTBEAT_SECONDS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while (
            time.monotonic() < deadline and Feedback.objects.exclude(analysis_state="done").exists()
        ):
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert not Feedback.objects.exclude(analysis_state="done").exists()
    assert Enrichment.objects.count() == 3000
    assert json.dumps(list(Enrichment.objects.values_list("sentiment_label", flat=True).distinct()))


def test_admins_choose_redaction_and_viewers_cannot(alice: Member, member_of_a) -> None:
    response = alice.client.post("/settings/analysis/", {"redact_pii": "on"})
    assert response.status_code == 302
    settings = AnalysisSettings.objects.get(workspace=alice.workspace)
    assert (settings.redact_pii, settings.keep_original) == (True, False)
    viewer = member_of_a("viewer")
    assert viewer.client.post("/settings/analysis/", {"keep_original": "on"}).status_code == 403
    assert viewer.client.get("/settings/analysis/").status_code == 200
