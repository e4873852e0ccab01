"""soriloop reanalyze --workspace W: analyse every record again and report what changed."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.accounts.selectors import workspace_find
from soriloop.analysis.meaning import meaning_run_batch
from soriloop.analysis.models import Enrichment
from soriloop.analysis.queue import queue_requeue
from soriloop.analysis.services import analysis_run_batch

Labels = tuple[str, str, str]  # sentiment, "|topic|keys|", "|type|names|"


def _labels(workspace_id: int) -> dict[int, Labels]:
    rows = Enrichment.objects.filter(workspace_id=workspace_id).values_list(
        "feedback_id", "sentiment_label", "topic_keys", "type_names"
    )
    return {pk: (sentiment, topics, types) for pk, sentiment, topics, types in rows.iterator(2000)}


def _counts(labels: dict[int, Labels]) -> dict[str, dict[str, int]]:
    """How many records carry each sentiment, topic ("unassigned": none) and type."""
    sentiment: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for label, topic_keys, type_names in labels.values():
        sentiment[label] += 1
        topics.update([k for k in topic_keys.split("|") if k] or ["unassigned"])
        types.update(k for k in type_names.split("|") if k)
    return {
        "sentiment": dict(sorted(sentiment.items())),
        "topics": dict(sorted(topics.items())),
        "types": dict(sorted(types.items())),
    }


class Command(BaseCommand):
    help = (
        "Re-run analysis over a workspace (after a model or taxonomy change) and print the "
        "counts of its labels before and after, and how many records changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="slug, id or name")

    def handle(self, *args: Any, workspace: str, **options: Any) -> None:
        target = workspace_find(ident=workspace)
        if target is None:
            raise CommandError(f"no workspace {workspace!r}")
        before = _labels(target.pk)
        queued = queue_requeue(workspace=target)
        owner = "reanalyze-cli"
        while analysis_run_batch(owner=owner):
            pass
        while meaning_run_batch(owner=owner, workspace_id=target.pk):  # topics by meaning
            pass
        after = _labels(target.pk)
        changed = {
            field: sum(1 for pk, old in before.items() if pk in after and after[pk][i] != old[i])
            for i, field in enumerate(("sentiment", "topics", "types"))
        }
        report = {"records": queued, "before": _counts(before), "after": _counts(after),
                  "records_changed": changed}  # fmt: skip
        self.stdout.write(json.dumps(report, ensure_ascii=False))
