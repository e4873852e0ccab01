"""Run background tasks from the database queue, with a heartbeat for /healthz."""

from __future__ import annotations

import os
import time
from functools import partial
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker

from soriloop.core.heartbeat import (
    HeartbeatThread,
    LoopThread,
    heartbeat_beat,
    heartbeat_forget,
    run_maintenance,
    set_current_worker_id,
)

SHUTDOWN_SECONDS = 10.0


class Command(BaseCommand):
    help = "Run the background worker (django-tasks database backend) with a heartbeat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.2, help="Seconds between polls.")
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")
        parser.add_argument("--queue", default="*", help="Queues to run, comma-separated.")

    def handle(self, *args: Any, interval: float, batch: bool, queue: str, **options: Any) -> None:
        worker_id = f"w-{get_random_string(20)}"
        # Requests first: analysis and sending take the CPU the web workers leave over, so a
        # burst is acknowledged at once and the backlog is worked off in the gaps.
        os.nice(min(settings.WORKER_NICE, 19))
        set_current_worker_id(worker_id)
        heartbeat_beat(worker_id=worker_id)
        run_maintenance()
        beat = HeartbeatThread(worker_id=worker_id, interval=settings.WORKER_HEARTBEAT_SECONDS)
        beat.start()
        loops = [
            LoopThread(
                name=f"soriloop-{path.rsplit('.', 1)[-1]}",
                step=partial(import_string(path), owner=worker_id),
                idle=0.2,
            )
            for path in settings.WORKER_LOOPS
        ]
        for loop in loops:
            loop.start()
        worker = Worker(
            queue_names=queue.split(","),
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.stdout.write(f"worker {worker_id} started")
        try:
            worker.configure_signals()
            worker.run()
        finally:
            for loop in loops:
                loop.stop()
            # A bounded wait: a loop deep in a long step (grouping emerging issues, adapting a
            # model) is a daemon thread and ends with the process. Nothing is lost: analysis
            # claims of a worker that stopped beating are released, and the periodic jobs
            # run again since they did not record that they ran.
            deadline = time.monotonic() + SHUTDOWN_SECONDS
            for loop in loops:
                loop.join(timeout=max(0.0, deadline - time.monotonic()))
            beat.stop()
            beat.join(timeout=5)
            # A stop signal can land inside the task loop's transaction (SystemExit from the
            # signal handler): that connection is mid-transaction, so say goodbye on a new one.
            connection.close()
            heartbeat_forget(worker_id=worker_id)
