"""/healthz reports the database and a live worker; the worker runs queued tasks."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
        env=subprocess_env(WORKER_HEARTBEAT_SECONDS="1", WORKER_NICE="7"),
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
        # its CPU priority is below this process's by WORKER_NICE (field 19 of /proc stat)
        stat = Path(f"/proc/{worker.pid}/stat").read_text()
        niceness = int(stat.rsplit(")", 1)[1].split()[16])
        assert niceness == min(os.nice(0) + 7, 19)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=20)[0].decode()
    assert worker.returncode == 0, output
    assert not WorkerHeartbeat.objects.exists(), "a stopped worker forgets its heartbeat"


def test_a_worker_loop_survives_a_step_that_raises() -> None:
    from soriloop.core import heartbeat

    calls: list[int] = []

    def step() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a broken model")
        return 0

    loop = heartbeat.LoopThread(name="test-loop", step=step, idle=0.01, backoff=0.01)
    loop.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    loop.join(timeout=5)
    assert len(calls) >= 3, "the loop went on after the error"


def test_a_worker_that_stops_beating_is_reported_then_forgotten(
    db: None, time_machine, caplog
) -> None:
    from soriloop.core.heartbeat import heartbeat_beat, heartbeat_report_stopped

    time_machine.move_to("2026-05-01 12:00:00+00:00", tick=False)
    heartbeat_beat(worker_id="w-killed")
    time_machine.move_to("2026-05-01 12:05:00+00:00", tick=False)
    heartbeat_beat(worker_id="w-alive")
    body = Client().get("/healthz").json()
    assert body["status"] == "ok", "another worker is alive"
    assert [w["worker_id"] for w in body["worker"]["stopped"]] == ["w-killed"]
    with caplog.at_level("WARNING", logger="soriloop.core.heartbeat"):
        heartbeat_report_stopped()
    assert "worker w-killed" in caplog.text and "stopped beating" in caplog.text
    assert "w-alive" not in caplog.text
    assert Client().get("/healthz").json()["worker"]["stopped"] == []
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["w-alive"]


def test_serve_warns_once_about_a_running_worker_that_does_not_beat(db: None, caplog) -> None:
    import os

    from soriloop.core.heartbeat import HeartbeatWatch, heartbeat_beat

    now = [1000.0]
    watch = HeartbeatWatch(interval=1, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="soriloop.core.heartbeat"):
        watch.check(pid=os.getpid(), since=990.0)
        assert caplog.text == "", "no warning while the worker is still starting"
        now[0] = 1100.0
        watch.check(pid=os.getpid(), since=990.0)
        now[0] = 1102.0
        watch.check(pid=os.getpid(), since=990.0)
        assert caplog.text.count("heartbeat stopped") == 1, caplog.text
        heartbeat_beat(worker_id="w-me")  # this process's pid: it beats again
        now[0] = 1104.0
        watch.check(pid=os.getpid(), since=990.0)
        WorkerHeartbeat.objects.all().delete()
        now[0] = 1106.0
        watch.check(pid=os.getpid(), since=990.0)
    assert caplog.text.count("heartbeat stopped") == 2, "a new episode is reported again"


def test_the_supervisor_restarts_a_failing_child_with_growing_backoff(tmp_path, caplog) -> None:
    from soriloop.core.supervise import Child, Supervisor

    now = [0.0]
    runs = tmp_path / "runs"
    crash = Child(
        name="crasher",
        argv=[sys.executable, "-c", f"open({str(runs)!r}, 'a').write('x'); raise SystemExit(3)"],
    )
    exits: list[tuple[str, int]] = []
    supervisor = Supervisor(
        [crash],
        min_backoff=1,
        max_backoff=4,
        clock=lambda: now[0],
        on_exit=lambda child, pid: exits.append((child.name, pid)),
    )
    with caplog.at_level("WARNING", logger="soriloop.core.supervise"):
        supervisor.start_all()
        backoffs = []
        for _ in range(4):
            crash.proc.wait(timeout=30)
            supervisor.check()  # notices the exit
            backoffs.append(crash.backoff)
            now[0] += crash.backoff
            supervisor.check()  # due: starts it again
        crash.proc.wait(timeout=30)
    supervisor.stop(timeout=10)
    assert backoffs == [1, 2, 4, 4]
    assert crash.restarts == 4
    assert [name for name, _pid in exits] == ["crasher"] * 4
    assert runs.read_text() == "xxxxx"
    assert "crasher (pid" in caplog.text and "exited with code 3" in caplog.text


def test_a_dead_worker_process_is_forgotten_at_once(db: None) -> None:
    import os

    from soriloop.core.heartbeat import heartbeat_beat, heartbeat_forget_process

    heartbeat_beat(worker_id="w-dead")  # as if this process were the worker
    assert Client().get("/healthz").json()["status"] == "ok"
    heartbeat_forget_process(pid=os.getpid())
    assert Client().get("/healthz").json()["status"] == "degraded"
