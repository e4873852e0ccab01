"""Acknowledged means durable: a killed worker loses nothing, concurrent writers all succeed."""

import csv
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from soriloop.conftest import Member, subprocess_env
from soriloop.feedback.imports import import_create, import_start, mapping_parse
from soriloop.feedback.models import Feedback, ImportJob

ROWS = 40_000


def _worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "worker", "--interval", "0.1"],
        env=subprocess_env(WORKER_HEARTBEAT_SECONDS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, seconds: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_loses_no_row_and_stores_none_twice(
    alice: Member, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "stars"])  # no ids: dedup rests on the row fingerprint
        writer.writerows([f"후기 {i}번: 잘 받았어요", i % 5 + 1] for i in range(ROWS))
    with open(path, "rb") as stream:
        job = import_create(
            workspace=alice.workspace, file_name=path.name, stream=stream, created_by=alice.user
        )
    import_start(
        actor=alice.membership,
        job=job,
        mapping=mapping_parse("text=text,score=stars:5", job.columns),
    )

    first = _worker()
    try:
        started = _wait(lambda: ImportJob.objects.get(id=job.pk).rows_total > 0, 60)
        first.kill()  # SIGKILL: no chance to clean up
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert started, "the import never started"
    interrupted = ImportJob.objects.get(id=job.pk)
    assert interrupted.state == "running"
    assert interrupted.rows_total < ROWS, "the worker finished before it could be killed"
    assert Feedback.objects.count() == interrupted.rows_created, "counters and rows commit together"

    second = _worker()
    try:
        assert _wait(lambda: ImportJob.objects.get(id=job.pk).state == "done", 120, 0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    done = ImportJob.objects.get(id=job.pk)
    assert (done.rows_total, done.rows_created, done.rows_duplicate, done.rows_failed) == (
        ROWS,
        ROWS,
        0,
        0,
    )
    assert Feedback.objects.filter(workspace=alice.workspace).count() == ROWS


def test_concurrent_writers_all_succeed(live_server, alice: Member, api_key_of) -> None:
    """Eight clients post at once through the threaded live server: no 'database is locked'."""
    key = api_key_of(alice, "write")
    statuses: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(25):
            request = urllib.request.Request(
                f"{live_server.url}/api/v1/feedback",
                data=json.dumps(
                    {
                        "text": f"client {n} message {i}",
                        "customer": {"email": f"c{i % 5}@x.example"},
                    }
                ).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(201) == 200, sorted(set(statuses))
    assert Feedback.objects.filter(workspace=alice.workspace).count() == 200
    assert alice.workspace.customers.count() == 5, "customers created once despite the race"
