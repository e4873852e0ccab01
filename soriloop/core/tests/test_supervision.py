"""`soriloop serve` supervises its children: real processes, kill -9, bounded waits."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from soriloop.conftest import free_port

WAIT = 90.0  # seconds: generous bounds for a busy machine, never a measured speed


def children_of(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in found]


def descendants_of(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children_of(todo.pop()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def child_running(serve: int, word: str) -> int | None:
    return next((p for p in children_of(serve) if word in cmdline(p) and alive(p)), None)


def wait_for(what: str, check: Callable[[], object]) -> object:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def health(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the embedded default is SQLite")
def test_serve_restarts_killed_children_and_none_outlives_it(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SORILOOP_DATA_DIR=str(tmp_path), WORKER_HEARTBEAT_SECONDS="1")
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen: set[int] = set()
    try:
        wait_for("a healthy site", lambda: '"status": "ok"' in health(port)[1])
        worker = child_running(serve.pid, "soriloop.cli worker")
        assert worker is not None
        seen |= descendants_of(serve.pid)

        os.kill(worker, signal.SIGKILL)
        wait_for("healthz degraded", lambda: '"status": "degraded"' in health(port)[1])
        wait_for(
            "a new worker",
            lambda: (child_running(serve.pid, "soriloop.cli worker") or worker) != worker,
        )
        new_worker = child_running(serve.pid, "soriloop.cli worker")
        assert serve.poll() is None, "serve survives its worker"
        assert health(port)[0] == 200, "the site stays up while the worker is restarted"
        wait_for("the new worker's heartbeat", lambda: '"status": "ok"' in health(port)[1])
        assert "worker (pid" in (tmp_path / "serve.log").read_text(), "the exit is logged"

        web = child_running(serve.pid, "granian")
        assert web is not None
        seen |= descendants_of(serve.pid)
        os.kill(web, signal.SIGKILL)
        wait_for("a new web server", lambda: (child_running(serve.pid, "granian") or web) != web)
        wait_for("the site back", lambda: health(port)[0] == 200)
        assert child_running(serve.pid, "soriloop.cli worker") == new_worker, (
            "the worker was left alone"
        )

        seen |= descendants_of(serve.pid)
        assert len(seen) >= 4, seen
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait(timeout=10)
        wait_for("every child gone", lambda: not any(alive(p) for p in seen))
        with socket.socket() as sock:
            # REUSEADDR: closed connections may linger in TIME_WAIT, a listener may not
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen()
    finally:
        for pid in [serve.pid, *seen]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            serve.wait(timeout=10)
        log.close()
