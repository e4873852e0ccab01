"""soriloop import FILE --workspace W [--map SPEC] [--source NAME]"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.crypto import get_random_string

from soriloop.accounts.models import Workspace
from soriloop.accounts.selectors import workspace_find
from soriloop.core.heartbeat import HeartbeatThread, heartbeat_beat, heartbeat_forget
from soriloop.feedback.imports import (
    BadMapping,
    Mapping_,
    import_create,
    import_run,
    mapping_check,
    mapping_parse,
    score_check_of,
)
from soriloop.feedback.mail import InvalidFeedback, mail_ingest, messages_in
from soriloop.feedback.models import ImportJob, ImportState
from soriloop.feedback.readers import UnreadableFile

SHOWN_ERRORS = 50

logger = logging.getLogger(__name__)


def find_workspace(ident: str) -> Workspace:
    workspace = workspace_find(ident=ident)
    if workspace is None:
        raise CommandError(f"no workspace {ident!r} (give its slug, id or name)")
    return workspace


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, job: ImportJob, fraction: float) -> None:
        rows = job.rows_total
        rate = rows / max(time.monotonic() - self.started, 1e-6)
        bar = "#" * int(fraction * 30)
        sys.stderr.write(f"\r[{bar:<30}] {fraction:4.0%}  {rows:,} rows  {rate:,.0f} rows/s ")
        sys.stderr.flush()


class Command(BaseCommand):
    help = (
        "Import feedback from a CSV, JSONL or XLSX file (streamed; bad rows are reported), "
        "or e-mail from an .eml or .mbox file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--workspace", required=True, help="slug, id or name")
        parser.add_argument(
            "--map",
            default="",
            help="e.g. text=review,score=stars:5,received_at=date,external_id=id,meta=col1|col2 "
            "(default: detected from the column names)",
        )
        parser.add_argument("--source", default="", help="source name (default: the file name)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(
        self,
        *args: Any,
        file: str,
        workspace: str,
        map: str,
        source: str,
        quiet: bool,
        **options: Any,
    ) -> None:
        target = find_workspace(workspace)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        if path.suffix.lower() in {".eml", ".mbox"}:
            self._import_mail(target, path)
            return
        try:
            with open(path, "rb") as stream:
                job = import_create(
                    workspace=target,
                    file_name=path.name,
                    stream=stream,
                    created_by=None,
                    source=source,
                    check_score=not map,  # a scale named in --map needs no reading of the column
                )
            mapping = mapping_parse(map, job.columns) if map else Mapping_.from_json(job.mapping)
            mapping_check(mapping, job.columns)
        except UnreadableFile as exc:
            raise CommandError(f"{file}: {exc}") from exc
        except BadMapping as exc:
            raise CommandError(f"bad mapping: {exc}. Columns: {', '.join(job.columns)}") from exc
        self._scale_check(job, mapping)
        self.stdout.write(f"mapping: {mapping.as_json()}")
        job.mapping = mapping.as_json() | {"score_check": job.mapping.get("score_check")}
        job.state = ImportState.QUEUED
        job.save(update_fields=["mapping", "state"])
        # Beat like a worker, so no worker mistakes this running import for an orphan.
        worker_id = f"cli-{get_random_string(12)}"
        heartbeat_beat(worker_id=worker_id)
        beat = HeartbeatThread(worker_id=worker_id, interval=settings.WORKER_HEARTBEAT_SECONDS)
        beat.start()
        try:
            done = import_run(
                job_id=job.pk, worker_id=worker_id, on_progress=None if quiet else Progress()
            )
        finally:
            beat.stop()
            beat.join(timeout=5)
            heartbeat_forget(worker_id=worker_id)
        assert done is not None
        if not quiet:
            sys.stderr.write("\n")
        self._report(done)

    def _scale_check(self, job: ImportJob, mapping: Mapping_) -> None:
        """Refuse a guessed score scale the column does not settle: the person names it."""
        check = score_check_of(job)
        if mapping.score is None or mapping.score.confirmed or check is None:
            return
        column, outside = mapping.score.column, check.out_of_range
        evidence = f"{check.values} scores in {column!r} read as {check.low}-{check.high}"
        if check.sure:
            self.stdout.write(f"score: {evidence} (guessed; --map score={column}:N confirms it)")
            return
        job.delete()  # nothing was imported; the file goes with it
        Path(job.file_path).unlink(missing_ok=True)
        raise CommandError(
            f"{evidence}, {outside} outside: the values do not settle the scale. Name it, "
            f"e.g. --map text=...,score={column}:{check.scale}"
        )

    def _import_mail(self, workspace: Workspace, path: Path) -> None:
        counts = {"created": 0, "duplicate": 0, "failed": 0}
        for number, raw in messages_in(path):
            try:
                # Message-IDs are unique across files: the same mail in two exports is one record.
                result = mail_ingest(workspace=workspace, raw=raw)
            except InvalidFeedback as exc:
                counts["failed"] += 1
                self.stdout.write(f"message {number}: {exc}")
                continue
            except DatabaseError as exc:
                # One message the database refuses does not stop the ones after it.
                logger.warning("message %s of %s not stored", number, path, exc_info=True)
                counts["failed"] += 1
                self.stdout.write(f"message {number}: not stored ({exc})")
                continue
            counts[result.status] += 1
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
        if counts["failed"]:
            sys.exit(1)

    def _report(self, job: ImportJob) -> None:
        if job.state == ImportState.FAILED:
            raise CommandError(job.last_error)
        self.stdout.write(
            f"rows={job.rows_total} created={job.rows_created} duplicate={job.rows_duplicate} failed={job.rows_failed}"
        )
        for error in job.errors[:SHOWN_ERRORS]:
            field = f" {error['field']}:" if error["field"] else ""
            self.stdout.write(f"line {error['line']}:{field} {error['reason']}")
        if job.rows_failed > SHOWN_ERRORS:
            self.stdout.write(
                f"... and more; every bad row is listed on the import's page (job {job.pk})"
            )
        if job.last_error:
            self.stdout.write(job.last_error)
        if job.rows_failed or job.last_error:
            sys.exit(1)
