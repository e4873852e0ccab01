"""The worker's sign of life, read by /healthz."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from soriloop.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


_process_worker_id = ""


def current_worker_id() -> str:
    """The id of the worker process running this code ("" outside a worker)."""
    return _process_worker_id


def set_current_worker_id(worker_id: str) -> None:
    global _process_worker_id
    _process_worker_id = worker_id


def live_worker_ids() -> set[str]:
    """Workers that beat within three heartbeat intervals."""
    stale = timezone.now() - dt.timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS * 3)
    return set(
        WorkerHeartbeat.objects.filter(last_seen__gte=stale).values_list("worker_id", flat=True)
    )


def run_maintenance() -> None:
    """Run each ``settings.WORKER_MAINTENANCE`` hook; one failing does not stop the others."""
    for path in settings.WORKER_MAINTENANCE:
        hook: Callable[[], object] = import_string(path)
        try:
            hook()
        except DatabaseError:
            logger.warning("maintenance hook %s failed", path, exc_info=True)


def heartbeat_beat(*, worker_id: str) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "last_seen": now},
        create_defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "last_seen": now,
        },
    )


def heartbeat_forget(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def heartbeat_forget_process(*, pid: int) -> None:
    """Forget the heartbeat of a worker process on this machine that is known to be dead
    (its supervisor saw it exit), so /healthz says "degraded" now rather than once it is
    stale; a database error is logged, the staleness rule then applies."""
    try:
        WorkerHeartbeat.objects.filter(pid=pid, hostname=socket.gethostname()[:255]).delete()
    except DatabaseError:
        logger.warning("could not forget the heartbeat of pid %s", pid, exc_info=True)
        connection.close()


def heartbeats_stopped(*, now: dt.datetime | None = None) -> list[WorkerHeartbeat]:
    """Workers whose last beat is older than three heartbeat intervals, oldest first."""
    stale = (now or timezone.now()) - dt.timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS * 3)
    return list(WorkerHeartbeat.objects.filter(last_seen__lt=stale).order_by("last_seen"))


def workers_status() -> dict[str, object]:
    """For /healthz: the newest heartbeat, how many workers beat recently, and those that
    stopped beating (killed or hung) until a live worker's maintenance logs and forgets them;
    ``ok`` while the newest beat is recent."""
    stale_after = dt.timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS * 3)
    stopped = [
        {"worker_id": b.worker_id, "pid": b.pid, "hostname": b.hostname,
         "last_seen": b.last_seen.isoformat()}
        for b in heartbeats_stopped()[:20]
    ]  # fmt: skip
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"ok": False, "last_seen": None, "age_seconds": None, "workers": 0, "stopped": []}
    age = timezone.now() - beat.last_seen
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - stale_after).count()
    return {
        "ok": age <= stale_after,
        "last_seen": beat.last_seen.isoformat(),
        "age_seconds": round(age.total_seconds(), 1),
        "workers": alive,
        "stopped": stopped,
    }


def heartbeat_report_stopped() -> None:
    """Maintenance: log each worker that stopped beating without saying goodbye (killed,
    hung, its machine gone), then forget it; /healthz lists it until then."""
    for beat in heartbeats_stopped():
        logger.warning(
            "worker %s (pid %s on %s) stopped beating at %s",
            beat.worker_id, beat.pid, beat.hostname, beat.last_seen.isoformat(),
        )  # fmt: skip
        WorkerHeartbeat.objects.filter(pk=beat.pk, last_seen=beat.last_seen).delete()


class HeartbeatWatch:
    """For `soriloop serve`: warn once while its worker process runs but does not beat."""

    def __init__(self, *, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.next_check = 0.0
        self.warned: int | None = None

    def check(self, *, pid: int | None, since: float) -> None:
        """``pid`` of the running worker (None while it is down), started at ``since``."""
        now = self.clock()
        grace = max(60.0, self.interval * 3)  # starting up loads the models first
        if pid is None or now < self.next_check or now - since < grace:
            return
        self.next_check = now + self.interval
        try:
            stale = timezone.now() - dt.timedelta(seconds=self.interval * 3)
            beating = WorkerHeartbeat.objects.filter(
                pid=pid, hostname=socket.gethostname()[:255], last_seen__gte=stale
            ).exists()
        except DatabaseError:
            logger.warning("could not read the worker's heartbeat", exc_info=True)
            connection.close()  # the next check reconnects
            return
        if not beating and self.warned != pid:
            logger.warning("worker (pid %s) is running but its heartbeat stopped", pid)
            self.warned = pid
        elif beating:
            self.warned = None


class HeartbeatThread(threading.Thread):
    """Beats every ``interval`` seconds on its own database connection until stopped."""

    MAINTENANCE_EVERY = 6  # beats

    def __init__(self, *, worker_id: str, interval: float) -> None:
        super().__init__(name="soriloop-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        beats = 0
        try:
            # The starter beats once itself; the first beat here comes an interval later.
            while not self.stopped.wait(self.interval):
                try:
                    close_old_connections()
                    heartbeat_beat(worker_id=self.worker_id)
                    if beats % self.MAINTENANCE_EVERY == 0:
                        run_maintenance()
                except DatabaseError:
                    logger.warning("heartbeat failed; retrying", exc_info=True)
                beats += 1
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


ERROR_BACKOFF = 5.0  # seconds a loop waits after its step raised


class LoopThread(threading.Thread):
    """Calls ``step`` until stopped; sleeps ``idle`` seconds whenever a step found no work,
    and ``backoff`` seconds after a step raised."""

    def __init__(
        self, *, name: str, step: Callable[[], int], idle: float, backoff: float = ERROR_BACKOFF
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.step = step
        self.idle = idle
        self.backoff = backoff
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                try:
                    close_old_connections()
                    busy = self.step()
                except DatabaseError:
                    logger.warning("%s: database error; retrying", self.name, exc_info=True)
                    busy = 0
                except Exception:  # a bug or a broken model must not end the loop for good
                    logger.exception("%s failed; retrying in %s s", self.name, self.backoff)
                    self.stopped.wait(self.backoff)
                    continue
                if not busy:
                    self.stopped.wait(self.idle)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
