"""/healthz reports the database and a live worker; the worker runs queued tasks."""

import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.test import Client

from soriloop.conftest import subprocess_env
from soriloop.core.models import WorkerHeartbeat
from soriloop.core.tests.tasks import record_ping


def test_healthz_reports_a_missing_worker_as_degraded(db: None) -> None:
    body = Client().get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["database"] == {"ok": True, "vendor": connection.vendor}
    assert body["worker"]["ok"] is False


def test_healthz_is_ok_with_a_fresh_heartbeat(db: None) -> None:
    from soriloop.core.heartbeat import heartbeat_beat

    heartbeat_beat(worker_id="w-test")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["worker"]["workers"] == 1


def test_healthz_calls_a_stale_heartbeat_degraded(db: None, time_machine) -> None:
    from soriloop.core.heartbeat import heartbeat_beat

    time_machine.move_to("2026-05-01 12:00:00+00:00", tick=False)
    heartbeat_beat(worker_id="w-test")
    time_machine.move_to("2026-05-01 12:05:00+00:00", tick=False)
    assert Client().get("/healthz").json()["status"] == "degraded"


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_runs_queued_tasks_and_beats() -> None:
    result = record_ping.enqueue(note="hello")
    worker = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "worker", "--interval", "0.1"],
        env=subprocess_env(WORKER_HEARTBEAT_SECONDS="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            result.refresh()
            if result.is_finished and WorkerHeartbeat.objects.exists():
                break
            time.sleep(0.2)
        assert result.status == "SUCCESSFUL", result.status
        assert result.return_value == "pong: hello"
        assert Client().get("/healthz").json()["status"] == "ok"
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=20)[0].decode()
    assert worker.returncode == 0, output
    assert not WorkerHeartbeat.objects.exists(), "a stopped worker forgets its heartbeat"


def test_a_worker_loop_survives_a_step_that_raises(monkeypatch) -> None:
    from soriloop.core import heartbeat

    monkeypatch.setattr(heartbeat, "ERROR_BACKOFF", 0.01)
    calls: list[int] = []

    def step() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a broken model")
        return 0

    loop = heartbeat.LoopThread(name="test-loop", step=step, idle=0.01)
    loop.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    loop.join(timeout=5)
    assert len(calls) >= 3, "the loop went on after the error"
