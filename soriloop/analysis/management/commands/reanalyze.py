"""soriloop reanalyze --workspace W: analyse every record again and report what changed."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.accounts.selectors import workspace_find
from soriloop.analysis.models import Enrichment
from soriloop.analysis.services import analysis_run_batch
from soriloop.feedback.services import feedback_reanalyze


def _counts(workspace_id: int) -> dict[str, int]:
    labels = Enrichment.objects.filter(workspace_id=workspace_id).values_list(
        "sentiment_label", flat=True
    )
    return dict(sorted(Counter(labels).items()))


class Command(BaseCommand):
    help = "Re-run analysis over a workspace (after a model change) and print label counts before/after."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="slug, id or name")

    def handle(self, *args: Any, workspace: str, **options: Any) -> None:
        target = workspace_find(ident=workspace)
        if target is None:
            raise CommandError(f"no workspace {workspace!r}")
        before = _counts(target.pk)
        queued = feedback_reanalyze(workspace=target)
        owner = "reanalyze-cli"
        while analysis_run_batch(owner=owner):
            pass
        self.stdout.write(
            json.dumps(
                {
                    "records": queued,
                    "sentiment_before": before,
                    "sentiment_after": _counts(target.pk),
                },
                ensure_ascii=False,
            )
        )
