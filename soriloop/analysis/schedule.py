"""Periodic per-workspace work run from a worker loop (emerging issues, adaptation)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.analysis.models import AnalysisSettings

logger = logging.getLogger(__name__)


class Periodic:
    """Run ``job`` for each workspace whose ``stamp`` (an ``AnalysisSettings`` field) is older
    than ``every`` seconds and that ``has_news`` since then; look every ``check`` seconds."""

    def __init__(
        self,
        *,
        stamp: str,
        every: Callable[[], int],
        has_news: Callable[[Workspace, dt.datetime | None], bool],
        job: Callable[[Workspace], Any],
        check: float,
    ) -> None:
        self.stamp, self.every, self.has_news, self.job, self.check = (
            stamp,
            every,
            has_news,
            job,
            check,
        )
        self.next_check = 0.0

    def __call__(self, *, owner: str = "") -> int:
        """A worker loop step; returns how many workspaces it ran the job for."""
        if time.monotonic() < self.next_check:
            return 0
        self.next_check = time.monotonic() + self.check
        due = timezone.now() - dt.timedelta(seconds=self.every())
        done = 0
        for workspace in Workspace.objects.all():
            last = (
                AnalysisSettings.objects.filter(workspace=workspace)
                .values_list(self.stamp, flat=True)
                .first()
            )
            if (last is not None and last > due) or not self.has_news(workspace, last):
                continue
            try:
                self.job(workspace)
            except Exception:  # one workspace's failure must not stop the others
                logger.exception("%s of workspace %s failed", self.stamp, workspace.pk)
            done += 1
        return done
