"""Reads of feedback, always inside one workspace and never of deleted records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import Http404

from soriloop.accounts.models import Workspace
from soriloop.core.fields import MAX_ID
from soriloop.feedback.filters import FeedbackFilter, decode_cursor, encode_cursor
from soriloop.feedback.models import Feedback, ImportJob, RawMail


def feedback_records(*, workspace: Workspace, filters: FeedbackFilter) -> QuerySet[Feedback]:
    """The workspace's live records matching ``filters``, newest first."""
    records = Feedback.objects.filter(workspace=workspace, deleted_at__isnull=True)
    return filters.apply(records).order_by("-received_at", "-id")


def feedback_newest(*, workspace: Workspace, filters: FeedbackFilter, limit: int) -> list[Feedback]:
    """The newest ``limit`` matching records."""
    records = feedback_newest_first(workspace=workspace, filters=filters)
    return list(records.select_related("customer", "enrichment")[:limit])


def feedback_newest_first(*, workspace: Workspace, filters: FeedbackFilter) -> QuerySet[Feedback]:
    """The matching records, newest first, for reading only the first few. The dates become
    bounds on ``received_at`` (the same records: ``day`` is its local date), so the
    newest-first index is read from the top and stops at the limit instead of sorting the
    whole period."""
    tz = ZoneInfo(workspace.timezone)
    records = feedback_records(
        workspace=workspace, filters=replace(filters, date_from=None, date_to=None)
    )
    if filters.date_from:
        records = records.filter(
            received_at__gte=dt.datetime.combine(filters.date_from, dt.time(), tz)
        )
    if filters.date_to:
        after = filters.date_to + dt.timedelta(days=1)
        records = records.filter(received_at__lt=dt.datetime.combine(after, dt.time(), tz))
    return records


def feedback_page(
    *, workspace: Workspace, filters: FeedbackFilter, cursor: str = "", limit: int = 50
) -> tuple[list[Feedback], str | None]:
    """One page of records after ``cursor`` and the cursor of the next page (None at the end)."""
    # Not joined with the workspace (known already): a join ahead of the records would make
    # SQLite sort the whole period instead of reading the newest-first index.
    records = feedback_newest_first(workspace=workspace, filters=filters).select_related(
        "customer", "enrichment"
    )
    if cursor:
        moment, pk = decode_cursor(cursor)
        records = records.filter(Q(received_at__lt=moment) | Q(received_at=moment, id__lt=pk))
    page = list(records[: limit + 1])
    for record in page:
        record.workspace = workspace
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor(page[-1]) if more and page else None


def feedback_get(*, workspace: Workspace, feedback_id: int) -> Feedback:
    """One live record of the workspace; ``Http404`` otherwise (also for other workspaces)."""
    record = (
        Feedback.objects.select_related("customer", "enrichment", "workspace")
        .filter(workspace=workspace, id=feedback_id, deleted_at__isnull=True)
        .first()
    )
    if record is None:
        raise Http404("feedback not found")
    return record


def raw_mail_get(*, workspace: Workspace, feedback_id: int) -> bytes | None:
    """The message a live record of the workspace was made from; None if it has none (or the
    id cannot be a record's)."""
    if not 1 <= feedback_id <= MAX_ID:
        return None
    raw = (
        RawMail.objects.filter(
            workspace=workspace, feedback_id=feedback_id, feedback__deleted_at__isnull=True
        )
        .values_list("raw", flat=True)
        .first()
    )
    return bytes(raw) if raw is not None else None


def raw_mail_exists(*, workspace: Workspace, feedback_id: int) -> bool:
    return RawMail.objects.filter(workspace=workspace, feedback_id=feedback_id).exists()


def feedback_iter(
    *, workspace: Workspace, filters: FeedbackFilter, chunk: int = 2000
) -> Iterator[Feedback]:
    """Every matching record, streamed from the database in chunks (for exports)."""
    records = feedback_records(workspace=workspace, filters=filters).select_related(
        "customer", "enrichment", "workspace"
    )
    return records.iterator(chunk_size=chunk)


def import_jobs(*, workspace: Workspace) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(workspace=workspace).order_by("-created_at")


def import_job_get(*, workspace: Workspace, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(workspace=workspace, id=job_id).first()
    if job is None:
        raise Http404("import not found")
    return job
