"""The worker's sign of life, read by /healthz."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from soriloop.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


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


class HeartbeatThread(threading.Thread):
    """Beats every ``interval`` seconds on its own database connection until stopped."""

    def __init__(self, *, worker_id: str, interval: float) -> None:
        super().__init__(name="soriloop-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                try:
                    close_old_connections()
                    heartbeat_beat(worker_id=self.worker_id)
                except DatabaseError:
                    logger.warning("heartbeat failed; retrying", exc_info=True)
                self.stopped.wait(self.interval)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
