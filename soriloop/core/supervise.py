"""`soriloop serve` keeps its children running: the web server, the worker, the SMTP server.

A child that exits is restarted after a backoff that doubles while it keeps failing, and the
exit is logged. No child outlives the supervisor: each is the leader of its own process group,
asked by the kernel to stop when the supervisor dies (the parent-death signal, Linux), and a
child's whole group is killed before it is restarted, so what it started (granian's worker
processes) cannot linger holding the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exec_dying_with_parent(parent: int, argv: Sequence[str]) -> None:
    """Become ``argv``, armed to get SIGTERM when process ``parent`` dies (Linux).

    Run as ``python -m soriloop.core.supervise PARENT ARGV...``: the signal survives exec,
    and arming it in a fresh process avoids a ``preexec_fn`` in a parent that may have
    threads. No maintained library wraps prctl(2) under a licence we can use, and this is one
    call. SIGTERM, not SIGKILL, so granian stops its own worker processes too."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        sys.exit(1)
    os.execv(argv[0], list(argv))  # noqa: S606 - our own argv, no shell


@dataclass
class Child:
    """One supervised program and its restart state."""

    name: str
    argv: Sequence[str]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    backoff: float = 0.0
    restarts: int = 0
    env: dict[str, str] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group ``pid`` leads; nothing if it is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class Supervisor:
    """Start, watch and restart children; ``stop`` ends them all, group by group."""

    def __init__(
        self,
        children: Sequence[Child],
        *,
        min_backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        on_exit: Callable[[Child, int], None] | None = None,
    ) -> None:
        self.children = list(children)
        self.on_exit = on_exit
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.clock = clock
        self.stopping = False

    def start(self, child: Child) -> None:
        armed = [sys.executable, "-m", __name__, str(os.getpid()), *child.argv]
        child.proc = subprocess.Popen(armed, env=child.env, start_new_session=True)
        child.started_at, child.restart_at = self.clock(), None
        logger.info("started %s (pid %s)", child.name, child.proc.pid)

    def start_all(self) -> None:
        for child in self.children:
            self.start(child)

    def _exited(self, child: Child, code: int) -> None:
        assert child.proc is not None
        kill_group(child.proc.pid)  # whatever it left behind
        ran = self.clock() - child.started_at
        if ran >= self.stable_after:
            child.backoff = self.min_backoff
        else:
            child.backoff = min(self.max_backoff, max(self.min_backoff, child.backoff * 2))
        child.restart_at = self.clock() + child.backoff
        child.restarts += 1
        logger.warning(
            "%s (pid %s) exited with code %s after %.0f s; restarting in %.0f s",
            child.name, child.proc.pid, code, ran, child.backoff,
        )  # fmt: skip
        if self.on_exit is not None:
            self.on_exit(child, child.proc.pid)

    def check(self) -> None:
        """Notice exits and start what is due; call it every fraction of a second."""
        if self.stopping:
            return
        for child in self.children:
            code = child.proc.poll() if child.proc is not None else None
            if child.restart_at is None and code is not None:
                self._exited(child, code)
            if child.restart_at is not None and self.clock() >= child.restart_at:
                self.start(child)

    def stop(self, *, timeout: float = 30.0) -> int:
        """SIGTERM every child's group, wait up to ``timeout`` s, then SIGKILL what is left.
        Returns the first non-zero exit code, or 0."""
        self.stopping = True
        running = [c.proc for c in self.children if c.proc is not None]
        for proc in running:
            if proc.poll() is None:
                kill_group(proc.pid, signal.SIGTERM)
        deadline = self.clock() + timeout
        code = 0
        for proc in running:
            try:
                result = proc.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                logger.warning("pid %s did not stop in %.0f s; killing it", proc.pid, timeout)
                result = 1
            kill_group(proc.pid)
            code = code or (0 if result in (0, -signal.SIGTERM) else result)
        return code


if __name__ == "__main__":
    exec_dying_with_parent(int(sys.argv[1]), sys.argv[2:])
