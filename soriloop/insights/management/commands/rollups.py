"""soriloop rollups rebuild [--workspace W] | refresh: recount the dashboard rollups."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.accounts.selectors import workspace_find
from soriloop.core.changes import changes_drain
from soriloop.insights.rollups import rollups_rebuild, rollups_refresh


class Command(BaseCommand):
    help = "Recount the dashboard rollups: 'rebuild' every day from the records, or 'refresh' the days marked dirty."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh"])
        parser.add_argument("--workspace", help="slug, id or name (rebuild only; default: all)")

    def handle(self, *args: Any, action: str, workspace: str | None, **options: Any) -> None:
        started = time.perf_counter()
        if action == "refresh":
            changes_drain()  # what the worker's consumer would mark, marked now
            drained = 0
            while step := rollups_refresh():
                drained += step
            result: dict[str, Any] = {"marks_drained": drained}
        else:
            workspace_id = None
            if workspace:
                target = workspace_find(ident=workspace)
                if target is None:
                    raise CommandError(f"no workspace {workspace!r}")
                workspace_id = target.pk
            result = {"days_recounted": rollups_rebuild(workspace_id=workspace_id)}
        result["seconds"] = round(time.perf_counter() - started, 2)
        self.stdout.write(json.dumps(result))
