"""The analysis queue: records wait on their own row (``Feedback.analysis_state``), so a
record is stored and queued by one insert; analysis alone moves them through the states.

pending -> running (claimed by one worker) -> done | failed; a claim of a worker that stopped
beating goes back to pending (``analysis_release_orphans``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from soriloop.accounts.models import Workspace
from soriloop.feedback.models import AnalysisState, Feedback


def queue_claim(*, owner: str, limit: int) -> list[Feedback]:
    """Claim up to ``limit`` records waiting for analysis, oldest first, for ``owner``.

    The conditional UPDATE makes a record belong to one claimer even when several workers
    read the same ids; a claimer dying leaves its records to ``queue_release_orphans``.
    """
    with transaction.atomic():
        ids = list(
            Feedback.objects.filter(analysis_state=AnalysisState.PENDING)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Feedback.objects.filter(id__in=ids, analysis_state=AnalysisState.PENDING).update(
            analysis_state=AnalysisState.RUNNING, analysis_owner=owner
        )
    return list(
        Feedback.objects.select_related("workspace")
        .filter(id__in=ids, analysis_state=AnalysisState.RUNNING, analysis_owner=owner)
        .order_by("id")
    )


def queue_finish(
    *,
    owner: str,
    languages: dict[int, str],
    failed: Sequence[int] = (),
    texts: dict[int, str] | None = None,
    metadata: dict[int, Any] | None = None,
) -> int:
    """Finish claimed records: set their language (and, where given, their stored text and
    metadata); records in ``failed`` are marked failed. Returns how many this owner still
    held."""
    done = 0
    by_language: dict[str, list[int]] = {}
    for pk, language in languages.items():
        by_language.setdefault(language, []).append(pk)
    mine = Feedback.objects.filter(analysis_owner=owner, analysis_state=AnalysisState.RUNNING)
    for language, pks in by_language.items():
        done += mine.filter(id__in=pks).update(
            analysis_state=AnalysisState.DONE, analysis_owner="", language=language
        )
    if failed:
        done += mine.filter(id__in=failed).update(
            analysis_state=AnalysisState.FAILED, analysis_owner=""
        )
    for pk, text in (texts or {}).items():
        Feedback.objects.filter(id=pk, deleted_at__isnull=True).update(text=text)
    for pk, value in (metadata or {}).items():
        Feedback.objects.filter(id=pk, deleted_at__isnull=True).update(metadata=value)
    return done


def queue_release_orphans(*, live_owners: set[str]) -> int:
    """Put back records claimed by analysers that are gone; returns how many."""
    return (
        Feedback.objects.filter(analysis_state=AnalysisState.RUNNING)
        .exclude(analysis_owner__in=live_owners)
        .update(analysis_state=AnalysisState.PENDING, analysis_owner="")
    )


def queue_requeue(*, workspace: Workspace) -> int:
    """Queue every live record of the workspace for analysis again; returns how many."""
    return (
        Feedback.objects.filter(workspace=workspace, deleted_at__isnull=True)
        .exclude(analysis_state=AnalysisState.RUNNING)
        .update(analysis_state=AnalysisState.PENDING, analysis_owner="")
    )
